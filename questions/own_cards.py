"""A learner's own cards: written one at a time or imported from a spreadsheet or an Anki text export.

An own card is a `Question` with an owner. The learner writes it in one language, so the text goes
into both language fields: it reads the same whatever language the pages are in. It is studied like
a corpus card (the study queue and ratings take it), found by search, exported to Anki, and seen
by nobody else. Interviews draw on the corpus only: they grade against key points, which own cards
do not have.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field

from django import forms
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from questions.corpus import OWN_CARD_PREFIX, unbalanced_math
from questions.models import Question, Topic
from questions.services import question_derived_fields

MAX_OWN_CARDS = 5000  # per learner
MAX_QUESTION_LENGTH = 2000
MAX_ANSWER_LENGTH = 20000
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_PROBLEMS = 20  # listed; the rest are counted

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


class OwnCardForm(forms.Form):
    """The rules for one own card, for the web form, the API and every imported row."""

    question = forms.CharField(max_length=MAX_QUESTION_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
                               label=gettext_lazy("Question"))
    answer = forms.CharField(max_length=MAX_ANSWER_LENGTH, widget=forms.Textarea(attrs={"rows": 12}),
                             label=gettext_lazy("Answer"),
                             help_text=gettext_lazy("Markdown; formulas between $…$ or $$…$$."))
    topic = forms.ModelChoiceField(queryset=Topic.objects.order_by("position", "slug"), to_field_name="slug",
                                   label=gettext_lazy("Topic"))
    difficulty = forms.TypedChoiceField(coerce=int, initial=Question.Difficulty.STANDARD,
                                        label=gettext_lazy("Difficulty"),
                                        choices=[(1, gettext_lazy("1 · basic")), (2, gettext_lazy("2 · standard")),
                                                 (3, gettext_lazy("3 · hard"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].label_from_instance = lambda topic: topic.title

    def clean_question(self) -> str:
        return self.cleaned_data["question"].strip()

    def clean_answer(self) -> str:
        answer = self.cleaned_data["answer"].strip()
        check_answer(answer)
        return answer


def check_answer(answer: str) -> None:
    """ValidationError when KaTeX could not tell where a formula ends."""
    problem = unbalanced_math(answer)
    if problem:
        raise forms.ValidationError(_("Formulas: %(problem)s.") % {"problem": _(problem)})


@dataclass(frozen=True)
class OwnCardText:
    question: str
    answer: str
    topic: Topic
    difficulty: int

    @classmethod
    def from_form(cls, cleaned: dict) -> OwnCardText:
        return cls(question=cleaned["question"], answer=cleaned["answer"], topic=cleaned["topic"],
                   difficulty=cleaned["difficulty"])

    def fields(self) -> dict:
        return {"topic": self.topic, "difficulty": self.difficulty,
                "question_en": self.question, "question_zh": self.question,
                "answer_en": self.answer, "answer_zh": self.answer,
                **question_derived_fields(question_en=self.question, question_zh="", answer_en=self.answer,
                                          answer_zh="", tags=[])}


class TooManyOwnCards(Exception):
    pass


def _new_card_id() -> str:
    while True:  # 40 random bits: a collision is rare, and then the next draw is taken
        card_id = f"{OWN_CARD_PREFIX}{secrets.token_hex(5)}"
        if not Question.objects.filter(card_id=card_id).exists():
            return card_id


def _check_room(*, owner, adding: int) -> None:
    if owner.own_questions.count() + adding > MAX_OWN_CARDS:
        raise TooManyOwnCards(_("A learner keeps at most %(limit)d own cards.") % {"limit": MAX_OWN_CARDS})


def own_card_create(*, owner, text: OwnCardText) -> Question:
    with transaction.atomic():
        _check_room(owner=owner, adding=1)
        return Question.objects.create(card_id=_new_card_id(), owner=owner, **text.fields())


def own_card_update(*, card: Question, text: OwnCardText) -> Question:
    """New text for the card; the learner's study state and history of it stay."""
    for name, value in text.fields().items():
        setattr(card, name, value)
    card.save()
    return card


def own_card_delete(*, card: Question) -> None:
    """The card goes, with the learner's study state and review history of it."""
    card.delete()


# --- import ---------------------------------------------------------------------------------------

class ImportRefused(Exception):
    """The file cannot be imported as it is; nothing was. `problems` name the line and the column."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportReport:
    created: list[Question] = field(default_factory=list)
    duplicate_lines: list[int] = field(default_factory=list)  # the question is already among the learner's cards
    ignored_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, str]


def _decode(content: bytes, *, file_name: str) -> str:
    """UTF-8 (with or without the BOM Excel writes), else GB18030: what Excel and WPS save in China."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused([_("%(file)s: not a text file in UTF-8 or GB18030.") % {"file": file_name}])


