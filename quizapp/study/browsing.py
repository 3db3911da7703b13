"""The card browser: a learner's cards filtered, searched and sorted (reads), and the bulk actions on
a selection of them (writes): suspend, unsuspend, bury, unbury, reset, postpone and advance.

A selection is either card ids (the ticked rows) or "every card matching" a filter; either way only
the learner's own card states: an id of anyone else's card answers 404 and changes nothing. No bulk
action touches the review log, so the history a card's row shows stays what it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from fsrs import Scheduler

from quizapp.core.errors import Conflict, InvalidInput, NotYours
from quizapp.core.locks import lock_learner
from quizapp.study import scheduling, selectors
from quizapp.study.days import study_day_for
from quizapp.study.models import CardState

State = CardState.State

STATE_FILTERS = ("new", "learning", "review", "relearning", "suspended", "buried", "leech")
# sort key → the column it orders by; a leading "-" sorts descending. Retrievability is no column:
# it is computed (fsrs's forgetting curve), so that sort happens in Python (cards_sorted).
SORTS = {"due": "due", "retrievability": None, "stability": "stability", "difficulty": "difficulty",
         "lapses": "lapses", "reps": "reps", "last_review": "last_review"}
DEFAULT_SORT = "due"
ACTIONS = ("suspend", "unsuspend", "bury", "unbury", "reset", "postpone", "advance")
SHIFT_ACTIONS = ("postpone", "advance")
MAX_SHIFT_DAYS = 365  # the largest move; Anki's own "set due date" takes days the same way
MAX_SELECTED_IDS = 500  # ticked cards per request (a page shows 50; a form body of more than 1000 fields
# is refused before any view reads it); more: "all matching"
MAX_LIMIT = 100_000


@dataclass(frozen=True)
class CardFilter:
    """What the browser shows: cards of a topic, of a state (or suspended, buried, leech), whose
    question contains `query` in English or Chinese. Empty values filter nothing."""

    topic_id: int | None = None
    state: str = ""
    query: str = ""


def cards_matching(*, user, card_filter: CardFilter, day: date) -> QuerySet[CardState]:
    """The learner's cards (the questions they have a card state for, their own cards included) that
    pass the filter; `day` is the learner's study day, which says what "buried" means now."""
    cards = selectors.card_states_for_user(user=user)
    if card_filter.topic_id is not None:
        cards = cards.filter(question__topic_id=card_filter.topic_id)
    state = card_filter.state
    if state in (State.NEW, State.LEARNING, State.REVIEW, State.RELEARNING):
        cards = cards.filter(state=state)
    elif state == "suspended":
        cards = cards.filter(suspended=True)
    elif state == "buried":
        cards = cards.filter(buried_until__gt=day)
    elif state == "leech":
        cards = cards.filter(is_leech=True)
    if query := card_filter.query.strip():
        cards = cards.filter(Q(question__question_en__icontains=query) | Q(question__question_zh__icontains=query))
    return cards


def cards_sorted(cards: QuerySet[CardState], *, sort: str, scheduler: Scheduler, now: datetime):
    """The cards in `sort` order ("due", "-lapses", ...; unknown keys are the form's to refuse), the
    id breaking ties. Cards without the value (a new card has no stability) come last either way.
    By retrievability it is a list (computed for every card, as selectors.retrievability_with does)."""
    descending, key = sort.startswith("-"), sort.lstrip("-")
    column = SORTS[key]
    if column is not None:
        order = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
        return cards.order_by(order, "-pk" if descending else "pk")
    rows = list(cards)
    known = [card for card in rows if card.state != State.NEW and card.stability is not None]
    unknown = [card for card in rows if card.state == State.NEW or card.stability is None]
    chance = {card.pk: selectors.retrievability_with(scheduler, card=card, now=now) for card in known}
    known.sort(key=lambda card: (chance[card.pk], card.pk), reverse=descending)
    return known + sorted(unknown, key=lambda card: card.pk)


@dataclass(frozen=True)
class BulkOutcome:
    action: str
    selected: int  # cards in the selection
    changed: int  # of them, the cards this request changed (0 when sent again: already done)
    days: int | None = None
    # postpone and advance: the mean recall chance of the moved cards at their old due dates and at
    # the new ones (as FSRS Helper reports it); None when no card moved
    retrievability_before: float | None = None
    retrievability_after: float | None = None

    @property
    def skipped(self) -> int:
        return self.selected - self.changed


