"""Health of the parts the app depends on: database, broker, workers.

The errors name hosts, ports and worker host names: for staff only (see quizapp.core.views.healthz)."""

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
    # The transport options bound a Redis that never answers (their socket timeouts; kombu's Redis
    # transport ignores connect_timeout): the probe reports it instead of outwaiting the health check.
    try:
        with Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS) as conn:
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


def health_report() -> dict[str, dict]:
    """Each part's state: {"ok": bool, "error": str | None} (workers also list who reported)."""
    database_error = check_database()
    broker_error = check_broker()
    workers, worker_error = check_workers() if database_error is None else ([], "database is down")
    return {
        "database": {"ok": database_error is None, "error": database_error},
        "broker": {"ok": broker_error is None, "error": broker_error},
        "workers": {"ok": worker_error is None, "workers": workers, "error": worker_error},
    }
