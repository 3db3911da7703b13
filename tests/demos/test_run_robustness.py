"""Reviewed failure modes of demo runs: overflowing parameters, dead workers in the cache and the
history, no worker for a run's queue, temporary database errors in the task, stale engine
versions, the heartbeat thread."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

import engine
from quizapp.demos import selectors, services
from quizapp.demos.models import DemoRun
from tests.demos.test_run_requests import FAST_DEMO, start


@pytest.mark.parametrize(("demo_id", "name", "value"), [
    ("D13", "input_size", 1e400),  # JSON's 1e400 is infinity: int() overflows
    ("D2", "x_max", 10 ** 400),  # an integer too large for a float
], ids=["infinite-int", "huge-float"])
def test_it_refuses_overflowing_numbers_as_bad_parameters(alice_api, sent_tasks, demo_id, name, value):
    body = f'{{"params": {{"{name}": {value!r}}}}}'.replace("inf", "1e400")
    response = alice_api.post(reverse("api-demo-run-start", args=[demo_id]), body, content_type="application/json",
                              HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "between" in response.json()["params"][name]
    assert DemoRun.objects.count() == 0


def _make_silent(run_id, settings) -> None:
    long_ago = timezone.now() - timedelta(seconds=settings.DEMO_STALE_SECONDS + 1)
    DemoRun.objects.filter(id=run_id).update(status=DemoRun.Status.RUNNING, heartbeat_at=long_ago)


def test_it_does_not_serve_a_dead_workers_run_from_the_cache(alice_api, sent_tasks, settings,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = start(alice_api).json()
    _make_silent(first["id"], settings)
    with django_capture_on_commit_callbacks(execute=True):
        again = start(alice_api)
    assert again.status_code == 201
    assert again.json()["id"] != first["id"] and again.json()["from_cache"] is False
    history = {r["run"]["id"]: r["run"]["status"] for r in alice_api.get(reverse("api-my-runs")).json()["results"]}
    assert history[first["id"]] == "failed"


def test_it_shows_a_dead_workers_run_as_failed_in_the_history(alice, alice_api, sent_tasks, settings,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = start(alice_api).json()["id"]
    _make_silent(run_id, settings)
    [entry] = alice_api.get(reverse("api-my-runs")).json()["results"]
    assert entry["run"]["status"] == "failed"
    assert "stopped responding" in entry["run"]["error"]


def _queued_since(run_id, seconds: float) -> None:
    DemoRun.objects.filter(id=run_id).update(created_at=timezone.now() - timedelta(seconds=seconds))


def _status_in_history(alice_api, run_id) -> tuple[str, str]:
    entries = {entry["run"]["id"]: entry["run"] for entry in alice_api.get(reverse("api-my-runs")).json()["results"]}
    return entries[run_id]["status"], entries[run_id]["error"]


def test_it_fails_a_run_soon_when_no_worker_serves_its_queue(alice_api, sent_tasks, settings,
                                                          django_capture_on_commit_callbacks):
    from quizapp.core.services import worker_heartbeat_record

    worker_heartbeat_record(hostname="gpu-only@box", queues=["gpu"], has_cuda=True)  # serves another queue
    with django_capture_on_commit_callbacks(execute=True):
        run_id = start(alice_api).json()["id"]
    _queued_since(run_id, settings.DEMO_NO_WORKER_GRACE_SECONDS - 5)
    assert _status_in_history(alice_api, run_id)[0] == "queued"  # a worker may still be starting
    _queued_since(run_id, settings.DEMO_NO_WORKER_GRACE_SECONDS + 1)
    status, error = _status_in_history(alice_api, run_id)
    assert status == "failed" and "No worker serves the “demos” queue" in error


def test_it_lets_a_run_wait_for_a_busy_worker_that_serves_its_queue(alice_api, sent_tasks, settings,
                                                             django_capture_on_commit_callbacks):
    from quizapp.core.services import worker_heartbeat_record

    worker_heartbeat_record(hostname="busy@box", queues=["demos"], has_cuda=False)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = start(alice_api).json()["id"]
    _queued_since(run_id, settings.DEMO_QUEUE_TIMEOUT_SECONDS - 5)
    assert _status_in_history(alice_api, run_id)[0] == "queued"
    _queued_since(run_id, settings.DEMO_QUEUE_TIMEOUT_SECONDS + 1)
    status, error = _status_in_history(alice_api, run_id)
    assert status == "failed" and "No worker picked the run up in time" in error


def _failing_once(monkeypatch, name: str) -> list:
    """Make services.<name> raise a temporary database error on its first call only."""
    original, calls = getattr(services, name), []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("could not connect to server")
        return original(**kwargs)

    monkeypatch.setattr(services, name, flaky)
    return calls


@pytest.mark.parametrize("flaky_write", ["demo_run_succeed", "demo_run_progress"])
def test_it_retries_the_task_to_a_result_after_a_passing_database_error(alice_api, sent_tasks, monkeypatch, flaky_write,
                                                                 django_capture_on_commit_callbacks):
    from quizapp.demos.tasks import run_demo

    with django_capture_on_commit_callbacks(execute=True):
        run_id = start(alice_api).json()["id"]
    calls = _failing_once(monkeypatch, flaky_write)
    # apply() as a worker would: not propagating, so autoretry's retry runs (eagerly, same task id).
    run_demo.apply(args=[run_id], throw=False)
    run = DemoRun.objects.get(id=run_id)
    assert len(calls) >= 2  # the failed write and the retry's
    assert run.status == DemoRun.Status.SUCCEEDED, run.error
    assert run.result["demo"] == FAST_DEMO and run.progress == 1.0


def test_it_still_fails_the_run_with_the_reason_of_other_errors(alice_api, eager_celery, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    def broken(*args, **kwargs):
        raise ValueError("the demo broke")

    monkeypatch.setattr(engine, "execute", broken)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = start(alice_api).json()["id"]
    run = DemoRun.objects.get(id=run_id)
    assert run.status == DemoRun.Status.FAILED
    assert run.error == "ValueError: the demo broke"


def test_it_lets_only_the_claiming_task_claim_a_running_run_again(alice):
    run = DemoRun.objects.create(demo_id=FAST_DEMO, params={}, params_key="k", engine_version="v")
    assert services.demo_run_claim(run_id=run.id, worker="w1", task_id="task-a")
    assert not services.demo_run_claim(run_id=run.id, worker="w2", task_id="task-b")
    assert services.demo_run_claim(run_id=run.id, worker="w2", task_id="task-a")
    assert DemoRun.objects.get(id=run.id).worker == "w2"


def _succeeded(params: dict, *, finished_at, engine_version: str = engine.ENGINE_VERSION) -> DemoRun:
    return DemoRun.objects.create(demo_id=FAST_DEMO, params=params, params_key=services.params_key(params),
                                  engine_version=engine_version, status=DemoRun.Status.SUCCEEDED, result={},
                                  finished_at=finished_at)


def test_it_shows_first_a_result_from_the_current_engine_version(alice):
    now, defaults = timezone.now(), engine.get_demo(FAST_DEMO).defaults()
    current = _succeeded(defaults, finished_at=now - timedelta(hours=1))
    _succeeded(defaults, finished_at=now, engine_version="0.0.old")
    assert selectors.default_params_run(demo_id=FAST_DEMO) == current


def test_it_shows_first_a_result_with_the_default_parameters_not_the_latest_learners(alice):
    now, defaults = timezone.now(), engine.get_demo(FAST_DEMO).defaults()
    with_defaults = _succeeded(defaults, finished_at=now - timedelta(hours=1))
    _succeeded({**defaults, next(iter(defaults)): "something else"}, finished_at=now)
    assert selectors.default_params_run(demo_id=FAST_DEMO) == with_defaults


def test_it_keeps_the_heartbeat_through_a_database_error_and_logs_it(monkeypatch, caplog):
    beats = []

    def touch(run_id):
        beats.append(run_id)
        if len(beats) == 1:
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "_touch_heartbeat", touch)
    beating = services.heartbeat(run_id="r1", every=0.01)
    with caplog.at_level(logging.WARNING, logger=services.logger.name), beating:
        deadline = time.monotonic() + 5
        while len(beats) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(beats) >= 3
    assert "heartbeat of demo run r1 failed" in caplog.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; the race needs PostgreSQL")
def test_it_keeps_concurrent_requests_from_passing_the_rate_limit_together(alice, sent_tasks, settings):
    settings.DEMO_RUNS_PER_MINUTE = 2
    tabs = 6
    barrier, results = threading.Barrier(tabs), [None] * tabs
    knob = next(p for p in engine.get_demo(FAST_DEMO).params if isinstance(p, engine.spec.IntParam))

    def tab(index: int) -> None:
        barrier.wait()
        try:
            results[index] = services.demo_run_request(user=alice, demo_id=FAST_DEMO,
                                                       raw_params={knob.name: knob.minimum + index})
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=tab, args=(index,)) for index in range(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(isinstance(result, services.RateLimited) for result in results) == tabs - 2, results
    assert DemoRun.objects.count() == 2


def test_it_keeps_progress_in_both_languages(alice, api_client):
    run = DemoRun.objects.create(demo_id=FAST_DEMO, params={}, params_key="k", engine_version="v",
                                 status=DemoRun.Status.RUNNING)
    services.demo_run_progress(run_id=run.id, fraction=0.5, message={"en": "step 3/6", "zh": "第 3/6 步"})
    shown = api_client.get(reverse("api-run-detail", args=[run.id])).json()
    assert (shown["progress"], shown["progress_message"]) == (0.5, {"en": "step 3/6", "zh": "第 3/6 步"})
    services.demo_run_progress(run_id=run.id, fraction=0.6, message="K = 10")  # a name, the same in both
    assert DemoRun.objects.get(id=run.id).progress_message == {"en": "K = 10", "zh": "K = 10"}


def test_it_fails_a_run_whose_worker_is_lost_on_every_delivery_after_the_bounded_attempts(alice, settings):
    settings.DEMO_MAX_DELIVERIES = 2
    run = DemoRun.objects.create(demo_id=FAST_DEMO, params={}, params_key="k", engine_version="v")
    # The same message delivered again and again: its pool process was SIGKILLed (OOM) each time.
    assert services.demo_run_claim(run_id=run.id, worker="w", task_id="task-a")
    assert services.demo_run_claim(run_id=run.id, worker="w", task_id="task-a")
    assert not services.demo_run_claim(run_id=run.id, worker="w", task_id="task-a")
    run.refresh_from_db()
    assert run.status == DemoRun.Status.FAILED
    assert run.error == "The worker crashed while computing this run (2 attempts)."


def test_it_does_not_count_a_retry_after_a_temporary_error_as_a_lost_worker(alice, settings):
    settings.DEMO_MAX_DELIVERIES = 2
    run = DemoRun.objects.create(demo_id=FAST_DEMO, params={}, params_key="k", engine_version="v")
    assert services.demo_run_claim(run_id=run.id, worker="w", task_id="task-a")
    assert services.demo_run_claim(run_id=run.id, worker="w", task_id="task-a")  # lost once
    for retries in (1, 2, 3):  # autoretry_for's retries keep the task id and raise the retry number
        assert services.demo_run_claim(run_id=run.id, worker="w", task_id="task-a", retries=retries)
    assert DemoRun.objects.get(id=run.id).status == DemoRun.Status.RUNNING


def test_it_reaps_silent_runs_without_anybody_reading_them(alice, settings):
    from quizapp.demos.tasks import reap_stale_runs

    now = timezone.now()
    silent = timedelta(seconds=settings.DEMO_STALE_SECONDS + 1)
    crashed, timed_out, alive = (DemoRun.objects.create(demo_id=FAST_DEMO, params={}, params_key=key,
                                                        engine_version="v", status=DemoRun.Status.RUNNING)
                                 for key in ("crashed", "timed-out", "alive"))
    DemoRun.objects.filter(id=crashed.id).update(started_at=now - silent, heartbeat_at=now - silent)
    killed_at_limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + silent
    DemoRun.objects.filter(id=timed_out.id).update(started_at=now - killed_at_limit, heartbeat_at=now - silent)
    DemoRun.objects.filter(id=alive.id).update(started_at=now - silent, heartbeat_at=now)
    assert reap_stale_runs() == 2
    errors = dict(DemoRun.objects.values_list("params_key", "error"))
    assert "stopped responding" in errors["crashed"]
    assert errors["timed-out"] == "The run exceeded its time limit and was stopped."
    assert DemoRun.objects.get(id=alive.id).status == DemoRun.Status.RUNNING


def test_it_schedules_the_reaper_with_celery_beat_and_replaces_pool_processes(settings):
    from quizapp.celery import app

    [entry] = [entry for entry in app.conf.beat_schedule.values()
               if entry["task"] == "quizapp.demos.tasks.reap_stale_runs"]
    assert entry["schedule"] == settings.REAPER_INTERVAL_SECONDS
    assert entry["task"] in app.tasks
    assert app.conf.worker_max_tasks_per_child == settings.CELERY_WORKER_MAX_TASKS_PER_CHILD > 0


@contextmanager
def _claimed_just_before_the_reapers_update(run_id, *, task_id: str):
    """A worker claims the run (a redelivery re-claims it) after the reaper has read the runs it will
    fail and before its UPDATE lands: the reaper's first UPDATE of a demo run waits for that claim."""
    claimed = {}

    def claim_first(execute, sql, params, many, context):
        if not claimed and sql.lstrip().upper().startswith("UPDATE") and DemoRun._meta.db_table in sql:
            claimed["run"] = None  # the claim's own UPDATE goes straight through
            claimed["run"] = services.demo_run_claim(run_id=run_id, worker="w2", task_id=task_id)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(claim_first):
        yield
    assert claimed == {"run": True}