def _checked_whole(value, *, field: str, minimum: int, maximum: int, required: bool) -> int | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(fields={field: [_("This field is required.")]})
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or not minimum <= number <= maximum:
        raise InvalidInput(fields={field: [_("Give a whole number from %(minimum)d to %(maximum)d.")
                                           % {"minimum": minimum, "maximum": maximum}]})
    return number


def _selection(*, user, card_ids, card_filter: CardFilter | None, day: date) -> QuerySet[CardState]:
    """The learner's cards the action is for, locked until the transaction ends."""
    if card_filter is not None:
        cards = cards_matching(user=user, card_filter=card_filter, day=day)
    else:
        if not card_ids:
            raise InvalidInput(fields={"cards": [_("Tick at least one card.")]})
        if len(card_ids) > MAX_SELECTED_IDS:
            raise InvalidInput(fields={"cards": [_("At most %(n)d cards at a time; use “all matching” for more.")
                                                 % {"n": MAX_SELECTED_IDS}]})
        wanted = {_checked_whole(card_id, field="cards", minimum=1, maximum=2**63 - 1, required=True)
                  for card_id in card_ids}
        cards = CardState.objects.filter(user=user, pk__in=wanted)
    # Locked by their ids: PostgreSQL refuses FOR UPDATE with the count and the updates below.
    ids = list(cards.select_for_update(of=("self",)).values_list("pk", flat=True))
    if card_filter is None and len(ids) != len(wanted):
        raise NotYours  # one of them is not the learner's (or not at all): the whole request is refused
    return CardState.objects.filter(pk__in=ids)


def cards_bulk_change(*, user, action: str, card_ids=None, card_filter: CardFilter | None = None,
                      expected=None, days=None, limit=None,
                      now: datetime | None = None) -> BulkOutcome:
    """Apply `action` to the learner's ticked cards (`card_ids`) or to every card matching
    `card_filter`. With `expected` (the count the learner confirmed), a selection of another size
    raises Conflict and changes nothing: the cards matching changed since the page showed them.

    Every action is idempotent: sent twice, the second changes nothing and says 0 changed; except
    postpone and advance, which move the cards again (each a move "by N days"). Bad input (an unknown
    action, days outside 1-365) raises InvalidInput naming the field, before anything changes.
    """
    if action not in ACTIONS:
        raise InvalidInput(fields={"action": [_("Choose one of: %(actions)s.") % {"actions": ", ".join(ACTIONS)}]})
    shifting = action in SHIFT_ACTIONS
    # days and "at most" belong to postpone and advance; the other actions ignore them
    days = _checked_whole(days, field="days", minimum=1, maximum=MAX_SHIFT_DAYS, required=True) if shifting else None
    limit = _checked_whole(limit, field="limit", minimum=1, maximum=MAX_LIMIT, required=False) if shifting else None
    expected = _checked_whole(expected, field="expected", minimum=0, maximum=2**63 - 1, required=False)
    now = now or timezone.now()
    study_settings = selectors.study_settings_get(user=user)
    day = study_day_for(study_settings=study_settings, now=now)
    with transaction.atomic():
        lock_learner(user)  # another bulk change waits for this one; a rating, for the card rows locked below
        cards = _selection(user=user, card_ids=card_ids, card_filter=card_filter, day=day.day)
        selected = cards.count()
        if expected is not None and expected != selected:
            raise Conflict(_("%(now)d cards match now, not %(expected)d; nothing was changed. Look again and retry.")
                           % {"now": selected, "expected": expected})
        if shifting:
            move = postpone if action == "postpone" else advance
            return move(cards, days=days, limit=limit, selected=selected,
                        scheduler=scheduling.scheduler_for(study_settings), now=now, day_ends_at=day.ends_at)
        tomorrow = day.day + timedelta(days=1)
        changes = {
            "suspend": lambda: cards.filter(suspended=False).update(suspended=True),
            "unsuspend": lambda: cards.filter(suspended=True).update(suspended=False),
            "bury": lambda: cards.exclude(buried_until__gte=tomorrow).update(buried_until=tomorrow),
            "unbury": lambda: cards.filter(buried_until__gt=day.day).update(buried_until=None),
            # as services.card_reset: the memory state goes, the review log stays
            "reset": lambda: cards.exclude(state=State.NEW, reps=0, lapses=0, suspended=False, is_leech=False,
                                           buried_until=None).update(
                state=State.NEW, step=None, stability=None, difficulty=None, due=now, last_review=None, reps=0,
                lapses=0, is_leech=False, suspended=False, buried_until=None),
        }
        return BulkOutcome(action=action, selected=selected, changed=changes[action]())


