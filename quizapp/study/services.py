"""Writes of the study app: rate a card (FSRS), undo, bury, suspend, leeches, settings, optimisation."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from fsrs import Rating
from rest_framework.relations import PrimaryKeyRelatedField

from questions.models import Question
from quizapp.core.errors import Conflict, InvalidInput, NotYours
from quizapp.core.locks import lock_learner
from quizapp.core.queueing import publish
from quizapp.core.services import WORKER_FRESH_SECONDS, live_workers
from quizapp.study import scheduling, selectors
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
INTERVIEW_DAYS_AHEAD_MAX = 1000


class NothingToUndo(Conflict):
    """No study rating to take back, or its card changed since."""


class StaleCard(Conflict):
    """The card was rated elsewhere (another tab) since this client loaded it; `card` is its state now,
    which the API adds to its answer."""

    default_detail = "This card was rated meanwhile (another tab?)."

    def __init__(self, card: CardState):
        super().__init__()
        self.card = card


class ClientIdReused(Conflict):
    """The client id already rated another card."""


class QuestionNotFound(InvalidInput):
    """No question of this id that the learner may study."""

    def __init__(self, question_id: int):
        # DRF's own words (and translation) for an unknown primary key.
        unknown = PrimaryKeyRelatedField.default_error_messages["does_not_exist"]
        super().__init__(fields={"question": [unknown.format(pk_value=question_id)]})


def study_settings_update(*, user, fields: dict, topics=None) -> StudySettings:
    """Validated (model validators: bounds, time zone; an interview date newly set in the past; InvalidInput
    names the fields) before anything is saved; a learner's first change saves their row."""
    with transaction.atomic():
        lock_learner(user)  # two first changes at once would both add the row
        study_settings = selectors.study_settings_get(user=user)
        interview_date_before = study_settings.interview_date
        for name, value in fields.items():
            setattr(study_settings, name, value)
        try:
            study_settings.full_clean(exclude=["user"])
        except ValidationError as error:
            raise InvalidInput(fields=error.message_dict) from None
        _check_interview_date(study_settings, before=interview_date_before)
        study_settings.save()
        if topics is not None:
            study_settings.topics.set(topics)
    return study_settings


def _check_interview_date(study_settings: StudySettings, *, before) -> None:
    """A date set or changed must not have passed in the learner's own time zone, nor be years away (a plan
    for the year 9999 helps nobody, and its day's start overflows a datetime); one kept as it was may have
    passed (saving other settings after the interview still works)."""
    chosen = study_settings.interview_date
    if chosen is None or chosen == before:
        return
    today = study_day_for(study_settings=study_settings, now=timezone.now()).day
    if chosen < today:
        passed = gettext("The interview date has passed: choose today or a later day.")
        raise InvalidInput(fields={"interview_date": [passed]})
    if chosen > today + timedelta(days=INTERVIEW_DAYS_AHEAD_MAX):
        too_far = gettext("Choose an interview date within %(days)s days.") % {"days": INTERVIEW_DAYS_AHEAD_MAX}
        raise InvalidInput(fields={"interview_date": [too_far]})


def study_settings_use_optimal_retention(*, user) -> StudySettings:
    """Set the learner's desired retention to the optimal one their latest fit found (InvalidInput when none did)."""
    optimization = selectors.optimal_retention_latest(user=user)
    if optimization is None:
        raise InvalidInput(gettext("No optimal retention has been computed for you yet."))
    return study_settings_update(user=user, fields={"desired_retention": optimization.optimal_retention})


def _locked_card(*, user, question_id: int, now: datetime) -> CardState:
    """The learner's row for the question, locked until the transaction ends; a question never
    studied gets its row, if it is the corpus's or the learner's own (else QuestionNotFound)."""
    cards = CardState.objects.select_for_update().filter(user=user, question_id=question_id)
    if (card := cards.first()) is not None:
        return card
    if not Question.objects.for_viewer(user).filter(pk=question_id).exists():
        raise QuestionNotFound(question_id)
    # A row this transaction adds is its own until it ends; one that another request added meanwhile
    # (get_or_create waits for it, then finds it) is locked like any other.
    card, created = CardState.objects.get_or_create(user=user, question_id=question_id, defaults={"due": now})
    return card if created else cards.get()


@dataclass(frozen=True)
class ReviewOutcome:
    log: ReviewLog
    created: bool  # False: the client id had been seen, this is the first request's log
    study_settings: StudySettings


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


