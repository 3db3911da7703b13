"""Export questions as an Anki deck (.apkg) with genanki, for learners who also study in Anki.

Notes carry a GUID derived from the card's stable ID and the deck's language, so importing a newer
export updates the notes in place instead of duplicating them (and keeps the learner's Anki review
history), while the Chinese and English decks stay separate notes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import itertools
import json
import re
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from pathlib import Path

import genanki
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone
from pygments.formatters import HtmlFormatter

import engine
from questions.apkg_schedule import Schedule, schedule_write
from questions.images import anki_image_sources
from questions.models import Question
from questions.rendering import render_markdown
from questions.selectors import anki_criteria, own_card_media, question_list
from quizapp.study.selectors import anki_schedule

# Fixed IDs: Anki recognises the note type and the decks across exports by them, and the import
# recognises a note of our own deck by the note type and its card ID field. The note type's fields are
# pinned by a test: questions/corpus/ANKI.md says how to change them without breaking learners' decks.
MODEL_ID = 1_724_886_301
MODEL_NAME = "DL Interview Trainer Q&A"
CARD_ID_FIELD = "CardId"
MODEL_FIELDS = ["Question", "Answer", "KeyPoints", CARD_ID_FIELD, "Source"]
# An own card's note of several cards: its cloze numbers (Anki makes a card per number of the Text field), or a
# question with its reverse (two templates over the fields above). Pinned like MODEL_ID, and never recognised by
# CardId (its cards are several): the import finds them again by GUID and which card of the note they are.
CLOZE_MODEL_ID = 1_724_886_302
CLOZE_MODEL_NAME = "DL Interview Trainer Cloze"
CLOZE_MODEL_FIELDS = ["Text", "Extra", "Source"]
REVERSED_MODEL_ID = 1_724_886_303
REVERSED_MODEL_NAME = "DL Interview Trainer Q&A (and reversed)"
DECK_IDS = {"zh": 1_724_886_311, "en": 1_724_886_312}
DECK_NAMES = {"zh": "深度学习面试 DL Interview Trainer", "en": "DL Interview Trainer"}
CORPUS_DECK_SECONDS = 24 * 3600  # the key names the corpus's state: a changed card makes a new one
PROGRESS_EVERY_NOTES = 100  # a progress report is a database write: one per so many notes
TAG_ROOT = "DLIT"
DIFFICULTY_NAMES = {1: "basic", 2: "standard", 3: "hard"}
BASE_CSS = """.card { font-family: system-ui, sans-serif; font-size: 18px; line-height: 1.5; text-align: left; }
.key-points { margin-top: 1em; padding-top: .5em; border-top: 1px solid #ccc; }
.source { margin-top: 1em; font-size: 14px; }
pre { padding: .5em; overflow-x: auto; border-radius: 4px; }
.nightMode .key-points { border-top-color: #555; }
.nightMode a { color: #8ab4f8; }
.cloze { font-weight: bold; color: #1a5fb4; }
.nightMode .cloze { color: #8ab4f8; }
"""


def card_css() -> str:
    """The cards' style: Pygments' colours for code (answers carry its token classes), in Anki's night
    mode a dark code box with light tokens instead of light text on a light box."""
    light = HtmlFormatter(style="default").get_style_defs("pre")
    dark = HtmlFormatter(style="github-dark").get_style_defs(".nightMode pre")
    return f"{BASE_CSS}{light}\n{dark}\n"


_INLINE_MATH = re.compile(r'<span class="math inline">(.*?)</span>', re.S)
_DISPLAY_MATH = re.compile(r'<div class="math display">(.*?)</div>', re.S)


def anki_math(answer_html: str) -> str:
    """Anki typesets MathJax between \\( \\) and \\[ \\]: rewrite our KaTeX placeholders to those."""
    answer_html = _DISPLAY_MATH.sub(lambda m: f"\\[{m.group(1)}\\]", answer_html)
    return _INLINE_MATH.sub(lambda m: f"\\({m.group(1)}\\)", answer_html)


# A question is plain text; $…$ in it is math by the rule the pages apply (app.js, pandoc's): no
# space just inside the dollars and no digit right after the closing one ("costs $5 and $6" is money).
_TEXT_MATH = re.compile(r"(^|[^\\])\$(?=\S)((?:[^$\\]|\\.)*?\S)\$(?!\d)")


def anki_question(text: str) -> str:
    """A question's text as an Anki field: escaped as HTML, its $…$ written as MathJax \\( \\)."""
    parts, last = [], 0
    for match in _TEXT_MATH.finditer(text):
        start = match.start() + len(match.group(1))
        parts += [html.escape(text[last:start]), "\\(", html.escape(match.group(2)), "\\)"]
        last = match.end()
    return "".join(parts) + html.escape(text[last:])


_SOURCE_LINK = '{{#Source}}<div class="source"><a href="{{Source}}">{{Source}}</a></div>{{/Source}}'
_FORWARD = {"name": "Q → A", "qfmt": "{{Question}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Answer}}'
                    '{{#KeyPoints}}<div class="key-points">{{KeyPoints}}</div>{{/KeyPoints}}' + _SOURCE_LINK}
_BACKWARD = {"name": "A → Q", "qfmt": "{{Answer}}", "afmt": '{{FrontSide}}<hr id="answer">{{Question}}' + _SOURCE_LINK}


@dataclasses.dataclass(frozen=True)
class _Models:
    plain: genanki.Model
    cloze: genanki.Model
    reversed: genanki.Model


def _models() -> _Models:
    fields = [{"name": name} for name in MODEL_FIELDS]
    return _Models(
        plain=genanki.Model(MODEL_ID, MODEL_NAME, fields=fields, templates=[_FORWARD], css=card_css(),
                            sort_field_index=0),
        cloze=genanki.Model(CLOZE_MODEL_ID, CLOZE_MODEL_NAME, fields=[{"name": name} for name in CLOZE_MODEL_FIELDS],
                            templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}",
                                        "afmt": "{{cloze:Text}}{{#Extra}}<hr id=\"answer\">{{Extra}}{{/Extra}}"
                                                + _SOURCE_LINK}],
                            css=card_css(), model_type=genanki.Model.CLOZE),
        reversed=genanki.Model(REVERSED_MODEL_ID, REVERSED_MODEL_NAME, fields=fields, templates=[_FORWARD, _BACKWARD],
                               css=card_css(), sort_field_index=0))


def note_guid(question: Question, language: str) -> str:
    """A corpus card is a note per language (the zh and en decks are two decks); an own card has one
    text, so one note whatever the language: the GUID it came from Anki with, or one of its card ID."""
    if question.is_own:
        return question.anki_guid or genanki.guid_for("dl-interview-trainer", question.card_id)
    return genanki.guid_for("dl-interview-trainer", question.card_id, language)


def _source(question: Question) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("questions:detail", args=[question.card_id])


def _note(question: Question, language: str, model: genanki.Model, guid: str) -> genanki.Note:
    points = "".join(f"<li>{html.escape(point[language])}</li>" for point in question.key_points)
    return genanki.Note(
        model=model, guid=guid,
        fields=[anki_question(getattr(question, f"question_{language}")),
                anki_image_sources(anki_math(getattr(question, f"answer_html_{language}"))),
                f"<ul>{points}</ul>" if points else "",
                question.card_id, _source(question)],
        tags=note_tags(question))


def _cloze_note(question: Question, model: genanki.Model, guid: str) -> genanki.Note:
    """A cloze note's text as Anki's Text field (its {{cN::…}} as they are: Anki reads them), the card's
    extra answer below it."""
    extra = render_markdown(question.answer_en, own_images=True) if question.answer_en else ""
    extra = anki_image_sources(anki_math(extra))
    return genanki.Note(model=model, guid=guid, fields=[anki_question(question.cloze_text), extra, _source(question)],
                        tags=note_tags(question))


def _notes(questions: Iterable[Question], language: str, models: _Models,
           progress: Callable[[float], None] | None = None) -> list[tuple[genanki.Note, list]]:
    """The notes, each with its cards' questions and the ordinal Anki gives each card. An own card shares
    its note with the other cards of its cloze, or with its reverse; a reverse whose question is not
    exported goes alone, as a note of its own. `progress` hears the fraction of notes made, now and then."""
    notes: dict[str, list[Question]] = {}
    for question in questions:
        notes.setdefault(note_guid(question, language), []).append(question)
    made = []
    for index, (guid, cards) in enumerate(notes.items()):
        if progress is not None and index % PROGRESS_EVERY_NOTES == 0:
            progress(index / len(notes))
        cards.sort(key=lambda card: card.note_card)
        if cards[0].cloze_text:
            made.append((_cloze_note(cards[0], models.cloze, guid), [(card.note_card, card) for card in cards]))
        elif cards[0].note_card == 0 and len(cards) > 1:
            made.append((_note(cards[0], language, models.reversed, guid), [(card.note_card, card) for card in cards]))
        else:
            made += [(_note(card, language, models.plain, guid if card.note_card == 0 else
                            genanki.guid_for(guid, card.note_card)), [(0, card)]) for card in cards]
    return made


def note_tags(question: Question) -> list[str]:
    """Tags under one root, so that the learner's own tags stay apart: DLIT::topic::cnn,
    DLIT::difficulty::hard, DLIT::tag::pooling."""
    return [f"{TAG_ROOT}::topic::{question.topic.slug}",
            f"{TAG_ROOT}::difficulty::{DIFFICULTY_NAMES.get(question.difficulty, question.difficulty)}",
            *(f"{TAG_ROOT}::tag::{tag.name}" for tag in question.tags.all())]


def _topic_deck(question: Question, language: str) -> genanki.Deck:
    """A sub-deck per topic, "DL Interview Trainer::CNN", its ID fixed by the language and the topic."""
    digest = hashlib.sha256(f"{language}/{question.topic.slug}".encode()).digest()
    title = getattr(question.topic, f"title_{language}") or question.topic.slug
    return genanki.Deck(DECK_IDS[language] * 1000 + int.from_bytes(digest[:3]) % 1000 + 1,
                        f"{DECK_NAMES[language]}::{title.replace('::', ':')}")


def anki_deck_write(*, questions: Iterable[Question], language: str, path: Path,
                    schedule: Schedule | None = None, media: Mapping[str, bytes] | None = None,
                    progress: Callable[[float], None] | None = None) -> int:
    """Write the questions to `path` as an .apkg; returns how many notes it holds. With a schedule (its
    cards keyed by question id) the package carries the learner's scheduling, reviews and FSRS preset.
    `media` (file name → bytes; by default the images the own cards among the questions show) goes into
    the package's media, where the notes' <img src="name"> find it. `progress` hears the fraction of the
    notes made so far while they are made."""
    questions = list(questions)
    media = own_card_media(questions) if media is None else media
    with tempfile.TemporaryDirectory() as folder:
        return _deck_write(questions=questions, language=language, path=path, schedule=schedule,
                           media_files=_media_files(media, Path(folder)), progress=progress)


def _media_files(media: Mapping[str, bytes], folder: Path) -> list[str]:
    """The media as files named as the notes name them (genanki takes paths, named by their last part)."""
    paths = []
    for name, content in media.items():
        (folder / name).write_bytes(content)
        paths.append(str(folder / name))
    return paths


def _deck_write(*, questions: list[Question], language: str, path: Path, schedule: Schedule | None,
                media_files: list[str], progress: Callable[[float], None] | None) -> int:
    decks = {None: genanki.Deck(DECK_IDS[language], DECK_NAMES[language])}  # the parent, for its preset
    anki_cards = {}  # question id → (note GUID, card ordinal)
    notes = _notes(questions, language, _models(), progress)
    for note, cards in notes:
        first = cards[0][1]
        if first.topic_id not in decks:
            decks[first.topic_id] = _topic_deck(first, language)
        decks[first.topic_id].add_note(note)
        anki_cards.update({question.pk: (note.guid, ord_) for ord_, question in cards})
    package = genanki.Package(list(decks.values()), media_files=media_files)
    if schedule is None:
        package.write_to_file(str(path))
        return len(notes)
    by_card = {anki_cards[question_id]: card for question_id, card in schedule.cards.items()
               if question_id in anki_cards}
    with tempfile.TemporaryDirectory() as folder:
        collection_path = Path(folder) / "collection.anki2"
        with closing(sqlite3.connect(collection_path)) as collection:
            timestamp = time.time()
            package.write_to_db(collection.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
            schedule_write(collection=collection, schedule=dataclasses.replace(schedule, cards=by_card))
            collection.commit()
        with zipfile.ZipFile(path, "w") as archive:
            archive.write(collection_path, "collection.anki2")
            # As genanki writes it: a JSON map of the members' numbers to the files' names.
            archive.writestr("media", json.dumps({str(number): Path(file).name
                                                  for number, file in enumerate(media_files)}))
            for number, file in enumerate(media_files):
                archive.write(file, str(number))
    return len(notes)


def anki_deck_bytes(*, questions: Iterable[Question], language: str, schedule: Schedule | None = None) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deck.apkg"
        anki_deck_write(questions=questions, language=language, path=path, schedule=schedule)
        return path.read_bytes()


def corpus_deck_key(*, language: str, criteria: dict) -> str:
    """The visitor's deck's cache key: its language and filters, the corpus's state (its last change and
    size: a retired card changes the count), and the engine version, which a deployment that changes what a
    deck holds raises, so no deck of the old code is served after it."""
    stamp = Question.objects.corpus().aggregate(changed=Max("updated_at"), count=Count("id"))
    changed = stamp["changed"].isoformat() if stamp["changed"] else None
    parts = [engine.ENGINE_VERSION, language, *criteria.values(), changed, stamp["count"]]
    return "anki-deck:" + ":".join(map(str, parts))


def anki_download(*, viewer, filters: dict, language: str, with_schedule: bool) -> bytes:
    """The deck of the questions these list filters find for `viewer`, with their schedule if asked.
    A visitor's deck is the corpus's alone: it is built once per corpus state, filters, language and engine
    version (corpus_deck_key)."""
    criteria = anki_criteria(filters)
    if viewer is None or not viewer.is_authenticated:
        return cache.get_or_set(corpus_deck_key(language=language, criteria=criteria),
                                lambda: anki_deck_bytes(questions=question_list(**criteria), language=language),
                                CORPUS_DECK_SECONDS)
    questions = list(question_list(viewer=viewer, **criteria))
    schedule = (anki_schedule(user=viewer, question_ids=[question.pk for question in questions], now=timezone.now())
                if with_schedule else None)
    return anki_deck_bytes(questions=questions, language=language, schedule=schedule)
