"""Fixtures shared by the demo-run tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def sent_tasks(monkeypatch):
    """Record what would reach the broker, without a broker (the eager tests below run tasks)."""
    from quizapp.demos import tasks

    sent = []
    monkeypatch.setattr(tasks.run_demo, "apply_async", lambda args, queue: sent.append((args, queue)))
    return sent
