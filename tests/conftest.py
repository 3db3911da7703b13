"""Shared fixtures: the named users alice and bob, logged-in clients, eager or real Celery."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from quizapp.celery import app as celery_app
from tests.worker import WorkerProcess

PASSWORD = "correct-horse-battery"
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


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", "alice@example.org", PASSWORD)


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", "bob@example.org", PASSWORD)


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


@pytest.fixture
def broker_down():
    """The Celery app pointed at a Redis port nothing listens on: publishing fails as it does when
    the broker is down (connection refused), through the real client."""
    key, previous = "CELERY_BROKER_URL", celery_app.conf["CELERY_BROKER_URL"]

    def use(url: str) -> None:
        celery_app.conf[key] = url
        celery_app._pool = celery_app.amqp._producer_pool = None  # reconnect with the new URL

    use("redis://127.0.0.1:1/0")
    yield
    use(previous)


@pytest.fixture
def celery_worker(transactional_db):
    """A real worker process on the configured broker, consuming `demos`, ready before the test."""
    worker = WorkerProcess(name="integration")
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()
