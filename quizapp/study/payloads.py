"""JSON bodies of the study API's hot responses (the queue, a rating with the next card), built as
plain dicts: DRF serializers spent more time building their fields than the database spent
answering. serializers.py describes the same shapes for the OpenAPI schema and serves the other
endpoints; tests/study/test_payloads.py holds each function here to its serializer's output."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from fsrs import Scheduler
from rest_framework import serializers

from quizapp.study import scheduling
from quizapp.study.models import CardState, ReviewLog
from quizapp.study.queue import QueueCard, StudyQueue
from quizapp.study.selectors import retrievability_with

# DRF's own fields format dates, so the text is exactly what the serializers would give.
_DATETIME, _DATE = serializers.DateTimeField(), serializers.DateField()


def _datetime(value: datetime | None) -> str | None:
    return _DATETIME.to_representation(value) if value is not None else None


def card_payload(card: CardState, *, scheduler: Scheduler, now: datetime) -> dict:
    """serializers.CardStateSerializer's fields."""
    return {
        "id": card.pk, "question": card.question_id, "state": card.state, "step": card.step,
        "stability": card.stability, "difficulty": card.difficulty, "due": _datetime(card.due),
        "last_review": _datetime(card.last_review), "reps": card.reps, "lapses": card.lapses,
        "is_leech": card.is_leech, "suspended": card.suspended,
        "buried_until": _DATE.to_representation(card.buried_until) if card.buried_until else None,
        "retrievability": retrievability_with(scheduler, card=card, now=now),
    }


def log_payload(log: ReviewLog, *, question_id: int) -> dict:
    """serializers.ReviewLogSerializer's fields."""
    return {
        "id": log.pk, "card": log.card_id, "question": question_id, "rating": log.rating,
        "reviewed_at": _datetime(log.reviewed_at), "duration_ms": log.duration_ms, "state_before": log.state_before,
        "source": log.source, "client_id": str(log.client_id),
    }


def own_card_edit_url(queued: QueueCard) -> str | None:
    """Where the learner edits the card, for their own cards; studying comes back to the study page."""
    return f"{reverse('questions:own-edit', args=[queued.card_id])}?from=study" if queued.own else None


def queue_card_payload(queued: QueueCard, *, scheduler: Scheduler, preview_scheduler: Scheduler,
                       now: datetime) -> dict:
    """serializers.QueueCardSerializer's fields."""
    card = queued.card
    intervals = scheduling.next_intervals(card, preview_scheduler, now=now)
    return {
        "question": queued.question_id, "card_id": queued.card_id, "state": card.state, "reps": card.reps,
        "lapses": card.lapses, "is_leech": card.is_leech, "topic": queued.topic, "difficulty": queued.difficulty,
        "prompt": queued.prompt, "answer_html": queued.answer_html, "demo_ids": list(queued.demo_ids),
        "edit_url": own_card_edit_url(queued),
        "retrievability": retrievability_with(scheduler, card=card, now=now),
        "intervals": {str(rating): round(interval.total_seconds()) for rating, interval in intervals.items()},
    }


def queue_payload(queue: StudyQueue, *, scheduler: Scheduler, preview_scheduler: Scheduler, now: datetime) -> dict:
    """serializers.QueueSerializer's fields."""
    return {
        "day": _DATE.to_representation(queue.day.day),
        "counts": {"new": queue.counts.new, "learning": queue.counts.learning, "review": queue.counts.review},
        "cards": [queue_card_payload(queued, scheduler=scheduler, preview_scheduler=preview_scheduler, now=now)
                  for queued in queue.cards],
        "next_learning_due": _datetime(queue.next_learning_due),
    }
