"""Runs that cannot get stuck, with real worker processes that are SIGKILLed: the beat-driven reaper,
the bounded redelivery of a run whose pool process dies, the reaping a starting worker does, and the
optimiser on its own queue. Nobody reads a run through the web here (reads expire stale runs too)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from quizapp.demos import services
from quizapp.demos.models import DemoRun
from quizapp.demos.tasks import run_demo
from quizapp.study import services as study_services
from quizapp.study.models import SchedulerOptimization
from tests.integration.test_demo_worker import FAST_DEMO, LONG_DEMO, LONG_PARAMS, wait_for
from tests.worker import WorkerProcess

pytestmark = pytest.mark.integration
FINISHED = {DemoRun.Status.SUCCEEDED, DemoRun.Status.FAILED}
# Shortened for the workers these tests start (defaults: 30 s of silence, a reaper every 15 s).
STALE_SECONDS, REAPER_SECONDS = 3, 1


@pytest.fixture
def workers(transactional_db):
    started = []

    def start(name: str, **options) -> WorkerProcess:
        worker = WorkerProcess(name=name, **options)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_until(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def test_it_reaps_a_run_whose_whole_worker_was_killed(workers, alice, capsys):
    # Another worker with beat serves `demos`, where beat sends the reaper; the doomed one gets the run
    # on a queue of its own, so the survivor cannot take it.
    workers("survivor", extra_args=("-B",),
            extra_env={"DEMO_STALE_SECONDS": str(STALE_SECONDS), "REAPER_INTERVAL_SECONDS": str(REAPER_SECONDS)})
    doomed = workers("doomed", queues="doomed")
    run = DemoRun.objects.create(demo_id=LONG_DEMO, params=LONG_PARAMS, params_key="killed", engine_version="v",
                                 queue="doomed", created_by=alice)
    run_demo.apply_async(args=[str(run.id)], queue="doomed")
    wait_for(run.id, statuses={DemoRun.Status.RUNNING}, timeout=60)
    doomed.kill()
    killed_at = time.monotonic()
    run = wait_for(run.id, statuses=FINISHED, timeout=60)
    elapsed = time.monotonic() - killed_at
    assert run.status == DemoRun.Status.FAILED
    assert "stopped responding" in run.error
    with capsys.disabled():
        print(f"\nreaper: SIGKILL to FAILED in {elapsed:.1f} s (stale after {STALE_SECONDS} s, "
              f"reaper every {REAPER_SECONDS} s)")


def test_it_fails_a_run_whose_pool_process_dies_on_every_delivery_and_serves_the_next(workers, alice,
                                                                                                 settings):
    worker = workers("oom")
    run = services.demo_run_request(user=alice, demo_id=LONG_DEMO, raw_params=LONG_PARAMS).run
    for attempt in range(1, settings.DEMO_MAX_DELIVERIES + 1):
        wait_until(lambda attempt=attempt: DemoRun.objects.filter(id=run.id, status=DemoRun.Status.RUNNING,
                                                                  attempts=attempt).exists(),
                   timeout=90, what=f"delivery {attempt} computing")
        worker.kill_pool_process()
    run = wait_for(run.id, statuses=FINISHED, timeout=90)
    assert run.status == DemoRun.Status.FAILED
    assert run.error == f"The worker crashed while computing this run ({settings.DEMO_MAX_DELIVERIES} attempts)."
    assert worker.process.poll() is None  # the worker lived through it
    following = services.demo_run_request(user=alice, demo_id=FAST_DEMO, raw_params={}).run
    following = wait_for(following.id, statuses=FINISHED, timeout=90)
    assert following.status == DemoRun.Status.SUCCEEDED, following.error


def test_it_has_a_starting_worker_fail_what_its_crashed_predecessor_left_running(transactional_db, workers, alice):
    """A worker restarted after a crash (same name, as `make run` and compose restart it) cleans up at once:
    its own runs and fits before their heartbeat goes stale, and others' stale runs."""
    hostname, now = "restarted@test", timezone.now()
    own_run, others_run = (DemoRun.objects.create(demo_id=LONG_DEMO, params={}, params_key=key, engine_version="v",
                                                  status=DemoRun.Status.RUNNING, worker=worker, started_at=now,
                                                  heartbeat_at=heartbeat)
                           for key, worker, heartbeat in [("own", hostname, now),
                                                          ("others", "gone@box", now - timedelta(minutes=5))])
    own_fit = SchedulerOptimization.objects.create(user=alice, status="running", worker=hostname, started_at=now)
    workers("restarted")
    wait_until(lambda: not DemoRun.objects.filter(status=DemoRun.Status.RUNNING).exists(), timeout=30,
               what="the runs reaped on start")
    errors = dict(DemoRun.objects.values_list("id", "error"))
    assert "restarted before the run finished" in errors[own_run.id]
    assert "stopped responding" in errors[others_run.id]
    own_fit.refresh_from_db()
    assert (own_fit.status, own_fit.error) == ("failed", study_services.OPTIMIZATION_LOST)


def test_it_runs_a_fit_on_the_optimizer_queue_beside_the_demo_worker(workers, alice):
    workers("optimizer", queues="optimizer")
    optimization = study_services.scheduler_optimization_request(user=alice).optimization
    finished = wait_until(lambda: SchedulerOptimization.objects.filter(pk=optimization.pk)
                          .exclude(status__in=["queued", "running"]).first(), timeout=60, what="the fit")
    assert finished.status == SchedulerOptimization.Status.TOO_FEW  # a new learner has no history to fit
    assert finished.worker == "optimizer@test"
