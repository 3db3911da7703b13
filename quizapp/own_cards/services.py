"""Writes of a learner's own cards, one at a time or many (the import: quizapp.own_cards.imports).

An own card is a `Question` with an owner. The learner writes it in one language, so the text goes
into both language fields: it reads the same whatever language the pages are in. It is studied like
a corpus card (the study queue and ratings take it), found by search, exported to Anki, and seen
by nobody else. Interviews draw on the corpus only: they grade against key points, which own cards
do not have.

A card whose question holds clozes (`{{c1::…}}`) is a note of one card per cloze number, as in Anki:
the cards share the note's text (`cloze_text`) and GUID, and change together. A card per number, not one
card listing its numbers, because all of study (states, the log, the queue) already works per card.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

import genanki
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from questions.corpus import OWN_CARD_PREFIX
from questions.images import MAX_IMAGES_PER_CARD, image_alt, image_names, image_reference, without_images
from questions.models import Question, Topic
from questions.services import question_derived_fields
from quizapp.core.errors import InvalidInput
from quizapp.core.locks import lock_learner
from quizapp.own_cards.cloze import cloze_back, cloze_front, cloze_numbers
from quizapp.own_cards.images import (
    ImageFile,
    ImagesRefused,
    StoredFiles,
    card_images,
    own_card_images_link,
    own_card_images_release,
    own_card_images_save,
)

MAX_OWN_CARDS = 5000  # per learner


class TooManyOwnCards(InvalidInput):
    """400: the cards would take the learner past MAX_OWN_CARDS; none was added."""

    def __init__(self):
        message = _("A learner keeps at most %(limit)d own cards.") % {"limit": MAX_OWN_CARDS}
        super().__init__(message, fields={"non_field_errors": [message]})  # DRF's key for no one field


@dataclass(frozen=True)
class OwnCardText:
    question: str
    answer: str
    topic: Topic
    difficulty: int
    anki_guid: str = ""  # the Anki note it came from: kept, so it goes back to Anki as that note
    cloze_text: str = ""  # one card of a cloze note: the note's text as written; `question` is this card's front
    note_card: int = 0  # which card of its note (Question.note_card)

    @classmethod
    def from_form(cls, cleaned: dict) -> OwnCardText:
        return cls(question=cleaned["question"], answer=cleaned["answer"], topic=cleaned["topic"],
                   difficulty=cleaned["difficulty"], anki_guid=cleaned.get("anki_guid", ""))

    def back(self) -> str:
        """What the card shows as its answer: a cloze card's text whole, its blanks marked, above the
        note's extra text."""
        if not self.cloze_text:
            return self.answer
        whole = cloze_back(self.cloze_text, self.note_card + 1)
        return f"{whole}\n\n{self.answer}" if self.answer else whole

    def fields(self) -> dict:
        # One text in both languages' fields, rendered once: the card reads the same in either language.
        derived = question_derived_fields(question_en=self.question, question_zh="", answer_en=self.back(),
                                          answer_zh="", tags=[], own_images=True)
        return {"topic": self.topic, "difficulty": self.difficulty,
                "question_en": self.question, "question_zh": self.question,
                "answer_en": self.answer, "answer_zh": self.answer, "search_text": derived["search_text"],
                "search_tokens": derived["search_tokens"], "search_head": derived["search_head"],
                "answer_html_en": derived["answer_html_en"], "answer_html_zh": derived["answer_html_en"],
                "cloze_text": self.cloze_text, "note_card": self.note_card,
                **({"anki_guid": self.anki_guid} if self.anki_guid else {})}  # a text with none keeps the card's


def _new_card_ids(count: int) -> list[str]:
    """Fresh IDs: 40 random bits each; the rare one already taken is drawn again."""
    ids: set[str] = set()
    while len(ids) < count:
        drawn = {f"{OWN_CARD_PREFIX}{secrets.token_hex(5)}" for _ in range(count - len(ids))}
        ids |= drawn - set(Question.objects.filter(card_id__in=drawn).values_list("card_id", flat=True))
    return sorted(ids)


def own_card_texts(text: OwnCardText) -> list[OwnCardText]:
    """The cards a written text makes: itself, or one per cloze number when its question holds clozes."""
    numbers = cloze_numbers(text.question)
    return [dataclasses.replace(text, question=cloze_front(text.question, number), cloze_text=text.question,
                                note_card=number - 1) for number in numbers] or [text]


def _new_note_guid() -> str:
    """A GUID for a cloze note written here: its cards go to Anki as one note under it."""
    return genanki.guid_for("dl-interview-trainer-note", secrets.token_hex(8))


def own_card_create(*, owner, text: OwnCardText, images: list[ImageFile] = ()) -> Question:
    """The card, or a cloze note's cards (the first is returned); the uploaded `images` shown at the end of
    its answer (checked by the caller: image_files_problems)."""
    with StoredFiles() as stored, transaction.atomic():
        lock_learner(owner)
        text = _with_images(text, owner=owner, images=images, stored=stored) if images else text
        texts = own_card_texts(text)
        if texts[0].cloze_text and not text.anki_guid:
            guid = _new_note_guid()
            texts = [dataclasses.replace(card, anki_guid=guid) for card in texts]
        return own_cards_create(owner=owner, texts=texts)[0]


