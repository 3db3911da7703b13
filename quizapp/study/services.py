"""Writes of the study app: rate a card (FSRS), undo, bury, suspend, leeches, settings, optimisation."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop
from fsrs import Rating

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


class NothingToUndo(Exception):
    pass


class StaleCard(Exception):
    """The card was rated elsewhere (another tab) since this client loaded it."""

    def __init__(self, card: CardState):
        super().__init__(f"card {card.pk} changed: now {card.reps} reviews")
        self.card = card


class ClientIdReused(Exception):
    pass


def study_settings_get(*, user) -> StudySettings:
    """The learner's settings, created with the defaults on first use."""
    study_settings, _ = StudySettings.objects.get_or_create(user=user)
    return study_settings


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
    """The learner's row for the question, locked until the transaction ends; a new card gets a row.
    get_or_create survives two requests creating the same row at once (the loser re-reads it)."""
    locked = CardState.objects.select_for_update().filter(user=user, question=question).first()
    if locked is not None:
        return locked
    card, _ = CardState.objects.get_or_create(user=user, question=question, defaults={"due": now})
    return CardState.objects.select_for_update().get(pk=card.pk)


def _existing_log(*, user, client_id: uuid.UUID, question) -> ReviewLog | None:
    log = ReviewLog.objects.filter(user=user, client_id=client_id).select_related("card").first()
    if log is not None and log.card.question_id != question.pk:
        raise ClientIdReused(f"client id {client_id} already rated another card")
    return log


@dataclass(frozen=True)
class ReviewOutcome:
    log: ReviewLog
    created: bool  # False: the client id had been seen, this is the first request's log


def card_review(*, user, question, rating: int, reviewed_at: datetime | None = None, duration_ms: int = 0,
                client_id: uuid.UUID | None = None, source: str = "study",
                expected_reps: int | None = None) -> ReviewLog:
    """Rate a card: lock its row, let fsrs schedule it with the learner's settings, log the review.

    Sending the same client_id again returns the first review's log and changes nothing. With
    expected_reps, a card rated meanwhile elsewhere raises StaleCard instead of being rated twice.
    """
    return card_review_outcome(user=user, question=question, rating=rating, reviewed_at=reviewed_at,
                               duration_ms=duration_ms, client_id=client_id, source=source,
                               expected_reps=expected_reps).log


def card_review_outcome(*, user, question, rating: int, reviewed_at: datetime | None = None, duration_ms: int = 0,
                        client_id: uuid.UUID | None = None, source: str = "study", expected_reps: int | None = None,
                        study_settings: StudySettings | None = None) -> ReviewOutcome:
    """card_review, also saying whether this request recorded the review (for the API's 201/200)."""
    rating = Rating(rating)  # ValueError outside 1-4
    reviewed_at = scheduling.as_utc(reviewed_at or timezone.now())
    client_id = client_id or uuid.uuid4()
    with transaction.atomic():
        card = _locked_card(user=user, question=question, now=reviewed_at)
        existing = _existing_log(user=user, client_id=client_id, question=question)
        if existing is not None:
            return ReviewOutcome(log=existing, created=False)
        if expected_reps is not None and card.reps != expected_reps:
            raise StaleCard(card)
        previous, state_before = scheduling.snapshot(card), card.state
        scheduler = scheduling.scheduler_for(study_settings or study_settings_get(user=user))
        reviewed, _ = scheduler.review_card(scheduling.to_fsrs_card(card), rating, review_datetime=reviewed_at,
                                            review_duration=duration_ms)
        scheduling.apply_fsrs_card(card, reviewed)
        card.reps += 1
        if scheduling.is_lapse(state_before, rating):
            card.lapses += 1
            if scheduling.becomes_leech(card.lapses):
                card.is_leech = card.suspended = True  # a leech wastes time: set it aside until fixed
        card.save()
        log = _log_review(user=user, card=card, rating=int(rating), reviewed_at=reviewed_at,
                          duration_ms=max(0, int(duration_ms)), state_before=state_before,
                          previous_state=previous, client_id=client_id, source=source)
        return ReviewOutcome(log=log, created=True)


