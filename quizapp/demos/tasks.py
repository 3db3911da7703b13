"""Celery tasks for demos: another interface onto the services, a few lines each."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import task_failure, worker_ready
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

import engine
from questions import services as question_services
from quizapp.demos import services
from quizapp.demos.models import DemoRun
from quizapp.study import services as study_services

logger = logging.getLogger(__name__)
# The request publishes inside its transaction, so its task may arrive a moment before the row commits: the
# task looks again every ROW_POLL_SECONDS for ROW_WAIT_SECONDS (a commit comes within milliseconds), and only
# then retries through the broker, in case the request is held up.
ROW_WAIT_RETRIES, ROW_WAIT_SECONDS, ROW_POLL_SECONDS = 5, 1, 0.01


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=3)
def run_demo(self, run_id: str) -> None:
    """Claim the run once, compute it with progress, store the result or the failure.

    A temporary database error anywhere propagates to `autoretry_for`; the retry keeps the task id,
    so it claims the run again and computes it afresh instead of leaving it running.
    """
    if not _row_committed(run_id, within=ROW_WAIT_SECONDS):
        if self.request.retries < ROW_WAIT_RETRIES:
            raise self.retry(countdown=ROW_WAIT_SECONDS, max_retries=ROW_WAIT_RETRIES)
        return  # rolled back or deleted: nothing to do
    if not services.demo_run_claim(run_id=run_id, worker=self.request.hostname or "worker",
                                   task_id=self.request.id or "", retries=self.request.retries):
        return  # finished, failed (after too many lost workers), claimed by another task: nothing to do
    run = DemoRun.objects.get(id=run_id)

    def progress(fraction: float, message: dict[str, str] | str = "", charts: list[dict] | None = None) -> None:
        services.demo_run_progress(run_id=run_id, fraction=fraction, message=message, charts=charts)

    try:
        with services.heartbeat(run_id=run_id, every=settings.DEMO_HEARTBEAT_SECONDS):
            result = engine.execute(run.demo_id, run.params, progress=progress)
    except SoftTimeLimitExceeded:
        services.demo_run_fail(run_id=run_id, reason="The run exceeded its time limit.")
        return
    except OperationalError:
        raise  # temporary (e.g. from a progress write): retry rather than fail the run
    except Exception as error:
        logger.exception("demo run %s failed", run_id)
        services.demo_run_fail(run_id=run_id, reason=f"{type(error).__name__}: {error}")
        return
    services.demo_run_succeed(run_id=run_id, result=result)


def _row_committed(run_id: str, *, within: float) -> bool:
    deadline = time.monotonic() + within
    while not DemoRun.objects.filter(id=run_id).exists():
        if time.monotonic() >= deadline:
            return False
        time.sleep(ROW_POLL_SECONDS)
    return True


@task_failure.connect(sender=run_demo)
def _mark_failed(sender=None, task_id=None, exception=None, args=None, **extra):
    """Failures the task could not record itself: an error it let through (a database error past its
    retries; sent in the pool process) and the hard time limit (billiard kills the pool process and
    reports TimeLimitExceeded; sent in the worker's main process), which fails the run at once. A lost
    pool process sends none: it is requeued (CELERY_TASK_REJECT_ON_WORKER_LOST) and bounded by the claim,
    and the reaper fails a run whose heartbeat stops."""
    if args:
        services.demo_run_fail(run_id=args[0], reason=f"The worker gave up: {type(exception).__name__}.")


@shared_task
def reap_stale_runs() -> int:
    """Celery beat sends this every REAPER_INTERVAL_SECONDS: fail the runs, fits and deck builds whose worker
    died, and those no worker will pick up, without waiting for somebody to read them; delete old decks."""
    failed = (services.demo_runs_expire_stale() + study_services.scheduler_optimizations_expire_stale()
              + question_services.anki_exports_expire_stale())
    if failed:
        logger.warning("reaper: failed %d stale runs", failed)
    return failed


# In a worker's main process this module is imported at start, before any task is consumed.
_LOADED_AT = timezone.now()


@worker_ready.connect
def _reap_on_start(sender=None, **extra):
    """A worker restarted after a crash fails what it left running at once, then reaps as beat would."""
    hostname = sender.hostname
    try:
        failed = (services.demo_runs_fail_of_restarted_worker(hostname=hostname, started_at=_LOADED_AT)
                  + study_services.scheduler_optimizations_fail_of_restarted_worker(
                      hostname=hostname, started_at=_LOADED_AT)
                  + reap_stale_runs())
    except Exception:  # the database may be away at start; beat's reaper will try again
        logger.warning("could not reap stale runs on start", exc_info=True)
        return
    logger.info("reaped %d stale runs on start", failed)
