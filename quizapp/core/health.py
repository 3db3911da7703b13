"""Health of the parts the app depends on: database, broker, workers."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from kombu import Connection

from quizapp.core.services import live_workers


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any driver error means "down"
        return f"{type(error).__name__}: {error}"
    return None


def check_broker() -> str | None:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2,
                        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


def check_workers() -> tuple[list[dict], str | None]:
    try:
        workers = [{"name": w.hostname, "queues": w.queues, "cuda": w.has_cuda} for w in live_workers()]
    except Exception as error:
        return [], f"{type(error).__name__}: {error}"
    return workers, None if workers else "no worker has reported in the last 20 s"
