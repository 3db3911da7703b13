"""Interview loops (questions/loops.yaml): which topics a loop asks, in what proportion, at what
difficulty, and how long each question gets. Reading and arithmetic only; the draw is in selectors."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

LOOPS_FILE = Path(__file__).resolve().parents[2] / "questions" / "loops.yaml"
WEAK_SPOTS = "weak-spots"  # the loop slug a weak spots round is recorded under (not in the file)
WEAK_SPOT_TOPICS = 3  # a weak spots round fills up from this many least-ready topics
DESIGN_TAG = "design-case"
CODING_TOPIC = "coding"
# Minutes a question gets: a definition is explained in a few minutes, a harder card needs more, a
# design case or an implementation as long as a round of its own gives it.
MINUTES_BY_DIFFICULTY = {1: 3, 2: 4, 3: 6}
DESIGN_MINUTES = 15
CODING_MINUTES = 20


@dataclass(frozen=True)
class Loop:
    slug: str
    title: dict[str, str]  # {"en": ..., "zh": ...}
    difficulty_min: int
    difficulty_max: int
    count: int
    weights: dict[str, int]  # topic slug → weight


class LoopFileError(ValueError):
    """questions/loops.yaml breaks a rule; the message names the loop and the field."""


def _loop(raw: dict, max_questions: int) -> Loop:
    slug = raw.get("slug", "?")
    if not all(isinstance(raw.get(language), str) and raw[language].strip() for language in ("en", "zh")):
        raise LoopFileError(f"{slug}: en and zh titles are required")
    low, high = raw.get("difficulty", [0, 0])
    if not 1 <= low <= high <= 3:
        raise LoopFileError(f"{slug}: difficulty must go from low to high within 1–3")
    if not 1 <= raw.get("questions", 0) <= max_questions:
        raise LoopFileError(f"{slug}: questions must be 1 to {max_questions}")
    weights = raw.get("topics") or {}
    if not weights or any(not isinstance(weight, int) or weight < 1 for weight in weights.values()):
        raise LoopFileError(f"{slug}: topics need whole, positive weights")
    return Loop(slug=slug, title={"en": raw["en"], "zh": raw["zh"]}, difficulty_min=low, difficulty_max=high,
                count=raw["questions"], weights=dict(weights))


@functools.cache
def read_loops(path: Path = LOOPS_FILE, max_questions: int = 20) -> dict[str, Loop]:
    loops = [_loop(raw, max_questions) for raw in yaml.safe_load(path.read_text(encoding="utf-8"))]
    slugs = [loop.slug for loop in loops]
    if len(set(slugs)) != len(slugs):
        raise LoopFileError("each loop slug once")
    return {loop.slug: loop for loop in loops}


def allocate(*, weights: dict[str, int], count: int) -> dict[str, int]:
    """`count` questions shared among the topics in proportion to their weights: each its whole share,
    the rest one each to the largest remainders (ties to the heavier, then the earlier topic)."""
    total = sum(weights.values())
    exact = {topic: count * weight / total for topic, weight in weights.items()}
    shares = {topic: math.floor(value) for topic, value in exact.items()}
    order = sorted(weights, key=lambda topic: (-(exact[topic] - shares[topic]), -weights[topic],
                                               list(weights).index(topic)))
    for topic in order[:count - sum(shares.values())]:
        shares[topic] += 1
    return shares


def minutes_for(*, topic: str, tags: list[str], difficulty: int) -> int:
    if DESIGN_TAG in tags:
        return DESIGN_MINUTES
    if topic == CODING_TOPIC:
        return CODING_MINUTES
    return MINUTES_BY_DIFFICULTY[difficulty]