def _with_images(text: OwnCardText, *, owner, images: list[ImageFile], stored: StoredFiles | None,
                 removed: set[str] = frozenset()) -> OwnCardText:
    """The text with the images named in `removed` taken out, and each uploaded image it does not show yet
    added at the end of its answer as `![file name](name)`, for the learner to move where it belongs."""
    answer = without_images(text.answer, removed) if removed else text.answer
    shown = set(image_names(answer))
    for file, image in zip(images, own_card_images_save(owner=owner, files=list(images), stored=stored), strict=True):
        if image.name not in shown:
            answer = f"{answer}\n\n{image_reference(alt=image_alt(file.file_name), name=image.name)}".strip()
            shown.add(image.name)
    if len(shown) > MAX_IMAGES_PER_CARD:
        raise ImagesRefused([too_many_images_message()])
    return dataclasses.replace(text, answer=answer)


def too_many_images_message() -> str:
    return _("A card shows at most %(limit)d images.") % {"limit": MAX_IMAGES_PER_CARD}


def own_cards_create(*, owner, texts: list[OwnCardText]) -> list[Question]:
    """All of them or, past the learner's limit, none (TooManyOwnCards). The learner is locked while
    counting, so two imports at once cannot both fit under the limit and together pass it."""
    with transaction.atomic():
        lock_learner(owner)
        if owner.own_questions.count() + len(texts) > MAX_OWN_CARDS:
            raise TooManyOwnCards()
        cards = [Question(card_id=card_id, owner=owner, **text.fields())
                 for card_id, text in zip(_new_card_ids(len(texts)), texts, strict=True)]
        cards = Question.objects.bulk_create(cards)
        own_card_images_link(owner=owner, cards=[card for card in cards if image_names(card.answer_en)])
        return cards


def own_card_update(*, card: Question, text: OwnCardText, images: list[ImageFile] = (),
                    removed_images: set[str] = frozenset()) -> Question:
    """New text for the card; the learner's study state and history of it stay. A text as written
    (no `cloze_text` yet) for a cloze card, or with clozes, is its whole note's: see own_note_update.
    Uploaded `images` join its answer, `removed_images` (names) leave it; an image no card shows any more
    is deleted."""
    with StoredFiles() as stored, transaction.atomic():
        if images or removed_images:
            lock_learner(card.owner)
            text = _with_images(text, owner=card.owner, images=images, removed=removed_images, stored=stored)
        if not text.cloze_text and (card.cloze_text or cloze_numbers(text.question)):
            return own_note_update(card=card, text=text)
        if not text.cloze_text:  # a form's text does not know which card of its note this is: it stays
            text = dataclasses.replace(text, note_card=card.note_card)
        shown = card_images([card])
        card = _written(card, text)
        own_card_images_release(shown)
        return card


def _written(card: Question, text: OwnCardText) -> Question:
    for name, value in text.fields().items():
        setattr(card, name, value)
    card.save()
    own_card_images_link(owner=card.owner, cards=[card])
    return card


def own_note_update(*, card: Question, text: OwnCardText) -> Question:
    """The note's cards take the new text: a cloze number still there keeps its card (and its study),
    a new number makes a card, a number gone takes its card away, as Anki does. Returns the card of
    `card`'s number, or the note's first when that number is gone."""
    with transaction.atomic():
        lock_learner(card.owner)
        siblings = {sibling.note_card: sibling for sibling in note_cards(card=card)}
        shown = card_images(list(siblings.values()))
        guid = card.anki_guid or _new_note_guid()
        texts = [dataclasses.replace(each, anki_guid=guid) for each in own_card_texts(text)]
        kept = {each.note_card: _written(siblings[each.note_card], each)
                for each in texts if each.note_card in siblings}
        made = own_cards_create(owner=card.owner, texts=[each for each in texts if each.note_card not in kept])
        gone = [sibling.pk for number, sibling in siblings.items() if number not in kept]
        Question.objects.filter(pk__in=gone).delete()
        own_card_images_release(shown)
    return kept.get(card.note_card) or sorted([*kept.values(), *made], key=lambda each: each.note_card)[0]


def note_cards(*, card: Question) -> list[Question]:
    """The cards of `card`'s cloze note, itself among them."""
    if not (card.cloze_text and card.anki_guid):
        return [card]
    return list(Question.objects.filter(owner=card.owner_id, anki_guid=card.anki_guid).exclude(cloze_text=""))


def own_card_differs(*, card: Question, text: OwnCardText) -> bool:
    return (card.question_en, card.answer_en, card.topic_id, card.difficulty, card.cloze_text) != (
        text.question, text.answer, text.topic.pk, text.difficulty, text.cloze_text)


def own_card_delete(*, card: Question) -> None:
    """The card goes, with the learner's study state and review history of it, and the images no other
    card of theirs shows."""
    with transaction.atomic():
        shown = card_images([card])
        card.delete()
        own_card_images_release(shown)


def own_cards_delete(*, owner, cards: QuerySet[Question]) -> int:
    """Delete those of the cards that are the learner's own (anyone else's are left alone), with
    their study state and history and the images no card left shows; the number deleted."""
    with transaction.atomic():
        cards = cards.filter(owner=owner)
        shown = card_images(cards)
        deleted = cards.delete()[1].get(Question._meta.label, 0)
        own_card_images_release(shown)
        return deleted