def _delimiter(lines: list[str]) -> str:
    """Anki's `#separator:` line if there is one, else a tab, semicolon or comma, whichever the first
    row has (a spreadsheet's CSV, or Anki's "Notes in plain text")."""
    names = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " ", "colon": ":"}
    for line in lines:
        if line.startswith("#separator:"):
            name = line.removeprefix("#separator:").strip().lower()
            return names.get(name, name[:1] or ",")
    first = next((line for line in lines if line.strip() and not line.startswith("#")), "")
    for candidate in ("\t", ";"):
        if candidate in first and (candidate == "\t" or "," not in first):
            return candidate
    return ","


def _rows(text: str, *, file_name: str) -> tuple[list[_Row], list[str]]:
    """The data rows with their first line's number, and the header's columns that are not kept."""
    lines = text.splitlines()
    directives = 0
    while directives < len(lines) and lines[directives].startswith("#"):  # Anki's "#separator:tab", …
        directives += 1
    reader = csv.reader(io.StringIO("\n".join(lines[directives:])), delimiter=_delimiter(lines))
    columns: tuple[str | None, ...] | None = None
    ignored: list[str] = []
    rows, line_before = [], directives
    try:
        for cells in reader:
            line, line_before = line_before + 1, directives + reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                header = [_COLUMN_OF.get(cell.strip().casefold()) for cell in cells]
                if "question" in header:
                    columns = tuple(header)
                    ignored = [cell.strip() for cell, name in zip(cells, header, strict=True) if name is None]
                    continue
                columns = _POSITIONAL
            values = {name: cell for name, cell in zip(columns, cells, strict=False) if name}  # extra cells: not kept
            rows.append(_Row(line=line, values=values))
    except csv.Error as error:
        raise ImportRefused([_("%(file)s, line %(line)d: %(message)s") % {
            "file": file_name, "line": directives + reader.line_num, "message": error}]) from None
    return rows, [name for name in ignored if name]


def _topic_lookup() -> dict[str, Topic]:
    """A topic by its slug or its title in either language, case-insensitively."""
    lookup = {}
    for topic in Topic.objects.all():
        for name in (topic.slug, topic.title_en, topic.title_zh):
            lookup[name.casefold()] = topic
    return lookup


def own_cards_import(*, owner, content: bytes, file_name: str, default_topic: Topic) -> ImportReport:
    """Every row of the file becomes an own card, or none does: ImportRefused lists each bad row
    ("file, line 7: answer: …"). A row whose question the learner already has (or an earlier row
    had) is skipped, so importing a file twice adds nothing."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportRefused([_("%(file)s: larger than %(limit)d MB.") % {
            "file": file_name, "limit": MAX_IMPORT_BYTES // (1024 * 1024)}])
    rows, ignored = _rows(_decode(content, file_name=file_name), file_name=file_name)
    if not rows:
        raise ImportRefused([_("%(file)s: no cards found: each row needs a question and an answer.") % {
            "file": file_name}])
    topics = _topic_lookup()
    known = set(owner.own_questions.values_list("question_en", flat=True))
    report, texts, problems = ImportReport(ignored_columns=ignored), [], []
    for row in rows:
        text = _row_text(row, topics=topics, default_topic=default_topic, file_name=file_name, problems=problems)
        if text is None:
            continue
        if text.question in known:
            report.duplicate_lines.append(row.line)
            continue
        known.add(text.question)
        texts.append(text)
    if problems:
        hidden = len(problems) - MAX_IMPORT_PROBLEMS
        more = [_("…and %(count)d more problems.") % {"count": hidden}] if hidden > 0 else []
        raise ImportRefused(problems[:MAX_IMPORT_PROBLEMS] + more)
    with transaction.atomic():
        try:
            _check_room(owner=owner, adding=len(texts))
        except TooManyOwnCards as error:
            raise ImportRefused([f"{file_name}: {error}"]) from None
        report.created = [Question.objects.create(card_id=_new_card_id(), owner=owner, **text.fields())
                          for text in texts]
    return report


def _row_text(row: _Row, *, topics: dict[str, Topic], default_topic: Topic, file_name: str,
              problems: list[str]) -> OwnCardText | None:
    values = dict(row.values)
    topic_name = values.pop("topic", "").strip()
    topic = topics.get(topic_name.casefold()) if topic_name else default_topic
    values["topic"] = topic.slug if topic else ""
    values["difficulty"] = values.get("difficulty", "").strip() or str(Question.Difficulty.STANDARD.value)
    form = OwnCardForm(data=values)
    if form.is_valid():
        return OwnCardText.from_form(form.cleaned_data)
    if topic is None:  # say which name was not found, not that the column is empty
        form.errors["topic"] = form.error_class([_("unknown topic “%(name)s”") % {"name": topic_name}])
    for name, messages in form.errors.items():
        column = form.fields[name].label if name in form.fields else name  # "Answer" / "答案"
        for message in messages:
            problems.append(_("%(file)s, line %(line)d: %(column)s: %(message)s") % {
                "file": file_name, "line": row.line, "column": column, "message": message})
    return None
