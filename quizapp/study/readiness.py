"""Ready by the interview: how many new cards a day show every card of the chosen topics a week before the
learner's interview date, and per topic how ready they are (cards seen, predicted recall on the day, the
mock interview scores, latest last). Reads only."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count

from questions.models import Question, Topic
from quizapp.interviews.selectors import topic_score_history
from quizapp.study import scheduling
from quizapp.study.days import study_day_for, study_day_of
from quizapp.study.models import CardState, StudySettings
from quizapp.study.selectors import chosen_topic_ids, retrievability_with

LEAD_DAYS = 7  # every card seen at least this many days before the interview
RECENT_SCORES = 5  # the mock interview scores a topic's row shows as its trend


class PlanStatus:
    AHEAD = "ahead"  # a week or more to go: the plan spreads the unseen cards until a week before
    CLOSE = "close"  # less than a week: the best left is to see them all by the day before
    DONE = "done"  # every card seen already
    TODAY = "today"  # the interview is today: no day left for new cards
    PASSED = "passed"


@dataclass(frozen=True)
class Plan:
    interview_date: date
    today: date
    unseen: int
    status: str
    deadline: date | None  # the last day to see new cards: a week before, or the day before when closer
    days: int  # study days from today through the deadline (0: none left)
    per_day: int | None  # the new cards a day that see every unseen card by the deadline; None: no day left


def plan_for(*, today: date, interview_date: date, unseen: int) -> Plan:
    """Unseen cards ÷ study days left (today through the deadline), rounded up."""
    a_week_before = interview_date - timedelta(days=LEAD_DAYS)
    if interview_date < today:
        status, deadline = PlanStatus.PASSED, None
    elif interview_date == today:
        status, deadline = PlanStatus.TODAY, None
    elif unseen == 0:
        status, deadline = PlanStatus.DONE, max(today, a_week_before)
    elif a_week_before >= today:
        status, deadline = PlanStatus.AHEAD, a_week_before
    else:
        status, deadline = PlanStatus.CLOSE, interview_date - timedelta(days=1)
    days = (deadline - today).days + 1 if deadline else 0
    per_day = math.ceil(unseen / days) if days else None
    return Plan(interview_date=interview_date, today=today, unseen=unseen, status=status, deadline=deadline,
                days=days, per_day=per_day)


def last_new_card_day(*, today: date, unseen: int, per_day: int) -> date | None:
    """The day the last unseen card comes at `per_day` new cards a day (today counts); None: never."""
    if unseen == 0:
        return today
    if per_day <= 0:
        return None
    return today + timedelta(days=math.ceil(unseen / per_day) - 1)


@dataclass(frozen=True)
class TopicReadiness:
    topic: Topic
    cards: int
    seen: int
    # Mean predicted recall on the day over every card of the topic, an unseen card counting as 0 (not
    # known); and over the seen cards alone. None while no card of the topic has been seen.
    recall: float | None
    recall_of_seen: float | None
    interview_score: float | None  # the topic's items in the latest reviewed interview that had any
    interview_at: datetime | None
    # The topic's score in each reviewed interview that asked it, oldest first (the latest is interview_score).
    interview_scores: tuple[float, ...] = ()

    @property
    def recent_interview_scores(self) -> tuple[float, ...]:
        return self.interview_scores[-RECENT_SCORES:]

    @property
    def unseen(self) -> int:
        return self.cards - self.seen


@dataclass(frozen=True)
class Readiness:
    study_settings: StudySettings
    today: date
    projected_to: datetime  # when recall is predicted for: the interview day's start, or now once it came
    topics: list[TopicReadiness]
    plan: Plan | None  # None without an interview date

    @property
    def unseen(self) -> int:
        return sum(row.unseen for row in self.topics)

    @property
    def seen(self) -> int:
        return sum(row.seen for row in self.topics)

    @property
    def last_new_card_day(self) -> date | None:
        """When the last unseen card comes at the learner's current new cards a day."""
        return last_new_card_day(today=self.today, unseen=self.unseen,
                                 per_day=self.study_settings.new_cards_per_day)


