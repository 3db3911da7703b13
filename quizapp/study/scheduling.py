"""The bridge between our CardState rows and the `fsrs` package, which does all the scheduling."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.conf import settings as django_settings
from fsrs import Card, Rating, Scheduler, State

from quizapp.study.models import CardState, StudySettings

LEECH_THRESHOLD = 8  # lapses; then again every half threshold, as Anki does

_TO_FSRS = {CardState.State.LEARNING: State.Learning, CardState.State.REVIEW: State.Review,
            CardState.State.RELEARNING: State.Relearning}
_FROM_FSRS = {fsrs_state: state for state, fsrs_state in _TO_FSRS.items()}

SNAPSHOT_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses",
                   "is_leech", "suspended", "buried_until")


def fuzzing_enabled() -> bool:
    # Tests turn fuzz off (STUDY_FSRS_FUZZ = False) to compare intervals with fsrs exactly.
    return django_settings.STUDY_FSRS_FUZZ


def scheduler_for(study_settings: StudySettings, *, fuzz: bool | None = None) -> Scheduler:
    kwargs = {"parameters": study_settings.fsrs_parameters} if study_settings.fsrs_parameters else {}
    return Scheduler(desired_retention=study_settings.desired_retention,
                     enable_fuzzing=fuzzing_enabled() if fuzz is None else fuzz, **kwargs)


def as_utc(moment: datetime) -> datetime:
    # fsrs insists on tzinfo being exactly datetime.timezone.utc.
    return moment.astimezone(UTC)


def to_fsrs_card(card: CardState) -> Card:
    """A new card is fsrs's Learning card at step 0 with no memory state yet."""
    if card.state == CardState.State.NEW:
        return Card(card_id=card.pk or 0, state=State.Learning, step=0, due=as_utc(card.due))
    return Card(card_id=card.pk or 0, state=_TO_FSRS[card.state], step=card.step, stability=card.stability,
                difficulty=card.difficulty, due=as_utc(card.due),
                last_review=as_utc(card.last_review) if card.last_review else None)


def apply_fsrs_card(card: CardState, reviewed: Card) -> None:
    card.state = _FROM_FSRS[reviewed.state]
    card.step = reviewed.step
    card.stability = float(reviewed.stability)
    card.difficulty = float(reviewed.difficulty)
    card.due = reviewed.due
    card.last_review = reviewed.last_review


def is_lapse(state_before: str, rating: int) -> bool:
    """Forgetting a card in the review state; learning steps forgotten are not lapses (as in Anki)."""
    return state_before == CardState.State.REVIEW and rating == Rating.Again


def becomes_leech(lapses: int) -> bool:
    return lapses >= LEECH_THRESHOLD and (lapses - LEECH_THRESHOLD) % (LEECH_THRESHOLD // 2) == 0


def snapshot(card: CardState) -> dict:
    """The row's scheduling fields as JSON; floats and ISO datetimes round-trip exactly."""
    data = {field: getattr(card, field) for field in SNAPSHOT_FIELDS}
    for field in ("due", "last_review"):
        data[field] = data[field].isoformat() if data[field] else None
    data["buried_until"] = data["buried_until"].isoformat() if data["buried_until"] else None
    return data


def restore(card: CardState, data: dict) -> None:
    for field in SNAPSHOT_FIELDS:
        setattr(card, field, data[field])
    card.due = datetime.fromisoformat(data["due"])
    card.last_review = datetime.fromisoformat(data["last_review"]) if data["last_review"] else None
    card.buried_until = date.fromisoformat(data["buried_until"]) if data["buried_until"] else None


def next_intervals(card: CardState, scheduler: Scheduler, *, now: datetime) -> dict[int, timedelta]:
    """What each rating would schedule, for the labels on the rating buttons."""
    fsrs_card = to_fsrs_card(card)
    return {int(rating): scheduler.review_card(fsrs_card, rating, review_datetime=as_utc(now))[0].due - as_utc(now)
            for rating in Rating}
