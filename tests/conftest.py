"""Shared fixtures: the named users alice and bob, logged-in clients, eager or real Celery."""

from __future__ import annotations

import contextlib
import os
import socket

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from quizapp.celery import app as celery_app
from quizapp.core.health import recent_health_report
from tests.factories import make_user
from tests.worker import running_worker

# The suite calls the API from one address far faster than a person: servers it starts in other
# processes (gunicorn, workers) read these; this process's rates come from `generous_throttles`.
GENEROUS_RATE = "100000/min"
for _variable in ("API_THROTTLE_ANON", "API_THROTTLE_USER", "API_THROTTLE_LOGIN"):
    os.environ.setdefault(_variable, GENEROUS_RATE)


@pytest.fixture(autouse=True)
def generous_throttles(monkeypatch):
    """Every throttle scope at GENEROUS_RATE; tests of throttling set their own (tests/accounts)."""
    rates = {scope: GENEROUS_RATE for scope in SimpleRateThrottle.THROTTLE_RATES}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    return rates


@pytest.fixture(autouse=True)
def fresh_health_report():
    """/healthz reuses its report for a few seconds per process: each test's first ask probes anew."""
    recent_health_report.forget()


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def alice_api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def bob_api(bob):
    client = APIClient()
    client.force_authenticate(bob)
    return client


@pytest.fixture
def eager_celery():
    """Run tasks inline, in this process (unit tests only; integration tests start a worker)."""
    # The app reads Django settings under the CELERY_ namespace: the prefixed key is the one that counts.
    previous = celery_app.conf["CELERY_TASK_ALWAYS_EAGER"]
    celery_app.conf["CELERY_TASK_ALWAYS_EAGER"] = True
    assert celery_app.conf.task_always_eager
    yield celery_app
    celery_app.conf["CELERY_TASK_ALWAYS_EAGER"] = previous


@contextlib.contextmanager
def redis_broker_at(url: str):
    """The Celery app publishing to `url` through the real Redis client, with the transport options a
    deployment with REDIS_URL has (whatever broker this run uses)."""
    keys = ("CELERY_BROKER_URL", "CELERY_BROKER_TRANSPORT_OPTIONS", "CELERY_BROKER_TRANSPORT")
    previous = [celery_app.conf[key] for key in keys]

    def use(values) -> None:
        celery_app.conf.update(zip(keys, values, strict=True))
        celery_app._pool = celery_app.amqp._producer_pool = None  # reconnect with the new URL

    use([url, settings.REDIS_BROKER_TRANSPORT_OPTIONS, None])  # None: the transport the URL names
    try:
        yield
    finally:
        use(previous)


@pytest.fixture
def broker_down():
    """The Celery app pointed at a Redis port nothing listens on: publishing fails as it does when
    the broker is down (connection refused), through the real client."""
    with redis_broker_at("redis://127.0.0.1:1/0"):
        yield


@pytest.fixture
def broker_silent():
    """The Celery app pointed at a listener that accepts connections and never answers, as a hung Redis
    or a half-open network path does: the kernel completes each handshake into the backlog; nobody reads."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        host, port = listener.getsockname()
        with redis_broker_at(f"redis://{host}:{port}/0"):
            yield f"redis://{host}:{port}/0"


@pytest.fixture
def celery_worker(transactional_db):
    """A real worker process on the configured broker, consuming `demos`, ready before the test."""
    with running_worker(name="integration") as worker:
        yield worker
