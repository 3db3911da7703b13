"""Reads for interviews: the question pool and the pick, key-point suggestions, history."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, F, FloatField, Max, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from questions import search
from questions.languages import content_language
from questions.models import Question, Topic
from quizapp.core.errors import NotYours
from quizapp.interviews.loops import WEAK_SPOT_TOPICS, WEAK_SPOTS, allocate, read_loops
from quizapp.interviews.models import Interview, InterviewItem
from quizapp.interviews.scoring import FOLLOW_UP_WEIGHT
from quizapp.study.selectors import (
    card_states_for_user,
    retrievability_with,
    scheduler_for_user,
    study_settings_get,
)

# A studied card counts as a weak spot when it has lapsed, or when the learner would now recall it
# with a probability under this (FSRS retrievability).
WEAK_RETRIEVABILITY = 0.8


def interview_question_pool(*, topics: Iterable[Topic], difficulty_min: int, difficulty_max: int
                            ) -> QuerySet[Question]:
    """The corpus's questions only: an interview grades against key points, which own cards lack."""
    return Question.objects.corpus().active().filter(topic__in=list(topics), difficulty__gte=difficulty_min,
                                                     difficulty__lte=difficulty_max)


def round_question_pool(*, topic: str, tag: str | None) -> QuerySet[Question]:
    pool = Question.objects.corpus().active().filter(topic__slug=topic)
    return pool.filter(tags__name=tag) if tag else pool


def round_question_pick(*, user, pool: QuerySet[Question], rng: random.Random | None = None) -> Question | None:
    """A card the learner has never had in an interview, at random; when they have had them all, the
    one they had longest ago, so a learner working through the rounds rehearses every card in turn."""
    rng = rng or random.Random()
    ids = list(pool.values_list("id", flat=True))
    if not ids:
        return None
    last_asked = dict(InterviewItem.objects.filter(interview__user=user, question_id__in=ids)
                      .values("question_id").annotate(last=Max("interview__created_at"))
                      .values_list("question_id", "last"))
    never_asked = [question_id for question_id in ids if question_id not in last_asked]
    chosen = rng.choice(never_asked) if never_asked else min(ids, key=last_asked.__getitem__)
    return Question.objects.select_related("topic").get(pk=chosen)


def loop_questions_pick(*, user, loop, rng: random.Random | None = None) -> list[Question]:
    """The loop's questions: each topic's share (loops.allocate) drawn at random from its cards of the
    loop's difficulty, those the learner has not had in an interview first; topic by topic in the loop's
    order. A topic with too few cards gives what it has (the caller refuses a short draw)."""
    rng = rng or random.Random()
    asked = set(InterviewItem.objects.filter(interview__user=user).values_list("question_id", flat=True))
    chosen: list[int] = []
    for topic, share in allocate(weights=loop.weights, count=loop.count).items():
        ids = list(Question.objects.corpus().active().filter(
            topic__slug=topic, difficulty__gte=loop.difficulty_min, difficulty__lte=loop.difficulty_max)
            .values_list("id", flat=True))
        rng.shuffle(ids)
        ids.sort(key=lambda question_id: question_id in asked)  # stable: still random within each group
        chosen += ids[:share]
    by_id = Question.objects.select_related("topic").prefetch_related("tags").in_bulk(chosen)
    return [by_id[question_id] for question_id in chosen]


def loop_list() -> list[dict]:
    """The loops of questions/loops.yaml as the API lists them: bilingual titles, difficulty, question count
    and each topic's weight and share of the questions, with its titles where the bank has the topic."""
    defined = read_loops()
    slugs = {slug for loop in defined.values() for slug in loop.weights}
    topics = {topic.slug: topic for topic in Topic.objects.filter(slug__in=slugs)}

    def titles(slug: str) -> dict | None:
        topic = topics.get(slug)
        return {"en": topic.title_en, "zh": topic.title_zh} if topic else None

    return [{"slug": loop.slug, "title": loop.title, "difficulty_min": loop.difficulty_min,
             "difficulty_max": loop.difficulty_max, "question_count": loop.count,
             "topics": [{"slug": slug, "title": titles(slug), "weight": loop.weights[slug], "questions": share}
                        for slug, share in allocate(weights=loop.weights, count=loop.count).items()]}
            for loop in defined.values()]


def least_ready_topic_ids(*, user, now: datetime, limit: int) -> list[int]:
    """The topics the learner is least ready in, as the readiness view has it: lowest predicted recall
    of the cards seen first. Topics with no card seen are left out (nothing is known of them)."""
    from quizapp.study.readiness import readiness_for  # readiness reads this module's score history

    state = readiness_for(user=user, study_settings=study_settings_get(user=user), now=now)
    seen = [row for row in state.topics if row.recall_of_seen is not None]
    return [row.topic.pk for row in sorted(seen, key=lambda row: (row.recall_of_seen, row.topic.position))][:limit]


