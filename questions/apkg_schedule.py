"""A learner's schedule written into an .apkg, in what genanki leaves out: card scheduling columns, the
review log (revlog) and an FSRS deck preset. The one place that knows how Anki stores them.

Anki's schema (collection.anki2, schema 11, as genanki writes it):
- cards: `type` (0 new, 1 learning, 2 review, 3 relearning), `queue` (the same, -1 suspended, -2 buried),
  `due` (new: a position; learning: epoch seconds; review: days since the collection's `crt`), `ivl`
  (days), `reps`, `lapses`, `left` (learning steps left: today's count * 1000 + all), and `data`, a JSON
  object holding the FSRS memory state: "s" stability (days), "d" difficulty (1 to 10), "dr" desired
  retention, "decay" (FSRS-6's last weight), "lrt" the last review (epoch seconds).
- revlog: `id` (the review's epoch milliseconds), `cid`, `ease` (the rating 1–4), `ivl` (the interval it set:
  days, or negative seconds while learning), `lastIvl`, `factor` (with FSRS: difficulty * 100), `time`
  (milliseconds spent), `type` (0 learning, 1 review, 2 relearning).
- col.dconf: presets; "fsrsParams6" and "desiredRetention" are FSRS's. A deck names its preset by "conf".
Anki's "include scheduling" import shifts review due days by the difference between the two collections'
"today", so a due day written here lands on the same calendar day in the learner's collection.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

PRESET_ID = 1_724_886_321  # fixed, so a newer export updates the learner's preset instead of adding one
PRESET_NAME = "DL Interview Trainer (FSRS)"
SECONDS_PER_DAY = 86_400
ANKI_CARD_TYPE = {"new": 0, "learning": 1, "review": 2, "relearning": 3}
ANKI_REVIEW_KIND = {"new": 0, "learning": 0, "review": 1, "relearning": 2}
SUSPENDED_QUEUE, BURIED_QUEUE = -1, -2
LEARNING_QUEUE = 1
STARTING_EASE = 2500  # Anki's SM-2 ease; FSRS ignores it, but a review card needs one


@dataclass(frozen=True)
class ScheduledReview:
    reviewed_at: datetime
    rating: int
    duration_ms: int
    state_before: str  # new, learning, review or relearning
    state_after: str
    due_after: datetime
    difficulty_after: float | None


@dataclass(frozen=True)
class ScheduledCard:
    state: str
    step: int | None
    due: datetime
    due_day: date  # the learner's study day of `due`
    last_review: datetime | None
    stability: float | None
    difficulty: float | None
    reps: int
    lapses: int
    suspended: bool
    buried: bool
    reviews: tuple[ScheduledReview, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """A learner's schedule for the notes of one package, their cards by note GUID and card ordinal (the
    template's, or a cloze number − 1)."""

    cards: Mapping[tuple[str, int], ScheduledCard]
    today: date  # the learner's study day now
    today_starts_at: datetime
    fsrs_parameters: list[float]
    desired_retention: float
    new_per_day: int
    reviews_per_day: int
    zone: ZoneInfo
    day_start_hour: int
    learning_steps: tuple[timedelta, ...] = field(default=(timedelta(minutes=1), timedelta(minutes=10)))
    relearning_steps: tuple[timedelta, ...] = field(default=(timedelta(minutes=10),))


def schedule_write(*, collection: sqlite3.Connection, schedule: Schedule) -> int:
    """Write `schedule` into a collection genanki has filled; returns how many reviews it wrote."""
    first_day = min([schedule.today, *(card.due_day for card in schedule.cards.values())])
    crt = schedule.today_starts_at - timedelta(days=(schedule.today - first_day).days)
    config = json.loads(collection.execute("SELECT conf FROM col").fetchone()[0])
    # genanki's collection claims Anki's old v1 scheduler, whose learning cards had three buttons:
    # Anki would renumber their ratings (Good becoming Easy) when it upgrades the collection.
    config["schedVer"] = 2
    # The day count starts on the learner's first day in their own time zone and day-start hour, so
    # Anki's "today" of this collection and the due days written here use one calendar.
    config["rollover"] = schedule.day_start_hour
    config["creationOffset"] = -round(crt.astimezone(schedule.zone).utcoffset().total_seconds() / 60)
    collection.execute("UPDATE col SET crt = ?, conf = ?", (int(crt.timestamp()), json.dumps(config)))
    _write_preset(collection, schedule)
    written = 0
    used_ids: set[int] = set()
    card_ids = {(guid, ord_): card_id for guid, ord_, card_id in collection.execute(
        "SELECT notes.guid, cards.ord, cards.id FROM cards JOIN notes ON notes.id = cards.nid")}
    for key, card in schedule.cards.items():
        if key not in card_ids:  # a cloze number the note's text no longer holds: Anki made no card for it
            continue
        _write_card(collection, card_ids[key], card, schedule, first_day=first_day)
        written += _write_reviews(collection, card_ids[key], card.reviews, used_ids)
    return written


