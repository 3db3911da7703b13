"""Every log line names the request (or Celery task) it belongs to.

A request's id comes from the proxy's X-Request-ID when it looks like an id, or is made here; it is
kept in a context variable for the request's duration, sent back as X-Request-ID, and added to every
log record by RequestIdFilter, so one grep finds a request's lines across web replicas and the proxy.
Django logs a request's error answers (django.request) after the middleware has returned: those records
carry the request, and the id is read from it. Inside a Celery task the record carries the task's id.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

import sentry_sdk
from celery import current_task
from celery.signals import setup_logging

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from nginx ($request_id), Heroku or a load balancer: letters, digits and a little punctuation.
# Anything else (a log-injection attempt, a megabyte of text) is replaced by our own.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
NO_ID = "-"

current_request_id: ContextVar[str] = ContextVar("current_request_id", default=NO_ID)
request_logger = logging.getLogger("quizapp.request")


def request_id_from(header: str | None) -> str:
    return header if header and _SANE_REQUEST_ID.fullmatch(header) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Outermost middleware: sets the request id and logs one line per request with its status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # for the lines Django writes once this middleware has returned
        token = current_request_id.set(request_id)
        sentry_sdk.set_tag("request_id", request_id)  # an error report names the log lines to read
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            self._log(request, response.status_code, started)
            return response
        finally:
            current_request_id.reset(token)

    @staticmethod
    def _log(request, status: int, started: float) -> None:
        # The container's health check calls /healthz every few seconds: not worth a line each time.
        level = logging.DEBUG if request.path == "/healthz" else logging.INFO
        duration_ms = round((time.monotonic() - started) * 1000)
        # Escaped as Django's own request lines are: a %0A in the address must not start a forged line.
        path = request.path.encode("unicode_escape").decode("ascii")
        request_logger.log(level, "%s %s %s %d ms", request.method, path, status, duration_ms,
                           extra={"method": request.method, "path": path, "status": status,
                                  "duration_ms": duration_ms})


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the request's, the running task's, or "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id.get()
        if request_id == NO_ID:  # Django's request lines come after the middleware; they carry the request
            request_id = getattr(getattr(record, "request", None), "request_id", NO_ID)
        if request_id == NO_ID and current_task:
            request_id = current_task.request.id or NO_ID
        record.request_id = request_id
        return True


@setup_logging.connect
def log_like_the_web(**kwargs) -> None:
    """Workers and beat log through Django's LOGGING (same format, task ids) instead of Celery's own."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
