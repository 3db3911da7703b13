"""What every demo promises, checked on all of them: the spec and its bounds, the demo's shape, the result
shape and its verdict, seeding, progress. A demo's own test file checks only its science."""

from __future__ import annotations

import dataclasses
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
from engine.spec import Steps
from engine.text import DONE
from questions.typography import halfwidth_punctuation

ROOT = Path(__file__).resolve().parents[2]
ALL_IDS = [f"D{n}" for n in range(1, 27)]


def demo_module(demo_id: str):
    name = DEMO_MODULES[int(demo_id[1:]) - 1]
    return importlib.import_module(f"engine.demos.{name}")


def bilingual(text) -> bool:
    return isinstance(text, dict) and bool(text.get("en", "").strip()) and bool(text.get("zh", "").strip())


class DefaultRuns(dict):
    """Each demo run once with its defaults, when a test first asks for it: (result, the progress fractions
    it reported, the messages that came with them). Lazily, so one broken demo fails only its own tests."""

    def __missing__(self, demo_id: str):
        reported, messages = [], []

        def progress(fraction, message="", charts=None):
            reported.append(float(fraction))
            messages.append(message)

        result = engine.execute(demo_id, {}, progress=progress, device="cpu")
        self[demo_id] = (result, reported, messages)
        return self[demo_id]


@pytest.fixture(scope="module")
def default_runs():
    return DefaultRuns()


def test_it_registers_every_demo_from_d1_to_d26():
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
def test_it_follows_the_demo_shape(demo_id):
    """measure → summary → conclude → drawings (Steps), a frozen Measurements passed between them."""
    module = demo_module(demo_id)
    assert isinstance(module.SPEC.run, Steps)
    assert dataclasses.is_dataclass(module.Measurements) and module.Measurements.__dataclass_params__.frozen


def out_of_bounds(param: dict) -> list:
    """Values just outside what the spec describes for one parameter."""
    if param["kind"] == "int":
        return [param["minimum"] - 1, param["maximum"] + 1]
    if param["kind"] == "float":
        span = param["maximum"] - param["minimum"]
        return [param["minimum"] - span, param["maximum"] + span]
    if param["kind"] == "choice":
        return ["not-one-of-the-choices"]
    return ["maybe"]


EVERY_PARAM = [(spec.id, param["name"]) for spec in engine.all_demos() for param in spec.describe()["params"]]


@pytest.mark.parametrize(("demo_id", "name"), EVERY_PARAM)
def test_it_rejects_a_value_out_of_bounds_naming_the_field(demo_id, name):
    param = next(p for p in engine.get_demo(demo_id).describe()["params"] if p["name"] == name)
    for value in out_of_bounds(param):
        with pytest.raises(engine.ParamError) as caught:
            engine.execute(demo_id, {name: value}, device="cpu")
        assert set(caught.value.errors) == {name}, value
        assert bilingual(caught.value.errors[name])


@pytest.mark.parametrize("demo_id", ALL_IDS)
def test_it_names_every_bad_field_at_once_and_unknown_ones_too(demo_id):
    params = engine.get_demo(demo_id).describe()["params"]
    with pytest.raises(engine.ParamError) as caught:
        engine.execute(demo_id, {**{p["name"]: out_of_bounds(p)[-1] for p in params}, "unheard_of": 1}, device="cpu")
    assert set(caught.value.errors) == {p["name"] for p in params} | {"unheard_of"}


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
    assert result["verdict"] and all(isinstance(key, str) and isinstance(value, str | bool)
                                     for key, value in result["verdict"].items()), result["verdict"]
    assert result["charts"] or result["heatmaps"] or result["tables"]
    for chart in result["charts"]:
        assert bilingual(chart["title"]) and bilingual(chart["x_label"]) and bilingual(chart["y_label"])
        assert chart["series"] and all(series["points"] for series in chart["series"])
        if chart["y_scale"] == "log":
            assert all(y is None or y > 0 for series in chart["series"] for _, y in series["points"])


@pytest.mark.parametrize("demo_id", ALL_IDS)
def test_it_reports_progress_forward_ending_done_and_every_tenth_of_a_long_run(demo_id, default_runs):
    result, reported, messages = default_runs[demo_id]
    assert reported == sorted(reported) and all(0.0 <= fraction <= 1.0 for fraction in reported)
    assert (reported[-1], messages[-1]) == (1.0, DONE)
    if result["compute_seconds"] >= 0.1:  # shorter runs are over before a progress bar could draw
        steps = [0.0, *reported]
        assert max(later - earlier for earlier, later in zip(steps, steps[1:], strict=False)) <= 0.1 + 1e-9


@pytest.mark.parametrize("demo_id", ALL_IDS)
def test_it_gives_the_same_result_for_the_same_parameters(demo_id, default_runs):
    """All of it, bar the clock: a demo's TIMING_METRICS (wall-clock summary keys) and what they feed
    (charts, tables, wording) vary from run to run, so only its other summary numbers are compared."""
    first, _, _ = default_runs[demo_id]
    module = demo_module(demo_id)
    assert set(module.CROSS_DEVICE_METRICS) <= {metric["key"] for metric in first["summary"]}
    again = engine.execute(demo_id, {}, device="cpu")
    timed = getattr(module, "TIMING_METRICS", frozenset())
    if timed:
        assert timed & {metric["key"] for metric in first["summary"]}  # some only a CUDA run reports
        assert [m for m in again["summary"] if m["key"] not in timed] == \
            [m for m in first["summary"] if m["key"] not in timed]
    else:
        assert {**again, "compute_seconds": 0} == {**first, "compute_seconds": 0}


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
