"""Importing a learner's own cards from a file: a spreadsheet saved as CSV or tab-separated text,
Anki's "Notes in Plain Text" export (`text`), or an Anki deck package, .apkg (`anki`).

A file imports whole or not at all: ImportRefused lists each bad row as "file, line 7: Answer: …"
("note 7" in a package). A row whose question the learner already has (or an earlier row had) is
skipped, so importing the same file twice adds nothing.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from questions.models import Question, Topic
from quizapp.core.locks import lock_learner
from quizapp.own_cards import services
from quizapp.own_cards.forms import OwnCardForm
from quizapp.own_cards.images import ImageFile, StoredFiles, own_card_images_save
from quizapp.own_cards.imports import anki_links
from quizapp.own_cards.imports.anki import from_anki, read_package
from quizapp.own_cards.imports.anki_media import note_images
from quizapp.own_cards.imports.source import ImportRefused, Row, Source
from quizapp.own_cards.imports.text import read_text
from quizapp.own_cards.services import OwnCardText, TooManyOwnCards

__all__ = ["MAX_IMPORT_BYTES", "ImportRefused", "ImportReport", "is_package", "own_cards_import",
           "own_cards_import_preview", "own_cards_import_preview_upload", "own_cards_import_upload", "too_large",
           "upload_too_large"]

MAX_IMPORT_BYTES = 20 * 1024 * 1024  # an Anki package with its media
MAX_LISTED_PROBLEMS = 20  # the rest are counted
_ZIP_MAGIC = b"PK\x03\x04"  # what an .apkg starts with
# Difficulty as a spreadsheet may write it: 1–3 (pandas writes 3.0), or a word in either language.
_DIFFICULTY_WORDS = {"basic": 1, "easy": 1, "基础": 1, "简单": 1, "standard": 2, "medium": 2, "标准": 2, "中等": 2,
                     "hard": 3, "困难": 3, "难": 3}
_WHOLE_NUMBER = re.compile(r"^([0-9]+)(\.0+)?$")
CardKey = tuple[int, int]  # a row's number, and which card of its note (Question.note_card)


@dataclass
class ImportReport:
    created: list[Question] = field(default_factory=list)
    unit: str = "line"  # what the numbers below count: lines of a text file, notes of a package
    skipped: list[int] = field(default_factory=list)  # the question is already among the learner's cards
    updated: list[int] = field(default_factory=list)  # …and that card took the row's answer, topic, difficulty
    differing: int = 0  # skipped rows whose answer, topic or difficulty differ from the card's (Update applies them)
    repeated: list[int] = field(default_factory=list)  # an earlier row of the file has the same question
    ignored_columns: list[str] = field(default_factory=list)
    recognised: list[int] = field(default_factory=list)  # notes of our own deck: the card they are, no copy made
    topics_kept: list[int] = field(default_factory=list)  # updated, but their topic stays the card's
    topics_from_anki: dict[str, Topic] = field(default_factory=dict)  # a deck or tag → the topic it named
    decks_without_topic: list[str] = field(default_factory=list)  # their notes take the form's topic
    reviews_imported: int = 0
    images: int = 0  # images the notes show that came with them (one each, however many notes show it)
    images_left_out: list[int] = field(default_factory=list)  # notes showing an image that could not come
    image_problems: list[str] = field(default_factory=list)  # "note 2: relu.svg: not a PNG, JPEG, GIF or WebP image."
    fsrs_taken: bool = False  # the package's FSRS weights and retention are now the learner's


class _RowForm(OwnCardForm):
    """An imported row's rules: the card's, with the topic found beforehand (one query per file)."""

    topic = None


def own_cards_import(*, owner, content: bytes, file_name: str, default_topic: Topic,
                     update_existing: bool = False, with_history: bool = False,
                     take_fsrs_parameters: bool = False, chosen_topics: dict[str, Topic] | None = None,
                     keep_image_files: bool = True) -> ImportReport:
    """With `update_existing`, a row whose question the learner already has gives that card the
    row's answer, topic and difficulty (their study of it stays); without, the row is skipped.

    From an Anki package: a note of our own deck (our note type, a card ID the learner may see) is that
    card, never a copy; another note is found again by its GUID, then by its question, and a new card
    keeps the GUID. A note's deck or tags name its topic when they name one of ours; an update keeps the
    card's topic. With `with_history`, each card's reviews join the learner's log (see
    study.services.card_history_import); with `take_fsrs_parameters`, the package's FSRS preset becomes
    the learner's. `chosen_topics` are the learner's topics for decks and tags, confirmed in the preview.
    The images a note shows become the card's (see imports.anki_media), their files saved unless not
    `keep_image_files` (the preview), and removed again when the import fails."""
    if len(content) > MAX_IMPORT_BYTES:
        raise too_large(file_name)
    source = _read(content, file_name=file_name)
    recognised = anki_links.recognised_notes(source, owner=owner)
    source = anki_links.without_rows(source, recognised)
    if not source.rows and not recognised:
        raise ImportRefused([_("%(file)s: no cards found: each row needs a question and an answer.") % {
            "file": file_name}])
    if len(source.rows) > services.MAX_OWN_CARDS:  # before any row is checked: checking costs time
        raise ImportRefused([_("%(file)s: more than %(limit)d rows; split it into smaller files.") % {
            "file": file_name, "limit": services.MAX_OWN_CARDS}])
    report = ImportReport(unit=source.unit, ignored_columns=source.ignored_columns,
                          recognised=sorted(recognised))
    report.topics_from_anki, report.decks_without_topic = anki_links.name_topics_from_decks(
        source, topics=_topic_lookup(), chosen=chosen_topics)
    found = note_images(source, source.anki_media, problems=report.image_problems,
                        left_out=report.images_left_out) if source.from_anki else {}
    # Locked from reading the learner's questions and images to saving: a double-clicked Import, or a second
    # tab, waits for the first and then finds its cards already there.
    with StoredFiles() as stored, transaction.atomic():
        lock_learner(owner)
        images = _images_saved(owner, found, stored=stored if keep_image_files else None, report=report)
        checked = _checked_rows(source, default_topic=default_topic, file_name=file_name, report=report,
                                images=images)
        cards = {**{(number, 0): card for number, card in recognised.items()},
                 **_saved_rows(owner, checked, source=source, update_existing=update_existing, report=report,
                               file_name=file_name)}
        if with_history:
            report.reviews_imported = anki_links.history_import(owner=owner, source=source, cards=cards)
        if take_fsrs_parameters and source.anki_preset is not None:
            report.fsrs_taken = anki_links.fsrs_preset_take(owner=owner, preset=source.anki_preset)
    return report


class _RolledBack(Exception):
    def __init__(self, report: ImportReport):
        super().__init__()
        self.report = report


def own_cards_import_preview(**options) -> ImportReport:
    """What own_cards_import with these options would do (cards new, updated, recognised, reviews, images
    left out, the topics decks and tags name), with nothing kept: the import runs in a transaction that is
    rolled back, so the preview counts exactly what the import does, by the same code."""
    try:
        with transaction.atomic():
            raise _RolledBack(own_cards_import(**options, keep_image_files=False))
    except _RolledBack as rolled_back:
        return rolled_back.report


def _images_saved(owner, found: dict[int, dict[str, ImageFile]], *, stored: StoredFiles | None,
                  report: ImportReport) -> dict[int, dict[str, str]]:
    """The learner's image for each file the notes show (each file once): by row number, Anki's name → ours."""
    files = {name: file for row_images in found.values() for name, file in row_images.items()}
    saved = own_card_images_save(owner=owner, files=list(files.values()), stored=stored)
    ours = {name: image.name for name, image in zip(files, saved, strict=True)}
    report.images = len(files)
    return {number: {name: ours[name] for name in row_images} for number, row_images in found.items()}


def _saved_rows(owner, checked: list[tuple[CardKey, OwnCardText]], *, source: Source, update_existing: bool,
                report: ImportReport, file_name: str) -> dict[CardKey, Question]:
    """Each card's Question, found again (by the note's GUID and which card of the note it is, then by the
    question) or made; by row number and card. The report counts notes: a note's cards count it once."""
    own = list(owner.own_questions.select_related("topic"))
    known = {card.question_en: card for card in own}
    by_guid = {(card.anki_guid, card.note_card): card for card in own if card.anki_guid}
    found, new = {}, []
    for (number, ord_), text in checked:
        note = source.anki_notes.get(number)
        card = by_guid.get((note.guid, ord_)) if note and note.guid else None
        card = card or known.get(text.question)
        if card is None:
            new.append(((number, ord_), text))
            continue
        found[number, ord_] = card
        if note is not None and text.topic != card.topic:  # a deck is no order to move a card
            text = dataclasses.replace(text, topic=card.topic)
            if update_existing:
                _once(report.topics_kept, number)
        differs = services.own_card_differs(card=card, text=text)
        if update_existing and (differs or (text.anki_guid and not card.anki_guid)):
            services.own_card_update(card=card, text=text)
            _once(report.updated, number)
        else:
            _once(report.skipped, number)
            report.differing += differs
    try:
        created = services.own_cards_create(owner=owner, texts=[text for _number, text in new])
    except TooManyOwnCards as error:
        raise ImportRefused([f"{file_name}: {error.detail}"]) from None
    report.created = created
    return {**found, **{key: card for (key, _text), card in zip(new, created, strict=True)}}


