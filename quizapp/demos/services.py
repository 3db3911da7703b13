"""Writes for demo runs: request (validate → cache → record → queue), claim, progress, finish."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAuthenticated

import engine
from quizapp.core.errors import NotYours, TooManyRequests
from quizapp.core.locks import lock_learner
from quizapp.core.queueing import publish
from quizapp.core.services import served_queues
from quizapp.demos.models import DemoRequest, DemoRun

logger = logging.getLogger(__name__)
Status = DemoRun.Status


class RateLimited(TooManyRequests):
    def __init__(self, retry_after: int):
        super().__init__(_("too many demo runs; try again in %(seconds)d s") % {"seconds": retry_after},
                         retry_after=retry_after)


class LoginRequired(NotAuthenticated):
    """Anonymous visitors get cached runs only. DRF's own 401, so the response names the login scheme
    (WWW-Authenticate) as every other unauthenticated request's does."""

    default_detail = "Log in to start a new run; cached runs are open to everyone."


@dataclass
class RunRequestOutcome:
    """`created`: this request recorded and queued the run. `from_cache`: the run had already finished, so its
    result was computed before it was asked for; joining a run still in flight is neither, and the learner
    watches it compute (once labelled "From the cache" after 38 s of computing in front of them)."""

    run: DemoRun
    from_cache: bool
    created: bool = False


def params_key(params: dict) -> str:
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _cached_run(demo_id: str, key: str) -> DemoRun | None:
    """A succeeded run, or one still in flight, of the same demo, parameters and engine version."""
    return (DemoRun.objects.filter(demo_id=demo_id, params_key=key, engine_version=engine.ENGINE_VERSION,
                                   status__in=[Status.SUCCEEDED, Status.RUNNING, Status.QUEUED])
            .order_by("-created_at").first())


def _check_rate_limit(user) -> None:
    window = timedelta(seconds=60)
    since = timezone.now() - window
    # The runs this learner made a worker compute: joining a run in flight or a finished one costs nothing.
    recent = list(DemoRun.objects.filter(created_by=user, created_at__gte=since)
                  .order_by("created_at").values_list("created_at", flat=True)[:settings.DEMO_RUNS_PER_MINUTE])
    if len(recent) >= settings.DEMO_RUNS_PER_MINUTE:
        retry_after = (recent[0] + window - timezone.now()).total_seconds()
        raise RateLimited(max(1, int(retry_after + 0.999)))


def _queue_for(spec) -> str:
    """A demo that prefers the GPU goes to `gpu` only while a worker serves that queue."""
    if spec.queue == "gpu" and "gpu" in served_queues():
        return "gpu"
    return "demos"


def demo_run_request(*, user, demo_id: str, raw_params: dict | None) -> RunRequestOutcome:
    """Validate against the spec, answer from the cache, or record and queue a new run.

    Raises `engine.ParamError` (bad parameters), `KeyError` (unknown demo), `LoginRequired` (a new run
    for an anonymous visitor), `RateLimited` and `QueueUnavailable` (the broker is down: nothing is recorded).
    """
    from quizapp.demos.tasks import run_demo

    spec = engine.get_demo(demo_id)
    params = spec.validate(raw_params)
    key = params_key(params)
    demo_runs_expire_stale()  # a run whose worker died must not be served from the cache
    with transaction.atomic():
        if user is not None:
            lock_learner(user)  # concurrent requests must not all pass the rate limit
        cached = _cached_run(demo_id, key)
        if cached is not None:
            finished = cached.status == Status.SUCCEEDED
            if user is not None:
                DemoRequest.objects.create(user=user, run=cached, from_cache=finished)
            return RunRequestOutcome(run=cached, from_cache=finished)
        if user is None:
            raise LoginRequired
        _check_rate_limit(user)
        run = DemoRun.objects.create(demo_id=demo_id, params=params, params_key=key,
                                     engine_version=engine.ENGINE_VERSION, queue=_queue_for(spec),
                                     created_by=user)
        DemoRequest.objects.create(user=user, run=run, from_cache=False)
        publish(run_demo, args=[str(run.id)], queue=run.queue)
    return RunRequestOutcome(run=run, from_cache=False, created=True)


PRECOMPUTE_WORKER = "precompute"


def demo_run_precompute(*, demo_id: str) -> DemoRun | None:
    """Compute the demo's default run in this process unless the current engine already has it (finished, or
    in flight for a learner): what a page shows on arrival. Returns the finished or failed run, None when there
    was nothing to do. The run is recorded as running first, with its heartbeat, so a learner who asks for the
    defaults meanwhile joins it instead of queueing a second one, and the reaper fails it if this process dies.
    Raises what the demo raised, after recording the failure."""
    spec = engine.get_demo(demo_id)
    params = spec.validate({})
    key = params_key(params)
    with transaction.atomic():
        if _cached_run(demo_id, key) is not None:
            return None
        now = timezone.now()
        run = DemoRun.objects.create(demo_id=demo_id, params=params, params_key=key,
                                     engine_version=engine.ENGINE_VERSION, queue=spec.queue, status=Status.RUNNING,
                                     started_at=now, heartbeat_at=now, worker=PRECOMPUTE_WORKER, attempts=1)
    _compute(run)
    run.refresh_from_db()
    return run


