"""What ties an Anki package's notes to the learner's cards and study: notes of our own deck found as the
cards they are, decks and tags read as topics, review logs and the FSRS preset taken over."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping

from questions.apkg_export import CARD_ID_FIELD, MODEL_ID
from questions.models import Question, Topic
from quizapp.own_cards.imports.anki_collection import AnkiCard, AnkiNote, AnkiPreset
from quizapp.own_cards.imports.source import Source
from quizapp.study.models import MAX_RETENTION, MIN_RETENTION, CardState
from quizapp.study.services import ImportedMemory, ImportedReview, card_history_import, study_settings_update

# Fixed: the same Anki review always gets the same client id, so a second import finds it already there.
_REVIEW_NAMESPACE = uuid.UUID("5b0f3c2e-9d1a-4f57-8a43-3f1c6a2b7d10")
_STUDIED_KINDS = {0, 1, 2}  # learning, review, relearning; cramming and manual rescheduling are no reviews
_CARD_STATES = {1: CardState.State.LEARNING, 2: CardState.State.REVIEW, 3: CardState.State.RELEARNING}
_SUSPENDED_QUEUE = -1


def recognised_notes(source: Source, *, owner) -> dict[int, Question]:
    """Rows that are notes of our own deck, with the card each one is (the corpus's, or the learner's
    own): by row number. A card ID the learner may not see (another learner's own card) is no match."""
    card_ids = {number: note.field(CARD_ID_FIELD) for number, note in source.anki_notes.items()
                if note.note_type_id == MODEL_ID and note.field(CARD_ID_FIELD)}
    cards = {card.card_id: card for card in Question.objects.for_viewer(owner).filter(card_id__in=card_ids.values())}
    return {number: cards[card_id] for number, card_id in card_ids.items() if card_id in cards}


def without_rows(source: Source, numbers) -> Source:
    return dataclasses.replace(source, rows=[row for row in source.rows if row.number not in numbers])


def name_topics_from_decks(source: Source, *, topics: dict[str, Topic],
                           chosen: Mapping[str, Topic] | None = None) -> tuple[dict[str, Topic], list[str]]:
    """A note names a topic by its deck ("Interview::CNN": the innermost part first) or a tag
    ("DLIT::topic::cnn" or "cnn") that is a topic's code or title; else it takes the form's topic. A deck
    or tag the learner `chosen` a topic for (in the import preview) names that topic before any other.
    Returns which deck or tag named which topic, and the decks that named none, for the learner to see."""
    chosen = chosen or {}
    named, unnamed = {}, []
    for row in source.rows:
        note = source.anki_notes.get(row.number)
        if note is None or row.values.get("topic"):
            continue
        names = [(part, note.deck) for part in reversed(note.deck.split("::"))]
        names += [(tag.split("::")[-1], tag) for tag in note.tags]
        found = next(((chosen[whole], whole) for _name, whole in names if whole in chosen), None) or next(
            ((topics[name.casefold()], whole) for name, whole in names if name.casefold() in topics), None)
        if found is not None:
            row.values["topic"] = found[0].slug
            named[found[1]] = found[0]
        elif note.deck and note.deck not in unnamed:
            unnamed.append(note.deck)
    return named, unnamed


def history_import(*, owner, source: Source, cards: dict[tuple[int, int], Question]) -> int:
    """Each card's reviews in the package into the learner's log, by the row's number and which card of
    its note (a cloze number, a reverse) the card is; how many."""
    added = 0
    for (number, ord_), question in cards.items():
        note = source.anki_notes.get(number)
        card = next((card for card in note.cards if card.ord == ord_), None) if note else None
        if card is None:
            continue
        reviews = [ImportedReview(client_id=_review_id(note, card, review.revlog_id), reviewed_at=review.reviewed_at,
                                  rating=review.rating, duration_ms=review.duration_ms)
                   for review in card.reviews if review.kind in _STUDIED_KINDS]
        if reviews:
            added += card_history_import(user=owner, question=question, reviews=reviews, memory=_memory(card))
    return added


def _review_id(note: AnkiNote, card: AnkiCard, revlog_id: int) -> uuid.UUID:
    return uuid.uuid5(_REVIEW_NAMESPACE, f"{note.guid}/{card.ord}/{revlog_id}")


def _memory(card: AnkiCard) -> ImportedMemory | None:
    state = _CARD_STATES.get(card.card_type)
    if state is None:
        return None
    return ImportedMemory(state=state, stability=card.stability, difficulty=card.difficulty,
                          interval_days=card.interval_days, reps=card.reps, lapses=card.lapses,
                          suspended=card.queue == _SUSPENDED_QUEUE)


def fsrs_preset_take(*, owner, preset: AnkiPreset) -> bool:
    """The package's FSRS weights, and its desired retention brought within the app's bounds."""
    retention = min(MAX_RETENTION, max(MIN_RETENTION, preset.desired_retention))
    study_settings_update(user=owner, fields={"fsrs_parameters": preset.fsrs_parameters,
                                              "desired_retention": retention})
    return True
