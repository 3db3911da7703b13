"""Reads of the corpus: topic lists, filtered question lists, bilingual search.

A `viewer` sees the corpus and their own cards; without one (or anonymous), the corpus alone."""

from __future__ import annotations

import re

from django.db.models import Count, Q, QuerySet

from questions.models import Question, Topic, visible_to

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9][a-z0-9_+#.'-]*")
# Words every English question has: searching for them would find nearly every card.
_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "between", "by", "can", "do", "does", "for", "from", "how", "in",
    "is", "it", "its", "of", "on", "or", "the", "to", "vs", "what", "when", "where", "which", "who", "why", "with",
})


def topic_list_with_counts(*, viewer=None) -> QuerySet[Topic]:
    visible = visible_to(viewer, through="questions__")
    return Topic.objects.annotate(
        question_count=Count("questions", filter=Q(questions__retired=False) & visible)).filter(
        question_count__gt=0).order_by("position", "slug")  # Meta.ordering is dropped from GROUP BY queries


def question_list(*, viewer=None, topic: str | None = None, tag: str | None = None,
                  difficulty: int | None = None) -> QuerySet[Question]:
    questions = (Question.objects.for_viewer(viewer).active().select_related("topic")
                 .prefetch_related("tags", "demo_links"))
    if topic:
        questions = questions.filter(topic__slug=topic)
    if tag:
        questions = questions.filter(tags__name=tag)
    if difficulty:
        questions = questions.filter(difficulty=difficulty)
    return questions


def search_terms(query: str) -> list[str]:
    """Latin words as they are; Chinese runs as overlapping character bigrams.

    Chinese has no spaces and stemming means nothing for it, so "梯度消失的原因" is matched
    through its bigrams (梯度, 度消, 消失, ...) and still finds "为什么会出现梯度消失".
    """
    query = query.lower()
    words = _WORD.findall(_CJK_RUN.sub(" ", query))
    terms = [word for word in words if word not in _STOP_WORDS] or words  # only stop words: search them
    for run in _CJK_RUN.findall(query):
        terms.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
    return list(dict.fromkeys(terms))


def question_search(*, query: str, viewer=None, topic: str | None = None, tag: str | None = None,
                    difficulty: int | None = None, min_share: float = 0.6) -> list[Question]:
    """Questions whose text holds at least `min_share` of the query's terms, best first.

    A hit in the question text counts double an answer-only hit.
    """
    terms = search_terms(query)
    if not terms:
        return []
    needed = max(1, round(len(terms) * min_share))
    any_term = Q()
    for term in terms:
        any_term |= Q(search_text__contains=term)
    scored = []
    for question in question_list(viewer=viewer, topic=topic, tag=tag, difficulty=difficulty).filter(any_term):
        text = question.search_text
        title = f"{question.question_en}\n{question.question_zh}".lower()
        hits = [term for term in terms if _occurs(term, text)]
        if len(hits) >= needed:
            scored.append((len(hits) + sum(_occurs(term, title) for term in hits), question))
    scored.sort(key=lambda pair: (-pair[0], pair[1].topic.position, pair[1].position))
    return [question for _, question in scored]


def _occurs(term: str, text: str) -> bool:
    """Chinese bigrams anywhere; a Latin word at the start of a word ("norm" finds "normalization",
    "is" does not find "this")."""
    if _CJK_RUN.match(term):
        return term in text
    return re.search(rf"(?<![a-z0-9]){re.escape(term)}", text) is not None


def question_get(*, card_id: str, viewer=None) -> Question:
    """A card by ID, retired ones too (old links keep working); another learner's own card does not exist."""
    return (Question.objects.for_viewer(viewer).select_related("topic").prefetch_related("tags", "demo_links")
            .get(card_id=card_id))


def questions_for_demo(*, demo_id: str) -> QuerySet[Question]:
    return Question.objects.corpus().active().filter(demo_links__demo_id=demo_id).select_related("topic")
