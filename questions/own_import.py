"""Importing a learner's own cards from a file: a spreadsheet saved as CSV or tab-separated text,
Anki's "Notes in Plain Text" export, or an Anki deck package (.apkg).

A file imports whole or not at all: ImportRefused lists each bad row as "file, line 7: Answer: …"
("note 7" in a package). A row whose question the learner already has (or an earlier row had) is
skipped, so importing the same file twice adds nothing. What comes from Anki is HTML with MathJax
formulas: the formulas become our $…$ and $$…$$, line breaks become lines, and the question keeps
its text only; a cloze note becomes a card asking for its blanks.
"""

from __future__ import annotations

import csv
import html
import io
import re
import sqlite3
import zipfile
from dataclasses import dataclass, field

import zstandard
from django.utils.translation import gettext as _

from questions.models import Question, Topic
from questions.own_cards import OwnCardForm, OwnCardText, TooManyOwnCards, own_cards_create

MAX_IMPORT_BYTES = 20 * 1024 * 1024  # an Anki package with its media
MAX_COLLECTION_BYTES = 100 * 1024 * 1024  # the notes' database inside a package, unpacked
MAX_LISTED_PROBLEMS = 20  # the rest are counted

# Column names a header row may use, in either language; Anki's own field names too.
_COLUMNS = {
    "question": {"question", "front", "问题", "题目", "正面"},
    "answer": {"answer", "back", "答案", "背面"},
    "topic": {"topic", "主题"},
    "difficulty": {"difficulty", "难度"},
}
_COLUMN_OF = {name.casefold(): column for column, names in _COLUMNS.items() for name in names}
# Without a header, a row is question, answer, then anything else (Anki's tags, deck, …), not kept.
_POSITIONAL = ("question", "answer")
_ZIP_MAGIC = b"PK\x03\x04"  # what an .apkg starts with
_ANKI_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " ", "colon": ":"}


class ImportRefused(Exception):
    """The file cannot be imported as it is; nothing was. `problems` say where and what."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportReport:
    created: list[Question] = field(default_factory=list)
    unit: str = "line"  # what `skipped` counts: lines of a text file, notes of a package
    skipped: list[int] = field(default_factory=list)  # the question is already among the learner's cards
    ignored_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    number: int  # the line a text row starts on, or the note's place in a package
    values: dict[str, str]


@dataclass(frozen=True)
class _Source:
    unit: str
    rows: list[_Row]
    from_anki: bool = False  # MathJax formulas; fields in HTML when `html`
    html: bool = False
    ignored_columns: list[str] = field(default_factory=list)


def own_cards_import(*, owner, content: bytes, file_name: str, default_topic: Topic) -> ImportReport:
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportRefused([_("%(file)s: larger than %(limit)d MB.") % {
            "file": file_name, "limit": MAX_IMPORT_BYTES // (1024 * 1024)}])
    if content.startswith(_ZIP_MAGIC) or zipfile.is_zipfile(io.BytesIO(content)):
        source = _package(content, file_name=file_name)
    else:
        source = _text(_decode(content, file_name=file_name), file_name=file_name)
    if not source.rows:
        raise ImportRefused([_("%(file)s: no cards found: each row needs a question and an answer.") % {
            "file": file_name}])
    topics = _topic_lookup()
    known = set(owner.own_questions.values_list("question_en", flat=True))
    report = ImportReport(unit=source.unit, ignored_columns=source.ignored_columns)
    texts, problems = [], []
    for row in source.rows:
        text = _row_text(row, source=source, topics=topics, default_topic=default_topic, file_name=file_name,
                         problems=problems)
        if text is None:
            continue
        if text.question in known:
            report.skipped.append(row.number)
            continue
        known.add(text.question)
        texts.append(text)
    if problems:
        hidden = len(problems) - MAX_LISTED_PROBLEMS
        more = [_("…and %(count)d more problems.") % {"count": hidden}] if hidden > 0 else []
        raise ImportRefused(problems[:MAX_LISTED_PROBLEMS] + more)
    try:
        report.created = own_cards_create(owner=owner, texts=texts)
    except TooManyOwnCards as error:
        raise ImportRefused([f"{file_name}: {error}"]) from None
    return report


# --- text files ---------------------------------------------------------------------------------------

def _decode(content: bytes, *, file_name: str) -> str:
    """UTF-8 (with or without the BOM Excel writes), else GB18030: what Excel and WPS save in China."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused([_("%(file)s: not an Anki package, nor a text file in UTF-8 or GB18030.") % {
        "file": file_name}])


