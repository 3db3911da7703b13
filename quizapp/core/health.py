"""Health of the parts the app depends on: database, broker, workers.

The errors name hosts, ports and worker host names: for staff only (see quizapp.core.views.healthz).

Worst case with the broker hung (accepts, never answers): its probe gives up after about 4 s (two tries,
each at most 1 s to connect and 1 s to read; the database and worker checks are one query each), and
scripts/healthcheck.py waits 8 s. A hung database is not bounded here: its driver's own timeouts apply."""

from __future__ import annotations

import threading
import time

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


REPORT_MEMO_SECONDS = 5  # repeated asks within this reuse the last report: a hung part is probed once
# The probe's own bounds on a Redis that never answers (kombu's Redis transport ignores connect_timeout),
# shorter than publishing's, so the probe reports it well within the health check's wait.
PROBE_SOCKET_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}


def check_broker() -> str | None:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        options = {**options, **PROBE_SOCKET_TIMEOUTS}
    try:
        with Connection(settings.CELERY_BROKER_URL, transport_options=options) as conn:
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


class _ReportMemo:
    """The last report and when it was made, per process (not the Django cache: that is Redis when
    configured, and slow itself when Redis hangs). One probe at a time: who asks meanwhile waits for it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._made_at = float("-inf")
        self._report: dict[str, dict] = {}

    def report(self) -> dict[str, dict]:
        with self._lock:
            if time.monotonic() - self._made_at >= REPORT_MEMO_SECONDS:
                self._report = health_report()
                self._made_at = time.monotonic()
            return self._report

    def forget(self) -> None:
        with self._lock:
            self._made_at = float("-inf")


recent_health_report = _ReportMemo()
