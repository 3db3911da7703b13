"""What an Anki collection holds beyond its notes' text: each note's GUID, note type, field names, deck
and tags, its cards with their scheduling and review log, and the FSRS preset. Read from either
collection schema: Anki's old one (schema 11: note types, decks and presets as JSON in `col`) and the
one since 2.1.28 (schema 18: tables `fields` and `decks`, presets as protobuf in `deck_config`).

The database is the learner's upload: the caller has capped its size, value lengths and query time;
here every table read must be a plain one and every row count is bounded.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext as _

from quizapp.own_cards.imports.source import ImportRefused

MAX_CARDS_PER_NOTE = 20  # a cloze note with many blanks; more is not a deck anyone studies
MAX_REVIEWS = 1_000_000
# Anki's deck preset message (DeckConfig.Config): FSRS-6 weights (repeated float) and desired retention.
_PRESET_FSRS6_FIELD, _PRESET_RETENTION_FIELD = 6, 37


@dataclass(frozen=True)
class AnkiReview:
    revlog_id: int  # the review's epoch milliseconds, unique in its collection
    reviewed_at: datetime
    rating: int  # 1–4; 0 for Anki's manual rescheduling, which is no review
    duration_ms: int
    kind: int  # 0 learning, 1 review, 2 relearning, 3 filtered, 4 manual, 5 rescheduled


@dataclass(frozen=True)
class AnkiCard:
    ord: int  # the template (or cloze number - 1) that made it
    card_type: int  # 0 new, 1 learning, 2 review, 3 relearning
    queue: int  # -1 suspended, -2/-3 buried
    interval_days: int
    reps: int
    lapses: int
    stability: float | None  # Anki's FSRS memory state, when it has one
    difficulty: float | None
    reviews: tuple[AnkiReview, ...]


@dataclass(frozen=True)
class AnkiNote:
    guid: str
    note_type_id: int
    fields: list[str]
    field_names: list[str]
    deck: str  # its first card's deck, "Parent::Child"
    tags: list[str]
    cards: tuple[AnkiCard, ...]

    def field(self, name: str) -> str | None:
        return self.fields[self.field_names.index(name)] if name in self.field_names[:len(self.fields)] else None


@dataclass(frozen=True)
class AnkiPreset:
    fsrs_parameters: list[float]
    desired_retention: float


@dataclass(frozen=True)
class AnkiContents:
    notes: list[AnkiNote]
    preset: AnkiPreset | None


def read_collection(collection: sqlite3.Connection, *, file_name: str, max_notes: int,
                    too_large: Callable[[], ImportRefused], max_bytes: int) -> AnkiContents:
    notes = _notes(collection, file_name=file_name, max_notes=max_notes, too_large=too_large, max_bytes=max_bytes)
    cards = _cards(collection, max_cards=max_notes * MAX_CARDS_PER_NOTE, file_name=file_name)
    field_names, deck_names = _field_names(collection), _deck_names(collection)
    contents = []
    for note_id, guid, note_type_id, tags, fields in notes:
        own = sorted(cards.get(note_id, []), key=lambda card: card[0].ord)
        contents.append(AnkiNote(
            guid=guid or "", note_type_id=_int(note_type_id), fields=(fields or "").split("\x1f"),
            field_names=field_names.get(note_type_id, []), tags=(tags or "").split(),
            deck=deck_names.get(own[0][1], "") if own else "", cards=tuple(card for card, _deck in own)))
    return AnkiContents(notes=contents, preset=_preset(collection))


def _notes(collection, *, file_name, max_notes, too_large, max_bytes) -> list[tuple]:
    columns = {row[1] for row in collection.execute("PRAGMA table_info(notes)")}
    # A column Anki always writes may still be missing from a hand-made file: read as empty.
    guid, mid, tags = (expression if name in columns else "NULL" for name, expression in
                       (("guid", "CAST(guid AS TEXT)"), ("mid", "mid"), ("tags", "CAST(tags AS TEXT)")))
    cursor = collection.execute(f"SELECT id, {guid}, {mid}, {tags}, CAST(flds AS TEXT) FROM notes ORDER BY id LIMIT ?",
                                (max_notes + 1,))
    notes, size = [], 0
    for row in cursor:
        size += len(row[4] or "") + len(row[3] or "")
        if size > max_bytes:
            raise too_large()
        notes.append(row)
    if len(notes) > max_notes:
        raise ImportRefused([_("%(file)s: more than %(limit)d notes; split the deck into smaller ones.") % {
            "file": file_name, "limit": max_notes}])
    return notes


def _cards(collection, *, max_cards: int, file_name: str) -> dict[int, list[tuple[AnkiCard, int]]]:
    """Each note's cards with their decks, by note id; none when the package has no card table."""
    if not plain_table(collection, "cards"):
        return {}
    reviews = _reviews(collection, file_name=file_name)
    rows = collection.execute("SELECT id, nid, ord, type, queue, ivl, reps, lapses, CAST(data AS TEXT), did "
                              "FROM cards ORDER BY id LIMIT ?", (max_cards + 1,)).fetchall()
    if len(rows) > max_cards:
        raise ImportRefused([_("%(file)s: more than %(limit)d cards; split the deck into smaller ones.") % {
            "file": file_name, "limit": max_cards}])
    cards: dict[int, list[tuple[AnkiCard, int]]] = {}
    for card_id, note_id, ord_, card_type, queue, interval, reps, lapses, data, deck_id in rows:
        stability, difficulty = _memory_state(data)
        card = AnkiCard(ord=ord_ or 0, card_type=card_type or 0, queue=queue or 0, interval_days=interval or 0,
                        reps=reps or 0, lapses=lapses or 0, stability=stability, difficulty=difficulty,
                        reviews=tuple(reviews.get(card_id, [])))
        cards.setdefault(note_id, []).append((card, deck_id))
    return cards


