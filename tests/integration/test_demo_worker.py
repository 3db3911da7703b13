"""Demo runs through a real `celery worker` process: web → queue → worker → result → page."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from kombu import Connection

from quizapp.demos import services
from quizapp.demos.models import DemoRun

pytestmark = pytest.mark.integration

FAST_DEMO = "D13"
# A run long enough to observe while it computes (several seconds on a 2-core CPU).
LONG_DEMO, LONG_PARAMS = "D1", {"depth": 50, "width": 128, "steps": 200}


def wait_for(run_id, *, statuses, timeout: float) -> DemoRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = DemoRun.objects.get(id=run_id)
        if run.status in statuses:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run still {run.status} after {timeout} s (wanted {statuses}); error={run.error!r}")


def publish_on(broker: str, run: DemoRun) -> None:
    """Queue the run on the named broker (the test process may be configured for the other one)."""
    from quizapp.demos.tasks import run_demo

    if broker == "redis":
        url, options = settings.REDIS_URL, {"visibility_timeout": 3600}
    else:
        url, options = "filesystem://", settings.FILE_BROKER_TRANSPORT_OPTIONS
        for folder in ("data_folder_in", "processed_folder", "control_folder"):
            Path(options[folder]).mkdir(parents=True, exist_ok=True)
    with Connection(url, transport_options=options) as connection:
        run_demo.apply_async(args=[str(run.id)], queue="demos", connection=connection)


def test_it_runs_a_demo_end_to_end_over_each_broker(broker_worker, alice):
    broker, worker = broker_worker
    spec_params = {}
    run = DemoRun.objects.create(demo_id=FAST_DEMO, params=spec_params, params_key=f"{broker}-{time.time()}",
                                 engine_version="test", queue="demos", created_by=alice)
    publish_on(broker, run)
    run = wait_for(run.id, statuses={DemoRun.Status.SUCCEEDED, DemoRun.Status.FAILED}, timeout=60)
    assert run.status == DemoRun.Status.SUCCEEDED, run.error
    assert run.worker == worker.hostname
    assert run.result["demo"] == FAST_DEMO
    assert run.result["summary"]
    assert run.progress == 1.0


def test_it_shows_the_result_on_the_run_page_after_a_request_through_the_web(celery_worker, live_server, alice):
    outcome = services.demo_run_request(user=alice, demo_id=FAST_DEMO, raw_params={})
    run = wait_for(outcome.run.id, statuses={DemoRun.Status.SUCCEEDED, DemoRun.Status.FAILED}, timeout=60)
    assert run.status == DemoRun.Status.SUCCEEDED, run.error
    with urllib.request.urlopen(f"{live_server.url}{reverse('api-run-detail', args=[run.id])}") as response:
        polled = json.load(response)
    assert polled["status"] == "succeeded"
    assert polled["result"]["conclusion"]["en"] == run.result["conclusion"]["en"]
    with urllib.request.urlopen(f"{live_server.url}{reverse('demos:run', args=[run.id])}") as response:
        page = response.read().decode()
    assert str(run.id) in page
    again = services.demo_run_request(user=alice, demo_id=FAST_DEMO, raw_params={})
    assert again.from_cache and again.run.id == run.id


def test_it_keeps_the_web_responsive_while_a_long_demo_runs(celery_worker, live_server, alice):
    outcome = services.demo_run_request(user=alice, demo_id=LONG_DEMO, raw_params=LONG_PARAMS)
    wait_for(outcome.run.id, statuses={DemoRun.Status.RUNNING}, timeout=60)
    answered = 0
    for path in ("/healthz", reverse("questions:topics"), reverse("demos:gallery"),
                 reverse("api-run-detail", args=[outcome.run.id])) * 3:
        with urllib.request.urlopen(f"{live_server.url}{path}", timeout=10) as response:
            assert response.status == 200
            answered += 1
    run = DemoRun.objects.get(id=outcome.run.id)
    # Twelve pages were served while the demo was still computing: the web never waited for it.
    assert answered == 12
    assert run.status == DemoRun.Status.RUNNING, "the long demo finished too soon to prove anything"
    # The pages can all be served before the worker's first progress report: give it a moment.
    deadline = time.monotonic() + 30
    while not (0.0 < run.progress < 1.0 or run.progress_message) and time.monotonic() < deadline:
        time.sleep(0.1)
        run.refresh_from_db()
    assert 0.0 < run.progress < 1.0 or run.progress_message, "no progress was reported while it ran"
    run = wait_for(run.id, statuses={DemoRun.Status.SUCCEEDED, DemoRun.Status.FAILED}, timeout=120)
    assert run.status == DemoRun.Status.SUCCEEDED, run.error


def test_it_fails_a_run_whose_worker_is_killed_mid_run(celery_worker, alice, client, settings):
    settings.DEMO_STALE_SECONDS = 3  # the worker beats every second in tests; 3 s of silence is death
    outcome = services.demo_run_request(user=alice, demo_id=LONG_DEMO, raw_params=LONG_PARAMS)
    wait_for(outcome.run.id, statuses={DemoRun.Status.RUNNING}, timeout=60)
    celery_worker.kill()
    killed_at = time.monotonic()
    while time.monotonic() - killed_at < settings.CELERY_TASK_TIME_LIMIT:
        polled = client.get(reverse("api-run-detail", args=[outcome.run.id])).json()
        if polled["status"] != "running":
            break
        time.sleep(0.5)
    assert polled["status"] == "failed"
    assert "stopped responding" in polled["error"]
    assert time.monotonic() - killed_at < settings.CELERY_TASK_TIME_LIMIT


def test_it_never_queues_bad_parameters(celery_worker, alice):
    from engine import ParamError

    with pytest.raises(ParamError) as error:
        services.demo_run_request(user=alice, demo_id=LONG_DEMO, raw_params={"depth": 10_000})
    assert "depth" in error.value.errors
    assert DemoRun.objects.count() == 0