def _delimiter(directives: dict[str, str], first_row: str) -> str:
    """Anki's `#separator:` if given, else a tab, semicolon or comma, whichever the first row has."""
    if "separator" in directives:
        name = directives["separator"].lower()
        return _ANKI_SEPARATORS.get(name, name[:1] or ",")
    for candidate in ("\t", ";"):
        if candidate in first_row and (candidate == "\t" or "," not in first_row):
            return candidate
    return ","


def _positional(directives: dict[str, str], *, width: int) -> tuple[str | None, ...]:
    """Without a header: question, answer, in the first columns that are not Anki's GUID, note type,
    deck or tags (its export names those with "#deck column:3" and the like)."""
    meta = {int(value) - 1 for key, value in directives.items() if key.endswith(" column") and value.isdigit()}
    fields = iter(_POSITIONAL)
    return tuple(None if index in meta else next(fields, None) for index in range(width))


def _text(text: str, *, file_name: str) -> _Source:
    lines = text.splitlines()
    skipped = 0
    directives = {}  # Anki's "#separator:tab", "#html:true", "#tags column:3", … before the notes
    while skipped < len(lines) and lines[skipped].startswith("#"):
        key, _colon, value = lines[skipped][1:].partition(":")
        directives[key.strip().lower()] = value.strip()
        skipped += 1
    body = lines[skipped:]
    first_row = next((line for line in body if line.strip()), "")
    reader = csv.reader(io.StringIO("\n".join(body)), delimiter=_delimiter(directives, first_row))
    columns: tuple[str | None, ...] | None = None
    ignored: list[str] = []
    rows, line_before = [], skipped
    try:
        for cells in reader:
            line, line_before = line_before + 1, skipped + reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                header = [_COLUMN_OF.get(cell.strip().casefold()) for cell in cells]
                if "question" in header:
                    columns = tuple(header)
                    ignored = [cell.strip() for cell, name in zip(cells, header, strict=True) if name is None]
                    continue
                columns = _positional(directives, width=len(cells))
            values = {name: cell for name, cell in zip(columns, cells, strict=False) if name}  # extra cells: not kept
            rows.append(_Row(number=line, values=values))
    except csv.Error as error:
        raise ImportRefused([_("%(file)s, line %(line)d: %(message)s") % {
            "file": file_name, "line": skipped + reader.line_num, "message": error}]) from None
    return _Source(unit="line", rows=rows, from_anki=bool(directives),
                   html=directives.get("html", "").lower() == "true", ignored_columns=[c for c in ignored if c])


# --- Anki packages ------------------------------------------------------------------------------------

def _package(content: bytes, *, file_name: str) -> _Source:
    """The notes of an .apkg: the first field is the question, the second the answer. Anki since 2.1.50
    writes the collection compressed (collection.anki21b) beside an old-format stub that only says to
    update Anki; older versions write collection.anki21 or collection.anki2."""
    not_anki = ImportRefused([_("%(file)s: not an Anki package (.apkg) with notes in it.") % {"file": file_name}])
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = set(package.namelist())
            name = next((n for n in ("collection.anki21b", "collection.anki21", "collection.anki2") if n in names),
                        None)
            if name is None:
                raise not_anki
            if package.getinfo(name).file_size > MAX_COLLECTION_BYTES:  # the reader stops at this size too
                raise ImportRefused([_("%(file)s: its notes take more than %(limit)d MB.") % {
                    "file": file_name, "limit": MAX_COLLECTION_BYTES // (1024 * 1024)}])
            data = package.read(name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError):
        raise not_anki from None  # a damaged archive, or one compressed in a way zipfile cannot read
    try:
        if name.endswith("b"):
            data = zstandard.ZstdDecompressor().decompress(data, max_output_size=MAX_COLLECTION_BYTES)
        collection = sqlite3.connect(":memory:")
        try:
            collection.deserialize(data)
            notes = collection.execute("SELECT flds FROM notes ORDER BY id").fetchall()
        finally:
            collection.close()
    except (zstandard.ZstdError, sqlite3.DatabaseError):
        raise not_anki from None
    rows = []
    for number, (fields,) in enumerate(notes, start=1):
        question, answer, *_rest = [*fields.split("\x1f"), "", ""]
        rows.append(_Row(number=number, values={"question": question, "answer": answer}))
    return _Source(unit="note", rows=rows, from_anki=True, html=True)


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
_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::(.*?))?\}\}", re.S)