def _topics(*, user) -> list[Topic]:
    """The chosen topics, or every topic when none are chosen; only those with a card the learner may study."""
    questions = Question.objects.for_viewer(user).active()
    chosen = chosen_topic_ids(user=user)
    if chosen:
        questions = questions.filter(topic__in=chosen)
    return list(Topic.objects.filter(pk__in=questions.values("topic")).order_by("position", "slug"))


def projection_moment(*, study_settings: StudySettings, now: datetime) -> datetime:
    """The start of the interview's study day (the learner's day-start hour in their zone); now once it came."""
    day = study_day_of(day=study_settings.interview_date, timezone_name=study_settings.timezone,
                       day_start_hour=study_settings.day_start_hour)
    return max(day.starts_at, now)


def readiness_for(*, user, study_settings: StudySettings, now: datetime) -> Readiness:
    today = study_day_for(study_settings=study_settings, now=now).day
    projected_to = projection_moment(study_settings=study_settings, now=now) if study_settings.interview_date else now
    topics = _topics(user=user)
    topic_ids = [topic.pk for topic in topics]
    cards = dict(Question.objects.for_viewer(user).active().filter(topic__in=topic_ids)
                 .values("topic").annotate(n=Count("pk")).values_list("topic", "n"))
    scheduler = scheduling.scheduler_for(study_settings)
    recalls: dict[int, list[float]] = {topic_id: [] for topic_id in topic_ids}
    seen_cards = (CardState.objects.filter(user=user, question__retired=False, question__topic__in=topic_ids,
                                           stability__isnull=False)
                  .exclude(state=CardState.State.NEW).select_related("question"))
    for card in seen_cards:
        recalls[card.question.topic_id].append(retrievability_with(scheduler, card=card, now=projected_to))
    scores = topic_score_history(user=user, topic_ids=topic_ids)
    rows = []
    for topic in topics:
        values, total = recalls[topic.pk], cards.get(topic.pk, 0)
        history = scores.get(topic.pk, [])
        latest = history[-1] if history else None
        rows.append(TopicReadiness(
            topic=topic, cards=total, seen=len(values),
            recall=sum(values) / total if values else None,
            recall_of_seen=sum(values) / len(values) if values else None,
            interview_score=latest and latest.score, interview_at=latest and latest.reviewed_at,
            interview_scores=tuple(point.score for point in history)))
    unseen = sum(row.unseen for row in rows)
    plan = (plan_for(today=today, interview_date=study_settings.interview_date, unseen=unseen)
            if study_settings.interview_date else None)
    return Readiness(study_settings=study_settings, today=today, projected_to=projected_to, topics=rows, plan=plan)


def _seen_by_day(readiness: Readiness) -> dict | None:
    """Cards seen at the end of each day until the interview, at the plan's rate and at the learner's."""
    plan = readiness.plan
    if plan is None or plan.status not in (PlanStatus.AHEAD, PlanStatus.CLOSE):
        return None
    seen, total = readiness.seen, readiness.seen + readiness.unseen
    current = readiness.study_settings.new_cards_per_day
    days = [plan.today + timedelta(days=offset) for offset in range((plan.interview_date - plan.today).days + 1)]
    return {"days": [day.isoformat() for day in days], "total": total, "deadline": plan.deadline.isoformat(),
            "per_day": plan.per_day, "current_per_day": current,
            "plan": [min(total, seen + plan.per_day * (offset + 1)) for offset in range(len(days))],
            "current": [min(total, seen + current * (offset + 1)) for offset in range(len(days))]}


def chart_data(readiness: Readiness) -> dict:
    """What plan.js draws: per topic, percentages of cards seen, predicted recall and the latest score; and
    the cards seen by each day until the interview at the plan's rate and at the learner's own."""
    def percent(value):
        return None if value is None else round(value * 100, 1)

    return {"topics": [row.topic.title for row in readiness.topics],
            "seen": [percent(row.seen / row.cards) if row.cards else None for row in readiness.topics],
            "recall": [percent(row.recall) for row in readiness.topics],
            "score": [percent(row.interview_score) for row in readiness.topics],
            "seen_by_day": _seen_by_day(readiness)}
