"""Today's study queue: the counters of cards left and the next cards to show.

The rules: learning steps due now come first, then due reviews, then new cards (the learner's own
first), then learning steps due within LEARN_AHEAD. Reviews and new cards stop at the learner's
daily limits (with today's custom-study extra new cards), counted over the study day (their time zone
and day-start hour). Suspended, buried and retired cards, and topics the learner did not choose, stay out.

Custom study's "review ahead" (ahead_days) shows the reviews due within that many days after today,
in due order and with no daily review limit, and no new cards: Anki's "prop:due<=N" filtered deck.
A card reviewed today is not shown ahead again (in Anki an answered card leaves the filtered deck).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from questions.models import Question, QuestionDemo, visible_to
from quizapp.study.days import StudyDay, study_day_for, study_day_of
from quizapp.study.models import CardState, NewCardExtension, ReviewLog, StudySettings
from quizapp.study.selectors import chosen_topic_ids, study_settings_get

State = CardState.State
LEARNING_STATES = (State.LEARNING, State.RELEARNING)
# Learning steps are minutes long; like Anki, show one that is due within this window rather than
# ending the session a few minutes early.
LEARN_AHEAD = timedelta(minutes=20)
# "Shuffled" new cards sort by a hash of the question id keyed by the learner: h = (id·a + b) mod p,
# then h² mod p (a linear map alone leaves consecutive ids in a visible pattern). A fixed order for
# each learner, different between learners, computed by the database; every product stays below
# 2⁶³ on both databases.
SHUFFLE_MODULUS = 2_147_483_647
NO_LIMIT = 2**31
MAX_AHEAD_DAYS = 9999  # Anki's custom study spin box


@dataclass(frozen=True)
class QueueCounts:
    new: int
    learning: int
    review: int

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


@dataclass(frozen=True)
class StudyQueue:
    day: StudyDay
    counts: QueueCounts
    # The learner's cards with their questions loaded; an unsaved CardState for a question never studied.
    cards: list[CardState]
    next_learning_due: datetime | None  # when nothing is due now but a learning step is later today


@dataclass(frozen=True)
class _Budget:
    """What the daily limits leave of today's reviews and new cards."""

    review: int
    new: int


def _budget(*, user, study_settings: StudySettings, day: StudyDay) -> _Budget:
    today = ReviewLog.objects.filter(user=user, source=ReviewLog.Source.STUDY, reviewed_at__gte=day.starts_at,
                                     reviewed_at__lt=day.ends_at).aggregate(
        review=Count("pk", filter=Q(state_before=State.REVIEW)), new=Count("pk", filter=Q(state_before=State.NEW)))
    extra = NewCardExtension.objects.filter(user=user, day=day.day).values_list("extra", flat=True).first() or 0
    return _Budget(review=max(0, study_settings.reviews_per_day - today["review"]),
                   new=max(0, study_settings.new_cards_per_day + extra - today["new"]))


def _studyable(*, user, topic_ids: set[int], through: str = "") -> Q:
    """Questions the learner may study: the corpus's and their own, not retired, in the chosen topics."""
    rule = visible_to(user, through=through) & Q(**{f"{through}retired": False})
    return rule & Q(**{f"{through}topic__in": topic_ids}) if topic_ids else rule


def _active_cards(*, user, topic_ids: set[int], day: StudyDay) -> QuerySet[CardState]:
    """Studied cards the learner may see today. Their state and suspended tests are the condition of
    the partial index study_card_queue_state_idx, so PostgreSQL can scan that index."""
    not_buried = Q(buried_until__isnull=True) | Q(buried_until__lte=day.day)
    return (CardState.objects.filter(_studyable(user=user, topic_ids=topic_ids, through="question__"), not_buried,
                                     user=user, suspended=False).exclude(state=State.NEW))


def _fresh_questions(*, user, topic_ids: set[int], day: StudyDay) -> QuerySet[Question]:
    """Questions not started: no row, or a "new" row (after a reset) that is not set aside."""
    set_aside = Q(suspended=True) | Q(buried_until__gt=day.day)
    started_or_set_aside = CardState.objects.filter(~Q(state=State.NEW) | set_aside, user=user, question=OuterRef("pk"))
    return Question.objects.filter(_studyable(user=user, topic_ids=topic_ids), ~Exists(started_or_set_aside))


def _demo_links(through: str = "") -> Prefetch:
    """The demo links a shown card lists, in their order."""
    return Prefetch(f"{through}demo_links", queryset=QuestionDemo.objects.order_by("position", "id"))


def _first(cards: QuerySet[CardState], count: int) -> list[CardState]:
    if count <= 0:
        return []
    return list(cards.select_related("question__topic").prefetch_related(_demo_links("question__"))[:count])


def _new_order(study_settings: StudySettings) -> list:
    """New cards in the learner's chosen order, their own cards first: they wrote them to study them.
    Every own card a learner sees is theirs, so the owner with nulls (the corpus) last sorts them first."""
    own_first = F("owner").asc(nulls_last=True)
    Order = StudySettings.NewCardOrder
    if study_settings.new_card_order == Order.CORE:
        # The learner's own cards in their topics' order (what they wrote, as they filed it); the corpus
        # by each topic's core first.
        own = [Case(When(owner__isnull=False, then=F(field)), default=Value(0))
               for field in ("topic__position", "position", "id")]
        return [own_first, *own, "core_rank", "topic__position", "position", "id"]
    if study_settings.new_card_order == Order.DIFFICULTY:
        return [own_first, "difficulty", "topic__position", "position", "id"]
    if study_settings.new_card_order == Order.SHUFFLED:
        return [own_first, _shuffled(study_settings.user_id), "id"]
    return [own_first, "topic__position", "position", "id"]


