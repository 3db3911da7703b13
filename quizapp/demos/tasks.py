"""Celery tasks for demos: another interface onto the services, a few lines each."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import task_failure
from django.conf import settings
from django.db import OperationalError

import engine
from quizapp.demos import services
from quizapp.demos.models import DemoRun

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=3)
def run_demo(self, run_id: str) -> None:
    """Claim the run once, compute it with progress, store the result or the failure.

    A temporary database error anywhere propagates to `autoretry_for`; the retry keeps the task id,
    so it claims the run again and computes it afresh instead of leaving it running.
    """
    if not services.demo_run_claim(run_id=run_id, worker=self.request.hostname or "worker",
                                   task_id=self.request.id or ""):
        return  # finished, failed, claimed by another task, or deleted: nothing to do
    run = DemoRun.objects.get(id=run_id)

    def progress(fraction: float, message: dict[str, str] | str = "") -> None:
        services.demo_run_progress(run_id=run_id, fraction=fraction, message=message)

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


@task_failure.connect(sender=run_demo)
def _mark_failed(sender=None, task_id=None, exception=None, args=None, **extra):
    """Hard time limits and lost worker processes end here (sent by the pool's parent)."""
    if args:
        services.demo_run_fail(run_id=args[0], reason=f"The worker gave up: {type(exception).__name__}.")
