"""Publishing a task from a request: at once, failing fast, so the client hears that the queue is down."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from kombu.exceptions import OperationalError as BrokerError
from rest_framework import serializers

from quizapp.core.errors import DependencyDown

logger = logging.getLogger(__name__)


class QueueUnavailable(DependencyDown):
    """The broker refused or did not answer; nothing was queued."""

    def __init__(self):
        retry_after = settings.TASK_QUEUE_RETRY_AFTER_SECONDS
        super().__init__(_("The task queue is unavailable; try again in %(seconds)d s.") % {"seconds": retry_after},
                         retry_after=retry_after)


def publish(task, *, args: list, **options) -> None:
    """Send the task now, inside the caller's transaction: a failure raises QueueUnavailable and rolls
    the caller's rows back, so no row waits for a task that does not exist. The task may arrive before
    the commit; the tasks retry briefly when their row is not there yet.

    Fast because of CELERY_TASK_PUBLISH_RETRY_POLICY and, with Redis, the socket timeouts of
    REDIS_BROKER_TRANSPORT_OPTIONS: a broker that accepts and never answers fails like one that refuses.
    """
    try:
        task.apply_async(args=args, **options)
    except BrokerError:
        logger.warning("could not queue %s%r: the broker is unreachable", task.name, args, exc_info=True)
        raise QueueUnavailable from None


# For extend_schema of the operations that publish a task.
QUEUE_UNAVAILABLE_RESPONSE = OpenApiResponse(
    inline_serializer("QueueUnavailable", fields={"detail": serializers.CharField()}),
    description="the task queue is unreachable: nothing was queued; try again after Retry-After seconds")
RETRY_AFTER_HEADER = OpenApiParameter("Retry-After", int, OpenApiParameter.HEADER, response=[503],
                                      description="seconds to wait before trying again")
