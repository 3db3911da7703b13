"""Fixtures of the study tests; their questions come from tests.factories, not from the corpus."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def no_fuzz(settings):
    """Intervals exactly as fsrs computes them (fuzz is random)."""
    settings.STUDY_FSRS_FUZZ = False


@pytest.fixture
def make_question(db):
    """tests.factories.make_question, with the database at hand."""
    return factories.make_question


@pytest.fixture
def five_questions(make_question):
    return [make_question() for _ in range(5)]


@pytest.fixture(autouse=True)
def sent_fits(request, monkeypatch):
    """Record the fits a request would queue instead of sending them to a broker a later worker reads
    (their ids would name other tests' rows), unless the test runs them eagerly or takes the broker down."""
    sent = []
    if not {"eager_celery", "broker_down"} & set(request.fixturenames):
        from quizapp.study import tasks

        monkeypatch.setattr(tasks.optimize_scheduler, "apply_async", lambda args, **options: sent.append(args))
    return sent