def weak_spot_questions_pick(*, user, count: int, rng: random.Random | None = None) -> list[Question]:
    """Up to `count` questions for a weak spots round: the learner's weak cards anywhere in the corpus,
    weakest first (weak_question_ids), then cards at random from the least-ready topics."""
    rng = rng or random.Random()
    now = timezone.now()
    corpus = Question.objects.corpus().active()
    chosen = weak_question_ids(user=user, question_ids=corpus.values_list("id", flat=True), now=now)[:count]
    topic_ids = least_ready_topic_ids(user=user, now=now, limit=WEAK_SPOT_TOPICS)
    rest = [question_id for question_id in corpus.filter(topic__in=topic_ids).values_list("id", flat=True)
            if question_id not in chosen]
    chosen += rng.sample(rest, min(count - len(chosen), len(rest)))
    by_id = Question.objects.select_related("topic").prefetch_related("tags").in_bulk(chosen)
    return [by_id[question_id] for question_id in chosen]


def weak_question_ids(*, user, question_ids: Iterable[int], now: datetime) -> list[int]:
    """The learner's weak spots among these questions, weakest first: most lapses, then lowest
    retrievability. Questions never studied are not weak spots (nothing is known about them)."""
    # One scheduler for all the cards: building it per card cost a settings query per card.
    scheduler = scheduler_for_user(user_id=user.pk)
    ranked = []
    for card in card_states_for_user(user=user).filter(question_id__in=list(question_ids)):
        retrievability = retrievability_with(scheduler, card=card, now=now)
        if card.lapses == 0 and (retrievability is None or retrievability >= WEAK_RETRIEVABILITY):
            continue
        ranked.append((-card.lapses, 1.0 if retrievability is None else retrievability, card.question_id))
    ranked.sort()
    return [question_id for *_, question_id in ranked]


def interview_questions_pick(*, user, pool: QuerySet[Question], count: int, weak_spots: bool,
                             rng: random.Random | None = None) -> list[Question]:
    """`count` distinct questions from the pool in interview order. With `weak_spots` the learner's
    weak spots come first in the pick, and the rest is filled at random."""
    rng = rng or random.Random()
    ids = list(pool.values_list("id", flat=True))
    chosen = weak_question_ids(user=user, question_ids=ids, now=timezone.now())[:count] if weak_spots else []
    taken = set(chosen)
    rest = [question_id for question_id in ids if question_id not in taken]
    chosen += rng.sample(rest, min(count - len(chosen), len(rest)))
    rng.shuffle(chosen)
    by_id = Question.objects.select_related("topic").in_bulk(chosen)
    return [by_id[question_id] for question_id in chosen]


def interview_get_or_404(*, user, interview_id) -> Interview:
    """The user's own interview; anybody else's is NotYours (never a 403: its existence stays hidden)."""
    interview = Interview.objects.filter(id=interview_id, user=user).first()
    if interview is None:
        raise NotYours
    return interview


def interview_items(*, interview: Interview) -> QuerySet[InterviewItem]:
    return interview.items.select_related("question__topic", "recording").prefetch_related("question__demo_links")


def interview_history(*, user, topic: str | None = None) -> QuerySet[Interview]:
    interviews = Interview.objects.filter(user=user)
    if topic:
        interviews = interviews.filter(id__in=InterviewItem.objects.filter(question__topic__slug=topic)
                                       .values("interview_id"))
    # Meta.ordering is ignored by a GROUP BY query: order explicitly.
    return (interviews.annotate(question_count=Count("items", filter=Q(items__follow_up_of__isnull=True)),
                                override_count=Count("items", filter=Q(items__verdict_overridden=True)))
            .prefetch_related("topics").order_by("-created_at"))


@dataclass(frozen=True)
class ScorePoint:
    interview_id: uuid.UUID
    reviewed_at: datetime
    score: float


def topic_score_history(*, user, topic_ids: Iterable[int] | None = None) -> dict[int, list[ScorePoint]]:
    """Per topic, oldest first: the mean score of its questions in each reviewed interview that asked
    any (a question round on three topics gives each topic its own point), a follow-up weighing as it
    does in the interview's score."""
    items = InterviewItem.objects.filter(interview__user=user, interview__status=Interview.Status.DONE,
                                         score__isnull=False)
    if topic_ids is not None:
        items = items.filter(question__topic__in=list(topic_ids))
    weight = Case(When(follow_up_of__isnull=False, then=Value(FOLLOW_UP_WEIGHT)), default=Value(1.0),
                  output_field=FloatField())
    rows = (items.values("question__topic_id", "interview_id", "interview__reviewed_at")
            .annotate(mean=Sum(F("score") * weight) / Sum(weight)).order_by("interview__reviewed_at", "interview_id"))
    history: dict[int, list[ScorePoint]] = {}
    for row in rows:
        history.setdefault(row["question__topic_id"], []).append(
            ScorePoint(interview_id=row["interview_id"], reviewed_at=row["interview__reviewed_at"],
                       score=row["mean"]))
    return history


