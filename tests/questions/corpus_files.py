"""Build small corpus folders in a temporary directory for loader tests."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

TOPICS = [{"slug": "activations", "en": "Activation functions", "zh": "激活函数"},
          {"slug": "cnn", "en": "Convolutional networks", "zh": "卷积神经网络"}]


def card(card_id: str, **overrides) -> dict:
    base = {
        "id": card_id,
        "seed_refs": ["S1-5"],
        "difficulty": 2,
        "tags": ["sigmoid"],
        "demos": ["D2"],
        "references": [],
        "question": {"en": f"Question {card_id}?", "zh": f"问题 {card_id}？"},
        "answer": {"en": "The derivative is $\\sigma(z)(1-\\sigma(z))$, at most 0.25.\n",
                   "zh": "导数为 $\\sigma(z)(1-\\sigma(z))$，最大 0.25。\n"},
        "key_points": [{"en": f"point {i}", "zh": f"要点 {i}", "terms": [f"term{i}"]} for i in range(3)],
    }
    base.update(copy.deepcopy(overrides))
    return base


def write_corpus(folder: Path, files: dict[str, list[dict]], topics: list[dict] = TOPICS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "topics.yaml").write_text(yaml.safe_dump(topics, allow_unicode=True))
    for topic, cards in files.items():
        text = yaml.safe_dump({"topic": topic, "cards": cards}, allow_unicode=True, sort_keys=False)
        (folder / f"{topic}.yaml").write_text(text)
    return folder
