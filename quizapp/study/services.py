"""Writes of the study app: rate a card (FSRS), undo, bury, suspend, leeches, settings, optimisation."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop
from fsrs import Rating

from questions.models import VISIBLE_TO_USER_SQL, Question
from quizapp.core.queueing import publish
from quizapp.core.rows import instance_from_row, value_to_db, values_to_db
from quizapp.core.services import WORKER_FRESH_SECONDS, live_workers
from quizapp.study import scheduling
from quizapp.study.days import study_day_for
from quizapp.study.models import CardState, ReviewLog, SchedulerOptimization, StudySettings

logger = logging.getLogger(__name__)
State = CardState.State
# Time for the worker to record a fit that ends right at its hard time limit.
OPTIMIZATION_STALE_MARGIN = timedelta(minutes=5)
# Stored untranslated like the other failure reasons; the page shows it in the learner's language.
OPTIMIZATION_LOST = gettext_noop("The fit did not finish: its worker stopped or never picked it up. "
                                 "Please try again.")
OPTIMIZATION_CRASHED = gettext_noop("The worker crashed during the fit. Please try again.")
OPTIMIZATION_NO_WORKER = gettext_noop("No worker serves the optimizer queue, so the fit cannot start. "
                                      "Start one (make run starts one) and try again.")
OPTIMIZER_QUEUE = "optimizer"  # CELERY_TASK_ROUTES sends the fits there


class NothingToUndo(Exception):
    pass


class StaleCard(Exception):
    """The card was rated elsewhere (another tab) since this client loaded it."""

    def __init__(self, card: CardState):
        super().__init__(f"card {card.pk} changed: now {card.reps} reviews")
        self.card = card


class ClientIdReused(Exception):
    pass


# Every column of the settings row but the user's.
_SETTINGS_FIELDS = ("id", "desired_retention", "new_cards_per_day", "reviews_per_day", "timezone", "day_start_hour",
                    "new_card_order", "fsrs_parameters")
_SETTINGS_ROW = f"SELECT {', '.join(_SETTINGS_FIELDS)} FROM study_studysettings WHERE user_id = %(user)s"


def study_settings_get(*, user) -> StudySettings:
    """The learner's settings, created with the defaults on first use. Every queue request reads
    them: one plain statement (0.1 ms of CPU) where the ORM took 0.4 ms to build its query."""
    with connection.cursor() as cursor:
        cursor.execute(_SETTINGS_ROW, {"user": user.pk})
        row = cursor.fetchone()
    if row is None:
        return StudySettings.objects.get_or_create(user=user)[0]
    return instance_from_row(StudySettings, _SETTINGS_FIELDS, row, user_id=user.pk)


def study_settings_update(*, user, fields: dict, topics=None) -> StudySettings:
    """Validated (model validators: bounds, time zone) before anything is saved."""
    study_settings = study_settings_get(user=user)
    for name, value in fields.items():
        setattr(study_settings, name, value)
    study_settings.full_clean(exclude=["user"])
    study_settings.save()
    if topics is not None:
        study_settings.topics.set(topics)
    return study_settings


def _locked_card(*, user, question, now: datetime) -> CardState:
    """The learner's row for the question (an ORM instance, for bury and suspend), locked until the
    transaction ends; a new card gets its row as a first rating does."""
    locked = CardState.objects.select_for_update().filter(user=user, question=question).first()
    if locked is not None:
        return locked
    _create_card_row(user=user, question_id=question.pk, now=now)
    return CardState.objects.select_for_update().get(user=user, question=question)


@dataclass(frozen=True)
class ReviewOutcome:
    log: ReviewLog
    created: bool  # False: the client id had been seen, this is the first request's log
    study_settings: StudySettings


class QuestionNotFound(Exception):
    pass


def card_review(*, user, question, rating: int, reviewed_at: datetime | None = None, duration_ms: int = 0,
                client_id: uuid.UUID | None = None, source: str = "study",
                expected_reps: int | None = None) -> ReviewLog:
    """Rate a card: lock its row, let fsrs schedule it with the learner's settings, log the review.

    Sending the same client_id again returns the first review's log and changes nothing. With
    expected_reps, a card rated meanwhile elsewhere raises StaleCard instead of being rated twice.
    """
    return card_review_outcome(user=user, question_id=question.pk, rating=rating, reviewed_at=reviewed_at,
                               duration_ms=duration_ms, client_id=client_id, source=source,
                               expected_reps=expected_reps).log


# Rating a card is what studying does all day, so it runs three statements of its own instead of
# the ORM's eight: lock the card row (reading the learner's settings and any log of this client id
# in the same statement), insert the log, update the row.
_LOCK_FOR_REVIEW = f"""
    SELECT {", ".join(f"c.{name}" for name in scheduling.CARD_FIELDS)},
           {", ".join(f"s.{name}" for name in _SETTINGS_FIELDS)}, l.id, l.card_id
    FROM study_cardstate c
    JOIN study_studysettings s ON s.user_id = c.user_id
    LEFT JOIN study_reviewlog l ON l.user_id = c.user_id AND l.client_id = %(client_id)s
    WHERE c.user_id = %(user)s AND c.question_id = %(question)s"""
_LOG_FIELDS = ("user_id", "card_id", "rating", "reviewed_at", "duration_ms", "state_before", "previous_state",
               "client_id", "source")
_INSERT_LOG = f"""
    INSERT INTO study_reviewlog ({", ".join(_LOG_FIELDS)}) VALUES ({", ".join(f"%({name})s" for name in _LOG_FIELDS)})
    ON CONFLICT (user_id, client_id) DO NOTHING RETURNING id"""
_REVIEWED_FIELDS = tuple(name for name in scheduling.SNAPSHOT_FIELDS if name != "buried_until")
_UPDATE_CARD = (f"UPDATE study_cardstate SET {', '.join(f'{name} = %({name})s' for name in _REVIEWED_FIELDS)} "
                "WHERE id = %(id)s")


@dataclass(frozen=True)
class _Locked:
    card: CardState
    study_settings: StudySettings
    logged_card_id: int | None  # the card this client id already rated, if any


def _lock_for_review(*, user, question_id: int, client_id: uuid.UUID) -> _Locked | None:
    """The learner's row for the question, locked until the transaction ends (SQLite needs no lock:
    its transactions here start IMMEDIATE, one writer at a time). None: no row or no settings yet."""
    sql = _LOCK_FOR_REVIEW + (" FOR UPDATE OF c" if connection.features.has_select_for_update_of else "")
    params = {"user": user.pk, "question": question_id,
              "client_id": value_to_db(ReviewLog, "client_id", client_id)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    card_values, rest = row[:len(scheduling.CARD_FIELDS)], row[len(scheduling.CARD_FIELDS):]
    settings_values, (log_id, logged_card_id) = rest[:len(_SETTINGS_FIELDS)], rest[len(_SETTINGS_FIELDS):]
    card = instance_from_row(CardState, scheduling.CARD_FIELDS, card_values, user_id=user.pk, question_id=question_id)
    study_settings = instance_from_row(StudySettings, _SETTINGS_FIELDS, settings_values, user_id=user.pk)
    return _Locked(card=card, study_settings=study_settings, logged_card_id=logged_card_id if log_id else None)


# A new card's row, if its question exists and is the corpus's or the learner's own; two requests
# creating it at once both go on (the second waits for the first's row, then finds it).
_CREATE_CARD = f"""
    INSERT INTO study_cardstate (user_id, question_id, state, due, reps, lapses, is_leech, suspended)
    SELECT %(user)s, q.id, 'new', %(due)s, 0, 0, false, false FROM questions_question q
    WHERE q.id = %(question)s AND {VISIBLE_TO_USER_SQL}
    ON CONFLICT (user_id, question_id) DO NOTHING"""


def _create_card_row(*, user, question_id: int, now: datetime) -> None:
    """The first rating of a question: its row comes into being."""
    with connection.cursor() as cursor:
        cursor.execute(_CREATE_CARD, {"user": user.pk, "question": question_id,
                                      "due": value_to_db(CardState, "due", now)})
        created = cursor.rowcount == 1
    if not created and not Question.objects.for_viewer(user).filter(pk=question_id).exists():
        raise QuestionNotFound(f"no question {question_id}")


def _earlier_outcome(*, user, client_id: uuid.UUID, question_id: int, study_settings) -> ReviewOutcome | None:
    """The review this client id already recorded, read afresh (another request may have committed
    it while this one waited for the row lock); ClientIdReused when it rated another card."""
    log = ReviewLog.objects.filter(user=user, client_id=client_id).select_related("card").first()
    if log is None:
        return None
    if log.card.question_id != question_id:
        raise ClientIdReused(f"client id {client_id} already rated another card")
    return ReviewOutcome(log=log, created=False, study_settings=study_settings)


def card_review_outcome(*, user, question_id: int, rating: int, reviewed_at: datetime | None = None,
                        duration_ms: int = 0, client_id: uuid.UUID | None = None, source: str = "study",
                        expected_reps: int | None = None) -> ReviewOutcome:
    """card_review by question id, also saying whether this request recorded the review (the API's
    201/200) and giving the learner's settings it used. QuestionNotFound for an unknown question."""
    rating = Rating(rating)  # ValueError outside 1-4
    reviewed_at = scheduling.as_utc(reviewed_at or timezone.now())
    client_id = client_id or uuid.uuid4()
    with transaction.atomic():
        locked = _lock_for_review(user=user, question_id=question_id, client_id=client_id)
        if locked is None:  # a new card
            _create_card_row(user=user, question_id=question_id, now=reviewed_at)
            locked = _lock_for_review(user=user, question_id=question_id, client_id=client_id)
        if locked is None:  # the learner's very first rating: their settings do not exist yet
            study_settings_get(user=user)
            locked = _lock_for_review(user=user, question_id=question_id, client_id=client_id)
        card, study_settings = locked.card, locked.study_settings
        earlier = dict(user=user, client_id=client_id, question_id=question_id, study_settings=study_settings)
        if locked.logged_card_id is not None or (expected_reps is not None and card.reps != expected_reps):
            if outcome := _earlier_outcome(**earlier):
                return outcome
            raise StaleCard(card)
        log = _rated(card, rating=rating, reviewed_at=reviewed_at, study_settings=study_settings,
                     duration_ms=duration_ms, client_id=client_id, source=source)
        if log is None:  # the client id was logged while this request waited for the lock
            return _earlier_outcome(**earlier)
        return ReviewOutcome(log=log, created=True, study_settings=study_settings)