def _reviews(collection, *, file_name: str) -> dict[int, list[AnkiReview]]:
    if not plain_table(collection, "revlog"):
        return {}
    rows = collection.execute("SELECT id, cid, ease, time, type FROM revlog ORDER BY id LIMIT ?",
                              (MAX_REVIEWS + 1,)).fetchall()
    if len(rows) > MAX_REVIEWS:
        raise ImportRefused([_("%(file)s: more than %(limit)d reviews; export it in parts.") % {
            "file": file_name, "limit": MAX_REVIEWS}])
    reviews: dict[int, list[AnkiReview]] = {}
    for revlog_id, card_id, rating, duration_ms, kind in rows:
        try:
            reviewed_at = datetime.fromtimestamp(revlog_id / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError, TypeError):
            continue  # not a time: no review we could place
        reviews.setdefault(card_id, []).append(AnkiReview(
            revlog_id=revlog_id, reviewed_at=reviewed_at, rating=rating or 0,
            duration_ms=max(0, min(int(duration_ms or 0), 3_600_000)), kind=kind or 0))
    return reviews


def _memory_state(data: str | None) -> tuple[float | None, float | None]:
    """Anki's FSRS memory state from a card's `data`: {"s": stability, "d": difficulty, ...}."""
    try:
        state = json.loads(data or "{}")
        stability, difficulty = float(state["s"]), float(state["d"])
    except (ValueError, TypeError, KeyError):
        return None, None
    if 0 < stability < 1e6 and 1 <= difficulty <= 10:
        return stability, difficulty
    return None, None


def _field_names(collection) -> dict[int, list[str]]:
    """Each note type's field names in order."""
    names: dict[int, list[tuple[int, str]]] = {}
    if plain_table(collection, "fields"):
        for note_type_id, ord_, name in collection.execute("SELECT ntid, ord, CAST(name AS TEXT) FROM fields"):
            names.setdefault(note_type_id, []).append((ord_, name))
    else:
        for note_type_id, note_type in _col_json(collection, "models").items():
            fields = note_type.get("flds", []) if isinstance(note_type, dict) else []
            names[_int(note_type_id)] = [(field.get("ord", 0), str(field.get("name", ""))) for field in fields
                                         if isinstance(field, dict)]
    return {note_type_id: [name for _ord, name in sorted(fields)] for note_type_id, fields in names.items()}