def _earlier_outcome(*, user, client_id: uuid.UUID, question_id: int, study_settings) -> ReviewOutcome | None:
    """The review this client id already recorded; ClientIdReused when it rated another card."""
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
    study_settings = selectors.study_settings_get(user=user)
    earlier = dict(user=user, client_id=client_id, question_id=question_id, study_settings=study_settings)
    try:
        with transaction.atomic():
            card = _locked_card(user=user, question_id=question_id, now=reviewed_at)
            if outcome := _earlier_outcome(**earlier):  # a request sent again: the first one's answer
                return outcome
            if expected_reps is not None and card.reps != expected_reps:
                raise StaleCard(card)
            # A rating sent late is dated when it was made, but never before the card's last review:
            # the schedule moves forward only.
            reviewed_at = max(reviewed_at, scheduling.as_utc(card.last_review)) if card.last_review else reviewed_at
            log = _rated(card, rating=rating, reviewed_at=reviewed_at, study_settings=study_settings,
                         duration_ms=duration_ms, client_id=client_id, source=source)
    except IntegrityError:
        # Two requests with one client id for two cards lock different rows: both pass the check above,
        # and the log's unique constraint refuses the later one (all of it is rolled back).
        if outcome := _earlier_outcome(**earlier):
            return outcome
        raise
    return ReviewOutcome(log=log, created=True, study_settings=study_settings)


def _rated(card: CardState, *, rating: Rating, reviewed_at: datetime, study_settings: StudySettings,
           duration_ms: int, client_id: uuid.UUID, source: str) -> ReviewLog:
    """Schedule the locked card with fsrs, then write the log and the row."""
    previous, state_before = scheduling.snapshot(card), card.state
    reviewed, _ = scheduling.scheduler_for(study_settings).review_card(
        scheduling.to_fsrs_card(card), rating, review_datetime=reviewed_at, review_duration=duration_ms)
    scheduling.apply_fsrs_card(card, reviewed)
    card.reps += 1
    if scheduling.is_lapse(state_before, rating):
        card.lapses += 1
        if scheduling.becomes_leech(card.lapses):
            card.is_leech = card.suspended = True  # a leech wastes time: set it aside until fixed
    log = ReviewLog.objects.create(user_id=card.user_id, card=card, rating=int(rating), reviewed_at=reviewed_at,
                                   duration_ms=max(0, int(duration_ms)), state_before=state_before,
                                   previous_state=previous, client_id=client_id, source=source)
    card.save()
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
    today = study_day_for(study_settings=selectors.study_settings_get(user=user), now=now)
    with transaction.atomic():
        card = _locked_card(user=user, question_id=question.pk, now=now)
        card.buried_until = today.day + timedelta(days=1)
        card.save(update_fields=["buried_until"])
        return card


def card_set_suspended(*, user, question, suspended: bool) -> CardState:
    with transaction.atomic():
        card = _locked_card(user=user, question_id=question.pk, now=timezone.now())
        card.suspended = suspended
        card.save(update_fields=["suspended"])
        return card


def _locked_own_card(*, user, card_id: int) -> CardState:
    """One of the learner's cards, locked until the transaction ends; another learner's is as unknown
    as a missing one."""
    card = CardState.objects.select_for_update().filter(pk=card_id, user=user).first()
    if card is None:
        raise NotYours
    return card


def card_reset(*, user, card_id: int) -> CardState:
    """Forget a card's memory state (a leech to relearn from scratch). Its history stays in the logs."""
    with transaction.atomic():
        card = _locked_own_card(user=user, card_id=card_id)
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
    """Set fields of one of the learner's cards."""
    with transaction.atomic():
        card = _locked_own_card(user=user, card_id=card_id)
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
        lock_learner(user)  # two requests at once: the second waits, then finds the first's fit
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


def _expired_if_stale(optimization: SchedulerOptimization, *, user) -> SchedulerOptimization:
    if not optimization.is_finished and scheduler_optimizations_expire_stale(user=user):
        optimization.refresh_from_db()
    return optimization


def scheduler_optimization_latest(*, user) -> SchedulerOptimization | None:
    """The learner's latest fit. Reading an unfinished fit first fails the learner's stale ones, so
    nothing shows "running" forever: a read that may write, hence a service."""
    latest = SchedulerOptimization.objects.filter(user=user).first()
    return _expired_if_stale(latest, user=user) if latest is not None else None


def scheduler_optimization_get(*, user, optimization_id: int) -> SchedulerOptimization:
    """One of the learner's fits (404 for another learner's), failed first if stale."""
    optimization = SchedulerOptimization.objects.filter(pk=optimization_id, user=user).first()
    if optimization is None:
        raise NotYours
    return _expired_if_stale(optimization, user=user)


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
    """Fit the learner's FSRS weights on their history; keep them only if they predict it better; then find
    the desired retention that costs the least review time with the weights in use."""
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
    study_settings = selectors.study_settings_get(user=optimization.user)
    fit = optimizing.fit(history, current_parameters=scheduling.scheduler_for(study_settings).parameters)
    with transaction.atomic():
        # A settings change holds this lock while it adds the learner's row or saves every column, the
        # weights too. Learner before fit, the order scheduler_optimization_request takes them in.
        lock_learner(optimization.user)
        finished = scheduler_optimization_finish(
            optimization_id=optimization_id, status=SchedulerOptimization.Status.SUCCEEDED, reviews_counted=counted,
            reviews_needed=needed, old_parameters=fit.old_parameters, new_parameters=fit.new_parameters,
            old_log_loss=fit.old_log_loss, new_log_loss=fit.new_log_loss, applied=fit.improves,
            optimal_retention=fit.optimal_retention)
        if finished and fit.improves:  # only the weights: the learner may have changed other settings meanwhile
            StudySettings.objects.update_or_create(user=optimization.user,
                                                   defaults={"fsrs_parameters": fit.new_parameters})


