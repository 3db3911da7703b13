import math
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MIN_RETENTION = 0.70
MAX_RETENTION = 0.97


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


def validate_finite(value: float) -> None:
    # NaN slips past range validators (every comparison with it is false) and poisons the scheduler.
    if not math.isfinite(value):
        raise ValidationError(_("Enter a finite number."), code="invalid")


class StudySettings(models.Model):
    """How one learner studies: retention target, daily limits, what "today" means, which cards."""

    class NewCardOrder(models.TextChoices):
        CORE = "core", _("The core of every topic first")
        TOPIC = "topic", _("By topic")
        DIFFICULTY = "difficulty", _("By difficulty")
        SHUFFLED = "shuffled", _("Shuffled")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_settings")
    desired_retention = models.FloatField(
        default=0.90,
        validators=[validate_finite, MinValueValidator(MIN_RETENTION), MaxValueValidator(MAX_RETENTION)],
        verbose_name=_("Desired retention"))
    new_cards_per_day = models.PositiveIntegerField(
        default=20, validators=[MaxValueValidator(9999)], verbose_name=_("New cards per day"))
    reviews_per_day = models.PositiveIntegerField(
        default=200, validators=[MaxValueValidator(9999)], verbose_name=_("Reviews per day"))
    timezone = models.CharField(max_length=64, default="Asia/Shanghai", validators=[validate_timezone],
                                verbose_name=_("Time zone"))
    day_start_hour = models.PositiveSmallIntegerField(
        default=4, validators=[MaxValueValidator(23)], verbose_name=_("Next day starts at (hour)"))
    new_card_order = models.CharField(max_length=10, choices=NewCardOrder.choices, default=NewCardOrder.CORE,
                                      verbose_name=_("New card order"))
    topics = models.ManyToManyField("questions.Topic", blank=True, related_name="+", verbose_name=_("Topics"))
    fsrs_parameters = models.JSONField(default=list, blank=True,
                                       help_text="FSRS-6 weights; empty means the fsrs defaults")
    interview_date = models.DateField(
        null=True, blank=True, verbose_name=_("Interview date"),
        help_text=_("Optional: the study plan aims to show you every card of your topics a week before."))

    def __str__(self) -> str:
        return f"study settings of {self.user}"


class CardState(models.Model):
    """One learner's FSRS memory state of one question. A question with no row is a new card."""

    class State(models.TextChoices):
        NEW = "new", _("New")
        LEARNING = "learning", _("Learning")
        REVIEW = "review", _("Review")
        RELEARNING = "relearning", _("Relearning")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_states")
    question = models.ForeignKey("questions.Question", on_delete=models.CASCADE, related_name="card_states")
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    is_leech = models.BooleanField(default=False)
    suspended = models.BooleanField(default=False)
    buried_until = models.DateField(null=True, blank=True, help_text="hidden until this study day starts")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="study_card_unique_user_question")]
        indexes = [
            models.Index(fields=["user", "due"], name="study_card_user_due_idx"),
            # The queue (queue.py) reads studied, active cards of one state in (due, id) order:
            # learning steps due now, reviews due today. A partial index on exactly that keeps each
            # read as short as the list it returns, however many rows the table holds.
            models.Index(fields=["user", "state", "due", "id"], name="study_card_queue_state_idx",
                         condition=Q(suspended=False) & ~Q(state="new")),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.question_id} · {self.state}"


class ReviewLog(models.Model):
    """One rating. `previous_state` is the card row before the rating, so undo restores it exactly."""

    class Source(models.TextChoices):
        STUDY = "study", _("Study")
        INTERVIEW = "interview", _("Interview")
        ANKI = "anki", _("Anki")  # imported from an Anki review log

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_logs")
    card = models.ForeignKey(CardState, on_delete=models.CASCADE, related_name="logs")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])
    reviewed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    state_before = models.CharField(max_length=10, choices=CardState.State.choices,
                                    help_text="the card's state when rated (daily limits and true retention)")
    previous_state = models.JSONField()
    client_id = models.UUIDField(default=uuid.uuid4)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STUDY)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "client_id"], name="study_log_unique_client_id")]
        indexes = [models.Index(fields=["user", "reviewed_at"], name="study_log_user_time_idx")]

    def __str__(self) -> str:
        return f"{self.user} rated {self.card_id} {self.rating}"


class SchedulerOptimization(models.Model):
    """One "optimise my scheduler" request: the fit's outcome with old and new weights and log loss."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        TOO_FEW = "too_few", _("Not enough reviews")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    reviews_counted = models.PositiveIntegerField(default=0)
    reviews_needed = models.PositiveIntegerField(default=0)
    old_parameters = models.JSONField(default=list)
    new_parameters = models.JSONField(default=list)
    old_log_loss = models.FloatField(null=True, blank=True)
    new_log_loss = models.FloatField(null=True, blank=True)
    optimal_retention = models.FloatField(
        null=True, blank=True, help_text="the desired retention that minimises review time with the weights in use")
    applied = models.BooleanField(default=False)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="when a worker claimed it")
    worker = models.CharField(max_length=200, blank=True, default="",
                              help_text="the worker that claimed it: its silence means the fit is lost")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"optimisation {self.id} of {self.user}: {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def reviews_missing(self) -> int:
        return max(0, self.reviews_needed - self.reviews_counted)


class NewCardExtension(models.Model):
    """Custom study's "increase today's new card limit": extra new cards for one study day only, so
    the extra is gone when the next day starts (Anki's extend_limits)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="the learner's study day it applies to")
    extra = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="study_new_extension_unique_day")]

    def __str__(self) -> str:
        return f"{self.user} +{self.extra} new on {self.day}"


class CustomSession(models.Model):
    """A custom study session that leaves the schedule alone (Anki's filtered deck with "reschedule
    cards based on my answers" off): today's forgotten cards, a topic crammed, or the cards a mock
    interview found missing. Its cards are
    chosen, in their order, when it starts; its ratings are CustomAnswers, never ReviewLogs."""

    class Kind(models.TextChoices):
        FORGOTTEN = "forgotten", _("Today's forgotten cards")
        CRAM = "cram", _("Cram a topic")
        INTERVIEW = "interview", _("Cards missed in a mock interview")

    class Cards(models.TextChoices):
        ALL = "all", _("All cards, shuffled")
        NEW = "new", _("New cards only")
        DUE = "due", _("Due cards only")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    topic = models.ForeignKey("questions.Topic", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    cards = models.CharField(max_length=3, choices=Cards.choices, default=Cards.ALL)
    question_ids = models.JSONField(default=list, help_text="the session's questions in the order shown")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} session {self.pk} of {self.user}"


class CustomAnswer(models.Model):
    """A rating in a CustomSession: it decides whether the card comes back in the session, nothing else."""

    session = models.ForeignKey(CustomSession, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey("questions.Question", on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])
    answered_at = models.DateTimeField()
    client_id = models.UUIDField(default=uuid.uuid4)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "client_id"], name="study_custom_answer_client")]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.question_id} rated {self.rating}"
