import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from questions.models import Question, Topic


class Interview(models.Model):
    """One timed mock interview. The server is the clock: every deadline is stored, never trusted
    from the browser, so a reload or a second tab cannot restart a timer."""

    class Status(models.TextChoices):
        ANSWERING = "answering"
        REVIEWING = "reviewing"
        DONE = "done"

    class Language(models.TextChoices):
        EN = "en", "English"
        ZH = "zh", "中文"

    class Kind(models.TextChoices):
        """A question round asks several cards of the chosen topics; a system design round one design
        case, a coding round one implement-from-scratch card, each with its own clock."""

        QUESTIONS = "questions", _("Question round")
        SYSTEM_DESIGN = "system_design", _("System design round")
        CODING = "coding", _("Coding round")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interviews")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ANSWERING)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ZH)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.QUESTIONS)
    topics = models.ManyToManyField(Topic, related_name="+")
    difficulty_min = models.PositiveSmallIntegerField(default=1)
    difficulty_max = models.PositiveSmallIntegerField(default=3)
    weak_spots = models.BooleanField(default=False)
    loop = models.SlugField(max_length=40, blank=True, default="", help_text="the loop of questions/loops.yaml run")
    seconds_per_question = models.PositiveIntegerField(
        null=True, blank=True, help_text="each question's own allowance; empty when only a total time is set")
    total_seconds = models.PositiveIntegerField(help_text="the whole interview's allowance")
    retake_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retakes")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    answering_ended_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="mean of the question scores, 0–1")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="interview_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def seconds_taken(self) -> int | None:
        if self.started_at is None or self.answering_ended_at is None:
            return None
        return round((self.answering_ended_at - self.started_at).total_seconds())


class InterviewItem(models.Model):
    """One question of an interview, its clock, the learner's answer and its review; or the follow-up
    the interviewer asked after a question (its card's follow_up: same card, same position, its own
    text, key points, clock and review)."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(help_text="a follow-up shares its question's")
    follow_up_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="follow_up",
        help_text="the item whose answer missed a key point the card's follow-up probes")
    shown_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    seconds_allowed = models.PositiveIntegerField(
        null=True, blank=True, help_text="this question's own allowance (a loop's); empty: the interview's")
    answer = models.TextField(blank=True, default="")
    answer_saved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="the learner moved on, or time ran out")
    skipped = models.BooleanField(default=False)
    timed_out = models.BooleanField(default=False)
    late = models.BooleanField(default=False, help_text="the answer was changed after the deadline")
    covered_points = models.JSONField(default=list, blank=True,
                                      help_text="indexes of the key points covered, fully or partly")
    point_credits = models.JSONField(default=list, blank=True,
                                     help_text="per key point, in order: 0 missed, 0.5 partly, 1 fully")
    would_pass = models.BooleanField(default=False, help_text="the verdict: derived from the key points or overridden")
    verdict_overridden = models.BooleanField(
        default=False, help_text="the learner chose the verdict against the one the key points give")
    score = models.FloatField(null=True, blank=True)
    study_rating = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 Again … 4 Easy")
    study_due = models.DateTimeField(null=True, blank=True)

    class Meta:
        # A follow-up right after its question (NULL sorts first in SQLite, last in PostgreSQL: say which).
        ordering = ["position", F("follow_up_of").asc(nulls_first=True)]
        constraints = [
            # A question appears at most once in an interview (and its follow-up at most once: one-to-one).
            models.UniqueConstraint(fields=["interview", "question"], condition=Q(follow_up_of__isnull=True),
                                    name="interview_question_once"),
            models.UniqueConstraint(fields=["interview", "position"], condition=Q(follow_up_of__isnull=True),
                                    name="interview_position_once"),
        ]

    def __str__(self) -> str:
        follow_up = " follow-up" if self.is_follow_up else ""
        return f"{self.interview_id} #{self.position} {self.question_id}{follow_up}"

    @property
    def is_follow_up(self) -> bool:
        return self.follow_up_of_id is not None

    @property
    def key_points(self) -> list[dict]:
        """What the answer is graded against: the card's key points, or its follow-up's."""
        if self.is_follow_up:
            return (self.question.follow_up or {}).get("key_points", [])
        return self.question.key_points

    def text(self, language: str) -> str:
        if self.is_follow_up:
            return (self.question.follow_up or {}).get("question", {}).get(language, "")
        return getattr(self.question, f"question_{language}")

    @property
    def form_key(self) -> str:
        """The item's name in the review form's fields: its card ID, with a suffix for the follow-up (a dot
        no card ID holds, so no card's name can be another's follow-up)."""
        return f"{self.question.card_id}.follow-up" if self.is_follow_up else self.question.card_id

    @property
    def seconds_given(self) -> int | None:
        if self.shown_at is None or self.deadline is None:
            return None
        return round((self.deadline - self.shown_at).total_seconds())

    @property
    def spoken_answer(self) -> "AnswerRecording | None":
        """The question's recording, if it was answered aloud (AnswerRecording)."""
        try:
            return self.recording
        except models.ObjectDoesNotExist:
            return None

    @property
    def answered(self) -> bool:
        return bool(self.answer.strip()) or self.spoken_answer is not None

    @property
    def missed_points(self) -> list[int]:
        """Indexes of the key points not fully covered (all of them for a question never reviewed)."""
        total = len(self.key_points)
        credits = self.point_credits or [0.0] * total
        return [index for index, credit in enumerate(credits) if credit < 1]

    @property
    def seconds_used(self) -> int | None:
        if self.shown_at is None:
            return None
        end = self.closed_at or self.deadline
        if end is None:
            return None
        if self.deadline is not None:
            end = min(end, self.deadline)
        return max(0, round((end - self.shown_at).total_seconds()))


def _recording_path(recording: "AnswerRecording", filename: str) -> str:
    # A new name per recording: a replaced one never reaches a player that still holds the old address.
    item, extension = recording.item, PurePath(filename).suffix
    return f"answer-recordings/{item.interview.user_id}/{item.interview_id}/{item.pk}-{uuid.uuid4().hex}{extension}"


class AnswerRecording(models.Model):
    """A spoken answer to one question: the browser's recording, kept through the storage API and served to
    its learner alone. One per question: recording again replaces it. Its file goes with the row
    (interviews.recordings removes it on delete, the interview's and the account's cascades included)."""

    class Transcript(models.TextChoices):
        NOT_CONFIGURED = "not_configured", _("no speech-to-text model is configured")
        PENDING = "pending", _("being transcribed")
        DONE = "done", _("transcribed")
        FAILED = "failed", _("transcription failed")

    item = models.OneToOneField(InterviewItem, on_delete=models.CASCADE, related_name="recording")
    audio = models.FileField(upload_to=_recording_path, max_length=200)
    content_type = models.CharField(max_length=20, help_text="audio/webm, audio/ogg or audio/mp4, read from the bytes")
    size = models.PositiveIntegerField(help_text="bytes")
    seconds = models.FloatField(help_text="its length as the browser measured it, within the question's clock")
    recorded_at = models.DateTimeField()
    transcript_status = models.CharField(max_length=20, choices=Transcript.choices,
                                         default=Transcript.NOT_CONFIGURED)
    transcript = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"{self.item} {self.content_type} {self.size} B"