def _moved(action: str, chosen: list[tuple[CardState, datetime]], *, days: int, selected: int,
           scheduler: Scheduler) -> BulkOutcome:
    """Save the chosen cards' new due dates (nothing else of the card, nothing of its log)."""
    before = [selectors.retrievability_with(scheduler, card=card, now=card.due) for card, _new_due in chosen]
    after = [selectors.retrievability_with(scheduler, card=card, now=new_due) for card, new_due in chosen]
    for card, new_due in chosen:
        card.due = new_due
    CardState.objects.bulk_update([card for card, _new_due in chosen], ["due"])
    return BulkOutcome(action=action, selected=selected, changed=len(chosen), days=days,
                       retrievability_before=_mean(before), retrievability_after=_mean(after))


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def postpone(cards: QuerySet[CardState], *, days: int, limit: int | None, selected: int, scheduler: Scheduler,
             now: datetime, day_ends_at: datetime) -> BulkOutcome:
    """FSRS Helper's Postpone, by days: push due reviews later where it costs recall least.

    Which cards: of the selection, the review cards (state "review", not suspended) due before the
    learner's study day ends (due today or overdue). Learning, relearning and new cards, suspended
    ones and reviews not yet due stay as they are (counted as skipped).
    By how much: each goes to `days` days after its due moment, or after now if it is overdue
    (postponing an overdue card to a date still past would change nothing).
    Which first: with `limit` (FSRS Helper asks how many cards to postpone), only that many move:
    those whose predicted recall at the new due date is highest (FSRS Helper sorts by elapsed over
    scheduled days after the postpone; with one desired retention per learner, that order is this
    one), the larger stability first among equals, then the card id. Without it, all of them.
    Kept: stability, difficulty, last review, reps, lapses and the review log; the next rating
    schedules from the real elapsed time, as FSRS does for any late review.
    """
    due = list(cards.filter(state=State.REVIEW, suspended=False, due__lt=day_ends_at).order_by("pk"))
    chosen = [(card, max(card.due, now) + timedelta(days=days)) for card in due]
    chosen.sort(key=lambda pair: (-selectors.retrievability_with(scheduler, card=pair[0], now=pair[1]),
                                  -pair[0].stability, pair[0].pk))
    return _moved("postpone", chosen[:limit], days=days, selected=selected, scheduler=scheduler)


def advance(cards: QuerySet[CardState], *, days: int, limit: int | None, selected: int, scheduler: Scheduler,
            now: datetime, day_ends_at: datetime) -> BulkOutcome:
    """FSRS Helper's Advance, by days: pull reviews not yet due earlier where it costs least.

    Which cards: of the selection, the review cards (state "review", not suspended) due after the
    learner's study day ends (not due today). Everything else stays (counted as skipped).
    By how much: each comes `days` days earlier, but never before now (a card pulled as far as now
    is due at once and joins today's reviews).
    Which first: with `limit` (FSRS Helper asks how many cards to advance), only that many move:
    those whose predicted recall at the new due date is lowest, i.e. nearest their own due date, as
    a review too early gains little stability (FSRS Helper sorts by 1 - elapsed/scheduled days,
    the same order with one desired retention), the larger stability first among equals, then the
    card id. Without it, all of them.
    Kept: stability, difficulty, last review, reps, lapses and the review log.
    """
    undue = list(cards.filter(state=State.REVIEW, suspended=False, due__gte=day_ends_at).order_by("pk"))
    chosen = [(card, max(card.due - timedelta(days=days), now)) for card in undue]
    chosen.sort(key=lambda pair: (selectors.retrievability_with(scheduler, card=pair[0], now=pair[1]),
                                  -pair[0].stability, pair[0].pk))
    return _moved("advance", chosen[:limit], days=days, selected=selected, scheduler=scheduler)
