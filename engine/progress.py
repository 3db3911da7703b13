"""How far a run is: the one way a demo reports progress to the learner's bar."""

from __future__ import annotations

from collections.abc import Callable

from engine.result import Chart
from engine.text import DONE

# report(fraction, message), what `execute`'s caller hears; report(fraction, message, charts=[...]) once the demo
# shows live charts: the charts so far, each a `Chart.to_dict()` as in the result, so the page draws them alike.
Report = Callable[..., None]
LiveCharts = Callable[[], list[Chart]]

# Every report is a write to the run's row: about twenty a run keeps the bar moving (no gap over a tenth
# when a unit of work is at most a twentieth of the run) without a write per optimiser step.
REPORT_EVERY = 0.05


class Progress:
    """A demo plans its work in units it counts itself (steps, products, classes weighted by their cost),
    then advances through them; `execute` ends every run with DONE at 1.0.

        progress.plan(len(LOSSES) * steps)
        for step in ...:
            progress.advance(training_step(step))
    """

    def __init__(self, report: Report):
        self._report = report
        self._total = 0.0
        self._done = 0.0
        self._reported: float | None = None
        self._live: LiveCharts | None = None

    def plan(self, total: float) -> None:
        """The whole run's work, in the units `advance` counts."""
        if total <= 0:
            raise ValueError(f"a run plans a positive amount of work, not {total!r}")
        self._total = float(total)

    def advance(self, message: dict[str, str], units: float = 1.0) -> None:
        """`units` more of the planned work are done; `message` says where the run is now."""
        report = self.due(units)
        self._done += units
        if report:
            self._send(self.fraction, message)

    def due(self, units: float = 1.0) -> bool:
        """Whether `advance` with these `units` sends a report: a demo that clocks its training stops the clock
        for it (the worker writes each report to the database, with the live charts built for it)."""
        if not self._total:
            raise RuntimeError("plan() the run's work before advancing through it")
        fraction = min(1.0, (self._done + units) / self._total)
        return self._reported is None or fraction - self._reported >= REPORT_EVERY - 1e-12

    def drop(self, units: float, message: dict[str, str]) -> None:
        """`units` of the planned work will not be done after all (a run stopped early, a size was skipped):
        they leave the plan, so the rest of the bar is spread over the work that remains. Reported before and
        after, so the bar has no gap wider than the jump itself."""
        if not 0 <= units < self._total - self._done:
            raise ValueError(f"cannot drop {units!r} of the {self._total - self._done!r} units left")
        self._send(self.fraction, message)
        self._total -= units
        self._send(self.fraction, message)

    def note(self, message: dict[str, str]) -> None:
        """A phase begins that the learner should read about at once (e.g. "measuring activations")."""
        self._send(self.fraction, message)

    def live(self, charts: LiveCharts) -> None:
        """While the network trains, the page draws `charts()` as they stand, growing with each report: the
        function is called only when a report goes out (REPORT_EVERY), so a demo need not build charts per step."""
        self._live = charts

    def finish(self) -> None:
        self._live = None  # the result, with its final charts, follows at once
        self._send(1.0, DONE)

    @property
    def fraction(self) -> float:
        return min(1.0, self._done / self._total) if self._total else 0.0

    def _send(self, fraction: float, message: dict[str, str]) -> None:
        self._reported = fraction
        if self._live is None:
            self._report(fraction, message)
        else:
            self._report(fraction, message, charts=[chart.to_dict() for chart in self._live()])
