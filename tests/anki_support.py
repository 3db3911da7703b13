"""The real Anki (the `anki` package, a test dependency) for round trips: a fresh collection with FSRS on,
and its "import package" with scheduling, as a learner's Anki does it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

collection_module = pytest.importorskip("anki.collection", reason="the anki package is a test dependency")
import_export = pytest.importorskip("anki.import_export_pb2")


@contextmanager
def anki_collection(folder: Path) -> Iterator:
    """A new, empty Anki collection in `folder`, FSRS switched on (a collection-wide setting in Anki)."""
    folder.mkdir(parents=True, exist_ok=True)
    collection = collection_module.Collection(str(folder / "collection.anki2"))
    try:
        collection.set_config("fsrs", True)
        yield collection
    finally:
        collection.close()


def anki_import(collection, package: Path, *, scheduling: bool = True):
    """Anki's import of an .apkg, "include scheduling" and "import presets" as asked; returns Anki's log."""
    options = import_export.ImportAnkiPackageOptions(with_scheduling=scheduling, with_deck_configs=scheduling)
    request = import_export.ImportAnkiPackageRequest(package_path=str(package), options=options)
    return collection.import_anki_package(request).log


def card_by_guid(collection, guid: str):
    """The first card of the note with this GUID in the collection."""
    note_id = collection.db.scalar("SELECT id FROM notes WHERE guid = ?", guid)
    return collection.get_note(note_id).cards()[0]


def anki_export(collection, package: Path, *, legacy: bool = False) -> Path:
    """Anki's "Anki Deck Package" export of the whole collection with scheduling, presets and media:
    collection.anki21b (zstd, schema 18) or, `legacy`, the format older Ankis read (collection.anki21)."""
    options = import_export.ExportAnkiPackageOptions(with_scheduling=True, with_deck_configs=True, with_media=True,
                                                     legacy=legacy)
    collection.export_anki_package(out_path=str(package), options=options, limit=None)
    return package


def anki_note(collection, *, deck: str, fields: list[str], tags: list[str] = (), note_type: str = "Basic"):
    """A note added as Anki's Add window adds it, in `deck` (made when missing)."""
    note = collection.new_note(collection.models.by_name(note_type))
    for index, value in enumerate(fields):
        note.fields[index] = value
    note.tags = list(tags)
    collection.add_note(note, collection.decks.id(deck))
    return note


def anki_answer(collection, card_id: int, ratings: list[int]) -> None:
    """Rate the card now, one rating after another, as the reviewer does."""
    for rating in ratings:
        card = collection.get_card(card_id)
        card.start_timer()
        collection.sched.answerCard(card, rating)


def anki_fsrs_preset(collection, *, deck: str, weights: list[float], retention: float) -> None:
    """FSRS-6 weights and desired retention in the preset of `deck`."""
    preset = collection.decks.config_dict_for_deck_id(collection.decks.id(deck))
    preset["fsrsParams6"], preset["desiredRetention"] = weights, retention
    collection.decks.update_config(preset)
