"""Reading a text file of cards: a spreadsheet saved as CSV or tab-separated text, or Anki's
"Notes in Plain Text" export with its `#separator:`, `#html:`, `#columns:` and `#… column:` lines."""

from __future__ import annotations

import csv
import io
import re

from django.utils.translation import gettext as _

from quizapp.own_cards.imports.source import ImportRefused, Row, Source

# Column names a header row may use, in either language; Anki's own field names too.
_COLUMNS = {
    "question": {"question", "front", "问题", "题目", "正面"},
    "answer": {"answer", "back", "答案", "背面"},
    "topic": {"topic", "主题"},
    "difficulty": {"difficulty", "难度"},
}
_COLUMN_OF = {name.casefold(): column for column, names in _COLUMNS.items() for name in names}
# Without a header, a row is question, answer, then anything else, which is not kept.
_POSITIONAL = ("question", "answer")
# The file-header lines Anki writes (and reads) before the notes; any other "#" line is data.
_ANKI_DIRECTIVE = re.compile(r"#(separator|html|tags|columns|notetype|deck|if matches|"
                             r"(?:guid|notetype|deck|tags) column):(.*)", re.I)
_ANKI_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " ", "colon": ":"}
_NEWLINE = re.compile(r"\r\n|\r|\n")
_SNIFFED_ROWS = 50
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")
# Cells a spreadsheet evaluates, after any apostrophes: the export escapes them, the import unescapes.
_FORMULA_LIKE = re.compile(r"'*[=+\-@\t\r]")


def cards_as_csv(cards) -> str:
    """Own cards in the format read_text reads back (a header row, then question, answer, topic,
    difficulty): a learner's backup, or a file to edit in a spreadsheet and import again."""
    out = io.StringIO()
    # CRLF ends a record (RFC 4180): the writer then quotes any cell holding a CR, which a "\n" ending leaves bare.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["question", "answer", "topic", "difficulty"])
    for card in cards:
        writer.writerow([_inert(str(cell)) for cell in (card.question_en, card.answer_en, card.topic.slug,
                                                          card.difficulty)])
    return out.getvalue()


def _inert(cell: str) -> str:
    """A cell a spreadsheet would read as a formula ("=HYPERLINK(…)", also "+", "-", "@", a tab or a CR
    first: OWASP's list) gets a leading "'", so it opens as text. Cells already starting with "'" before
    such a character get one more, so that import, which takes exactly one off, gives back every cell."""
    return "'" + cell if _FORMULA_LIKE.match(cell) else cell


def _as_written(cell: str) -> str:
    """The text a cell held before _inert: a Markdown list ("- item") survives the round trip."""
    return cell[1:] if cell.startswith("'") and _FORMULA_LIKE.match(cell) else cell


def read_text(content: bytes, *, file_name: str) -> Source:
    text = _decode(content, file_name=file_name)
    directives, body, first_line = _directives(text)
    delimiter = _delimiter(directives, body)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True)
    header, ignored = _columns_directive(directives, delimiter)
    positional_width = 0
    rows, line_before = [], first_line - 1
    try:
        for cells in reader:
            line, line_before = line_before + 1, first_line - 1 + reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:  # the first row: a header if it names the question column
                header, ignored = _header(cells)
                if header:
                    continue
                if _names_columns_but_no_question(cells):
                    raise ImportRefused([_("%(file)s, line %(line)d: the header row names no question column "
                                           "(question, 问题 or Front).") % {"file": file_name, "line": line}])
            columns = header or _positional(directives, width=len(cells))
            positional_width = max(positional_width, 0 if header else len(cells))
            values = {name: _as_written(cell) for name, cell in zip(columns, cells, strict=False) if name}
            rows.append(Row(number=line, values=values))
    except csv.Error as error:
        raise ImportRefused([_("%(file)s, line %(line)d: %(message)s") % {  # the line the bad record starts on
            "file": file_name, "line": line_before + 1, "message": _csv_problem(error)}]) from None
    if not header:
        ignored = _positional_ignored(directives, width=positional_width)
    if directives and any(_is_shown_card(row) for row in rows):
        raise ImportRefused([_("%(file)s: Anki's “Cards in Plain Text” export: each card as Anki shows it, "
                               "cloze blanks filled in. In Anki, export “Notes in Plain Text” and import that.")
                             % {"file": file_name}])
    return Source(unit="line", rows=rows, from_anki=bool(directives),
                  html=directives.get("html", "").strip().lower() == "true", ignored_columns=ignored)


# What only Anki's card export writes: a cloze rendered as Anki shows it (its HTML, or, without HTML,
# "[...]" in the question and the blank filled in the answer).
_RENDERED_CLOZE = re.compile(r'class="cloze(-inactive)?"|data-ordinal="\d+"')
_BLANK = "[...]"


def _is_shown_card(row: Row) -> bool:
    question, answer = row.values.get("question", ""), row.values.get("answer", "")
    if _RENDERED_CLOZE.search(question) or _RENDERED_CLOZE.search(answer):
        return True
    before, blank, after = question.partition(_BLANK)
    return bool(blank) and _BLANK not in after and len(answer) > len(question) - len(_BLANK) and (
        answer.startswith(before) and answer.endswith(after))


def _csv_problem(error: csv.Error) -> str:
    """What Python's csv module says, in the learner's words and language."""
    message = str(error)
    if "field larger than field limit" in message:
        return _("a cell longer than %(limit)d characters") % {"limit": csv.field_size_limit()}
    if "unexpected end of data" in message or "EOF" in message:
        return _("a quoted cell is not closed: a \" is missing")
    if "expected after" in message:
        return _("a quote inside a quoted cell must be doubled (\"\")")
    return message


