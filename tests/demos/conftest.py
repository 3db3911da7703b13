"""Fixtures shared by the demo-run tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def sent_tasks(request, monkeypatch):
    """Record what would reach the broker, without a broker, so no later worker reads these tests' tasks;
    tests that run tasks eagerly or take the broker down send them for real."""
    from quizapp.demos import tasks

    sent = []
    if not {"eager_celery", "broker_down", "broker_silent"} & set(request.fixturenames):
        monkeypatch.setattr(tasks.run_demo, "apply_async", lambda args, queue: sent.append((args, queue)))
    return sent
