"""Writes of a learner's own cards, one at a time or many (the import: quizapp.own_cards.imports).

An own card is a `Question` with an owner. The learner writes it in one language, so the text goes
into both language fields: it reads the same whatever language the pages are in. It is studied like
a corpus card (the study queue and ratings take it), found by search, exported to Anki, and seen
by nobody else. Interviews draw on the corpus only: they grade against key points, which own cards
do not have.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from questions.corpus import OWN_CARD_PREFIX
from questions.models import Question, Topic
from questions.services import question_derived_fields
from quizapp.core.errors import InvalidInput
from quizapp.core.locks import lock_learner

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

    @classmethod
    def from_form(cls, cleaned: dict) -> OwnCardText:
        return cls(question=cleaned["question"], answer=cleaned["answer"], topic=cleaned["topic"],
                   difficulty=cleaned["difficulty"], anki_guid=cleaned.get("anki_guid", ""))

    def fields(self) -> dict:
        # One text in both languages' fields, rendered once: the card reads the same in either language.
        derived = question_derived_fields(question_en=self.question, question_zh="", answer_en=self.answer,
                                          answer_zh="", tags=[])
        return {"topic": self.topic, "difficulty": self.difficulty,
                "question_en": self.question, "question_zh": self.question,
                "answer_en": self.answer, "answer_zh": self.answer, "search_text": derived["search_text"],
                "search_tokens": derived["search_tokens"], "search_head": derived["search_head"],
                "answer_html_en": derived["answer_html_en"], "answer_html_zh": derived["answer_html_en"],
                **({"anki_guid": self.anki_guid} if self.anki_guid else {})}  # a text with none keeps the card's


def _new_card_ids(count: int) -> list[str]:
    """Fresh IDs: 40 random bits each; the rare one already taken is drawn again."""
    ids: set[str] = set()
    while len(ids) < count:
        drawn = {f"{OWN_CARD_PREFIX}{secrets.token_hex(5)}" for _ in range(count - len(ids))}
        ids |= drawn - set(Question.objects.filter(card_id__in=drawn).values_list("card_id", flat=True))
    return sorted(ids)


def own_card_create(*, owner, text: OwnCardText) -> Question:
    return own_cards_create(owner=owner, texts=[text])[0]


def own_cards_create(*, owner, texts: list[OwnCardText]) -> list[Question]:
    """All of them or, past the learner's limit, none (TooManyOwnCards). The learner is locked while
    counting, so two imports at once cannot both fit under the limit and together pass it."""
    with transaction.atomic():
        lock_learner(owner)
        if owner.own_questions.count() + len(texts) > MAX_OWN_CARDS:
            raise TooManyOwnCards()
        cards = [Question(card_id=card_id, owner=owner, **text.fields())
                 for card_id, text in zip(_new_card_ids(len(texts)), texts, strict=True)]
        return Question.objects.bulk_create(cards)


def own_card_update(*, card: Question, text: OwnCardText) -> Question:
    """New text for the card; the learner's study state and history of it stay."""
    for name, value in text.fields().items():
        setattr(card, name, value)
    card.save()
    return card


def own_card_differs(*, card: Question, text: OwnCardText) -> bool:
    return (card.question_en, card.answer_en, card.topic_id, card.difficulty) != (
        text.question, text.answer, text.topic.pk, text.difficulty)


def own_card_delete(*, card: Question) -> None:
    """The card goes, with the learner's study state and review history of it."""
    card.delete()


def own_cards_delete(*, owner, cards: QuerySet[Question]) -> int:
    """Delete those of the cards that are the learner's own (anyone else's are left alone), with
    their study state and history; the number deleted."""
    return cards.filter(owner=owner).delete()[1].get(Question._meta.label, 0)