def _math_from_mathjax(text: str) -> str:
    for pattern, delimiter in _MATHJAX:
        # A formula is TeX, not HTML: "a &lt; b" in the field is "a < b" to KaTeX.
        text = pattern.sub(lambda m, d=delimiter: f"{d}{html.unescape(m.group(1)).strip()}{d}", text)
    return text


def _lines_from_html(text: str) -> str:
    """Anki's field HTML as Markdown: each line ends in <br> (inline HTML, so formulas on it are still
    read as formulas; a line starting with a block tag would be passed through raw), other tags stay."""
    text = _BLOCK_START.sub("", _ITEM_START.sub("• ", _LINE_END.sub("<br>\n", text.replace("&nbsp;", " "))))
    lines = [line.strip() for line in text.split("\n")]
    while lines and lines[-1] in ("", "<br>"):
        lines.pop()
    return "\n".join(lines).removesuffix("<br>").strip()


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", _LINE_END.sub("\n", text))).strip()


def _from_anki(values: dict[str, str], *, is_html: bool) -> dict[str, str]:
    question, answer = values.get("question", ""), values.get("answer", "")
    if _CLOZE.search(question):  # "{{c1::ReLU::an activation}} is max(0, x)": ask for the blanks
        full = _CLOZE.sub(lambda m: f"**{m.group(1)}**", question)
        question = _CLOZE.sub(lambda m: f"[{m.group(2) or '…'}]", question)
        answer = f"{full}<br><br>{answer}" if answer.strip() else full
    question, answer = _math_from_mathjax(question), _math_from_mathjax(answer)
    if is_html:
        question, answer = _plain(question), _lines_from_html(answer)
    return {**values, "question": question, "answer": answer}


# --- one row ------------------------------------------------------------------------------------------

def _topic_lookup() -> dict[str, Topic]:
    """A topic by its slug or its title in either language, case-insensitively."""
    lookup = {}
    for topic in Topic.objects.all():
        for name in (topic.slug, topic.title_en, topic.title_zh):
            lookup[name.casefold()] = topic
    return lookup


def _row_text(row: _Row, *, source: _Source, topics: dict[str, Topic], default_topic: Topic, file_name: str,
              problems: list[str]) -> OwnCardText | None:
    values = _from_anki(row.values, is_html=source.html) if source.from_anki else dict(row.values)
    topic_name = values.pop("topic", "").strip()
    topic = topics.get(topic_name.casefold()) if topic_name else default_topic
    values["topic"] = topic.slug if topic else ""
    values["difficulty"] = values.get("difficulty", "").strip() or str(Question.Difficulty.STANDARD.value)
    form = OwnCardForm(data=values)
    if form.is_valid():
        return OwnCardText.from_form(form.cleaned_data)
    if topic is None:  # say which name was not found, not that the column is empty
        form.errors["topic"] = form.error_class([_("unknown topic “%(name)s”") % {"name": topic_name}])
    where = (_("%(file)s, line %(number)d") if source.unit == "line" else _("%(file)s, note %(number)d")) % {
        "file": file_name, "number": row.number}
    for name, messages in form.errors.items():
        column = form.fields[name].label if name in form.fields else name  # "Answer" / "答案"
        for message in messages:
            problems.append(_("%(where)s: %(column)s: %(message)s") % {
                "where": where, "column": column, "message": message})
    return None
