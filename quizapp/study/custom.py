"""Custom study, as Anki has it (its custom_study.rs is the reference for each choice):

- more new cards today: NewCardExtension, added to today's new card limit; repeated, the extras add up,
  and the next study day starts without them (Anki's extend_limits).
- review ahead by N days: queue.study_queue(ahead_days=N); ratings reschedule as always (fsrs takes an
  early review into account), as Anki's "prop:due<=N" filtered deck, ordered by due, reschedules.
- today's forgotten cards, cramming a topic, and the cards a mock interview found missing: a CustomSession,
  Anki's filtered deck with "reschedule cards based on my answers" off (Anki builds the first two so:
  "rated:1:1" shuffled, and a cram deck). Its ratings touch neither the card's state nor the review
  log, so they count in no statistic, no scheduler fit and no daily limit. As in Anki's preview of such
  a deck, Again and Hard bring the card back at the end of the session, Good and Easy end it for the
  session. A card forgotten today is in
  its relearning steps already: the normal queue shows it again when a step is due, as in Anki.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from questions.models import Question, QuestionDemo, Topic, visible_to
from quizapp.core.errors import Conflict, InvalidInput, NotYours
from quizapp.core.locks import lock_learner
from quizapp.study.days import StudyDay, study_day_for
from quizapp.study.models import CardState, CustomAnswer, CustomSession, NewCardExtension, ReviewLog
from quizapp.study.queue import QueueCounts, StudyQueue
from quizapp.study.selectors import study_settings_get
from quizapp.study.services import ClientIdReused, NothingToUndo

State = CardState.State
Kind = CustomSession.Kind
MAX_EXTRA_NEW = 9999  # Anki's spin boxes stop there
MAX_SESSION_CARDS = 9999
DEFAULT_SESSION_CARDS = 100  # Anki's default for a cram session
COMES_BACK = (1, 2)  # Again and Hard: the card is shown again later in the session
MOCK_QUESTIONS = 3


class CardDone(Conflict):
    """The card is no longer waiting in this session (rated in another tab, or set aside)."""

    default_detail = "This card is done in this session (another tab?)."


def _today(user, now: datetime | None = None) -> StudyDay:
    return study_day_for(study_settings=study_settings_get(user=user), now=now or timezone.now())


def new_cards_extra_today(*, user, now: datetime | None = None) -> int:
    """The extra new cards the learner allowed themselves today."""
    day = _today(user, now).day
    return NewCardExtension.objects.filter(user=user, day=day).values_list("extra", flat=True).first() or 0


def new_cards_extend(*, user, extra: int, now: datetime | None = None) -> NewCardExtension:
    """Raise today's new card limit by `extra` (1–9999, InvalidInput otherwise); gone tomorrow."""
    if not 1 <= extra <= MAX_EXTRA_NEW:
        raise InvalidInput(fields={"extra": [_("Enter a whole number from 1 to %(max)d.") % {"max": MAX_EXTRA_NEW}]})
    day = _today(user, now).day
    with transaction.atomic():
        lock_learner(user)  # two raises at once must both count
        extension, _created = NewCardExtension.objects.get_or_create(user=user, day=day)
        extension.extra = min(MAX_EXTRA_NEW, extension.extra + extra)
        extension.save(update_fields=["extra"])
    return extension


def _available(*, user, day: StudyDay) -> QuerySet[Question]:
    """Questions a custom session may show: the learner's to see, not retired, not set aside today."""
    set_aside = CardState.objects.filter(Q(suspended=True) | Q(buried_until__gt=day.day), user=user,
                                         question=OuterRef("pk"))
    return Question.objects.filter(visible_to(user), retired=False).exclude(Exists(set_aside))


def forgotten_today_ids(*, user, day: StudyDay) -> list[int]:
    """Cards rated Again today (in study or an interview), shuffled as Anki does."""
    forgotten = ReviewLog.objects.filter(user=user, rating=1, reviewed_at__gte=day.starts_at,
                                         reviewed_at__lt=day.ends_at).values("card__question_id")
    shown = list(_available(user=user, day=day).filter(pk__in=forgotten).values_list("pk", flat=True))
    random.shuffle(shown)
    return shown