def kind_score_history(*, user) -> dict[str, list[ScorePoint]]:
    """Per loop (its slug) or, outside a loop, per round kind (question, system design, coding), oldest
    first: each reviewed interview's score."""
    history: dict[str, list[ScorePoint]] = {}
    done = (Interview.objects.filter(user=user, status=Interview.Status.DONE, score__isnull=False)
            .order_by("reviewed_at", "id").values_list("loop", "kind", "id", "reviewed_at", "score"))
    for loop, kind, interview_id, reviewed_at, score in done:
        history.setdefault(loop or kind, []).append(ScorePoint(interview_id=interview_id, reviewed_at=reviewed_at,
                                                               score=score))
    return history


def score_trends(*, user) -> tuple[dict[str, list[ScorePoint]], dict[str, list[ScorePoint]]]:
    """The score histories for the history page: per topic title, and per loop or round kind's name."""
    by_topic_id = topic_score_history(user=user)
    titles = {topic.pk: topic.title for topic in Topic.objects.filter(pk__in=by_topic_id)}
    known_loops, language = read_loops(), content_language()

    def name(key: str) -> str:
        if key in known_loops:
            return known_loops[key].title[language]
        if key == WEAK_SPOTS:
            return str(_("Weak spots round"))
        return str(Interview.Kind(key).label) if key in Interview.Kind.values else key  # a loop since removed

    return ({titles[topic_id]: points for topic_id, points in by_topic_id.items()},
            {name(key): points for key, points in kind_score_history(user=user).items()})


def answer_words(item: InterviewItem) -> str:
    """What the learner said: the typed answer, and a spoken answer's transcript where there is one (a
    recording still being transcribed, or on a site without speech-to-text, adds no words)."""
    spoken = item.spoken_answer
    return f"{item.answer}\n{spoken.transcript}" if spoken and spoken.transcript else item.answer


def follow_up_wanted(*, item: InterviewItem) -> bool:
    """Whether the interviewer asks the card's follow-up after this answer: the item is a question (not a
    follow-up itself), its card has a follow-up, and the answer misses at least one of the key points the
    follow-up probes by the term match that pre-ticks the review. A blank answer gets none; a spoken one with
    no words to match (no speech-to-text on the site, or its transcript not back when the learner moved on)
    gets it, as an interviewer who cannot tell what was covered digs anyway."""
    follow_up = item.question.follow_up
    if item.is_follow_up or not follow_up:
        return False
    words = answer_words(item)
    if not words.strip():
        return item.spoken_answer is not None
    found = key_points_suggested(key_points=item.question.key_points, answer=words, names=item.question.aliases)
    return any(not found[index] for index in follow_up["probes"] if index < len(found))


def key_points_for_review(*, item: InterviewItem, language: str) -> list[dict]:
    """The item's key points (a follow-up's own) in the interview's language, with the credit the answer
    suggests (fully where one of its terms, or one of the card's names for a term, is in the answer;
    missed otherwise) and the credit the learner gave once reviewed. A spoken answer's transcript counts as
    typed words."""
    points = item.key_points
    suggested = key_points_suggested(key_points=points, answer=answer_words(item), names=item.question.aliases)
    credits = item.point_credits or [None] * len(points)
    return [{"index": index, "text": point.get(language, ""), "terms": point.get("terms", []),
             "suggested": suggested[index], "credit": credits[index],
             "covered": index in item.covered_points}
            for index, point in enumerate(points)]


def key_points_suggested(*, key_points: list[dict], answer: str, names: Iterable[str] = ()) -> list[bool]:
    """Per key point: does the answer hold one of its terms? A term that is one of the card's names
    (its aliases, as search reads them) is also found under the card's other ways of writing that name,
    so "GQA" finds the point whose term is "grouped-query attention"."""
    names = list(names)
    return [any(_holds(answer, variant) for term in point.get("terms", []) for variant in _spellings(term, names))
            for point in key_points]


def _spellings(term: str, names: list[str]) -> list[str]:
    return [term, *(name for name in names if search.same_name(term, name))]


def _holds(text: str, term: str) -> bool:
    """Whether the text holds the term, compared as search compares (full-width letters, any case), with
    spaces and hyphens inside the term optional ("zero centered" holds "zero-centered"). A Latin term
    must start a word, so "elu" is not found in "relu"; a Chinese one may sit anywhere (no word
    boundaries to rely on)."""
    pieces = [re.escape(piece) for piece in _TERM_SEPARATORS.split(search.normalise(term).strip()) if piece]
    if not pieces:
        return False
    boundary = "" if search.CJK_RUN.match(pieces[0]) else r"(?<![a-z0-9])"
    return re.search(boundary + r"[\s\-_]*".join(pieces), search.normalise(text)) is not None


_TERM_SEPARATORS = re.compile(r"[\s\-_]+")