def test_it_does_not_reap_a_silent_run_that_a_redelivery_reclaimed_meanwhile(alice, settings):
    from quizapp.demos.tasks import reap_stale_runs

    run = DemoRun.objects.create(demo_id=FAST_DEMO, params={}, params_key="k", engine_version="v")
    assert services.demo_run_claim(run_id=run.id, worker="w1", task_id="task-a")
    _make_silent(run.id, settings)  # w1's pool process was killed: Celery redelivers task-a
    with _claimed_just_before_the_reapers_update(run.id, task_id="task-a"):
        reap_stale_runs()
    run.refresh_from_db()
    assert (run.status, run.worker, run.error) == (DemoRun.Status.RUNNING, "w2", "")
    services.demo_run_succeed(run_id=run.id, result={"ok": True})  # its result is kept
    assert DemoRun.objects.get(id=run.id).status == DemoRun.Status.SUCCEEDED


@pytest.mark.parametrize("waited", ["DEMO_NO_WORKER_GRACE_SECONDS", "DEMO_QUEUE_TIMEOUT_SECONDS"])
def test_it_does_not_reap_a_queued_run_that_a_worker_claimed_meanwhile(alice, settings, waited):
    """Past the grace with no worker serving its queue (as the reaper last saw), or past the queue timeout."""
    from quizapp.core.services import worker_heartbeat_record
    from quizapp.demos.tasks import reap_stale_runs

    worker_heartbeat_record(hostname="gpu-only@box", queues=["gpu"], has_cuda=True)
    run = DemoRun.objects.create(demo_id=FAST_DEMO, params={}, params_key="k", engine_version="v", queue="demos")
    _queued_since(run.id, getattr(settings, waited) + 1)
    with _claimed_just_before_the_reapers_update(run.id, task_id="task-a"):
        reap_stale_runs()
    run.refresh_from_db()
    assert (run.status, run.error) == (DemoRun.Status.RUNNING, "")