def _compute(run: DemoRun) -> None:
    def progress(fraction: float, message: dict[str, str] | str = "", charts: list[dict] | None = None) -> None:
        demo_run_progress(run_id=run.id, fraction=fraction, message=message, charts=charts)

    try:
        with heartbeat(run_id=run.id, every=settings.DEMO_HEARTBEAT_SECONDS):
            result = engine.execute(run.demo_id, run.params, progress=progress)
    except Exception as error:
        demo_run_fail(run_id=run.id, reason=f"{type(error).__name__}: {error}")
        raise
    demo_run_succeed(run_id=run.id, result=result)


def demo_run_claim(*, run_id, worker: str, task_id: str = "", retries: int = 0) -> bool:
    """Move a queued run to running. Succeeds once per task: another task finds nothing to claim.
    The claiming task may claim it again: its retry (a higher retry number) computes afresh, and a
    redelivery of the same try (its worker was lost mid-run) computes again until the run has had
    DEMO_MAX_DELIVERIES attempts; the next redelivery fails it instead of losing another worker."""
    now = timezone.now()
    started = {"status": Status.RUNNING, "started_at": now, "heartbeat_at": now, "worker": worker[:200],
               "progress": 0.0, "progress_message": {}, "live_charts": [], "progress_seq": F("progress_seq") + 1}
    fresh = Q(status=Status.QUEUED)
    if task_id:
        fresh |= Q(status=Status.RUNNING, task_id=task_id, task_retries__lt=retries)
    runs = DemoRun.objects.filter(id=run_id)
    if runs.filter(fresh).update(**started, task_id=task_id[:255], task_retries=retries, attempts=1):
        return True
    if not task_id:
        return False
    redelivered = runs.filter(status=Status.RUNNING, task_id=task_id, task_retries=retries)
    if redelivered.filter(attempts__lt=settings.DEMO_MAX_DELIVERIES).update(**started, attempts=F("attempts") + 1):
        return True
    attempts = redelivered.values_list("attempts", flat=True).first()
    if attempts is not None:
        logger.error("demo run %s: its worker was lost on each of %d attempts; failing it", run_id, attempts)
        demo_run_fail(run_id=run_id, reason=f"The worker crashed while computing this run ({attempts} attempts).")
    return False


def demo_run_progress(*, run_id, fraction: float, message: dict[str, str] | str = "",
                      charts: list[dict] | None = None) -> None:
    """`message` is the engine's {"en": ..., "zh": ...}; a plain string is taken as both. `charts`, the live
    charts so far, replace the stored ones; None leaves them."""
    texts = message if isinstance(message, dict) else {"en": message, "zh": message}
    changes = {"live_charts": charts} if charts is not None else {}
    DemoRun.objects.filter(id=run_id, status=Status.RUNNING).update(
        progress=max(0.0, min(1.0, float(fraction))), heartbeat_at=timezone.now(),
        progress_message={language: str(texts.get(language, ""))[:200] for language in ("en", "zh")},
        progress_seq=F("progress_seq") + 1, **changes)


def demo_run_succeed(*, run_id, result: dict) -> None:
    DemoRun.objects.filter(id=run_id, status=Status.RUNNING).update(
        status=Status.SUCCEEDED, result=result, progress=1.0, finished_at=timezone.now(), live_charts=[],
        progress_seq=F("progress_seq") + 1)


def demo_run_fail(*, run_id, reason: str) -> None:
    _fail_if_still(DemoRun.objects.filter(id=run_id, status__in=[Status.QUEUED, Status.RUNNING]), reason=reason)


def demo_runs_expire_stale() -> int:
    """Fail runs whose worker went silent (killed, crashed, lost, or stopped at the hard time limit)
    or that no worker will pick up. The reaper calls this periodically; reads call it too."""
    now = timezone.now()
    # The condition is in each UPDATE, not only in the select: a redelivery may re-claim a run between the two.
    silent = DemoRun.objects.filter(status=Status.RUNNING,
                                    heartbeat_at__lt=now - timedelta(seconds=settings.DEMO_STALE_SECONDS))
    past_time_limit = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    failed = 0
    for run_id, started_at in silent.values_list("id", "started_at"):
        if started_at is not None and started_at < past_time_limit:
            reason = "The run exceeded its time limit and was stopped."
        else:
            reason = "The worker stopped responding (killed or crashed) before the run finished."
        failed += _fail_if_still(silent.filter(id=run_id), reason=reason)
    failed += _fail_unserved_runs(now=now)
    return failed