def _rated(card: CardState, *, rating: Rating, reviewed_at: datetime, study_settings: StudySettings,
           duration_ms: int, client_id: uuid.UUID, source: str) -> ReviewLog | None:
    """Schedule the locked card with fsrs and write the log, then the row; None (and nothing written)
    when the client id is already logged."""
    previous, state_before = scheduling.snapshot(card), card.state
    reviewed, _ = scheduling.scheduler_for(study_settings).review_card(
        scheduling.to_fsrs_card(card), rating, review_datetime=reviewed_at, review_duration=duration_ms)
    scheduling.apply_fsrs_card(card, reviewed)
    card.reps += 1
    if scheduling.is_lapse(state_before, rating):
        card.lapses += 1
        if scheduling.becomes_leech(card.lapses):
            card.is_leech = card.suspended = True  # a leech wastes time: set it aside until fixed
    log = ReviewLog(user_id=card.user_id, card=card, rating=int(rating), reviewed_at=reviewed_at,
                    duration_ms=max(0, int(duration_ms)), state_before=state_before, previous_state=previous,
                    client_id=client_id, source=source)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_LOG, values_to_db(ReviewLog, {name: getattr(log, name) for name in _LOG_FIELDS}))
        inserted = cursor.fetchone()
        if inserted is None:
            return None
        log.pk, log._state.adding, log._state.db = inserted[0], False, connection.alias
        cursor.execute(_UPDATE_CARD, values_to_db(CardState, {name: getattr(card, name)
                                                              for name in ("id", *_REVIEWED_FIELDS)}))
    return log