def _cram_ids(*, user, day: StudyDay, topic: Topic, cards: str, count: int) -> list[int]:
    questions = _available(user=user, day=day).filter(topic=topic)
    if cards == CustomSession.Cards.NEW:  # Anki: in the order they were added
        started = CardState.objects.filter(~Q(state=State.NEW), user=user, question=OuterRef("pk"))
        return list(questions.exclude(Exists(started)).order_by("position", "id").values_list("pk", flat=True)[:count])
    if cards == CustomSession.Cards.DUE:  # Anki: by due date
        due = CardState.objects.filter(~Q(state=State.NEW), user=user, due__lt=day.ends_at, question__in=questions)
        return list(due.order_by("due", "id").values_list("question_id", flat=True)[:count])
    every = list(questions.values_list("pk", flat=True))  # Anki: all cards, shuffled
    random.shuffle(every)
    return every[:count]


def custom_session_start(*, user, kind: str, topic: Topic | None = None, cards: str = CustomSession.Cards.ALL,
                         count: int = DEFAULT_SESSION_CARDS, now: datetime | None = None) -> CustomSession:
    """Choose a no-reschedule session's cards; InvalidInput names the field when none match."""
    day = _today(user, now)
    if kind == Kind.FORGOTTEN:
        question_ids, blame = forgotten_today_ids(user=user, day=day), "kind"
        empty = _("No card was forgotten today.")
    elif kind == Kind.CRAM:
        errors = {}
        if topic is None:
            errors["topic"] = [_("Choose a topic.")]
        if cards not in CustomSession.Cards.values:
            errors["cards"] = [_("Choose which cards to study.")]
        if not 1 <= count <= MAX_SESSION_CARDS:
            errors["count"] = [_("Enter a whole number from 1 to %(max)d.") % {"max": MAX_SESSION_CARDS}]
        if errors:
            raise InvalidInput(fields=errors)
        question_ids, blame = _cram_ids(user=user, day=day, topic=topic, cards=cards, count=count), "cards"
        empty = _("No card of this topic matches.")
    else:
        raise InvalidInput(fields={"kind": [_("Choose a kind of custom study.")]})
    if not question_ids:
        raise InvalidInput(fields={blame: [empty]})
    return CustomSession.objects.create(user=user, kind=kind, topic=topic if kind == Kind.CRAM else None,
                                        cards=cards if kind == Kind.CRAM else CustomSession.Cards.ALL,
                                        question_ids=question_ids)


def custom_session_for_cards(*, user, question_ids: list[int]) -> CustomSession:
    """A no-reschedule session of the given cards in their order (the cards a mock interview found
    missing): the interview has rated them in study already, so going over them again must not
    count as a second review. InvalidInput when none of them is the learner's to study."""
    day = _today(user)
    available = set(_available(user=user, day=day).filter(pk__in=question_ids).values_list("pk", flat=True))
    chosen = [question_id for question_id in dict.fromkeys(question_ids) if question_id in available]
    if not chosen:
        raise InvalidInput(fields={"kind": [_("No missed card is left to study.")]})
    return CustomSession.objects.create(user=user, kind=Kind.INTERVIEW, question_ids=chosen)


def custom_session_get(*, user, session_id: int) -> CustomSession:
    """One of the learner's sessions; another learner's is as unknown as a missing one."""
    session = CustomSession.objects.filter(pk=session_id, user=user).select_related("topic").first()
    if session is None:
        raise NotYours
    return session


def _waiting_ids(session: CustomSession, *, day: StudyDay) -> list[int]:
    """The session's cards still to show, in order: those not yet rated, then those rated Again or Hard
    (the earliest rated first). Cards suspended, buried or retired meanwhile drop out."""
    last_rating: dict[int, int] = {}
    rated_order: list[int] = []
    for question_id, rating in session.answers.order_by("id").values_list("question_id", "rating"):
        last_rating[question_id] = rating
        if question_id in rated_order:
            rated_order.remove(question_id)
        rated_order.append(question_id)
    available = set(_available(user=session.user, day=day).filter(pk__in=session.question_ids)
                    .values_list("pk", flat=True))
    unseen = [question_id for question_id in session.question_ids if question_id not in last_rating]
    again = [question_id for question_id in rated_order if last_rating[question_id] in COMES_BACK]
    return [question_id for question_id in unseen + again if question_id in available]


