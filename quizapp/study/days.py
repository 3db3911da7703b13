"""What "today" means for a learner: a study day runs from day_start_hour to day_start_hour the next
calendar day, in the learner's own time zone (Anki's "next day starts at")."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quizapp.study.models import StudySettings


@dataclass(frozen=True)
class StudyDay:
    day: date
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC, exclusive: the next study day's start


def _day_start(day: date, zone: zoneinfo.ZoneInfo, day_start_hour: int) -> datetime:
    # Each boundary is localised on its own, so a daylight-saving change inside the day is respected.
    return datetime.combine(day, time(hour=day_start_hour), tzinfo=zone).astimezone(UTC)


def study_date(*, local_date: date, local_hour: int, day_start_hour: int) -> date:
    """The study day of a wall-clock time: the hours before day_start_hour belong to the day before.
    The statistics group by local date and hour in the database and call this too, so that they
    and the queue always agree, on daylight-saving days as well."""
    return local_date - timedelta(days=1) if local_hour < day_start_hour else local_date


def study_day_at(*, moment: datetime, timezone_name: str, day_start_hour: int) -> StudyDay:
    local = moment.astimezone(zoneinfo.ZoneInfo(timezone_name))
    day = study_date(local_date=local.date(), local_hour=local.hour, day_start_hour=day_start_hour)
    return study_day_of(day=day, timezone_name=timezone_name, day_start_hour=day_start_hour)


def study_day_of(*, day: date, timezone_name: str, day_start_hour: int) -> StudyDay:
    zone = zoneinfo.ZoneInfo(timezone_name)
    return StudyDay(day=day, starts_at=_day_start(day, zone, day_start_hour),
                    ends_at=_day_start(day + timedelta(days=1), zone, day_start_hour))


def study_day_for(*, study_settings: StudySettings, now: datetime) -> StudyDay:
    """The learner's study day at `now`, by their time zone and day-start hour."""
    return study_day_at(moment=now, timezone_name=study_settings.timezone,
                        day_start_hour=study_settings.day_start_hour)