def _core_rank() -> Window:
    """A question's place in its topic by how much it teaches: first the questions real interviews ask
    (a seed question) that a demo proves, then the other asked ones, then the rest, the easier before
    the harder, in the corpus's order. Ordering by it takes each topic's first, then each one's second:
    the first days cover the core of every chosen topic instead of one topic's corners."""
    unasked = Case(When(seed_refs=Value([], output_field=Question._meta.get_field("seed_refs")), then=1), default=0)
    unproved = Case(When(Exists(QuestionDemo.objects.filter(question=OuterRef("pk"))), then=0), default=1)
    return Window(RowNumber(), partition_by=[F("topic_id")],
                  order_by=[unasked.asc(), unproved.asc(), F("difficulty").asc(), F("position").asc(), F("id").asc()])


def _shuffled(user_id: int) -> ExpressionWrapper:
    shuffle_a, shuffle_b = shuffle_key(user_id)
    hashed = ExpressionWrapper((F("id") * shuffle_a + shuffle_b) % SHUFFLE_MODULUS, output_field=BigIntegerField())
    return ExpressionWrapper(hashed * hashed % SHUFFLE_MODULUS, output_field=BigIntegerField())


def shuffle_key(user_id: int) -> tuple[int, int]:
    """The learner's (a, b) of the shuffle hash."""
    draw = random.Random(user_id)
    return draw.randrange(2, SHUFFLE_MODULUS), draw.randrange(SHUFFLE_MODULUS)


def _new_cards(questions: QuerySet[Question], *, user, study_settings: StudySettings, now: datetime,
               count: int) -> list[CardState]:
    """The first `count` new cards: a question never studied has no row yet; a reset card has one."""
    if count <= 0:
        return []
    if study_settings.new_card_order == StudySettings.NewCardOrder.CORE:
        questions = questions.annotate(core_rank=_core_rank())
    chosen = (questions.order_by(*_new_order(study_settings)).select_related("topic")
              .prefetch_related(_demo_links(), Prefetch("card_states", CardState.objects.filter(user=user),
                                                      to_attr="learner_cards"))[:count])
    return [question.learner_cards[0] if question.learner_cards
            else CardState(user=user, question=question, state=State.NEW, due=now) for question in chosen]


def study_queue(*, user, now: datetime | None = None, limit: int = 1,
                study_settings: StudySettings | None = None, ahead_days: int = 0) -> StudyQueue:
    """Today's first `limit` cards in study order, with the counters of new / learning / review
    cards left today; with ahead_days, the reviews due by the end of that many days after today."""
    now = now or timezone.now()
    study_settings = study_settings or study_settings_get(user=user)
    day = study_day_for(study_settings=study_settings, now=now)
    # Reviewing ahead is Anki's filtered deck: no daily limits, and no new cards in it.
    budget = (_Budget(review=NO_LIMIT, new=0) if ahead_days
              else _budget(user=user, study_settings=study_settings, day=day))
    topic_ids = chosen_topic_ids(user=user) if study_settings.pk else set()

    active = _active_cards(user=user, topic_ids=topic_ids, day=day)
    fresh = _fresh_questions(user=user, topic_ids=topic_ids, day=day)

    reviews_until = (study_day_of(day=day.day + timedelta(days=ahead_days), timezone_name=study_settings.timezone,
                                  day_start_hour=study_settings.day_start_hour).ends_at if ahead_days else day.ends_at)
    learning, learning_due = Q(state__in=LEARNING_STATES), Q(state__in=LEARNING_STATES, due__lt=day.ends_at)
    reviews_due = Q(state=State.REVIEW, due__lt=reviews_until)
    if ahead_days:  # each card once, as Anki's filtered deck sends a card home once answered
        reviews_due &= Q(last_review__lt=day.starts_at)
    totals = active.aggregate(learning=Count("pk", filter=learning_due), review=Count("pk", filter=reviews_due),
                              later=Min("due", filter=learning & Q(due__gt=now)))
    counts = QueueCounts(new=fresh.order_by()[:budget.new].count() if budget.new else 0, learning=totals["learning"],
                         review=min(totals["review"], budget.review))

    by_due = ("due", "id")
    cards = _first(active.filter(learning, due__lte=now).order_by(*by_due), limit if counts.learning else 0)
    cards += _first(active.filter(reviews_due).order_by(*by_due), min(limit - len(cards), counts.review))
    cards += _new_cards(fresh, user=user, study_settings=study_settings, now=now,
                        count=min(limit - len(cards), counts.new))
    if counts.learning:
        ahead = active.filter(learning, due__gt=now, due__lte=now + LEARN_AHEAD).order_by(*by_due)
        cards += _first(ahead, limit - len(cards))
    later = totals["later"] if not cards and counts.learning else None
    return StudyQueue(day=day, counts=counts, cards=cards, next_learning_due=later)