def custom_session_queue(*, session: CustomSession, now: datetime | None = None, limit: int = 1) -> StudyQueue:
    """The session's next `limit` cards, and its cards left counted by their state."""
    now = now or timezone.now()
    day = _today(session.user, now)
    waiting = _waiting_ids(session, day=day)
    states = dict(CardState.objects.filter(user=session.user, question_id__in=waiting)
                  .values_list("question_id", "state"))
    left = [states.get(question_id, State.NEW) for question_id in waiting]
    counts = QueueCounts(new=left.count(State.NEW), review=left.count(State.REVIEW),
                         learning=left.count(State.LEARNING) + left.count(State.RELEARNING))
    shown = waiting[:limit]
    questions = (Question.objects.filter(pk__in=shown).select_related("topic").prefetch_related(
        Prefetch("demo_links", queryset=QuestionDemo.objects.order_by("position", "id")),
        Prefetch("card_states", CardState.objects.filter(user=session.user), to_attr="learner_cards")))
    by_id = {question.pk: question for question in questions}
    cards = []
    for question_id in shown:
        question = by_id[question_id]
        card = question.learner_cards[0] if question.learner_cards else CardState(
            user=session.user, state=State.NEW, due=now)
        card.question = question
        cards.append(card)
    return StudyQueue(day=day, counts=counts, cards=cards, next_learning_due=None)


def custom_answer_record(*, session: CustomSession, question_id: int, rating: int, client_id: uuid.UUID,
                         now: datetime | None = None) -> tuple[CustomAnswer, bool]:
    """Record a rating in the session (the card's schedule stays as it is). The same client id again
    answers with the first answer and False; a card not waiting in the session is CardDone."""
    if question_id not in session.question_ids:
        raise InvalidInput(fields={"question": [_("This card is not in this custom study session.")]})
    try:
        with transaction.atomic():
            lock_learner(session.user)  # the waiting check and the insert, one request at a time
            if (earlier := _earlier_answer(session, client_id=client_id, question_id=question_id)) is not None:
                return earlier, False
            if question_id not in _waiting_ids(session, day=_today(session.user, now)):
                raise CardDone
            answer = CustomAnswer.objects.create(session=session, question_id=question_id, rating=rating,
                                                 client_id=client_id, answered_at=now or timezone.now())
    except IntegrityError:  # the same client id, recorded meanwhile
        if (earlier := _earlier_answer(session, client_id=client_id, question_id=question_id)) is not None:
            return earlier, False
        raise
    return answer, True


def _earlier_answer(session: CustomSession, *, client_id: uuid.UUID, question_id: int) -> CustomAnswer | None:
    earlier = session.answers.filter(client_id=client_id).first()
    if earlier is not None and earlier.question_id != question_id:
        raise ClientIdReused(f"client id {client_id} already rated another card")
    return earlier


def custom_answer_undo(*, session: CustomSession) -> CustomAnswer:
    """Take back the session's latest rating: its card waits again where it did."""
    with transaction.atomic():
        lock_learner(session.user)
        answer = session.answers.order_by("-id").first()
        if answer is None:
            raise NothingToUndo("no rating to undo in this session")
        answer.delete()
    return answer


def mock_questions_today(*, user, now: datetime | None = None) -> tuple[list[Question], bool]:
    """Up to three corpus questions the learner studied today (rated in study, an interview or a custom
    session), the latest first; when fewer, filled from those reviewed most recently before (the bool
    says so). Own cards have no key points to mark an interview answer against, so they are never asked."""
    day = _today(user, now)
    corpus = ReviewLog.objects.filter(user=user, card__question__owner__isnull=True, card__question__retired=False)
    latest = corpus.values("card__question_id").annotate(last=Max("reviewed_at")).order_by("-last")
    rated = latest.filter(reviewed_at__gte=day.starts_at, reviewed_at__lt=day.ends_at).values_list(
        "card__question_id", "last")
    crammed = (CustomAnswer.objects.filter(session__user=user, question__owner__isnull=True, question__retired=False,
                                           answered_at__gte=day.starts_at, answered_at__lt=day.ends_at)
               .values("question_id").annotate(last=Max("answered_at")).values_list("question_id", "last"))
    studied: dict[int, datetime] = {}
    for question_id, last in [*rated, *crammed]:
        studied[question_id] = max(last, studied.get(question_id, last))
    today = sorted(studied, key=studied.get, reverse=True)[:MOCK_QUESTIONS]
    chosen = list(today)
    if len(chosen) < MOCK_QUESTIONS:
        earlier = latest.exclude(card__question_id__in=chosen).values_list("card__question_id", flat=True)
        chosen += list(earlier[:MOCK_QUESTIONS - len(chosen)])
    by_id = Question.objects.in_bulk(chosen)
    return [by_id[question_id] for question_id in chosen], len(today) < MOCK_QUESTIONS
