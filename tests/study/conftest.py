"""Questions made here, not taken from the corpus, so the tests do not depend on its content."""

from __future__ import annotations

import itertools

import pytest

from questions.models import Question, Topic

_numbers = itertools.count(1)


@pytest.fixture
def no_fuzz(settings):
    """Intervals exactly as fsrs computes them (fuzz is random)."""
    settings.STUDY_FSRS_FUZZ = False


@pytest.fixture
def make_question(db):
    def make(*, topic: str = "basics", difficulty: int = 2, position: int | None = None) -> Question:
        number = next(_numbers)
        topic_row, _ = Topic.objects.get_or_create(slug=topic, defaults={"title_en": topic, "title_zh": topic,
                                                                         "position": len(topic)})
        return Question.objects.create(
            card_id=f"q-{number}", topic=topic_row, difficulty=difficulty,
            position=number if position is None else position,
            question_en=f"Question {number}?", question_zh=f"问题 {number}?",
            answer_en=f"Answer {number}.", answer_zh=f"答案 {number}。",
            answer_html_en=f"<p>Answer {number} with <span class=\"math inline\">x^{number}</span>.</p>",
            answer_html_zh=f"<p>答案 {number}。</p>")

    return make


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