@dataclass(frozen=True)
class ImportedReview:
    """A rating made elsewhere (Anki): `client_id` is derived from where it came from, so importing the
    same review twice finds it already there."""

    client_id: uuid.UUID
    reviewed_at: datetime
    rating: int
    duration_ms: int


@dataclass(frozen=True)
class ImportedMemory:
    """The card as the other app last scheduled it, with its FSRS memory state when it had one."""

    state: str  # one of CardState.State
    stability: float | None
    difficulty: float | None
    interval_days: int
    reps: int
    lapses: int
    suspended: bool


def card_history_import(*, user, question, reviews: list[ImportedReview], memory: ImportedMemory | None) -> int:
    """Add reviews made elsewhere to the learner's log of the question; returns how many were new.

    A review already in the log (the same client id, or the same moment to the millisecond: a review
    of ours that went to Anki and came back) is skipped. The new ones are replayed with the learner's
    own in time order through fsrs, which gives each its state before. The card then takes the other
    app's schedule only when that app has the latest review: Anki's own memory state when it has one
    (it may rest on reviews its log no longer holds, and it is what the learner saw there), else the
    replay's. When our own latest review is newer, the card stays as we scheduled it."""
    with transaction.atomic():
        lock_learner(user)
        card = _locked_card(user=user, question_id=question.pk, now=timezone.now())
        logs = list(card.logs.order_by("reviewed_at", "id"))
        seen_moments = {_millisecond(log.reviewed_at) for log in logs}
        seen_ids = set(ReviewLog.objects.filter(user=user, client_id__in=[r.client_id for r in reviews])
                       .values_list("client_id", flat=True))
        new = sorted((review for review in reviews if review.client_id not in seen_ids and 1 <= review.rating <= 4
                      and _millisecond(review.reviewed_at) not in seen_moments), key=lambda review: review.reviewed_at)
        if not new:
            return 0
        replayed = _replayed(card, logs, new, study_settings=selectors.study_settings_get(user=user))
        if card.last_review is None or new[-1].reviewed_at > card.last_review:
            _take_schedule(card, replayed, memory=memory, last_review=scheduling.as_utc(new[-1].reviewed_at))
        else:  # our schedule stands; the counts take in the older reviews
            card.reps, card.lapses = replayed.reps, replayed.lapses
        card.save()
        return len(new)


def _millisecond(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _replayed(card: CardState, logs: list[ReviewLog], new: list[ImportedReview], *,
              study_settings: StudySettings) -> CardState:
    """A scratch card that went through every review, ours and the new ones, in time order; each new
    review is logged with the scratch card as it was just before it."""
    scheduler = scheduling.scheduler_for(study_settings, fuzz=False)
    scratch = CardState(user_id=card.user_id, question_id=card.question_id, due=timezone.now())
    ratings = sorted([(log.reviewed_at, log.rating, None) for log in logs] +
                     [(review.reviewed_at, review.rating, review) for review in new], key=lambda item: item[0])
    imported = []
    for reviewed_at, rating, review in ratings:
        previous, state_before = scheduling.snapshot(scratch), scratch.state
        reviewed, _ = scheduler.review_card(scheduling.to_fsrs_card(scratch), Rating(rating),
                                            review_datetime=scheduling.as_utc(reviewed_at))
        scheduling.apply_fsrs_card(scratch, reviewed)
        scratch.reps += 1
        scratch.lapses += scheduling.is_lapse(state_before, rating)
        if review is not None:
            imported.append(ReviewLog(
                user_id=card.user_id, card=card, rating=rating, reviewed_at=scheduling.as_utc(reviewed_at),
                duration_ms=review.duration_ms, state_before=state_before, previous_state=previous,
                client_id=review.client_id, source=ReviewLog.Source.ANKI))
    ReviewLog.objects.bulk_create(imported)
    return scratch


def _take_schedule(card: CardState, replayed: CardState, *, memory: ImportedMemory | None,
                   last_review: datetime) -> None:
    for field in ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses"):
        setattr(card, field, getattr(replayed, field))
    if memory is None:
        return
    card.suspended = memory.suspended
    card.reps, card.lapses = max(memory.reps, replayed.reps), max(memory.lapses, replayed.lapses)
    if memory.stability is not None and memory.state == State.REVIEW:
        card.state, card.step = State.REVIEW, None
        card.stability, card.difficulty = memory.stability, memory.difficulty
        card.last_review = last_review
        card.due = last_review + timedelta(days=max(1, memory.interval_days))