def review_undo(*, user) -> CardState:
    """Take back the learner's latest study rating: the card gets its exact previous row, the log goes.

    Raises NothingToUndo when there is none, or when the card was rated again since (in an interview)
    or reset, because restoring then would silently drop that later review or reset.
    """
    with transaction.atomic():
        log = ReviewLog.objects.filter(user=user, source=ReviewLog.Source.STUDY).order_by("-id").first()
        if log is None:
            raise NothingToUndo("no rating to undo")
        card = CardState.objects.select_for_update().get(pk=log.card_id)
        latest = card.logs.order_by("-id").first()
        # A rating adds exactly one rep; any other count means a reset (or the like) came after it.
        if latest is None or latest.pk != log.pk or card.reps != log.previous_state["reps"] + 1:
            raise NothingToUndo("the card changed since; undo is no longer possible")
        scheduling.restore(card, log.previous_state)
        card.save()
        log.delete()
        return card


def card_bury(*, user, question, now: datetime | None = None) -> CardState:
    """Hide the card until the learner's next study day starts."""
    now = now or timezone.now()
    study_settings = study_settings_get(user=user)
    today = study_day_for(study_settings=study_settings, now=now)
    with transaction.atomic():
        card = _locked_card(user=user, question=question, now=now)
        card.buried_until = today.day + timedelta(days=1)
        card.save(update_fields=["buried_until"])
        return card


