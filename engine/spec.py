"""Demo specifications: typed, bounded parameters that are checked before any task is queued."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.progress import Progress
from engine.result import Chart, Conclusion, Heatmap, Metric, Result, Table
from engine.text import T, both


class ParamError(ValueError):
    """Raised with one bilingual message per bad field ({"en": ..., "zh": ...}); the web layer answers
    in the learner's language, in the shape DRF uses for 400 responses."""

    def __init__(self, errors: dict[str, dict[str, str]]):
        super().__init__("; ".join(f"{name}: {message['en']}" for name, message in errors.items()))
        self.errors = errors


class BadValue(ValueError):
    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.message = T(en, zh)


def _not_whole() -> BadValue:
    return BadValue("must be a whole number", "必须是整数")


def _out_of_range(minimum: float, maximum: float) -> BadValue:
    low, high = (f"{bound}" if isinstance(bound, int) else f"{bound:g}" for bound in (minimum, maximum))
    return BadValue(f"must be between {low} and {high}", f"必须在 {low} 到 {high} 之间")


@dataclass(frozen=True)
class Param:
    name: str
    label: dict[str, str]
    default: Any
    help: dict[str, str] | None = None

    kind = "param"

    def clean(self, raw: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "label": self.label, "default": self.default,
                "help": self.help}

    def value_label(self, value: Any) -> dict[str, str] | None:
        """A value in words where it has words ({"en", "zh"}); None for a number, which the page formats."""
        return None


@dataclass(frozen=True)
class IntParam(Param):
    minimum: int = 0
    maximum: int = 0

    kind = "int"

    def clean(self, raw: Any) -> int:
        if isinstance(raw, bool):
            raise _not_whole()
        try:
            value = int(raw)
        except OverflowError:  # int(inf): JSON allows 1e400, which parses as infinity
            raise _out_of_range(self.minimum, self.maximum) from None
        except (TypeError, ValueError):
            raise _not_whole() from None
        if isinstance(raw, float) and raw != value:
            raise _not_whole()
        if isinstance(raw, str) and raw.strip() != str(value):
            raise _not_whole()
        if not self.minimum <= value <= self.maximum:
            raise _out_of_range(self.minimum, self.maximum)
        return value

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True)
class FloatParam(Param):
    minimum: float = 0.0
    maximum: float = 0.0
    log_scale: bool = False

    kind = "float"

    def clean(self, raw: Any) -> float:
        if isinstance(raw, bool):
            raise BadValue("must be a number", "必须是数字")
        try:
            value = float(raw)
        except OverflowError:  # an integer with hundreds of digits has no float
            raise _out_of_range(self.minimum, self.maximum) from None
        except (TypeError, ValueError):
            raise BadValue("must be a number", "必须是数字") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise BadValue("must be a finite number", "必须是有限的数")
        if not self.minimum <= value <= self.maximum:
            raise _out_of_range(self.minimum, self.maximum)
        return value

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "minimum": self.minimum, "maximum": self.maximum,
                "log_scale": self.log_scale}


@dataclass(frozen=True)
class ChoiceParam(Param):
    choices: tuple[str, ...] = ()
    choice_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    kind = "choice"

    def clean(self, raw: Any) -> str:
        if raw not in self.choices:
            raise BadValue(f"must be one of: {', '.join(self.choices)}", f"必须是以下之一：{', '.join(self.choices)}")
        return raw

    def describe(self) -> dict[str, Any]:
        labels = {c: self.value_label(c) for c in self.choices}
        return {**super().describe(), "choices": list(self.choices), "choice_labels": labels}

    def value_label(self, value: Any) -> dict[str, str]:
        return self.choice_labels.get(value, both(str(value)))


@dataclass(frozen=True)
class BoolParam(Param):
    kind = "bool"

    def clean(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if raw in ("true", "1", 1, "on"):
            return True
        if raw in ("false", "0", 0, "off"):
            return False
        raise BadValue("must be true or false", "必须是 true 或 false")

    def value_label(self, value: Any) -> dict[str, str]:
        return T("yes", "是") if value else T("no", "否")


def _nothing(measured: Any) -> list:
    return []


@dataclass(frozen=True)
class Steps:
    """A demo's `run`, from its steps (engine/demos/__init__.py): `measure(params, progress)` does all the
    computing and returns the demo's frozen Measurements; `summary`, `conclude` and the drawings each turn
    those into one part of the `Result`."""

    measure: Callable[[dict[str, Any], Progress], Any]
    summary: Callable[[Any], list[Metric]]
    conclude: Callable[[Any], Conclusion]
    charts: Callable[[Any], list[Chart]] = _nothing
    heatmaps: Callable[[Any], list[Heatmap]] = _nothing
    tables: Callable[[Any], list[Table]] = _nothing

    def __call__(self, params: dict[str, Any], progress: Progress) -> Result:
        measured = self.measure(params, progress)
        return Result(summary=self.summary(measured), conclusion=self.conclude(measured),
                      charts=self.charts(measured), heatmaps=self.heatmaps(measured), tables=self.tables(measured))


@dataclass(frozen=True)
class DemoSpec:
    """What a demo is, what it takes, and how it runs: `run(params, progress)` returns a `Result` (every demo
    gives `Steps`). `queue` is "gpu" for demos that gain from CUDA, "demos" otherwise.

    `cpu_threads` is how many CPU threads torch may use while the demo runs (`execute` sets it): 1, the
    default, for the small models every demo but one trains. Their products are a few thousand numbers, so
    threads only add synchronisation, and on a busy 2-core machine each waits for the other: runs were 15–40×
    slower at two threads than at one. None keeps the process's count (all cores) for a demo whose work is
    products large enough to split (D15's matrices of up to thousands of rows). `flush_denormal` treats floats
    below ~1e-38 as zero: recurrent models' vanishing gradients (and Adam's squared moments of them) reach
    ~1e-40, where CPUs slow down, and values that small are zero for every purpose there.
    """

    id: str
    title: dict[str, str]
    description: dict[str, str]
    params: tuple[Param, ...]
    run: Callable[[dict[str, Any], Progress], Result]
    queue: str = "demos"
    seed: int = 0
    cpu_threads: int | None = 1
    flush_denormal: bool = False

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate(self, raw: dict[str, Any] | None) -> dict[str, Any]:
        """Fill defaults, check every bound and choice; unknown names are errors too."""
        raw = dict(raw or {})
        known = {p.name for p in self.params}
        errors = {name: T("unknown parameter", "未知参数") for name in raw if name not in known}
        cleaned: dict[str, Any] = {}
        for param in self.params:
            try:
                cleaned[param.name] = param.clean(raw.get(param.name, param.default))
            except BadValue as error:
                errors[param.name] = error.message
        if errors:
            raise ParamError(errors)
        return cleaned

    def params_in_words(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """A run's parameters as a learner reads them, in the spec's order: each one's label and its value's
        words (`Param.value_label`). A name the spec no longer knows (a run stored before a rename) keeps
        its code name."""
        known = {p.name: p for p in self.params}
        ordered = [name for name in known if name in params] + [name for name in params if name not in known]
        return [{"name": name, "value": params[name],
                 "label": known[name].label if name in known else both(name),
                 "value_label": known[name].value_label(params[name]) if name in known else None}
                for name in ordered]

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "description": self.description,
                "queue": self.queue, "params": [p.describe() for p in self.params]}