def _fail_if_still(runs, *, reason: str) -> int:
    """Fail the runs that still match `runs`' conditions when the UPDATE runs."""
    return runs.update(status=Status.FAILED, error=reason[:2000], finished_at=timezone.now(), live_charts=[],
                       progress_seq=F("progress_seq") + 1)


def demo_runs_fail_of_restarted_worker(*, hostname: str, started_at) -> int:
    """Fail the runs a worker of this name left running before it (re)started at `started_at`: that
    worker died with them, so they need not wait for their heartbeat to go stale."""
    left = DemoRun.objects.filter(status=Status.RUNNING, worker=hostname, heartbeat_at__lt=started_at)
    return _fail_if_still(left, reason="The worker stopped (killed or crashed) and restarted before the run finished.")


def _fail_unserved_runs(*, now) -> int:
    """Fail queued runs that will not start: no live worker serves their queue (after a grace for a
    worker that is starting), or none claimed them within DEMO_QUEUE_TIMEOUT_SECONDS (all busy)."""
    waiting = DemoRun.objects.filter(status=Status.QUEUED,
                                     created_at__lt=now - timedelta(seconds=settings.DEMO_NO_WORKER_GRACE_SECONDS))
    timed_out_before = now - timedelta(seconds=settings.DEMO_QUEUE_TIMEOUT_SECONDS)
    served, failed = None, 0
    for run_id, queue, created_at in waiting.values_list("id", "queue", "created_at"):
        # Still QUEUED when failed: a worker may claim the run while served_queues() asks the workers.
        still_waiting = waiting.filter(id=run_id)
        if created_at < timed_out_before:
            failed += _fail_if_still(still_waiting,
                                     reason="No worker picked the run up in time. Is a worker running?")
            continue
        served = served if served is not None else served_queues()
        if queue not in served:
            failed += _fail_if_still(still_waiting,
                                     reason=f"No worker serves the “{queue}” queue, so the run cannot start. "
                                            "Start a worker (make run starts one) and try again.")
    return failed


def _touch_heartbeat(run_id) -> None:
    DemoRun.objects.filter(id=run_id, status=Status.RUNNING).update(heartbeat_at=timezone.now())


@contextlib.contextmanager
def heartbeat(*, run_id, every: float):
    """Touch the run's heartbeat from a thread while the engine computes, so a silent run means
    a dead worker, whatever the demo's own progress reporting does."""
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(every):
                try:
                    _touch_heartbeat(run_id)
                except Exception:  # a passing DB error must not stop the beats and fail a healthy run
                    logger.warning("heartbeat of demo run %s failed; beating on", run_id, exc_info=True)
        finally:
            connection.close()  # the thread's own connection; nobody else would close it

    thread = threading.Thread(target=beat, name=f"heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 1)


def demo_run_refreshed_or_404(*, run_id) -> DemoRun:
    """A run, failed first if its worker went silent, so nothing shows "running" forever: a read that may
    write, hence a service."""
    run = DemoRun.objects.filter(id=run_id).first()
    if run is None:
        raise NotYours
    if _may_be_stale(run):
        demo_runs_expire_stale()
        run.refresh_from_db()
    return run


def demo_run_unchanged(*, run_id, seen_seq: int) -> bool:
    """Whether a page that has shown the run at `seen_seq` has nothing new to draw: the run has not changed
    since, and is not one `demo_runs_expire_stale` would fail now. Reads neither the result nor the charts."""
    run = (DemoRun.objects.filter(id=run_id, progress_seq__lte=seen_seq)
           .only("status", "heartbeat_at", "created_at").first())
    return run is not None and not _may_be_stale(run)


def _may_be_stale(run: DemoRun) -> bool:
    """Whether `demo_runs_expire_stale` could fail this run now. A page polls a live run several times a second:
    a healthy one costs one SELECT, and beat's reaper fails the others' stale runs."""
    now = timezone.now()
    if run.status == Status.RUNNING:
        return run.heartbeat_at is None or run.heartbeat_at < now - timedelta(seconds=settings.DEMO_STALE_SECONDS)
    if run.status == Status.QUEUED:
        return run.created_at < now - timedelta(seconds=settings.DEMO_NO_WORKER_GRACE_SECONDS)
    return False


def demo_requests_refreshed(*, user) -> QuerySet[DemoRequest]:
    """The learner's requests, newest runs failed first if stale: history must not show a dead worker's run as
    running."""
    demo_runs_expire_stale()
    return DemoRequest.objects.filter(user=user).select_related("run")