def _deck_names(collection) -> dict[int, str]:
    if plain_table(collection, "decks") and collection.execute("SELECT count() FROM decks").fetchone()[0]:
        return {deck_id: (name or "").replace("\x1f", "::")
                for deck_id, name in collection.execute("SELECT id, CAST(name AS TEXT) FROM decks")}
    return {_int(deck_id): str(deck.get("name", "")) for deck_id, deck in _col_json(collection, "decks").items()
            if isinstance(deck, dict)}


def _preset(collection) -> AnkiPreset | None:
    """The FSRS preset: of the presets with FSRS-6 weights, the one changed last."""
    found = []  # (changed at, weights, retention)
    if plain_table(collection, "deck_config") and collection.execute("SELECT count() FROM deck_config").fetchone()[0]:
        for changed, config in collection.execute("SELECT mtime_secs, config FROM deck_config"):
            weights, retention = _preset_message(config if isinstance(config, bytes) else b"")
            found.append((changed or 0, weights, retention))
    else:
        for preset in _col_json(collection, "dconf").values():
            if isinstance(preset, dict):
                found.append((preset.get("mod", 0), preset.get("fsrsParams6") or [], preset.get("desiredRetention")))
    usable = [(changed, weights, retention) for changed, weights, retention in found
              if _valid_weights(weights) and isinstance(retention, float | int)]
    if not usable:
        return None
    _changed, weights, retention = max(usable, key=lambda preset: preset[0])
    return AnkiPreset(fsrs_parameters=[float(weight) for weight in weights], desired_retention=float(retention))


def _valid_weights(weights) -> bool:
    return isinstance(weights, list) and len(weights) == 21 and all(
        isinstance(weight, float | int) and abs(weight) < 1e3 for weight in weights)


def _preset_message(message: bytes) -> tuple[list[float], float | None]:
    """The two fields we need from Anki's preset message, by the protobuf wire format (Anki's own
    classes come with the anki package, far too big a dependency for two numbers)."""
    weights, retention, position = [], None, 0
    try:
        while position < len(message):
            key, position = protobuf_varint(message, position)
            number, wire = key >> 3, key & 7
            if wire == 0:
                _value, position = protobuf_varint(message, position)
            elif wire == 1:
                position += 8
            elif wire == 2:
                length, position = protobuf_varint(message, position)
                if number == _PRESET_FSRS6_FIELD:
                    weights = list(struct.unpack(f"<{length // 4}f", message[position:position + length // 4 * 4]))
                position += length
            elif wire == 5:
                (value,) = struct.unpack("<f", message[position:position + 4])
                if number == _PRESET_RETENTION_FIELD:
                    retention = round(value, 4)  # a float32: 0.9 arrives as 0.8999999761
                elif number == _PRESET_FSRS6_FIELD:
                    weights.append(value)
                position += 4
            else:
                return [], None
    except (IndexError, struct.error):
        return [], None
    return [round(weight, 4) for weight in weights], retention


def protobuf_varint(message: bytes, position: int) -> tuple[int, int]:
    """A protobuf varint at `position`: its value and the position after it (Anki's newer formats use protobuf)."""
    value, shift = 0, 0
    while True:
        byte = message[position]
        value |= (byte & 0x7F) << shift
        position += 1
        if not byte & 0x80:
            return value, position
        shift += 7
        if shift > 63:
            raise IndexError("varint too long")


def _col_json(collection, column: str) -> dict:
    """One of the JSON columns of schema 11's `col` row; empty when absent, not JSON or too long."""
    if not plain_table(collection, "col"):
        return {}
    try:
        row = collection.execute(f"SELECT CAST({column} AS TEXT) FROM col LIMIT 1").fetchone()
        value = json.loads(row[0]) if row and row[0] else {}
    except (sqlite3.DatabaseError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _int(text) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return 0


def plain_table(collection: sqlite3.Connection, name: str) -> bool:
    """`name` is a table (a view could be endless) and none of its columns is generated (an
    expression could build gigabytes from nothing)."""
    is_table = collection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return bool(is_table) and all(hidden == 0 for *_, hidden in collection.execute(f"PRAGMA table_xinfo({name})"))