def card_set_suspended(*, user, question, suspended: bool) -> CardState:
    with transaction.atomic():
        card = _locked_card(user=user, question=question, now=timezone.now())
        card.suspended = suspended
        card.save(update_fields=["suspended"])
        return card


def card_reset(*, user, card_id: int) -> CardState:
    """Forget a card's memory state (a leech to relearn from scratch). Its history stays in the logs."""
    with transaction.atomic():
        card = CardState.objects.select_for_update().get(pk=card_id, user=user)
        card.state, card.step, card.stability, card.difficulty = State.NEW, None, None, None
        card.due, card.last_review = timezone.now(), None
        card.reps = card.lapses = 0
        card.is_leech = card.suspended = False
        card.buried_until = None
        card.save()
        return card


def card_unsuspend(*, user, card_id: int) -> CardState:
    return _card_change(user=user, card_id=card_id, suspended=False)


def card_unbury(*, user, card_id: int) -> CardState:
    """Back in today's queue (a bury pressed by mistake)."""
    return _card_change(user=user, card_id=card_id, buried_until=None)


def _card_change(*, user, card_id: int, **fields) -> CardState:
    """Set fields of one of the learner's cards; CardState.DoesNotExist for another learner's."""
    with transaction.atomic():
        card = CardState.objects.select_for_update().get(pk=card_id, user=user)
        for name, value in fields.items():
            setattr(card, name, value)
        card.save(update_fields=list(fields))
        return card


@dataclass(frozen=True)
class OptimizationRequest:
    optimization: SchedulerOptimization
    queued: bool  # False: the learner's fit already under way, which this request joins


def scheduler_optimization_request(*, user) -> OptimizationRequest:
    """Record the request and queue the fit in one transaction: with the broker down this raises
    QueueUnavailable and records nothing. A learner has one fit at a time: a fit holds a worker for
    minutes, so pressing again while one is queued or running answers with that one instead of queuing more."""
    from quizapp.study.tasks import optimize_scheduler

    Status = SchedulerOptimization.Status
    with transaction.atomic():
        # Two requests at once: the second waits on the learner's settings row, then finds the first's fit.
        StudySettings.objects.select_for_update().get(pk=study_settings_get(user=user).pk)
        scheduler_optimizations_expire_stale(user=user)
        under_way = SchedulerOptimization.objects.filter(user=user, status__in=[Status.QUEUED, Status.RUNNING])
        if (optimization := under_way.first()) is not None:
            return OptimizationRequest(optimization, queued=False)
        optimization = SchedulerOptimization.objects.create(user=user)
        publish(optimize_scheduler, args=[optimization.pk])
    return OptimizationRequest(optimization, queued=True)


def scheduler_optimization_claim(*, optimization_id: int, worker: str = "") -> bool:
    """Move a queued request to running; succeeds once. A redelivery that finds its fit running comes
    after the worker process was lost mid-fit (an OOM kill, say): it fails the fit rather than spend
    minutes more on something that may kill the worker again."""
    Status = SchedulerOptimization.Status
    optimizations = SchedulerOptimization.objects.filter(pk=optimization_id)
    if optimizations.filter(status=Status.QUEUED).update(status=Status.RUNNING, started_at=timezone.now(),
                                                         worker=worker[:200]):
        return True
    optimizations.filter(status=Status.RUNNING).update(status=Status.FAILED, error=OPTIMIZATION_CRASHED,
                                                       finished_at=timezone.now())
    return False


