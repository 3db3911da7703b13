"""Reading an Anki deck package (.apkg), and turning what comes from Anki (HTML fields, MathJax
formulas, cloze deletions) into our text: a plain question and a Markdown answer with $…$ formulas.

The package is a zip holding the collection, an SQLite database. Anki since 2.1.50 writes it
zstd-compressed (collection.anki21b) beside an old-format stub whose one note says to update Anki;
older versions write collection.anki21 or collection.anki2. The database comes from the learner's
upload, so it is read as untrusted: size-capped before and after unpacking, only a real `notes`
table, a bounded number of rows, and a time limit on the query.
"""

from __future__ import annotations

import html
import io
import re
import sqlite3
import time
import zipfile

import zstandard
from django.utils.translation import gettext as _

from questions.apkg_export import CLOZE_MODEL_ID, MODEL_ID, REVERSED_MODEL_ID
from questions.images import image_alt, image_reference, markdown_alt
from quizapp.own_cards.cloze import has_cloze
from quizapp.own_cards.imports.anki_collection import AnkiContents, plain_table, read_collection
from quizapp.own_cards.imports.anki_media import IMAGE_TAG, AnkiMedia, image_source, tag_alt
from quizapp.own_cards.imports.source import ImportRefused, Row, Source

MAX_COLLECTION_BYTES = 100 * 1024 * 1024  # the database inside a package, unpacked; its notes' text too
MAX_FIELD_BYTES = 1024 * 1024  # one note's fields: far past what a card may hold
QUERY_SECONDS = 5.0
_COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
# Our own note types' later fields are ours to read elsewhere (CardId, Source) or to rebuild (KeyPoints).
OUR_NOTE_TYPES = {MODEL_ID, CLOZE_MODEL_ID, REVERSED_MODEL_ID}
# Fields that tell Anki which cards to make, not what a card says ("Basic (optional reversed card)").
CARD_MAKING_FIELDS = {"Add Reverse"}


def read_package(content: bytes, *, file_name: str, max_notes: int) -> Source:
    """The notes of an .apkg, as rows: the first field is the question, the second the answer (the app's
    own note type: its Question and Answer fields). Each row's note keeps what identifies it and its
    history: GUID, note type, our card ID, deck, tags, cards with their reviews; and the package's FSRS
    preset. More than `max_notes` notes is refused rather than read."""
    database = _unpacked_collection(content, file_name=file_name)
    contents = _collection_contents(database, file_name=file_name, max_notes=max_notes)
    rows, notes = [], {}
    for number, note in enumerate(contents.notes, start=1):
        rows.append(Row(number=number, values=_question_and_answer(note)))
        notes[number] = note
    return Source(unit="note", rows=rows, from_anki=True, html=True, anki_notes=notes, anki_preset=contents.preset,
                  anki_media=AnkiMedia(content, file_name=file_name))


def _question_and_answer(note) -> dict[str, str]:
    """The first field is the question, the second the answer; another note type's later fields (an
    "Extra", "Notes" or "Example" field) follow in the answer under their names, so nothing the learner
    wrote stays behind."""
    question, answer, *later = [*note.fields, "", ""]
    if note.note_type_id not in OUR_NOTE_TYPES:
        names = note.field_names[2:len(note.fields)]
        extra = [f"{html.escape(name)}: {value}" for name, value in zip(names, later, strict=False)
                 if name not in CARD_MAKING_FIELDS and _plain(value).strip()]
        answer = "<br><br>".join([answer, *extra]) if answer.strip() else "<br><br>".join(extra)
    return {"question": question, "answer": answer}


def _not_anki(file_name: str) -> ImportRefused:
    return ImportRefused([_("%(file)s: not an Anki package (.apkg) with notes in it.") % {"file": file_name}])


