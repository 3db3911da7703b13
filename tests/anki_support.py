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
