"""A run reaches the page as it happens, over each broker with a real worker: its progress and growing charts
in order and complete across a reload, its result, or its failure within a second."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from quizapp.demos.models import DemoRun
from tests.e2e.conftest import log_in
from tests.integration.conftest import BROKERS
from tests.integration.test_demo_worker import LONG_DEMO, publish_on
from tests.worker import left_out_for, running_worker

pytestmark = pytest.mark.e2e

# Each run the page shows, as the page had it: demos.js sends "demo:run" with the run it draws.
RECORD_RUNS = """
window.__runs = [];
document.addEventListener("demo:run", (event) => {
  const run = event.detail;
  const loss = (charts) => charts.find((chart) => chart.title.en === "Training loss");
  const chart = run.status === "succeeded" ? loss(run.result.charts) : loss(run.live_charts || []);
  window.__runs.push({seq: run.progress_seq, status: run.status, progress: run.progress, at: Date.now(),
                      losses: chart ? chart.series[0].points.map((point) => point[1]) : null,
                      liveCanvases: document.querySelectorAll(".demo-output .live-charts canvas").length});
});
"""
# Long enough to reload the page mid-run (a few seconds on two cores), well within the task's time limit.
TRAINING_PARAMS = {"depth": 30, "width": 64, "steps": 200}
SEEN_TRAINING = "() => window.__runs.filter((run) => run.status === 'running' && run.losses).length >= 2"
FINISHED = "() => window.__runs.some((run) => ['succeeded', 'failed'].includes(run.status))"


@pytest.fixture(params=BROKERS)
def broker_worker(request, transactional_db):
    """tests/integration's worker on each broker, computing on one thread: two threads on a busy two-core machine
    made a D1 run 15× slower (OpenMP's threads wait on each other), past the task's time limit."""
    with running_worker(name=f"channel-{request.param}", without_env=left_out_for(request.param),
                        extra_env={"OMP_NUM_THREADS": "1"}) as worker:
        yield request.param, worker


def queued_run(broker: str, user, params: dict) -> DemoRun:
    run = DemoRun.objects.create(demo_id=LONG_DEMO, params=params, params_key=f"{broker}-{time.time()}",
                                 engine_version="test", queue="demos", created_by=user)
    publish_on(broker, run)
    return run


def assert_in_order(runs: list[dict]) -> None:
    """Within one page's life: every run shown is newer than the one before and nothing moves back."""
    order = ["queued", "running", "succeeded"]
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert later["seq"] > earlier["seq"], (earlier, later)
        assert later["progress"] >= earlier["progress"], (earlier, later)
        assert order.index(later["status"]) >= order.index(earlier["status"]), (earlier, later)


def test_it_streams_progress_and_growing_charts_in_order_across_a_reload(page, alice, broker_worker):
    broker, _ = broker_worker
    log_in(page, "alice")
    page.add_init_script(RECORD_RUNS)
    run = queued_run(broker, alice, TRAINING_PARAMS)
    page.goto(reverse("demos:run", args=[run.id]))
    page.wait_for_function(SEEN_TRAINING, timeout=120_000)
    before = page.evaluate("() => window.__runs")
    page.reload()  # the page's channel closes mid-run and a new page opens it again
    page.wait_for_function(FINISHED, timeout=180_000)
    after = page.evaluate("() => window.__runs")

    final = DemoRun.objects.get(id=run.id)
    assert final.status == DemoRun.Status.SUCCEEDED, final.error
    assert before[-1]["status"] == "running" and before[-1]["liveCanvases"] >= 2  # the charts grew on the page
    assert after[0]["status"] == "running", "the run ended before the reload: it proves nothing"
    assert after[-1]["status"] == "succeeded" and after[-1]["seq"] == final.progress_seq
    assert page.locator(".demo-output .live-charts canvas").count() == 0  # the result's charts replaced them
    assert page.locator(".demo-output .result canvas").count() >= 4
    assert_in_order(before)
    assert_in_order(after)
    assert after[0]["seq"] >= before[-1]["seq"]
    # None lost: each loss curve the page drew is the start of the final one, never shorter than the one
    # before it, the reloaded page's first included.
    final_losses = after[-1]["losses"]
    drawn = [shown["losses"] for shown in [*before, *after] if shown["losses"]]
    for earlier, later in zip(drawn, drawn[1:], strict=False):
        assert len(later) >= len(earlier)
    for losses in drawn:
        assert losses == final_losses[:len(losses)]
    assert len(drawn) >= 4


def test_it_shows_a_failed_run_as_failed_within_a_second(page, alice, broker_worker):
    broker, _ = broker_worker
    log_in(page, "alice")
    page.add_init_script(RECORD_RUNS)
    # Parameters the engine refuses: the worker fails the run at once, as it would for an error mid-run.
    run = DemoRun.objects.create(demo_id=LONG_DEMO, params={"depth": "deep"}, params_key=f"bad-{time.time()}",
                                 engine_version="test", queue="demos", created_by=alice)
    page.goto(reverse("demos:run", args=[run.id]))
    page.wait_for_function("() => window.__runs.length > 0")
    publish_on(broker, run)
    page.wait_for_function(FINISHED, timeout=60_000)
    shown = page.evaluate("() => window.__runs")[-1]
    failed = DemoRun.objects.get(id=run.id)
    assert failed.status == DemoRun.Status.FAILED and "depth" in failed.error
    assert shown["status"] == "failed"
    assert shown["at"] / 1000 - failed.finished_at.timestamp() < 1.0
    assert "depth" in page.locator(".demo-output .run-status").inner_text()


def test_it_lets_anonymous_visitors_watch_a_run_but_start_only_cached_ones(page, alice, broker_worker):
    broker, _ = broker_worker
    page.add_init_script(RECORD_RUNS)
    run = queued_run(broker, alice, {**TRAINING_PARAMS, "steps": 40})
    page.goto(reverse("demos:run", args=[run.id]))
    page.wait_for_function(FINISHED, timeout=120_000)
    assert page.evaluate("() => window.__runs")[-1]["status"] == "succeeded"
    runs_before = DemoRun.objects.count()
    page.goto(reverse("demos:detail", args=[LONG_DEMO]))
    page.fill("#param-seed", "4321")
    page.click(".run-button")
    page.locator(".demo-form .form-error", has_text="Log in").wait_for()
    assert DemoRun.objects.count() == runs_before
