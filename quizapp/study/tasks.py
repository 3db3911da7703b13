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


@shared_task(acks_late=True, soft_time_limit=OPTIMIZE_SOFT_TIME_LIMIT, time_limit=OPTIMIZE_TIME_LIMIT)
def optimize_scheduler(optimization_id: int) -> None:
    try:
        services.scheduler_optimization_run(optimization_id=optimization_id)
    except SoftTimeLimitExceeded:
        services.scheduler_optimization_finish(optimization_id=optimization_id,
                                               status=SchedulerOptimization.Status.FAILED,
                                               error=gettext_noop("The fit exceeded its time limit."))
    except Exception as error:
        logger.exception("optimisation %s failed", optimization_id)
        services.scheduler_optimization_finish(optimization_id=optimization_id,
                                               status=SchedulerOptimization.Status.FAILED,
                                               error=f"{type(error).__name__}: {error}")
