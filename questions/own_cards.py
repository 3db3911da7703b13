"""A learner's own cards: written one at a time, or imported (questions.own_import).

An own card is a `Question` with an owner. The learner writes it in one language, so the text goes
into both language fields: it reads the same whatever language the pages are in. It is studied like
a corpus card (the study queue and ratings take it), found by search, exported to Anki, and seen
by nobody else. Interviews draw on the corpus only: they grade against key points, which own cards
do not have.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from questions.corpus import OWN_CARD_PREFIX, unbalanced_math
from questions.forms import TopicField
from questions.models import Question, Topic
from questions.selectors import search_terms
from questions.services import question_derived_fields

MAX_OWN_CARDS = 5000  # per learner
MAX_QUESTION_LENGTH = 2000
MAX_ANSWER_LENGTH = 20000


class OwnCardForm(forms.Form):
    """The rules for one own card, for the web form, the API and every imported row."""

    question = forms.CharField(max_length=MAX_QUESTION_LENGTH,
                               widget=forms.Textarea(attrs={"rows": 3, "autofocus": True}),
                               label=gettext_lazy("Question"),
                               help_text=gettext_lazy("Plain text; a formula between $…$."))
    answer = forms.CharField(max_length=MAX_ANSWER_LENGTH, widget=forms.Textarea(attrs={"rows": 12}),
                             label=gettext_lazy("Answer"),
                             help_text=gettext_lazy("Markdown; formulas between $…$ or $$…$$."))
    topic = TopicField(label=gettext_lazy("Topic"))
    difficulty = forms.TypedChoiceField(coerce=int, initial=Question.Difficulty.STANDARD,
                                        label=gettext_lazy("Difficulty"),
                                        choices=[(1, gettext_lazy("1 · basic")), (2, gettext_lazy("2 · standard")),
                                                 (3, gettext_lazy("3 · hard"))],
                                        error_messages={"invalid_choice": gettext_lazy(
                                            "1, 2 or 3 (basic, standard, hard), not %(value)s.")})

    def clean_question(self) -> str:
        return one_newline(self.cleaned_data["question"]).strip()

    def clean_answer(self) -> str:
        answer = one_newline(self.cleaned_data["answer"]).strip()
        check_answer(answer)
        return answer


def one_newline(text: str) -> str:
    """Browsers send a textarea's line breaks as CRLF, spreadsheets save LF: one kind, so that the
    same text compares equal (an import with Update must not count an unchanged card as changed)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
        # One text in both languages' fields, rendered once: the card reads the same in either language.
        derived = question_derived_fields(question_en=self.question, question_zh="", answer_en=self.answer,
                                          answer_zh="", tags=[])
        return {"topic": self.topic, "difficulty": self.difficulty,
                "question_en": self.question, "question_zh": self.question,
                "answer_en": self.answer, "answer_zh": self.answer, "search_text": derived["search_text"],
                "answer_html_en": derived["answer_html_en"], "answer_html_zh": derived["answer_html_en"]}


class TooManyOwnCards(Exception):
    pass


def _new_card_ids(count: int) -> list[str]:
    """Fresh IDs: 40 random bits each; the rare one already taken is drawn again."""
    ids: set[str] = set()
    while len(ids) < count:
        drawn = {f"{OWN_CARD_PREFIX}{secrets.token_hex(5)}" for _ in range(count - len(ids))}
        ids |= drawn - set(Question.objects.filter(card_id__in=drawn).values_list("card_id", flat=True))
    return sorted(ids)


def lock_owner(owner) -> None:
    """Lock the learner's row until the transaction ends: their card writes go one at a time."""
    get_user_model().objects.select_for_update().filter(pk=owner.pk).first()


def own_card_create(*, owner, text: OwnCardText) -> Question:
    return own_cards_create(owner=owner, texts=[text])[0]


def own_cards_create(*, owner, texts: list[OwnCardText]) -> list[Question]:
    """All of them or, past the learner's limit, none (TooManyOwnCards). The learner's row is locked
    while counting, so two imports at once cannot both fit under the limit and together pass it."""
    with transaction.atomic():
        lock_owner(owner)
        if owner.own_questions.count() + len(texts) > MAX_OWN_CARDS:
            raise TooManyOwnCards(_("A learner keeps at most %(limit)d own cards.") % {"limit": MAX_OWN_CARDS})
        cards = [Question(card_id=card_id, owner=owner, **text.fields())
                 for card_id, text in zip(_new_card_ids(len(texts)), texts, strict=True)]
        return Question.objects.bulk_create(cards)


def own_card_update(*, card: Question, text: OwnCardText) -> Question:
    """New text for the card; the learner's study state and history of it stay."""
    for name, value in text.fields().items():
        setattr(card, name, value)
    card.save()
    return card


def own_question_taken(*, owner, question: str, card: Question | None = None) -> bool:
    """Whether another of the learner's cards (not `card`) asks this question already."""
    others = owner.own_questions.filter(question_en=question)
    return (others.exclude(pk=card.pk) if card is not None else others).exists()


def duplicate_question_message() -> str:
    return _("You already have a card with this question.")


def own_card_differs(*, card: Question, text: OwnCardText) -> bool:
    return (card.question_en, card.answer_en, card.topic_id, card.difficulty) != (
        text.question, text.answer, text.topic.pk, text.difficulty)


def own_card_delete(*, card: Question) -> None:
    """The card goes, with the learner's study state and review history of it."""
    card.delete()


def own_cards_matching(*, owner, query: str = "", topic: Topic | None = None) -> QuerySet[Question]:
    """The learner's cards holding every term of the query (words, or Chinese bigrams, as search
    splits them) in their question or answer, in the topic if one is given; the newest first."""
    cards = owner.own_questions.select_related("topic").order_by("-id")
    for term in search_terms(query):
        cards = cards.filter(search_text__contains=term)
    return cards.filter(topic=topic) if topic else cards


def own_cards_delete(*, owner, cards: QuerySet[Question]) -> int:
    """Delete those of the cards that are the learner's own (anyone else's are left alone), with
    their study state and history; the number deleted."""
    return cards.filter(owner=owner).delete()[1].get(Question._meta.label, 0)
