"""Reads for the statistics page: everything grouped by the learner's own study days."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, TruncDate

from questions.models import Question
from quizapp.study import scheduling
from quizapp.study.days import study_date, study_day_for, study_day_of
from quizapp.study.models import CardState, ReviewLog, StudySettings
from quizapp.study.selectors import retrievability_with, study_settings_get

HEATMAP_DAYS = 365
FORECAST_DAYS = 30
TIME_SPENT_DAYS = 30
RETENTION_WINDOWS = (7, 30)
RETRIEVABILITY_BINS = 10


def _totals_by_study_day(queryset, field: str, study_settings: StudySettings, **totals) -> dict[date, dict]:
    """Sum `totals` (Count, Sum) over the study day each row's `field` falls in.

    The database groups by local date and hour and days.study_date maps each group to its study day,
    exactly as the queue assigns "today". Shifting by the day-start hour in SQL instead would shift
    in UTC, putting the first hours after a daylight-saving change on the wrong day."""
    zone = zoneinfo.ZoneInfo(study_settings.timezone)
    rows = (queryset.annotate(local_date=TruncDate(field, tzinfo=zone), local_hour=ExtractHour(field, tzinfo=zone))
            .values("local_date", "local_hour").annotate(**totals).order_by("local_date", "local_hour"))
    by_day: dict[date, dict] = {}
    for row in rows:
        day = study_date(local_date=row["local_date"], local_hour=row["local_hour"],
                         day_start_hour=study_settings.day_start_hour)
        day_totals = by_day.setdefault(day, dict.fromkeys(totals, 0))
        for name in totals:
            day_totals[name] += row[name] or 0
    return by_day


def _day_start(day: date, study_settings: StudySettings) -> datetime:
    return study_day_of(day=day, timezone_name=study_settings.timezone,
                        day_start_hour=study_settings.day_start_hour).starts_at


def _reviews_per_day(*, user, study_settings: StudySettings, first_day: date) -> dict[date, dict]:
    logs = ReviewLog.objects.filter(user=user, reviewed_at__gte=_day_start(first_day, study_settings))
    return _totals_by_study_day(logs, "reviewed_at", study_settings, reviews=Count("pk"),
                                milliseconds=Sum("duration_ms"))


def _forecast(*, user, study_settings: StudySettings, today: date) -> list[list]:
    """Cards due on each of the next days; overdue ones count as due today. Retired questions never come due."""
    end = _day_start(today + timedelta(days=FORECAST_DAYS), study_settings)
    cards = _current_cards(user=user).filter(suspended=False, due__lt=end).exclude(state=CardState.State.NEW)
    per_day = _totals_by_study_day(cards, "due", study_settings, cards=Count("pk"))
    due = {day: row["cards"] for day, row in per_day.items()}
    overdue = sum(count for day, count in due.items() if day < today)
    return [[(today + timedelta(days=offset)).isoformat(),
             due.get(today + timedelta(days=offset), 0) + (overdue if offset == 0 else 0)]
            for offset in range(FORECAST_DAYS)]


def _true_retention(*, user, study_settings: StudySettings, today: date) -> list[dict]:
    """Share of reviews of cards in the review state that were not forgotten (Anki's "true retention")."""
    windows = []
    for days in RETENTION_WINDOWS:
        since = _day_start(today - timedelta(days=days - 1), study_settings)
        totals = ReviewLog.objects.filter(user=user, state_before=CardState.State.REVIEW,
                                          reviewed_at__gte=since).aggregate(
            reviews=Count("pk"), passed=Count("pk", filter=Q(rating__gt=1)))
        retention = totals["passed"] / totals["reviews"] if totals["reviews"] else None
        windows.append({"days": days, "reviews": totals["reviews"], "retention": retention})
    return windows


def _current_cards(*, user) -> QuerySet[CardState]:
    """The learner's cards of questions still in the corpus. Their reviews of retired ones still
    count in the history (heat-map, retention, time spent)."""
    return CardState.objects.filter(user=user, question__retired=False)


def _cards_by_state(*, user) -> dict[str, int]:
    """Every card in exactly one slice, since the chart is a doughnut: leeches, then the other suspended
    cards, then the rest by FSRS state; questions never studied count as new."""
    cards = _current_cards(user=user)
    in_play = cards.filter(is_leech=False, suspended=False)
    counts = {row["state"]: row["cards"] for row in in_play.values("state").annotate(cards=Count("pk"))}
    by_state = {state: counts.get(state, 0) for state in CardState.State.values}
    by_state["new"] += Question.objects.for_viewer(user).active().exclude(card_states__user=user).count()
    set_apart = cards.aggregate(leeches=Count("pk", filter=Q(is_leech=True)),
                                suspended=Count("pk", filter=Q(is_leech=False, suspended=True)))
    return {**by_state, **set_apart}


def _retrievability_histogram(*, user, study_settings: StudySettings, now: datetime) -> dict:
    scheduler = scheduling.scheduler_for(study_settings)
    cards = _current_cards(user=user).filter(stability__isnull=False).exclude(state=CardState.State.NEW)
    values = [retrievability_with(scheduler, card=card, now=now) for card in cards]
    bins = [0] * RETRIEVABILITY_BINS
    for value in values:
        bins[min(RETRIEVABILITY_BINS - 1, int(value * RETRIEVABILITY_BINS))] += 1
    return {"bins": bins, "mean": sum(values) / len(values) if values else None}


def study_stats(*, user, now: datetime) -> dict:
    study_settings = study_settings_get(user=user)
    today = study_day_for(study_settings=study_settings, now=now).day
    first_day = today - timedelta(days=HEATMAP_DAYS - 1)
    per_day = _reviews_per_day(user=user, study_settings=study_settings, first_day=first_day)
    recent = [today - timedelta(days=offset) for offset in reversed(range(TIME_SPENT_DAYS))]
    today_row = per_day.get(today, {})
    return {
        "today": {"day": today.isoformat(), "reviews": today_row.get("reviews", 0),
                  "minutes": round((today_row.get("milliseconds") or 0) / 60000, 1)},
        "heatmap": {"first_day": first_day.isoformat(), "last_day": today.isoformat(),
                    "days": [[day.isoformat(), row["reviews"]] for day, row in per_day.items()]},
        "time_spent": [[day.isoformat(), round((per_day.get(day, {}).get("milliseconds") or 0) / 60000, 1)]
                       for day in recent],
        "forecast": _forecast(user=user, study_settings=study_settings, today=today),
        "true_retention": _true_retention(user=user, study_settings=study_settings, today=today),
        "cards_by_state": _cards_by_state(user=user),
        "retrievability": _retrievability_histogram(user=user, study_settings=study_settings, now=now),
        "total_reviews": ReviewLog.objects.filter(user=user).count(),
    }
