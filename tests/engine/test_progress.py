"""The one progress helper: planned units in, at most ~20 reports out, DONE from execute."""

import pytest

from engine.progress import Progress
from engine.result import Chart, Series
from engine.text import DONE, both


def tracked():
    reports = []
    return Progress(lambda fraction, message: reports.append((round(fraction, 6), message["en"]))), reports


def test_it_reports_the_first_advance_then_every_twentieth():
    progress, reports = tracked()
    progress.plan(100)
    for step in range(100):
        progress.advance(both(f"step {step}"))
    assert [fraction for fraction, _ in reports] == [0.01, *(round(0.01 + 0.05 * n, 6) for n in range(1, 20))]


def test_it_weighs_units_and_never_passes_one():
    progress, reports = tracked()
    progress.plan(10)
    progress.advance(both("small"), units=1)
    progress.advance(both("big"), units=12)
    assert reports == [(0.1, "small"), (1.0, "big")]


def test_it_reports_a_note_at_once_and_finishes_with_done():
    progress, reports = tracked()
    progress.plan(4)
    progress.advance(both("one"))
    progress.note(both("a long phase starts"))
    progress.finish()
    assert reports == [(0.25, "one"), (0.25, "a long phase starts"), (1.0, DONE["en"])]


def test_it_drops_work_that_will_not_be_done_reporting_both_sides_of_the_jump():
    progress, reports = tracked()
    progress.plan(10)
    progress.advance(both("half"), units=4)
    progress.drop(5, both("stopped early"))
    assert reports == [(0.4, "half"), (0.4, "stopped early"), (0.8, "stopped early")]
    with pytest.raises(ValueError):
        progress.drop(1, both("nothing left to drop"))


def test_it_says_beforehand_which_advance_sends_a_report():
    progress, reports = tracked()
    progress.plan(100)
    foretold = []
    for step in range(100):
        units = 3 if step % 7 == 0 else 1
        if progress.due(units):
            foretold.append(step)
        sent = len(reports)
        progress.advance(both(f"step {step}"), units=units)
        assert (len(reports) > sent) == (step in foretold)
    assert 15 <= len(foretold) <= 20


def test_it_wants_a_plan_before_advancing():
    progress, _ = tracked()
    with pytest.raises(RuntimeError):
        progress.advance(both("too soon"))
    with pytest.raises(RuntimeError):
        progress.due()
    with pytest.raises(ValueError):
        progress.plan(0)


def test_it_sends_the_live_charts_with_the_reports_it_sends_and_builds_them_only_then():
    reports, builds, losses = [], [], []

    def live_charts():
        builds.append(len(losses))
        return [Chart(both("loss"), both("step"), both("loss"), [Series(both("loss"), range(len(losses)), losses)])]

    progress = Progress(lambda fraction, message, charts=None: reports.append((round(fraction, 6), charts)))
    progress.plan(100)
    progress.note(both("starting"))
    progress.live(live_charts)
    for step in range(100):
        losses.append(1.0 / (step + 1))
        progress.advance(both(f"step {step}"))
    progress.finish()
    assert reports[0] == (0.0, None) and reports[-1] == (1.0, None)  # before the charts exist; the result follows
    sent = reports[1:-1]
    assert len(sent) == len(builds) == 20
    for (fraction, charts), built in zip(sent, builds, strict=True):
        points = charts[0]["series"][0]["points"]
        assert len(points) == built == round(fraction * 100)
        assert points[-1] == [built - 1, 1.0 / built]
