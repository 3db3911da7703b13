"""Reads of the study app: settings, retrievability, cards, logs (today's queue: queue.py). None of them writes."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Q, QuerySet
from fsrs import Scheduler

from quizapp.study import scheduling
from quizapp.study.models import CardState, ReviewLog, SchedulerOptimization, StudySettings

State = CardState.State


def study_settings_get(*, user) -> StudySettings:
    """The learner's settings: until they first save some, the defaults, unsaved (a read never writes)."""
    return StudySettings.objects.filter(user=user).first() or StudySettings(user=user)


def optimal_retention_latest(*, user) -> SchedulerOptimization | None:
    """The learner's latest fit that found their optimal retention (a later fit that failed keeps it shown)."""
    return (SchedulerOptimization.objects.filter(user=user, status=SchedulerOptimization.Status.SUCCEEDED,
                                                 optimal_retention__isnull=False).first())


def chosen_topic_ids(*, user) -> set[int]:
    """The topics the learner studies; empty when they study every topic."""
    return set(StudySettings.topics.through.objects.filter(studysettings__user=user).values_list("topic_id", flat=True))


def card_states_for_user(*, user) -> QuerySet[CardState]:
    return CardState.objects.filter(user=user).select_related("question", "question__topic")


def review_logs_for_user(*, user) -> QuerySet[ReviewLog]:
    return ReviewLog.objects.filter(user=user).select_related("card__question")


def leeches_for_user(*, user) -> QuerySet[CardState]:
    """Leeches of questions still in the corpus: a retired one can no longer come up, so it needs no action."""
    return card_states_for_user(user=user).filter(is_leech=True, question__retired=False).order_by("-lapses")


def set_aside_for_user(*, user, day: date) -> QuerySet[CardState]:
    """Cards the learner took out of the queue by hand, of questions still in the corpus: suspended ones
    and ones buried past `day`, the learner's study day (leeches have their own list, buried or not)."""
    return (card_states_for_user(user=user)
            .filter(Q(suspended=True) | Q(buried_until__gt=day), is_leech=False, question__retired=False)
            .order_by("question__topic__position", "question__position"))


def topics_left_out_of_study(*, user, topics) -> list:
    """Those of `topics` the learner's settings leave out (none when they study every topic)."""
    chosen = chosen_topic_ids(user=user)
    return sorted({topic for topic in topics if chosen and topic.pk not in chosen}, key=lambda topic: topic.position)


def scheduler_for_user(*, user_id: int) -> Scheduler:
    """The learner's scheduler (the fsrs defaults until they save settings)."""
    return scheduling.scheduler_for(StudySettings.objects.filter(user_id=user_id).first() or StudySettings())


def card_retrievability(*, card: CardState, now: datetime) -> float | None:
    """The predicted chance of recalling the card now; None for a card never reviewed.
    One query per call: for many cards, build scheduler_for_user once and call retrievability_with."""
    if card.state == State.NEW or card.stability is None:
        return None
    return retrievability_with(scheduler_for_user(user_id=card.user_id), card=card, now=now)


def retrievability_with(scheduler: Scheduler, *, card: CardState, now: datetime) -> float | None:
    if card.state == State.NEW or card.stability is None:
        return None
    return float(scheduler.get_card_retrievability(scheduling.to_fsrs_card(card), scheduling.as_utc(now)))