def _write_preset(collection: sqlite3.Connection, schedule: Schedule) -> None:
    presets = json.loads(collection.execute("SELECT dconf FROM col").fetchone()[0])
    preset = json.loads(json.dumps(presets["1"]))  # genanki's default preset, deep-copied
    preset.update(id=PRESET_ID, name=PRESET_NAME, fsrsParams6=list(schedule.fsrs_parameters),
                  desiredRetention=schedule.desired_retention)
    preset["new"].update(perDay=schedule.new_per_day, delays=_minutes(schedule.learning_steps))
    preset["rev"].update(perDay=schedule.reviews_per_day)
    preset["lapse"].update(delays=_minutes(schedule.relearning_steps))
    presets[str(PRESET_ID)] = preset
    decks = json.loads(collection.execute("SELECT decks FROM col").fetchone()[0])
    for deck_id, deck in decks.items():
        if deck_id != "1":  # Anki's own Default deck keeps its own preset
            deck["conf"] = PRESET_ID
    collection.execute("UPDATE col SET dconf = ?, decks = ?", (json.dumps(presets), json.dumps(decks)))


def _minutes(steps: tuple[timedelta, ...]) -> list[float]:
    return [step.total_seconds() / 60 for step in steps]


def _write_card(collection: sqlite3.Connection, card_id: int, card: ScheduledCard, schedule: Schedule, *,
                first_day: date) -> None:
    card_type = ANKI_CARD_TYPE[card.state]
    if card.state == "new":
        collection.execute("UPDATE cards SET queue = ? WHERE id = ?",
                           (SUSPENDED_QUEUE if card.suspended else 0, card_id))
        return
    if card.state == "review":
        queue, due, interval, left = card_type, (card.due_day - first_day).days, _days(card), 0
    else:  # a learning step: due at a moment, not on a day
        steps = schedule.learning_steps if card.state == "learning" else schedule.relearning_steps
        remaining = max(1, len(steps) - (card.step or 0))
        queue, due, interval, left = LEARNING_QUEUE, int(card.due.timestamp()), 0, remaining * 1000 + remaining
    if card.suspended:
        queue = SUSPENDED_QUEUE
    elif card.buried:
        queue = BURIED_QUEUE
    memory = {"s": round(card.stability, 4), "d": round(card.difficulty, 3), "dr": schedule.desired_retention,
              "decay": schedule.fsrs_parameters[20], "lrt": int(card.last_review.timestamp())}
    collection.execute(
        "UPDATE cards SET type = ?, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?, lapses = ?, left = ?, data = ?"
        " WHERE id = ?",
        (card_type, queue, due, interval, STARTING_EASE, card.reps, card.lapses, left, json.dumps(memory), card_id))


def _days(card: ScheduledCard) -> int:
    return max(1, round((card.due - card.last_review).total_seconds() / SECONDS_PER_DAY))


def _write_reviews(collection: sqlite3.Connection, card_id: int, reviews: tuple[ScheduledReview, ...],
                   used_ids: set[int]) -> int:
    last_interval = 0
    for review in sorted(reviews, key=lambda review: review.reviewed_at):
        revlog_id = int(review.reviewed_at.timestamp() * 1000)
        while revlog_id in used_ids:  # the id is the primary key: two reviews in one millisecond
            revlog_id += 1
        used_ids.add(revlog_id)
        interval = _interval(review)
        factor = round(review.difficulty_after * 100) if review.difficulty_after is not None else 0
        collection.execute("INSERT INTO revlog VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)",
                           (revlog_id, card_id, review.rating, interval, last_interval, factor,
                            review.duration_ms, ANKI_REVIEW_KIND[review.state_before]))
        last_interval = interval
    return len(reviews)


def _interval(review: ScheduledReview) -> int:
    """Anki's revlog interval: days once the card is in review, negative seconds for a learning step."""
    seconds = (review.due_after - review.reviewed_at).total_seconds()
    if review.state_after == "review":
        return max(1, round(seconds / SECONDS_PER_DAY))
    return -max(1, round(seconds))
