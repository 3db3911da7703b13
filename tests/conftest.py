"""Shared fixtures: the named users alice and bob, logged-in clients, eager or real Celery."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from quizapp.celery import app as celery_app
from tests.worker import WorkerProcess

PASSWORD = "correct-horse-battery"


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
def celery_worker(transactional_db):
    """A real worker process on the configured broker, consuming `demos`, ready before the test."""
    worker = WorkerProcess(name="integration")
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()
