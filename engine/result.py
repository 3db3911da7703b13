"""The one result shape every demo returns, so the browser needs one renderer.

A `Result` is built by the demo, then `runtime.execute` stamps device, engine version and
compute time on it. `to_dict()` is what gets stored (JSON) and sent to the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.text import join


def _finite(value: float) -> float | None:
    """JSON has no NaN or Infinity: store them as null, the chart leaves a gap."""
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass
class Series:
    name: dict[str, str] | str
    x: Sequence[float]
    y: Sequence[float]

    def to_dict(self, *, log_x: bool = False, log_y: bool = False) -> dict[str, Any]:
        if len(self.x) != len(self.y):
            raise ValueError(f"series {self.name!r}: {len(self.x)} x values, {len(self.y)} y values")
        return {"name": self.name, "points": [[_plottable(a, log_x), _plottable(b, log_y)]
                                              for a, b in zip(self.x, self.y, strict=True)]}


def _plottable(value: float, on_log_axis: bool) -> float | None:
    """A zero (a gradient that underflowed) has no place on a log axis: a gap, not a broken axis."""
    value = _finite(value)
    return None if on_log_axis and value is not None and value <= 0 else value


@dataclass
class Chart:
    title: dict[str, str]
    x_label: dict[str, str]
    y_label: dict[str, str]
    series: list[Series]
    x_scale: str = "linear"
    y_scale: str = "linear"
    kind: str = "line"  # "line" or "scatter" or "bar"

    def to_dict(self) -> dict[str, Any]:
        for scale in (self.x_scale, self.y_scale):
            if scale not in ("linear", "log"):
                raise ValueError(f"unknown scale {scale!r}")
        return {"title": self.title, "x_label": self.x_label, "y_label": self.y_label,
                "x_scale": self.x_scale, "y_scale": self.y_scale, "kind": self.kind,
                "series": [s.to_dict(log_x=self.x_scale == "log", log_y=self.y_scale == "log")
                           for s in self.series]}


@dataclass
class Heatmap:
    title: dict[str, str]
    x_label: dict[str, str]
    y_label: dict[str, str]
    x_ticks: Sequence[str]
    y_ticks: Sequence[str]
    values: Sequence[Sequence[float]]  # rows follow y_ticks, columns follow x_ticks
    log_color: bool = False
    # Heat-maps meant to be compared (the same quantity with and without a change) name one group: the
    # page colours them on one scale, under one colour bar. "" keeps a heat-map's own scale and bar.
    scale_group: str = ""

    def to_dict(self) -> dict[str, Any]:
        if len(self.values) != len(self.y_ticks) or any(len(r) != len(self.x_ticks) for r in self.values):
            raise ValueError("heat-map values must be len(y_ticks) rows of len(x_ticks)")
        return {"title": self.title, "x_label": self.x_label, "y_label": self.y_label,
                "x_ticks": [str(t) for t in self.x_ticks], "y_ticks": [str(t) for t in self.y_ticks],
                "values": [[_finite(v) for v in row] for row in self.values], "log_color": self.log_color,
                "scale_group": self.scale_group}


@dataclass
class Table:
    title: dict[str, str]
    columns: list[dict[str, str]]
    rows: list[list[Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "columns": self.columns, "rows": self.rows}


@dataclass
class Metric:
    """A key number: what it is, its value and its unit ("" when it has none; a symbol such as "×" or
    "ms" as a string, a word such as steps as {"en": ..., "zh": ...})."""

    key: str
    label: dict[str, str]
    value: float
    unit: str | dict[str, str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": _finite(self.value), "unit": self.unit}


Verdict = dict[str, str | bool]


@dataclass(frozen=True)
class Conclusion:
    """What the numbers say, twice: `text` for the learner and `verdict` for code (tests read it), e.g.
    {"gradient": "vanished"}. Both come from the same branch of a demo's `conclude`, so they cannot disagree."""

    text: dict[str, str]
    verdict: Verdict = field(default_factory=dict)

    @classmethod
    def join(cls, *parts: Conclusion) -> Conclusion:
        """Sentences into one conclusion (text.join's spacing); each part names its own verdict keys."""
        verdict: Verdict = {}
        for part in parts:
            if verdict.keys() & part.verdict.keys():
                raise ValueError(f"verdict keys given twice: {sorted(verdict.keys() & part.verdict.keys())}")
            verdict.update(part.verdict)
        return cls(join(*(part.text for part in parts)), verdict)


@dataclass
class Result:
    summary: list[Metric]
    conclusion: Conclusion
    charts: list[Chart] = field(default_factory=list)
    heatmaps: list[Heatmap] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def metric(self, key: str) -> float:
        """Look a summary number up by key (tests read results this way)."""
        for item in self.summary:
            if item.key == key:
                return item.value
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": [m.to_dict() for m in self.summary], "conclusion": self.conclusion.text,
                "verdict": self.conclusion.verdict,
                "charts": [c.to_dict() for c in self.charts],
                "heatmaps": [h.to_dict() for h in self.heatmaps],
                "tables": [t.to_dict() for t in self.tables]}
