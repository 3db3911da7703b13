"""Reads of the study app: today's queue and counters, retrievability, cards, logs, optimisations."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from fsrs import Scheduler

from questions.models import Question
from quizapp.study import scheduling, services
from quizapp.study.days import StudyDay, study_day_for
from quizapp.study.models import CardState, ReviewLog, SchedulerOptimization, StudySettings

State = CardState.State
LEARNING_STATES = (State.LEARNING, State.RELEARNING)
# Learning steps are minutes long; like Anki, show one that is due within this window rather than
# ending the session a few minutes early.
LEARN_AHEAD = timedelta(minutes=20)


@dataclass(frozen=True)
class QueueCounts:
    new: int
    learning: int
    review: int

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


@dataclass(frozen=True)
class StudyQueue:
    day: StudyDay
    counts: QueueCounts
    cards: list[CardState]  # new cards without a row come as unsaved CardState objects
    next_learning_due: datetime | None  # when nothing is due now but a learning step is later today


def card_states_for_user(*, user) -> QuerySet[CardState]:
    return CardState.objects.filter(user=user).select_related("question", "question__topic")


def review_logs_for_user(*, user) -> QuerySet[ReviewLog]:
    return ReviewLog.objects.filter(user=user).select_related("card__question")


def leeches_for_user(*, user) -> QuerySet[CardState]:
    """Leeches of questions still in the corpus: a retired one can no longer come up, so it needs no action."""
    return card_states_for_user(user=user).filter(is_leech=True, question__retired=False).order_by("-lapses")


def scheduler_for_user(*, user_id: int) -> Scheduler:
    """The learner's scheduler, without creating their settings (the fsrs defaults until they exist)."""
    return scheduling.scheduler_for(StudySettings.objects.filter(user_id=user_id).first())


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


def _active_cards(*, user, topic_ids: list[int], day: StudyDay) -> QuerySet[CardState]:
    """Studied cards the learner may see today: not suspended, not buried, in the chosen topics, of a
    question still in the corpus (a retired question's card keeps its state in case it comes back)."""
    cards = (CardState.objects.filter(user=user, suspended=False, question__retired=False).exclude(state=State.NEW)
             .filter(Q(buried_until__isnull=True) | Q(buried_until__lte=day.day)))
    return cards.filter(question__topic__in=topic_ids) if topic_ids else cards


def _done_today(*, user, day: StudyDay) -> dict:
    return ReviewLog.objects.filter(user=user, source=ReviewLog.Source.STUDY, reviewed_at__gte=day.starts_at,
                                    reviewed_at__lt=day.ends_at).aggregate(
        new=Count("pk", filter=Q(state_before=State.NEW)), review=Count("pk", filter=Q(state_before=State.REVIEW)))


def _new_questions(*, user, topic_ids: list[int], day: StudyDay) -> QuerySet[Question]:
    """Questions the learner has not started: no row, or a "new" row that is not set aside."""
    set_aside = CardState.objects.filter(user=user, question=OuterRef("pk")).exclude(
        Q(state=State.NEW, suspended=False) & (Q(buried_until__isnull=True) | Q(buried_until__lte=day.day)))
    questions = Question.objects.active().filter(~Exists(set_aside))
    return questions.filter(topic__in=topic_ids) if topic_ids else questions


def _ordered_new(*, user, study_settings: StudySettings, questions: QuerySet[Question], limit: int) -> list[int]:
    order = study_settings.new_card_order
    if order == StudySettings.NewCardOrder.SHUFFLED:
        # A fixed shuffle per learner, so the next new card does not change from one request to the next.
        ids = sorted(questions.values_list("pk", flat=True))
        random.Random(user.pk).shuffle(ids)
        return ids[:limit]
    if order == StudySettings.NewCardOrder.DIFFICULTY:
        questions = questions.order_by("difficulty", "topic__position", "position", "pk")
    else:
        questions = questions.order_by("topic__position", "position", "pk")
    return list(questions.values_list("pk", flat=True)[:limit])


def _new_cards(*, user, question_ids: list[int], now: datetime) -> list[CardState]:
    questions = Question.objects.select_related("topic").prefetch_related("demo_links").in_bulk(question_ids)
    rows = {card.question_id: card for card in CardState.objects.filter(user=user, question_id__in=question_ids)}
    return [rows.get(pk) or CardState(user=user, question=questions[pk], state=State.NEW, due=now)
            for pk in question_ids]


def study_queue(*, user, now: datetime | None = None, limit: int = 1,
                study_settings: StudySettings | None = None) -> StudyQueue:
    """Today's cards in study order: learning steps due now, due reviews, new cards, then learning
    steps due within LEARN_AHEAD; with the counters of new / learning / review cards left today."""
    now = now or timezone.now()
    study_settings = study_settings or services.study_settings_get(user=user)
    topic_ids = list(study_settings.topics.values_list("pk", flat=True))
    day = study_day_for(study_settings=study_settings, now=now)
    done = _done_today(user=user, day=day)
    new_left = max(0, study_settings.new_cards_per_day - done["new"])
    review_left = max(0, study_settings.reviews_per_day - done["review"])

    active = _active_cards(user=user, topic_ids=topic_ids, day=day)
    due_today = active.filter(due__lt=day.ends_at).aggregate(
        learning=Count("pk", filter=Q(state__in=LEARNING_STATES)), review=Count("pk", filter=Q(state=State.REVIEW)))
    new_questions = _new_questions(user=user, topic_ids=topic_ids, day=day)
    counts = QueueCounts(new=min(new_left, new_questions[:new_left].count()) if new_left else 0,
                         learning=due_today["learning"], review=min(review_left, due_today["review"]))

    # The counters say which lists can hold anything: no query for an empty one.
    with_question = active.select_related("question", "question__topic").prefetch_related("question__demo_links")
    learning = with_question.filter(state__in=LEARNING_STATES)
    cards = list(learning.filter(due__lte=now).order_by("due")[:limit]) if counts.learning else []
    if len(cards) < limit and counts.review:
        cards += with_question.filter(state=State.REVIEW, due__lt=day.ends_at).order_by("due")[
            :min(limit - len(cards), counts.review)]
    if len(cards) < limit and counts.new:
        new_ids = _ordered_new(user=user, study_settings=study_settings, questions=new_questions,
                               limit=min(limit - len(cards), counts.new))
        cards += _new_cards(user=user, question_ids=new_ids, now=now)
    if len(cards) < limit and counts.learning:
        cards += learning.filter(due__gt=now, due__lte=now + LEARN_AHEAD).order_by("due")[:limit - len(cards)]
    later = None
    if not cards and counts.learning:
        later = active.filter(state__in=LEARNING_STATES, due__gt=now).order_by("due").values_list(
            "due", flat=True).first()
    return StudyQueue(day=day, counts=counts, cards=cards, next_learning_due=later)


def _expired_if_stale(optimization: SchedulerOptimization, *, user) -> SchedulerOptimization:
    """Reading an unfinished fit first fails the learner's stale ones, so nothing shows "running" forever."""
    if not optimization.is_finished and services.scheduler_optimizations_expire_stale(user=user):
        optimization.refresh_from_db()
    return optimization


def optimization_latest(*, user) -> SchedulerOptimization | None:
    latest = SchedulerOptimization.objects.filter(user=user).first()
    return _expired_if_stale(latest, user=user) if latest is not None else None


def optimization_get(*, user, optimization_id: int) -> SchedulerOptimization:
    return _expired_if_stale(SchedulerOptimization.objects.get(pk=optimization_id, user=user), user=user)