def _once(numbers: list[int], number: int) -> None:
    """Append a note's number once for its several cards, which come one after another."""
    if not numbers or numbers[-1] != number:
        numbers.append(number)


def upload_too_large(request) -> bool:
    """The request says its body is past the limit (with room for the form around the file)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_IMPORT_BYTES + 64 * 1024
    except ValueError:
        return False


def too_large(file_name: str) -> ImportRefused:
    return ImportRefused([_("%(file)s: larger than %(limit)d MB (an Anki deck: export it without its media).")
                          % {"file": file_name, "limit": MAX_IMPORT_BYTES // (1024 * 1024)}])


def own_cards_import_upload(*, owner, upload, default_topic: Topic, update_existing: bool = False,
                            with_history: bool = False, take_fsrs_parameters: bool = False,
                            chosen_topics: dict[str, Topic] | None = None) -> ImportReport:
    """own_cards_import of an uploaded file, read no further than one byte past the size limit."""
    return own_cards_import(owner=owner, content=upload.read(MAX_IMPORT_BYTES + 1), file_name=upload.name,
                            default_topic=default_topic, update_existing=update_existing,
                            with_history=with_history, take_fsrs_parameters=take_fsrs_parameters,
                            chosen_topics=chosen_topics)


def own_cards_import_preview_upload(*, upload, **options) -> ImportReport:
    """own_cards_import_preview of an uploaded file, read as own_cards_import_upload reads it."""
    return own_cards_import_preview(content=upload.read(MAX_IMPORT_BYTES + 1), file_name=upload.name, **options)


def is_package(content: bytes) -> bool:
    """An Anki package (or another zip, which the import refuses by name), not a text file."""
    return content.startswith(_ZIP_MAGIC)


def _read(content: bytes, *, file_name: str) -> Source:
    if is_package(content):
        return read_package(content, file_name=file_name, max_notes=services.MAX_OWN_CARDS)
    return read_text(content, file_name=file_name)


def _checked_rows(source: Source, *, default_topic: Topic, file_name: str, report: ImportReport,
                  images: dict[int, dict[str, str]]) -> list[tuple[CardKey, OwnCardText]]:
    """Each card a row makes (a note may make several: a cloze number each, or a reverse), by the row's
    number and which card of it, less cards repeating an earlier card's question (their rows' numbers go
    to `report.repeated`). ImportRefused when any row is bad."""
    _refuse_full_width_separators(source, file_name=file_name)
    topics = _topic_lookup()
    checked, seen, problems = [], set(), []
    for row in source.rows:
        texts = _row_texts(row, source=source, topics=topics, default_topic=default_topic, file_name=file_name,
                           problems=problems, images=images.get(row.number, {}))
        for text in texts:
            if text.question in seen:
                _once(report.repeated, row.number)
                continue
            seen.add(text.question)
            checked.append(((row.number, text.note_card), text))
    if problems:
        hidden = len(problems) - MAX_LISTED_PROBLEMS
        more = [_("…and %(count)d more problems.") % {"count": hidden}] if hidden > 0 else []
        raise ImportRefused(problems[:MAX_LISTED_PROBLEMS] + more)
    return checked


def _refuse_full_width_separators(source: Source, *, file_name: str) -> None:
    """Typed with a Chinese input method, a CSV's commas come out full-width (，), which no reader
    takes for a separator: every line is then one long question with no answer. Say so once, not
    "answer required" on every line."""
    lone = [row for row in source.rows if not row.values.get("answer", "").strip()]
    if not source.from_anki and source.rows and len(lone) == len(source.rows) and all(
            "，" in row.values.get("question", "") for row in lone):
        raise ImportRefused([_("%(file)s: every line is a single column with full-width commas (，) in it. "
                               "Separate the columns with half-width commas (,) or tabs.") % {"file": file_name}])


def _topic_lookup() -> dict[str, Topic]:
    """A topic by its slug or its title in either language, case-insensitively."""
    lookup = {}
    for topic in Topic.objects.all():
        for name in (topic.slug, topic.title_en, topic.title_zh):
            lookup[name.casefold()] = topic
    return lookup


def _topic_codes(topics: dict[str, Topic]) -> list[str]:
    return [topic.slug for topic in sorted(set(topics.values()), key=lambda topic: topic.position)]


def _difficulty(value: str) -> str:
    """Blank is standard; "3.0" is 3; a word is its number. Anything else goes to the form to refuse."""
    value = unicodedata.normalize("NFKC", value).strip()  # "２" typed with a Chinese keyboard is 2
    if not value:
        return str(Question.Difficulty.STANDARD.value)
    whole = _WHOLE_NUMBER.match(value)
    if whole:
        return whole.group(1)
    return str(_DIFFICULTY_WORDS.get(value.casefold(), value))


def _row_texts(row: Row, *, source: Source, topics: dict[str, Topic], default_topic: Topic, file_name: str,
               problems: list[str], images: dict[str, str]) -> list[OwnCardText]:
    """The cards of one row: one, or from an Anki note one per cloze number or two for a reversed note."""
    note = source.anki_notes.get(row.number)
    if not source.from_anki:
        cards = [(0, dict(row.values))]
    else:
        reverse = note is not None and any(card.ord == 1 for card in note.cards)
        cards = from_anki(row.values, is_html=source.html, reverse=reverse, images=images)
    texts = []
    for ord_, values in cards:
        text = _row_text(row, values, topics=topics, default_topic=default_topic, file_name=file_name,
                         problems=problems, guid=note.guid if note else "", unit=source.unit)
        if text is not None:
            texts += [dataclasses.replace(text, note_card=ord_)] if ord_ else services.own_card_texts(text)
    return texts


def _row_text(row: Row, values: dict[str, str], *, topics: dict[str, Topic], default_topic: Topic, file_name: str,
              problems: list[str], guid: str, unit: str) -> OwnCardText | None:
    values = dict(values)
    topic_name = values.pop("topic", "").strip()
    topic = topics.get(topic_name.casefold()) if topic_name else default_topic
    values["difficulty"] = _difficulty(values.get("difficulty", ""))
    form = _RowForm(data=values)
    if form.is_valid() and topic is not None:
        return OwnCardText.from_form({**form.cleaned_data, "topic": topic, "anki_guid": guid})
    errors = dict(form.errors)
    if topic is None:
        errors["topic"] = [_("unknown topic “%(name)s”; a topic's code or title in either language, such as "
                             "%(codes)s.") % {"name": topic_name, "codes": ", ".join(_topic_codes(topics))}]
    where = (_("%(file)s, line %(number)d") if unit == "line" else _("%(file)s, note %(number)d")) % {
        "file": file_name, "number": row.number}
    labels = {"topic": OwnCardForm.base_fields["topic"].label}
    for name, messages in errors.items():
        column = form.fields[name].label if name in form.fields else labels.get(name, name)  # "Answer" / "答案"
        for message in messages:
            problems.append(_("%(where)s: %(column)s: %(message)s") % {
                "where": where, "column": column, "message": message})
    return None
