"""Reads of the corpus: topic lists, filtered question lists, bilingual search.

A `viewer` sees the corpus and their own cards; without one (or anonymous), the corpus alone."""

from __future__ import annotations

import math
import re
import unicodedata

from django.db.models import Count, Q, QuerySet

from questions.models import Question, Topic, visible_to

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9][a-z0-9_+#.'-]*")
# Words every English question has: searching for them would find nearly every card.
_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "between", "by", "can", "do", "does", "for", "from", "how", "in",
    "is", "it", "its", "of", "on", "or", "the", "to", "vs", "what", "when", "where", "which", "who", "why", "with",
})
# Their Chinese counterparts: question words and particles. Cut out of a Chinese run before it is
# split into bigrams, so that "dropout 为什么有效" searches for dropout and 有效, not for 为什, 什么
# and 么有 as well, which nearly every Chinese question holds.
_CHINESE_FUNCTION_WORDS = re.compile(
    "为什么|是什么|有什么|怎么样|什么|怎么|怎样|如何|哪些|哪个|为何|是否|是不是|请问|的|吗|呢")
# What a question asks about its subject ("dropout 为什么有效", "BN 的作用"): found in questions on
# every subject, so they do not decide what is listed, and in the order they only break near-ties.
ASPECT_WEIGHT = 0.25
_ASPECT_WORDS = frozenset({"作用", "有效", "原因", "区别", "原理", "优点", "缺点", "优缺", "影响", "方法", "意义",
                           "理解", "介绍", "比较", "异同", "联系", "问题", "effect", "reason", "difference"})


def topic_list_with_counts(*, viewer=None) -> QuerySet[Topic]:
    visible = visible_to(viewer, through="questions__")
    return Topic.objects.annotate(
        question_count=Count("questions", filter=Q(questions__retired=False) & visible)).filter(
        # Meta.ordering is dropped from GROUP BY queries.
        question_count__gt=0).select_related("group").order_by("position", "slug")


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
    """Latin words as they are; Chinese runs, less their question words, as overlapping bigrams.

    Chinese has no spaces and stemming means nothing for it, so "梯度消失的原因" is matched
    through its bigrams (梯度, 度消, 消失, 原因) and still finds "为什么会出现梯度消失". Full-width
    letters (ＲｅＬＵ, typed with a Chinese input method) read as the ASCII ones.
    """
    query = unicodedata.normalize("NFKC", query).lower()
    words = _WORD.findall(_CJK_RUN.sub(" ", query))
    terms = [word for word in words if word not in _STOP_WORDS] or words  # only stop words: search them
    runs = _CJK_RUN.findall(query)
    pieces = [piece for run in runs for piece in _CHINESE_FUNCTION_WORDS.split(run) if piece] or runs
    for piece in pieces:
        terms.extend([piece] if len(piece) == 1 else [piece[i:i + 2] for i in range(len(piece) - 1)])
    return list(dict.fromkeys(terms))


# BM25's b: how much a card's length discounts its uses of a term (0 none, 1 fully).
LENGTH_NORMALISATION = 0.5


def question_search(*, query: str, viewer=None, topic: str | None = None, tag: str | None = None,
                    difficulty: int | None = None, min_share: float = 0.6) -> list[Question]:
    """Questions holding at least `min_share` of the query's subject terms, best first. Terms no
    question holds (a bigram across two words) are left aside, and aspect words (作用, 区别…) only
    rank: "BN 的作用" lists the questions about BN.

    The order is BM25's: a term weighs more the fewer questions hold it, and a question gains with
    each use of it, less and less, and less again the longer the card is than the cards found; it
    gains that weight once more if its question text holds the term, more if that question is short.
    So "dropout 有效" puts the card about dropout first, not every card that calls something 有效,
    nor the long card on dropout in RNNs.
    """
    terms = search_terms(query)
    if not terms:
        return []
    any_term = Q()
    for term in terms:
        any_term |= Q(search_text__contains=term)
    listed = question_list(viewer=viewer, topic=topic, tag=tag, difficulty=difficulty)
    uses = {question: {term: count for term in terms if (count := _uses(term, question.search_text))}
            for question in listed.filter(any_term)}
    holders = {term: sum(term in found for found in uses.values()) for term in terms}
    known = [term for term in terms if holders[term]]
    subject = [term for term in known if term not in _ASPECT_WORDS] or known
    needed = max(1, round(len(subject) * min_share))
    total = listed.count()
    weight = {term: math.log(1 + total / holders[term]) * (ASPECT_WEIGHT if term in _ASPECT_WORDS else 1)
              for term in known}
    titles = {question: f"{question.question_en}\n{question.question_zh}".lower() for question in uses}
    average_text = sum(len(question.search_text) for question in uses) / max(1, len(uses))
    average_title = sum(map(len, titles.values())) / max(1, len(titles))
    scored = []
    for question, found in uses.items():
        if sum(term in found for term in subject) >= needed:
            # A long card (or question) that names the term in passing must not outrank the card about it.
            text_saturation = _saturation(len(question.search_text) / average_text)
            title_saturation = _saturation(len(titles[question]) / average_title)
            score = sum(weight[term] * (count * 2.2 / (count + text_saturation)
                                        + _uses(term, titles[question], at_most=1) * 2.2 / (1 + title_saturation))
                        for term, count in found.items())
            scored.append((score, question))
    scored.sort(key=lambda pair: (-pair[0], pair[1].topic.position, pair[1].position))
    return [question for _, question in scored]


def _saturation(relative_length: float) -> float:
    """BM25's k1 · (1 − b + b · length / average length): uses count for less in a longer text."""
    return 1.2 * (1 - LENGTH_NORMALISATION + LENGTH_NORMALISATION * relative_length)


def _uses(term: str, text: str, at_most: int | None = None) -> int:
    """How often the text holds the term: Chinese bigrams anywhere; a Latin word at the start of a
    word ("norm" finds "normalization", "is" does not find "this")."""
    chinese = _CJK_RUN.match(term)
    count = text.count(term) if chinese else len(re.findall(rf"(?<![a-z0-9]){re.escape(term)}", text))
    return count if at_most is None else min(count, at_most)


def question_get(*, card_id: str, viewer=None) -> Question:
    """A card by ID, retired ones too (old links keep working); another learner's own card does not exist."""
    return (Question.objects.for_viewer(viewer).select_related("topic").prefetch_related("tags", "demo_links")
            .get(card_id=card_id))


def questions_for_demo(*, demo_id: str) -> QuerySet[Question]:
    return Question.objects.corpus().active().filter(demo_links__demo_id=demo_id).select_related("topic")
