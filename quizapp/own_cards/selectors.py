"""Reads of a learner's own cards."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from questions.models import Question, Topic
from questions.selectors import search_terms


def own_question_taken(*, owner, question: str, card: Question | None = None) -> bool:
    """Whether another of the learner's cards (not `card`, nor a card of its cloze note) asks this question
    already, or holds it as its cloze text."""
    others = owner.own_questions.filter(Q(question_en=question) | Q(cloze_text=question))
    if card is not None:
        others = others.exclude(pk=card.pk)
        if card.cloze_text and card.anki_guid:
            others = others.exclude(~Q(cloze_text=""), anki_guid=card.anki_guid)
    return others.exists()


def own_cards_matching(*, owner, query: str = "", topic: Topic | None = None) -> QuerySet[Question]:
    """The learner's cards holding every term of the query (words, or Chinese bigrams, as search
    splits them) in their question or answer, in the topic if one is given; the newest first."""
    cards = owner.own_questions.select_related("topic").order_by("-id")
    for term in search_terms(query):
        cards = cards.filter(search_text__contains=term)
    return cards.filter(topic=topic) if topic else cards
