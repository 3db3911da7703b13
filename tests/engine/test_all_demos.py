"""What every demo promises, checked on all of them: the spec, the result shape, seeding, progress."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

import engine
from engine.registry import DEMO_MODULES
from questions.typography import halfwidth_punctuation

ROOT = Path(__file__).resolve().parents[2]
ALL_IDS = [f"D{n}" for n in range(1, 19)]


def demo_module(demo_id: str):
    name = DEMO_MODULES[int(demo_id[1:]) - 1]
    return importlib.import_module(f"engine.demos.{name}")


def bilingual(text) -> bool:
    return isinstance(text, dict) and bool(text.get("en", "").strip()) and bool(text.get("zh", "").strip())


@pytest.fixture(scope="module")
def default_runs():
    """Each demo run once with its defaults, recording the progress it reported (fractions) and the
    messages that came with it."""
    runs = {}
    for spec in engine.all_demos():
        reported, messages = [], []

        def progress(fraction, message="", reported=reported, messages=messages):
            reported.append(float(fraction))
            messages.append(message)

        result = engine.execute(spec.id, {}, progress=progress, device="cpu")
        runs[spec.id] = (result, reported, messages)
    return runs


def test_it_registers_every_demo_from_d1_to_d18():
    assert [spec.id for spec in engine.all_demos()] == ALL_IDS


def test_it_keeps_django_out_of_the_engine():
    code = "import sys, engine; engine.all_demos(); assert not any(m.startswith('django') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


@pytest.mark.parametrize("demo_id", ALL_IDS)
def test_it_describes_the_spec_in_both_languages_with_bounded_defaults(demo_id):
    spec = engine.get_demo(demo_id)
    assert bilingual(spec.title) and bilingual(spec.description)
    assert spec.queue in ("demos", "gpu")
    assert spec.validate({}) == spec.defaults()
    for param in spec.describe()["params"]:
        assert bilingual(param["label"]), param["name"]
        if param["kind"] in ("int", "float"):
            assert param["minimum"] <= param["default"] <= param["maximum"], param["name"]
        if param["kind"] == "choice":
            assert param["default"] in param["choices"]


@pytest.mark.parametrize("demo_id", ALL_IDS)
def test_it_returns_the_common_result_shape(demo_id, default_runs):
    result, _, _ = default_runs[demo_id]
    json.dumps(result, allow_nan=False)  # stored as JSON: no NaN or Infinity may slip through
    assert result["demo"] == demo_id and result["device"] == "cpu"
    assert result["engine_version"] == engine.ENGINE_VERSION and result["compute_seconds"] > 0
    assert result["summary"], "a demo shows at least one key number"
    for metric in result["summary"]:
        assert bilingual(metric["label"]) and (isinstance(metric["unit"], str) or bilingual(metric["unit"]))
    assert bilingual(result["conclusion"])
    assert result["charts"] or result["heatmaps"] or result["tables"]
    for chart in result["charts"]:
        assert bilingual(chart["title"]) and bilingual(chart["x_label"]) and bilingual(chart["y_label"])
        assert chart["series"] and all(series["points"] for series in chart["series"])
        if chart["y_scale"] == "log":
            assert all(y is None or y > 0 for series in chart["series"] for _, y in series["points"])


@pytest.mark.parametrize("demo_id", ALL_IDS)
def test_it_reports_progress_at_least_every_tenth_of_a_long_run(demo_id, default_runs):
    result, reported, _ = default_runs[demo_id]
    if result["compute_seconds"] < 0.5:
        return  # too short for a progress bar to matter
    steps = [0.0, *reported, 1.0]
    assert reported, "a run over half a second must report progress"
    assert max(later - earlier for earlier, later in zip(steps, steps[1:], strict=False)) <= 0.1 + 1e-9
    assert all(0.0 <= fraction <= 1.0 for fraction in reported)


@pytest.mark.parametrize("demo_id", ALL_IDS)
def test_it_gives_the_same_numbers_for_the_same_parameters(demo_id, default_runs):
    first, _, _ = default_runs[demo_id]
    stable = demo_module(demo_id).CROSS_DEVICE_METRICS
    assert set(stable) <= {metric["key"] for metric in first["summary"]}
    again = engine.execute(demo_id, {}, device="cpu")
    before = {m["key"]: m["value"] for m in first["summary"]}
    after = {m["key"]: m["value"] for m in again["summary"]}
    for key in stable:
        assert after[key] == pytest.approx(before[key], rel=1e-6, abs=1e-9), key
    if not getattr(demo_module(demo_id), "CONCLUSION_QUOTES_TIMINGS", False):
        assert again["conclusion"] == first["conclusion"]


@pytest.mark.parametrize("demo_id", ALL_IDS)
def test_it_reports_progress_in_both_languages(demo_id, default_runs):
    _, _, messages = default_runs[demo_id]
    assert messages and all(bilingual(message) for message in messages), messages


def chinese_texts(value):
    """Every Chinese text in a spec, a result or a progress message ({"en": ..., "zh": ...} dicts)."""
    if isinstance(value, dict):
        if isinstance(value.get("zh"), str):
            yield value["zh"]
        for item in value.values():
            yield from chinese_texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from chinese_texts(item)


@pytest.mark.parametrize("demo_id", ALL_IDS)
def test_it_writes_its_chinese_with_full_width_punctuation(demo_id, default_runs):
    result, _, messages = default_runs[demo_id]
    texts = [*chinese_texts(engine.get_demo(demo_id).describe()), *chinese_texts(result), *chinese_texts(messages)]
    assert texts
    assert [(text, pair) for text in texts for _, pair in halfwidth_punctuation(text)] == []


def test_it_writes_every_chinese_string_of_the_engine_with_full_width_punctuation():
    """The source, so conclusions for settings the default runs do not reach are checked too."""
    found = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        with tokenize.open(path) as source:
            for token in tokenize.generate_tokens(source.readline):
                if token.type == tokenize.STRING:
                    body = re.sub(r"^[rRbBuUfF]*('''|\"\"\"|'|\")|('''|\"\"\"|'|\")$", "", token.string)
                    text = re.sub(r"\{[^{}]*\}", "0", body)  # an f-string's fields read as a number
                    found += [f"{path.name}:{token.start[0]}: {pair}" for _, pair in halfwidth_punctuation(text)]
    assert found == []
