"""The study API builds its hottest bodies as plain dicts (payloads.py) while the OpenAPI schema
comes from the serializers: each body must be exactly what its serializer would give."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from questions.models import QuestionDemo
from quizapp.study import payloads, scheduling, services
from quizapp.study.models import CardState
from quizapp.study.queue import study_queue
from quizapp.study.serializers import CardStateSerializer, QueueSerializer, ReviewLogSerializer

pytestmark = pytest.mark.usefixtures("no_fuzz")
NOW = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def studied(alice, make_question):
    """A review card due now, a learning card, a leech buried until tomorrow, new cards with demos."""
    review, learning, leech, *new = (make_question() for _ in range(5))
    QuestionDemo.objects.create(question=new[0], demo_id="D2", position=2)
    QuestionDemo.objects.create(question=new[0], demo_id="D1", position=1)
    services.card_review(user=alice, question=review, rating=4, reviewed_at=NOW - timedelta(days=30))
    services.card_review(user=alice, question=learning, rating=1, reviewed_at=NOW - timedelta(minutes=15))
    services.card_review(user=alice, question=leech, rating=4, reviewed_at=NOW - timedelta(days=3))
    CardState.objects.filter(question=leech).update(is_leech=True, lapses=8, buried_until=date(2025, 3, 11))
    return alice


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_queue_body_is_the_queue_serializers(studied, language):
    study_settings = services.study_settings_get(user=studied)
    schedulers = {"scheduler": scheduling.scheduler_for(study_settings),
                  "preview_scheduler": scheduling.scheduler_for(study_settings, fuzz=False)}
    with translation.override(language):
        queue = study_queue(user=studied, now=NOW, limit=5)
        assert {card.state for card in queue.cards} == {"learning", "review", "new"}
        assert any(card.demo_ids == ["D1", "D2"] for card in queue.cards)
        expected = QueueSerializer({"day": queue.day.day, "counts": queue.counts, "cards": queue.cards,
                                    "next_learning_due": queue.next_learning_due},
                                   context={"now": NOW, **schedulers}).data
        assert payloads.queue_payload(queue, now=NOW, **schedulers) == expected


def test_the_queue_body_gives_the_time_of_the_next_learning_step(alice, make_question):
    services.card_review(user=alice, question=make_question(), rating=1, reviewed_at=NOW)
    study_settings = services.study_settings_get(user=alice)
    scheduler = scheduling.scheduler_for(study_settings)
    queue = study_queue(user=alice, now=NOW + timedelta(seconds=1), limit=1)
    queue = type(queue)(day=queue.day, counts=queue.counts, cards=[], next_learning_due=queue.cards[0].card.due)
    expected = QueueSerializer({"day": queue.day.day, "counts": queue.counts, "cards": [],
                                "next_learning_due": queue.next_learning_due}).data
    assert payloads.queue_payload(queue, now=NOW, scheduler=scheduler, preview_scheduler=scheduler) == expected


def test_the_review_bodies_are_the_card_and_log_serializers(studied, make_question):
    outcome = services.card_review_outcome(user=studied, question_id=make_question().pk, rating=2,
                                           reviewed_at=NOW, duration_ms=4200, client_id=uuid.uuid4())
    buried = CardState.objects.get(user=studied, is_leech=True)
    scheduler = scheduling.scheduler_for(outcome.study_settings)
    for card in (outcome.log.card, buried, CardState.objects.get(pk=outcome.log.card_id)):
        assert payloads.card_payload(card, scheduler=scheduler, now=NOW) == CardStateSerializer(
            card, context={"scheduler": scheduler, "now": NOW}).data
    assert payloads.log_payload(outcome.log, question_id=outcome.log.card.question_id) == ReviewLogSerializer(
        outcome.log).data
