"""Reads of the corpus: topic lists, filtered question lists, bilingual search.

A `viewer` sees the corpus and their own cards; without one (or anonymous), the corpus alone."""

from __future__ import annotations

import difflib
import functools
import math
import re

from django.core.files.storage import default_storage
from django.db.models import Count, Max, Q, QuerySet

from questions import search
from questions.models import OwnCardImage, Question, Topic, visible_to

_CJK_RUN = search.CJK_RUN
_WORD = search.WORD
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
    query = search.normalise(query)
    words = [word for word in map(search.clean_word, _WORD.findall(_CJK_RUN.sub(" ", query))) if word]
    terms = [word for word in words if word not in _STOP_WORDS] or words  # only stop words: search them
    runs = _CJK_RUN.findall(query)
    pieces = [piece for run in runs for piece in _CHINESE_FUNCTION_WORDS.split(run) if piece] or runs
    for piece in pieces:
        terms.extend(search.bigrams(piece))
    return list(dict.fromkeys(terms))


# BM25's b: how much a card's length discounts its uses of a term (0 none, 1 fully).
LENGTH_NORMALISATION = 0.5
# A found card scoring under this share of the best one is not listed: "batch norm" lists the cards
# about batch norm, not every card that mentions a batch.
RELEVANCE_FLOOR = 0.3
# Above the floor, a card is listed when its question or other names hold the query's subject, or
# when its answer scores within this share of the best card: the cards the query is about.
STRONG_SHARE = 0.6
# A Latin word this long that no card holds is read as a typo of the nearest word the corpus has.
TYPO_MIN_LENGTH = 5


def question_search(*, query: str, viewer=None, topic: str | None = None, tag: str | None = None,
                    difficulty: int | None = None, min_share: float = 0.6) -> list[Question]:
    """Questions holding at least `min_share` of the query's subject terms, best first, down to the
    relevance floor: those whose question or other names hold the subject, or whose answer scores
    near the best card's. Terms no question holds (a bigram across two words) are left aside, a long Latin
    word no card holds is read as the corpus word nearest to it ("dropuot" as dropout), and aspect
    words (作用, 区别…) only rank: "BN 的作用" lists the questions about BN.

    The database's index (questions.search) finds the cards holding any term; the order is BM25's,
    computed the same way whatever the database: a term weighs more the fewer questions hold it, and
    a question gains with each use of it, less and less, and less again the longer the card is than
    the cards found; it gains that weight once more if its question or one of its other names
    (aliases, tags) holds the term, more if those are short. So "dropout 有效" puts the card about
    dropout first, not every card that calls something 有效, nor the long card on dropout in RNNs.

    Each question found carries the terms it was found by as `search_terms` (for highlighting).
    """
    terms = search_terms(query)
    if not terms:
        return []
    listed = question_list(viewer=viewer, topic=topic, tag=tag, difficulty=difficulty)
    found = _found(listed, terms)
    missing = [term for term in terms if not any(search.uses(term, row[1]) for row in found)]
    corrections = {term: fixed for term in missing if len(term) >= TYPO_MIN_LENGTH and _WORD.fullmatch(term)
                   and (fixed := _nearest_word(term))}
    if corrections:
        terms = list(dict.fromkeys(corrections.get(term, term) for term in terms))
        found = _found(listed, terms)
    uses = {row: {term: count for term in terms if (count := search.uses(term, row[1]))} for row in found}
    holders = {term: sum(term in counted for counted in uses.values()) for term in terms}
    known = [term for term in terms if holders[term]]
    subject = [term for term in known if term not in _ASPECT_WORDS] or known
    needed = max(1, round(len(subject) * min_share))
    total = _visible_count(viewer) if topic is tag is difficulty is None else listed.count()
    weight = {term: math.log(1 + total / holders[term]) * (ASPECT_WEIGHT if term in _ASPECT_WORDS else 1)
              for term in known}
    average_text = sum(len(row[1]) for row in uses) / max(1, len(uses))
    average_head = sum(len(row[2]) for row in uses) / max(1, len(uses))
    # A query that is one of a card's names (BN, 随机森林, random forest) means that card: it gains the
    # whole query's weight once more, so it comes before the cards that only use the name.
    name = _name(functools.reduce(lambda text, typo: re.sub(rf"\b{re.escape(typo)}\b", corrections[typo], text),
                                      corrections, search.normalise(query)))
    whole = sum(weight[term] for term in subject)
    scored = []
    for row, counted in uses.items():
        if sum(term in counted for term in subject) >= needed:
            # A long card (or question) that names the term in passing must not outrank the card about it.
            text_saturation = _saturation(len(row[1]) / average_text)
            head_saturation = _saturation(len(row[2]) / average_head)
            score = sum(weight[term] * (count * 2.2 / (count + text_saturation)
                                        + min(1, search.uses(term, row[2])) * 2.2 / (1 + head_saturation))
                        for term, count in counted.items())
            if search.name_key(name) and any(search.same_name(name, alias) for alias in row[5]):
                score += whole * 2.2
            scored.append((round(score, 9), row))
    if not scored:
        return []
    best = max(score for score, _ in scored)
    about = max(1, math.ceil(len(subject) * min_share))
    ranked = sorted((pair for pair in scored if pair[0] >= best * RELEVANCE_FLOOR and (
        pair[0] >= best * STRONG_SHARE or sum(bool(search.uses(term, pair[1][2])) for term in subject) >= about)),
                    key=lambda pair: (-pair[0], pair[1][3], pair[1][4], pair[1][0]))
    ids = [row[0] for _, row in ranked]
    questions = listed.in_bulk(ids)
    results = [questions[pk] for pk in ids]
    for question, (score, _) in zip(results, ranked, strict=True):
        question.search_score = score
        question.search_terms = [term for term in terms if holders.get(term)]
    return results


