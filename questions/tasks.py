"""Celery tasks of the questions app: a learner's large Anki deck, built off the web request."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import task_failure

from questions import services
from questions.models import AnkiExport

logger = logging.getLogger(__name__)

# The request publishes inside its transaction, so the task may arrive a moment before the row commits.
ROW_WAIT_RETRIES, ROW_WAIT_SECONDS = 5, 1


@shared_task(bind=True, acks_late=True)
def build_anki_export(self, export_id: str) -> None:
    """Claim the export once, build and store its deck with progress, or fail it leaving no file."""
    if not AnkiExport.objects.filter(pk=export_id).exists():
        if self.request.retries < ROW_WAIT_RETRIES:
            raise self.retry(countdown=ROW_WAIT_SECONDS, max_retries=ROW_WAIT_RETRIES)
        return  # rolled back or deleted: nothing to do
    try:
        services.anki_export_build(export_id=export_id, worker=self.request.hostname or "")
    except SoftTimeLimitExceeded:
        services.anki_export_fail(export_id=export_id, error=services.ANKI_EXPORT_TIMED_OUT)
    except Exception:
        logger.exception("Anki export %s failed", export_id)
        services.anki_export_fail(export_id=export_id, error=services.ANKI_EXPORT_BROKEN)


@task_failure.connect(sender=build_anki_export)
def _mark_failed(sender=None, exception=None, args=None, **extra):
    """The hard time limit kills the pool process: the worker's main process fails the export (and removes
    what the build had stored of it)."""
    if args:
        services.anki_export_fail(export_id=args[0], error=services.ANKI_EXPORT_TIMED_OUT)
