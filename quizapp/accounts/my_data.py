"""Everything of one learner's, as one JSON document (the "download my data" of the account page),
and deleting the account with all of it.

The document names cards by their card IDs and topics by their slugs, not by database ids, so it
reads on its own and means the same after the corpus is reloaded elsewhere."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone

from questions.models import Question
from questions.services import anki_exports_forget
from quizapp.demos.models import DemoRequest
from quizapp.interviews.models import Interview
from quizapp.interviews.recordings import recording_url
from quizapp.study.models import CardState, ReviewLog, StudySettings

FORMAT_VERSION = 1


def _fields(row: models.Model, *, leave_out: tuple[str, ...] = ()) -> dict:
    """The row's own columns (no ids, no foreign keys: the caller names what they point at)."""
    return {field.name: field.value_from_object(row) for field in row._meta.concrete_fields
            if not (field.primary_key or field.is_relation or field.name in leave_out)}


def account_data(*, user: AbstractBaseUser) -> dict:
    settings = StudySettings.objects.filter(user=user).prefetch_related("topics").first()
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now(),
        "account": {"username": user.get_username(), "email": user.email, "date_joined": user.date_joined,
                    "last_login": user.last_login},
        "study_settings": settings and {**_fields(settings),
                                        "topics": [topic.slug for topic in settings.topics.all()]},
        "cards": [{"card_id": card.question.card_id, **_fields(card)}
                  for card in CardState.objects.filter(user=user).select_related("question").order_by("id")],
        "reviews": [{"card_id": log.card.question.card_id, **_fields(log)}
                    for log in ReviewLog.objects.filter(user=user).select_related("card__question")
                    .order_by("reviewed_at", "id")],
        "own_cards": [{"card_id": question.card_id, "topic": question.topic.slug,
                       "tags": [tag.name for tag in question.tags.all()],
                       **_fields(question, leave_out=("card_id", "search_text", "search_tokens", "search_head",
                                                     "answer_html_en", "answer_html_zh"))}
                      for question in Question.objects.filter(owner=user).select_related("topic")
                      .prefetch_related("tags").order_by("id")],
        "interviews": [_interview(interview) for interview in Interview.objects.filter(user=user)
                       .prefetch_related("topics", "items__question", "items__recording")
                       .order_by("created_at")],
        "demo_runs": [{"demo_id": request.run.demo_id, "params": request.run.params, "status": request.run.status,
                       "from_cache": request.from_cache, "requested_at": request.requested_at}
                      for request in DemoRequest.objects.filter(user=user).select_related("run")
                      .order_by("requested_at")],
    }


def _interview(interview: Interview) -> dict:
    return {"id": interview.id, **_fields(interview), "topics": [topic.slug for topic in interview.topics.all()],
            "items": [{"card_id": item.question.card_id, "follow_up": item.is_follow_up, **_fields(item),
                       "recording": _recording(item)}
                      for item in interview.items.all()]}


def _recording(item) -> dict | None:
    """A spoken answer's details and transcript; its audio stays a download of its own (the address here):
    a document of every recording's bytes could reach gigabytes."""
    recording = item.spoken_answer
    if recording is None:
        return None
    return {**_fields(recording, leave_out=("audio",)),
            "audio_url": recording_url(item, audio=True)}


@transaction.atomic
def account_delete(*, user: AbstractBaseUser) -> None:
    """The account and everything of it: settings, card states and reviews, own cards, interviews and their
    recordings (whose files go once this commits), demo requests and tokens (each cascades from the user),
    the files of their Anki decks. Demo runs stay: they are shared results, and only lose the name of who
    first asked."""
    anki_exports_forget(owner=user)
    user.delete()