def _visible_count(viewer) -> int:
    """How many cards the viewer sees: the active corpus and their own cards (never retired), counted
    apart, each through its own index, rather than over both at once through the rows."""
    corpus = Question.objects.corpus().active().count()
    return corpus + (viewer.own_questions.count() if viewer is not None and viewer.is_authenticated else 0)


def _found(listed: QuerySet[Question], terms: list[str]) -> list[tuple]:
    """(id, " " + tokens, " " + head tokens, topic position, position, names) of each card the index
    finds; names are its aliases, as `_name` reads them."""
    rows = search.matching(listed.order_by(), terms).values_list(
        "pk", "search_tokens", "search_head", "topic__position", "position", "aliases")
    return [(pk, " " + tokens, " " + head, topic_position, position,
             tuple(_name(alias) for alias in aliases or []))
            for pk, tokens, head, topic_position, position, aliases in rows]


def _name(text: str) -> str:
    """A name without the Chinese question words ("随机森林是什么" names 随机森林), to compare as
    `search.same_name` does."""
    return _CHINESE_FUNCTION_WORDS.sub("", search.normalise(text))


_vocabulary: dict = {"key": None, "words": {}}


def _nearest_word(word: str) -> str | None:
    """The corpus word closest to a misspelt one, if one is close enough (a letter or two off)."""
    key = Question.objects.corpus().active().aggregate(count=Count("id"), latest=Max("updated_at"))
    if _vocabulary["key"] != key:
        words: dict[int, set[str]] = {}
        for tokens in Question.objects.corpus().active().values_list("search_tokens", flat=True):
            for token in tokens.split():
                if _WORD.fullmatch(token) and len(token) >= TYPO_MIN_LENGTH - 1:
                    words.setdefault(len(token), set()).add(token)
        _vocabulary.update(key=key, words={length: sorted(found) for length, found in words.items()})
    candidates = [candidate for length in range(len(word) - 2, len(word) + 3)
                  for candidate in _vocabulary["words"].get(length, ())]
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.8)
    return close[0] if close else None


def _saturation(relative_length: float) -> float:
    """BM25's k1 · (1 − b + b · length / average length): uses count for less in a longer text."""
    return 1.2 * (1 - LENGTH_NORMALISATION + LENGTH_NORMALISATION * relative_length)


def question_get(*, card_id: str, viewer=None) -> Question:
    """A card by ID, retired ones too (old links keep working); another learner's own card does not exist."""
    return (Question.objects.for_viewer(viewer).select_related("topic").prefetch_related("tags", "demo_links")
            .get(card_id=card_id))


def questions_for_demo(*, demo_id: str) -> QuerySet[Question]:
    return Question.objects.corpus().active().filter(demo_links__demo_id=demo_id).select_related("topic")


def own_card_media(cards: list[Question]) -> dict[str, bytes]:
    """The images the own cards among `cards` show, by the name their Markdown uses, read from storage (a
    file the storage lost is left out: the card then shows its alt text)."""
    own = [card.pk for card in cards if card.is_own]
    media = {}
    for image in OwnCardImage.objects.filter(cards__in=own).distinct() if own else []:
        try:
            with default_storage.open(image.path, "rb") as stored:
                media[image.name] = stored.read()
        except FileNotFoundError:
            continue
    return media


def anki_criteria(filters: dict) -> dict:
    """The question list's filters an Anki deck is chosen by, empty ones as None."""
    return {"topic": filters.get("topic") or None, "tag": filters.get("tag") or None,
            "difficulty": filters.get("difficulty") or None}


def anki_deck_size(*, viewer, filters: dict) -> int:
    """How many cards the deck these filters choose holds for `viewer`: a large one is built by a worker."""
    return question_list(viewer=viewer, **anki_criteria(filters)).count()
