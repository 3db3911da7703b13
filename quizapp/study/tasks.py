"""Celery tasks of the study app: another interface onto its services."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext_noop

from quizapp.study import services
from quizapp.study.models import SchedulerOptimization

logger = logging.getLogger(__name__)


# A long history takes minutes to fit on a CPU: more time than the demos' default limits.
OPTIMIZE_SOFT_TIME_LIMIT = 600
OPTIMIZE_TIME_LIMIT = 660  # seconds; then Celery kills the fit, and reads of it expire its row


# The request publishes inside its transaction, so the task may arrive a moment before the row commits.
ROW_WAIT_RETRIES, ROW_WAIT_SECONDS = 5, 1


@shared_task(bind=True, acks_late=True, soft_time_limit=OPTIMIZE_SOFT_TIME_LIMIT, time_limit=OPTIMIZE_TIME_LIMIT)
def optimize_scheduler(self, optimization_id: int) -> None:
    if not SchedulerOptimization.objects.filter(pk=optimization_id).exists():
        if self.request.retries < ROW_WAIT_RETRIES:
            raise self.retry(countdown=ROW_WAIT_SECONDS, max_retries=ROW_WAIT_RETRIES)
        return  # rolled back or deleted: nothing to do
    try:
        services.scheduler_optimization_run(optimization_id=optimization_id, worker=self.request.hostname or "")
    except SoftTimeLimitExceeded:
        services.scheduler_optimization_finish(optimization_id=optimization_id,
                                               status=SchedulerOptimization.Status.FAILED,
                                               error=gettext_noop("The fit exceeded its time limit."))
    except Exception as error:
        logger.exception("optimisation %s failed", optimization_id)
        services.scheduler_optimization_finish(optimization_id=optimization_id,
                                               status=SchedulerOptimization.Status.FAILED,
                                               error=f"{type(error).__name__}: {error}")
