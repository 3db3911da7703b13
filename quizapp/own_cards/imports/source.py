"""What every import format reads a file into: numbered rows of column values, or a refusal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from quizapp.core.errors import InvalidInput

if TYPE_CHECKING:
    from quizapp.own_cards.imports.anki_collection import AnkiNote, AnkiPreset
    from quizapp.own_cards.imports.anki_media import AnkiMedia


class ImportRefused(InvalidInput):
    """400: the file cannot be imported as it is; nothing was. `problems` say where and what, blamed
    on the upload's field, `file`."""

    def __init__(self, problems: list[str]):
        super().__init__(fields={"file": problems})
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(self.problems)


@dataclass(frozen=True)
class Row:
    number: int  # the line a text row starts on, or the note's place in a package
    values: dict[str, str]  # "question", "answer", and maybe "topic", "difficulty"


@dataclass(frozen=True)
class Source:
    unit: str  # what a row's number counts: "line" or "note"
    rows: list[Row]
    from_anki: bool = False  # formulas in MathJax's delimiters; fields in HTML when `html`
    html: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    anki_notes: dict[int, AnkiNote] = field(default_factory=dict)  # a package's notes by row number
    anki_preset: AnkiPreset | None = None
    anki_media: AnkiMedia | None = None  # a package's media files, read when a note shows one