def _log_review(*, user, client_id: uuid.UUID, **fields) -> ReviewLog:
    """_existing_log ran under this card's lock only: a request rating another card with the same
    client id may have logged it since. The unique constraint catches that; the savepoint confines
    the failed insert, and ClientIdReused leaving the caller's atomic block undoes the card change."""
    try:
        with transaction.atomic():
            return ReviewLog.objects.create(user=user, client_id=client_id, **fields)
    except IntegrityError:
        raise ClientIdReused(f"client id {client_id} already rated another card") from None


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
    with transaction.atomic():
        card = CardState.objects.select_for_update().get(pk=card_id, user=user)
        card.suspended = False
        card.save(update_fields=["suspended"])
        return card


def scheduler_optimization_request(*, user) -> SchedulerOptimization:
    """Record the request and queue the fit once the row is committed."""
    from quizapp.study.tasks import optimize_scheduler

    optimization = SchedulerOptimization.objects.create(user=user)
    transaction.on_commit(lambda: _enqueue(optimization, optimize_scheduler))
    return optimization


def _enqueue(optimization: SchedulerOptimization, task) -> None:
    try:
        task.delay(optimization.pk)
    except Exception as error:  # broker down: say so instead of leaving the request queued
        logger.exception("could not queue optimisation %s", optimization.pk)
        scheduler_optimization_finish(optimization_id=optimization.pk, status=SchedulerOptimization.Status.FAILED,
                                      error=f"The task queue is unavailable ({type(error).__name__}).")


def scheduler_optimization_claim(*, optimization_id: int) -> bool:
    """Move a queued request to running; succeeds once, so a redelivered task does nothing."""
    Status = SchedulerOptimization.Status
    return SchedulerOptimization.objects.filter(pk=optimization_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now()) == 1


def scheduler_optimizations_expire_stale(*, user) -> int:
    """Fail the learner's fits that can no longer finish, so none shows "running" forever: Celery
    kills a fit at its hard time limit, and a killed or lost worker leaves its row to nobody (a
    redelivered task finds it claimed). A queued one no worker took within as long fails too."""
    from quizapp.study.tasks import OPTIMIZE_TIME_LIMIT

    Status = SchedulerOptimization.Status
    cutoff = timezone.now() - timedelta(seconds=OPTIMIZE_TIME_LIMIT) - OPTIMIZATION_STALE_MARGIN
    stale = SchedulerOptimization.objects.filter(
        Q(started_at__lt=cutoff) | Q(started_at__isnull=True, created_at__lt=cutoff),
        user=user, status__in=[Status.QUEUED, Status.RUNNING])
    return stale.update(status=Status.FAILED, error=OPTIMIZATION_LOST, finished_at=timezone.now())


def scheduler_optimization_finish(*, optimization_id: int, status: str, **fields) -> None:
    SchedulerOptimization.objects.filter(pk=optimization_id).update(status=status, finished_at=timezone.now(),
                                                                    **fields)


def scheduler_optimization_run(*, optimization_id: int) -> None:
    """Fit the learner's FSRS weights on their history; keep them only if they predict it better."""
    from quizapp.study import optimizing

    if not scheduler_optimization_claim(optimization_id=optimization_id):
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
        if fit.improves:
            StudySettings.objects.filter(pk=study_settings.pk).update(fsrs_parameters=fit.new_parameters)
        scheduler_optimization_finish(
            optimization_id=optimization_id, status=SchedulerOptimization.Status.SUCCEEDED, reviews_counted=counted,
            reviews_needed=needed, old_parameters=fit.old_parameters, new_parameters=fit.new_parameters,
            old_log_loss=fit.old_log_loss, new_log_loss=fit.new_log_loss, applied=fit.improves)