def _decode(content: bytes, *, file_name: str) -> str:
    """The text, with NUL characters (in no text file) refused."""
    text = _decoded(content, file_name=file_name)
    if "\x00" in text:
        raise _not_text(file_name)
    return text


def _not_text(file_name: str) -> ImportRefused:
    return ImportRefused([_("%(file)s: not an Anki package, nor a text file in UTF-8, UTF-16, GB18030 or "
                            "Windows-1252.") % {"file": file_name}])


def _decoded(content: bytes, *, file_name: str) -> str:
    """UTF-16 after its byte-order mark (Excel's "Unicode Text"); UTF-8, with or without the BOM Excel
    writes; else GB18030, what Excel and WPS save in China; else Windows-1252, what Excel saves in the
    West. Western text read as GB18030 turns into rare characters outside GB2312 (an accented letter
    and the next ASCII letter make one), Chinese text stays almost all inside it: that tells them apart."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_text(file_name) from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        chinese = content.decode("gb18030")
    except UnicodeDecodeError:
        chinese = None
    if chinese is not None and _reads_as_chinese(chinese):
        return chinese
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        if chinese is not None:
            return chinese
    raise _not_text(file_name)


def _reads_as_chinese(text: str) -> bool:
    """Chinese (simplified, or traditional characters outside GB2312) comes in runs of characters;
    Western text misread as GB18030 gives one odd character per accented letter, each on its own
    among ASCII letters and rarely inside GB2312."""
    wide = [char for char in text if ord(char) > 0x7F]
    if not wide:
        return True
    common = sum(1 for char in wide if _encodes(char, "gb2312"))
    in_runs = sum(len(run) for run in _CJK_RUN.findall(text) if len(run) > 1)
    return common >= 0.9 * len(wide) or in_runs >= 0.5 * len(wide)


def _encodes(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _directives(text: str) -> tuple[dict[str, str], str, int]:
    """Anki's header lines (key → raw value), the rest of the text, and the line the rest starts on."""
    directives, offset, line = {}, 0, 1
    for match in _NEWLINE.finditer(text + "\n"):
        directive = _ANKI_DIRECTIVE.fullmatch(text[offset:match.start()])
        if not directive:
            break
        directives[directive.group(1).lower()] = directive.group(2)
        offset, line = match.end(), line + 1
    return directives, text[offset:], line


def _delimiter(directives: dict[str, str], body: str) -> str:
    """Anki's `#separator:` (a name, or the character itself) if given; else whichever of tab, comma
    and semicolon reads the first records best (`_fit`)."""
    if "separator" in directives:
        raw = directives["separator"]
        if len(raw) == 1:
            return raw
        name = raw.strip().lower()
        return _ANKI_SEPARATORS.get(name, name[:1] or ",")
    return max(("\t", ",", ";"), key=lambda candidate: _fit(candidate, body))  # ties: tab, then comma


def _fit(delimiter: str, body: str) -> tuple[int, int, int, int]:
    """How well the first records read with this delimiter, best first when compared: quotes all
    well formed, a header row recognised, records split into two or more cells, all of one width."""
    widths = []
    try:
        for cells in csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True):
            if any(cell.strip() for cell in cells):
                widths.append(len(cells))
                if len(widths) == 1 and _header(cells)[0]:
                    return (1, 1, 0, 0)
            if len(widths) == _SNIFFED_ROWS:
                break
    except csv.Error:
        return (0, 0, 0, 0)
    split = sum(1 for width in widths if width > 1)
    same_width = max((widths.count(width) for width in set(widths) if width > 1), default=0)
    return (1, 0, split, same_width)


def _header(cells: list[str]) -> tuple[tuple[str | None, ...], list[str]]:
    """The columns a header row names and the names it has that are not kept; () when the row
    names no question column (it is data then)."""
    named = [_COLUMN_OF.get(cell.strip().casefold()) for cell in cells]
    if "question" not in named:
        return (), []
    unknown = [cell.strip() for cell, name in zip(cells, named, strict=True) if name is None and cell.strip()]
    return tuple(named), unknown


def _names_columns_but_no_question(cells: list[str]) -> bool:
    """A row of column names only ("answer,topic"): a header missing its question column, not a card."""
    named = [_COLUMN_OF.get(cell.strip().casefold()) for cell in cells if cell.strip()]
    return bool(named) and all(named)


def _columns_directive(directives: dict[str, str], delimiter: str) -> tuple[tuple[str | None, ...] | None, list[str]]:
    """Anki's `#columns:Front<sep>Back<sep>Tags` names the columns as a header row would."""
    if "columns" not in directives:
        return None, []
    return _header(directives["columns"].split(delimiter))  # naming no question column: no header


def _meta_columns(directives: dict[str, str]) -> set[int]:
    """The columns Anki's export fills with a note's GUID, note type, deck or tags ("#deck column:3")."""
    return {int(value) - 1 for key, value in directives.items()
            if key.endswith(" column") and value.strip().isdigit()}


def _positional(directives: dict[str, str], *, width: int) -> tuple[str | None, ...]:
    """Without a header: question, answer, in the first columns that are not Anki's own."""
    meta = _meta_columns(directives)
    fields = iter(_POSITIONAL)
    return tuple(None if index in meta else next(fields, None) for index in range(width))


def _positional_ignored(directives: dict[str, str], *, width: int) -> list[str]:
    """The columns past the question and answer of a file without a header (Anki's own aside)."""
    meta = _meta_columns(directives)
    return [_("column %(number)d") % {"number": index + 1}
            for index, name in enumerate(_positional(directives, width=width)) if name is None and index not in meta]