def scheduler_optimizations_expire_stale(*, user=None) -> int:
    """Fail fits that can no longer finish (the learner's, or everybody's for the reaper), so none
    shows "running" forever: Celery kills a fit at its hard time limit, a killed worker stops beating,
    a queued fit waits in vain while no worker serves the optimizer queue or none took it in time."""
    from quizapp.study.tasks import OPTIMIZE_TIME_LIMIT

    Status = SchedulerOptimization.Status
    now = timezone.now()
    under_way = SchedulerOptimization.objects.filter(status__in=[Status.QUEUED, Status.RUNNING])
    if user is not None:
        under_way = under_way.filter(user=user)
    cutoff = now - timedelta(seconds=OPTIMIZE_TIME_LIMIT) - OPTIMIZATION_STALE_MARGIN
    lost = Q(started_at__lt=cutoff) | Q(started_at__isnull=True, created_at__lt=cutoff)
    workers = live_workers()
    silent_worker = (Q(status=Status.RUNNING, started_at__lt=now - timedelta(seconds=WORKER_FRESH_SECONDS))
                     & ~Q(worker__in=[worker.hostname for worker in workers]) & ~Q(worker=""))
    failed = under_way.filter(lost | silent_worker).update(status=Status.FAILED, error=OPTIMIZATION_LOST,
                                                           finished_at=now)
    if not any(OPTIMIZER_QUEUE in worker.queues for worker in workers):
        grace = now - timedelta(seconds=settings.DEMO_NO_WORKER_GRACE_SECONDS)
        failed += under_way.filter(status=Status.QUEUED, created_at__lt=grace).update(
            status=Status.FAILED, error=OPTIMIZATION_NO_WORKER, finished_at=now)
    return failed


def scheduler_optimizations_fail_of_restarted_worker(*, hostname: str, started_at) -> int:
    """Fail the fits a worker of this name was running before it (re)started: it died with them."""
    Status = SchedulerOptimization.Status
    left = SchedulerOptimization.objects.filter(status=Status.RUNNING, worker=hostname, started_at__lt=started_at)
    return left.update(status=Status.FAILED, error=OPTIMIZATION_LOST, finished_at=timezone.now())


def scheduler_optimization_finish(*, optimization_id: int, status: str, **fields) -> bool:
    """End a running fit; False when it no longer runs (the reaper failed it while it computed: its
    outcome is stale, and the learner may have asked for another since)."""
    running = SchedulerOptimization.objects.filter(pk=optimization_id, status=SchedulerOptimization.Status.RUNNING)
    return bool(running.update(status=status, finished_at=timezone.now(), **fields))


def scheduler_optimization_run(*, optimization_id: int, worker: str = "") -> None:
    """Fit the learner's FSRS weights on their history; keep them only if they predict it better."""
    from quizapp.study import optimizing

    if not scheduler_optimization_claim(optimization_id=optimization_id, worker=worker):
        return
    optimization = SchedulerOptimization.objects.select_related("user").get(pk=optimization_id)
    history = optimizing.history_for_user(user=optimization.user)
    counted, needed = optimizing.trainable_review_count(history), optimizing.REVIEWS_NEEDED
    if counted < needed:
        scheduler_optimization_finish(optimization_id=optimization_id, status=SchedulerOptimization.Status.TOO_FEW,
                                      reviews_counted=counted, reviews_needed=needed)
        return
    study_settings = study_settings_get(user=optimization.user)
    fit = optimizing.fit(history, current_parameters=scheduling.scheduler_for(study_settings).parameters)
    with transaction.atomic():
        finished = scheduler_optimization_finish(
            optimization_id=optimization_id, status=SchedulerOptimization.Status.SUCCEEDED, reviews_counted=counted,
            reviews_needed=needed, old_parameters=fit.old_parameters, new_parameters=fit.new_parameters,
            old_log_loss=fit.old_log_loss, new_log_loss=fit.new_log_loss, applied=fit.improves)
        if finished and fit.improves:
            StudySettings.objects.filter(pk=study_settings.pk).update(fsrs_parameters=fit.new_parameters)
