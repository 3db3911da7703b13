"""Reads of the study app: settings, retrievability, cards, logs (today's queue: queue.py). None of them writes."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

from django.db.models import Q, QuerySet
from fsrs import Scheduler

from questions.apkg_schedule import Schedule, ScheduledCard, ScheduledReview
from quizapp.study import days, scheduling
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


def anki_schedule(*, user, question_ids, now: datetime) -> Schedule:
    """The learner's schedule of these questions as an Anki package carries it (questions.apkg_schedule),
    their cards keyed by question id: memory states, due days in their own calendar, every review."""
    study_settings = study_settings_get(user=user)
    scheduler = scheduling.scheduler_for(study_settings, fuzz=False)
    today = days.study_day_for(study_settings=study_settings, now=now)
    cards = CardState.objects.filter(user=user, question_id__in=list(question_ids))
    logs_by_card: dict[int, list[ReviewLog]] = {}
    for log in ReviewLog.objects.filter(user=user, card__in=cards).order_by("reviewed_at", "id"):
        logs_by_card.setdefault(log.card_id, []).append(log)
    return Schedule(
        cards={card.question_id: _scheduled_card(card, logs_by_card.get(card.pk, []), study_settings, today=today.day)
               for card in cards},
        today=today.day, today_starts_at=today.starts_at, fsrs_parameters=[float(w) for w in scheduler.parameters],
        desired_retention=study_settings.desired_retention, new_per_day=study_settings.new_cards_per_day,
        reviews_per_day=study_settings.reviews_per_day, zone=zoneinfo.ZoneInfo(study_settings.timezone),
        day_start_hour=study_settings.day_start_hour, learning_steps=tuple(scheduler.learning_steps),
        relearning_steps=tuple(scheduler.relearning_steps))


def _scheduled_card(card: CardState, logs: list[ReviewLog], study_settings: StudySettings, *,
                    today: date) -> ScheduledCard:
    # A log keeps the card as it was before its rating; the card after it is the next log's "before",
    # or the card as it is now for the last one.
    afters = [log.previous_state for log in logs[1:]] + [scheduling.snapshot(card)] if logs else []
    reviews = tuple(ScheduledReview(
        reviewed_at=log.reviewed_at, rating=log.rating, duration_ms=log.duration_ms, state_before=log.state_before,
        state_after=after["state"], due_after=datetime.fromisoformat(after["due"]),
        difficulty_after=after["difficulty"]) for log, after in zip(logs, afters, strict=True))
    return ScheduledCard(
        state=card.state, step=card.step, due=card.due,
        due_day=days.study_day_at(moment=card.due, timezone_name=study_settings.timezone,
                                  day_start_hour=study_settings.day_start_hour).day,
        last_review=card.last_review, stability=card.stability, difficulty=card.difficulty, reps=card.reps,
        lapses=card.lapses, suspended=card.suspended,
        buried=card.buried_until is not None and card.buried_until > today, reviews=reviews)