def _too_large(file_name: str) -> ImportRefused:
    return ImportRefused([_("%(file)s: its notes take more than %(limit)d MB.") % {
        "file": file_name, "limit": MAX_COLLECTION_BYTES // (1024 * 1024)}])


def _unpacked_collection(content: bytes, *, file_name: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = set(package.namelist())
            name = next((n for n in _COLLECTIONS if n in names), None)
            if name is None:
                raise _office_file(file_name) if "[Content_Types].xml" in names else _not_anki(file_name)
            if package.getinfo(name).file_size > MAX_COLLECTION_BYTES:  # zipfile reads no further than this
                raise _too_large(file_name)
            data = package.read(name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, RuntimeError,
            ValueError):  # damaged, encrypted, or compressed in a way zipfile cannot read
        raise _not_anki(file_name) from None
    if not name.endswith("b"):
        return data
    try:  # streamed: a frame may claim any size, so read at most one byte past the cap
        unpacked = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read(MAX_COLLECTION_BYTES + 1)
    except zstandard.ZstdError:
        raise _not_anki(file_name) from None
    if len(unpacked) > MAX_COLLECTION_BYTES:
        raise _too_large(file_name)
    return unpacked


def _office_file(file_name: str) -> ImportRefused:
    return ImportRefused([_("%(file)s: an Excel or Word file; in Excel, save it as “CSV UTF-8” and import "
                            "that.") % {"file": file_name}])


def _collection_contents(database: bytes, *, file_name: str, max_notes: int) -> AnkiContents:
    """The notes, cards, reviews and FSRS preset of a database the learner uploaded: only from plain tables
    with no computed columns, every value capped in length, all of them in size, the queries in time."""
    deadline = time.monotonic() + QUERY_SECONDS
    collection = sqlite3.connect(":memory:")
    collection.text_factory = lambda raw: raw.decode("utf-8", "replace")  # a bad field is refused by its note
    collection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_FIELD_BYTES)  # no value is built any longer
    try:
        collection.deserialize(_rollback_journal(database))
        # Anki's own case-insensitive order, which its newer tables (decks, tags) name for their names.
        collection.create_collation("unicase", _unicase)
        collection.execute("PRAGMA trusted_schema = OFF")  # no functions or virtual tables from the file
        collection.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)  # nonzero: stop
        if not plain_table(collection, "notes"):
            raise _not_anki(file_name)
        return read_collection(collection, file_name=file_name, max_notes=max_notes,
                               too_large=lambda: _too_large(file_name), max_bytes=MAX_COLLECTION_BYTES)
    except sqlite3.DatabaseError:  # not a database, no flds column, a value too long, past the deadline
        raise _not_anki(file_name) from None
    finally:
        collection.close()


def _unicase(first: str, second: str) -> int:
    first, second = first.casefold(), second.casefold()
    return (first > second) - (first < second)


def _rollback_journal(database: bytes) -> bytes:
    """A collection saved in WAL mode, marked as one in rollback mode: an in-memory database cannot
    open WAL, and the notes are in the file either way once Anki has closed it."""
    if len(database) > 19 and database[18:20] == b"\x02\x02":
        return database[:18] + b"\x01\x01" + database[20:]
    return database


# --- from Anki's HTML and MathJax to our text ---------------------------------------------------------

_MATHJAX = (
    (re.compile(r"\\\[(.+?)\\\]", re.S), "$$"),
    (re.compile(r"\\\((.+?)\\\)", re.S), "$"),
    (re.compile(r"\[\$\$\](.+?)\[/\$\$\]", re.S), "$$"),
    (re.compile(r"\[\$\](.+?)\[/\$\]", re.S), "$"),
)
_LINE_END = re.compile(r"<br\s*/?>|</div>|</p>|</li>", re.I)
_BLOCK_START = re.compile(r"<(div|p|ul|ol)(\s[^>]*)?>|</(ul|ol)>", re.I)
_ITEM_START = re.compile(r"<li(\s[^>]*)?>", re.I)
_TAG = re.compile(r"<[^>]*>")


def from_anki(values: dict[str, str], *, is_html: bool, reverse: bool = False,
              images: dict[str, str] | None = None) -> list[tuple[int, dict[str, str]]]:
    """A note's cards as our text, each with the ordinal Anki gives it: the note itself (0) and, for a
    note with a reverse card (`reverse`), the answer asking for the question (1). A cloze note stays one
    text with its `{{cN::…}}` (the own card service makes a card per number) and its other field as the
    extra text of the back. A `$` in Anki is a dollar, not math. An image the note shows is the learner's
    image its name maps to in `images`, `![alt](name)` in the answer; the question is plain text, so an
    image of the question side shows at the top of the answer. An image not mapped is left out."""
    images = images or {}
    question, answer = values.get("question", ""), values.get("answer", "")
    forward = {**values, "question": _question(question, is_html=is_html),
               "answer": _answer(answer.replace("$", "\\$"), is_html=is_html, images=images, above=question)}
    if not reverse or has_cloze(question):
        return [(0, forward)]
    backward = {**values, "question": _question(answer, is_html=is_html),
                "answer": _answer(question.replace("$", "\\$"), is_html=is_html, images=images, above=answer)}
    return [(0, forward), (1, backward)]


def _question(text: str, *, is_html: bool) -> str:
    text = _math_from_mathjax(text)
    return _plain(text) if is_html else text


def _answer(text: str, *, is_html: bool, images: dict[str, str], above: str = "") -> str:
    """The answer as Markdown, below the images of the question side (`above`)."""
    text = _math_from_mathjax(text)
    text = _lines_from_html(text, images) if is_html else text
    moved = [reference for tag in IMAGE_TAG.findall(above) if (reference := _image_markdown(tag, images))]
    return "\n\n".join([*moved, text]).strip() if moved else text


def _image_markdown(tag: str, images: dict[str, str]) -> str:
    """An <img> tag as `![alt](name)` for the learner's image of that file; empty for one not imported."""
    name = images.get(image_source(tag))
    if name is None:
        return ""
    alt = tag_alt(tag)
    return image_reference(alt=markdown_alt(alt) if alt else image_alt(image_source(tag)), name=name)


def _math_from_mathjax(text: str) -> str:
    for pattern, delimiter in _MATHJAX:
        # A formula is TeX, not HTML: "a &lt; b" in the field is "a < b" to KaTeX.
        text = pattern.sub(lambda m, d=delimiter: f"{d}{html.unescape(m.group(1)).strip()}{d}", text)
    return text


def _lines_from_html(text: str, images: dict[str, str]) -> str:
    """Anki's field HTML as Markdown: each line ends in <br> (inline HTML, so formulas on it are still
    read as formulas; a line starting with a block tag would be passed through raw), other tags stay."""
    text = IMAGE_TAG.sub(lambda match: _image_markdown(match.group(0), images), text)
    text = _BLOCK_START.sub("", _ITEM_START.sub("• ", _LINE_END.sub("<br>\n", text.replace("&nbsp;", " "))))
    lines = [line.strip() for line in text.split("\n")]
    while lines and lines[-1] in ("", "<br>"):
        lines.pop()
    return "\n".join(lines).removesuffix("<br>").strip()


def _plain(text: str) -> str:
    """The text of a question: tags dropped, entities read, a no-break space a space."""
    return html.unescape(_TAG.sub("", _LINE_END.sub("\n", text))).replace("\xa0", " ").strip()
