import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from questions.languages import content_language
from questions.search import highlight

# Every table's id is a BigAutoField (settings.DEFAULT_AUTO_FIELD). A larger number sent as an id must be
# refused as invalid before it reaches a statement: SQLite raises OverflowError on it (a 500).
LARGEST_ID = 2**63 - 1


def _pick(obj, field: str) -> str:
    """The field in the active language: `<field>_zh` for Chinese, `<field>_en` otherwise."""
    return getattr(obj, f"{field}_{content_language()}")


class _Shelved(models.Model):
    """A slug with a title in both languages, listed by position: a topic, or a group of topics."""

    slug = models.SlugField(unique=True)
    title_en = models.CharField(max_length=100)
    title_zh = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "slug"]

    def __str__(self):
        return self.slug

    @property
    def title(self) -> str:
        return _pick(self, "title")


class TopicGroup(_Shelved):
    """A shelf of topics (deep learning, classical ML and statistics...), so that pickers of two dozen
    topics read as a few groups."""


class Topic(_Shelved):
    group = models.ForeignKey(TopicGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="topics")


class Tag(models.Model):
    name = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def visible_to(user, *, through: str = "") -> Q:
    """Who may read a question: everyone the corpus, a learner their own cards too. `through` is the
    lookup path to the question ("questions__" from a topic)."""
    corpus = Q(**{f"{through}owner__isnull": True})
    if user is None or not user.is_authenticated:
        return corpus
    return corpus | Q(**{f"{through}owner": user})


class QuestionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired=False)

    def corpus(self):
        """The shared corpus: no learner's own cards."""
        return self.filter(owner__isnull=True)

    def for_viewer(self, user):
        """What this user may read: the corpus and their own cards (an anonymous visitor: the corpus)."""
        return self.filter(visible_to(user))


class Question(models.Model):
    """One card. A corpus card (no owner) has the stable ID from its source file; learners' state
    points at the row, so re-loading updates rows in place and a removed card is only retired. A
    learner's own card (`owner` set) is theirs alone: written or imported by them, studied like any
    other, and never touched by the corpus loader."""

    class Difficulty(models.IntegerChoices):
        BASIC = 1, "basic"
        STANDARD = 2, "standard"
        HARD = 3, "hard"

    card_id = models.SlugField(max_length=120, unique=True)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="questions")
    difficulty = models.PositiveSmallIntegerField(choices=Difficulty.choices, db_index=True)
    question_en = models.TextField()
    question_zh = models.TextField()
    answer_en = models.TextField(help_text="Markdown with $LaTeX$")
    answer_zh = models.TextField(help_text="Markdown with $LaTeX$")
    answer_html_en = models.TextField(editable=False, default="")
    answer_html_zh = models.TextField(editable=False, default="")
    key_points = models.JSONField(default=list, help_text='[{"en": ..., "zh": ..., "terms": [...]}]')
    follow_up = models.JSONField(
        default=dict, blank=True,
        help_text='{} or {"probes": [0-based key point indexes], "question": {"en", "zh"}, "key_points": [...]}: '
                  "what a mock interviewer asks next when the answer missed a probed point")
    seed_refs = models.JSONField(default=list, blank=True)
    references = models.JSONField(default=list, blank=True)
    tags = models.ManyToManyField(Tag, related_name="questions", blank=True)
    aliases = models.JSONField(default=list, blank=True, help_text="other names search finds the card by")
    search_text = models.TextField(editable=False, default="")
    # The index's tokens (questions.search): all of them, and those of the question and its other names.
    search_tokens = models.TextField(editable=False, default="")
    search_head = models.TextField(editable=False, default="")
    retired = models.BooleanField(default=False, db_index=True)
    position = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="own_questions", help_text="empty for the corpus; the learner who wrote it")
    anki_guid = models.CharField(max_length=64, blank=True, default="", db_index=True,
                                 help_text="an own card imported from Anki: its note's GUID, kept so that the "
                                           "card goes back to Anki as the same note; shared by the cards of "
                                           "one note (its cloze numbers, its reverse)")
    cloze_text = models.TextField(blank=True, default="",
                                  help_text="an own cloze card: its note's text with {{c1::…}} as written; the "
                                            "question is this text with the card's own number blanked")
    note_card = models.PositiveSmallIntegerField(default=0, help_text="which card of its note, as Anki numbers "
                                                 "them: 0 the first, 1 a reversed note's reverse, a cloze card's "
                                                 "cloze number − 1")
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["topic__position", "position", "id"]  # own cards share position 0: id keeps pages stable

    def __str__(self):
        return self.card_id

    @property
    def is_own(self) -> bool:
        return self.owner_id is not None

    @property
    def cloze_number(self) -> int | None:
        return self.note_card + 1 if self.cloze_text else None

    @property
    def question(self) -> str:
        return _pick(self, "question")

    @property
    def highlighted_question(self) -> SafeString | None:
        """The question in the active language, HTML-escaped, with <mark> around the words a search
        found it by; None when it was not found by a search."""
        terms = getattr(self, "search_terms", None)
        return None if terms is None else mark_safe(highlight(self.question, terms))  # escaped by highlight()

    @property
    def answer_html(self) -> str:
        return _pick(self, "answer_html")

    @property
    def demo_ids(self) -> list[str]:
        return [link.demo_id for link in self.demo_links.all()]

    def localized_key_points(self) -> list[str]:
        language = content_language()
        return [point[language] for point in self.key_points]


class QuestionDemo(models.Model):
    """A demo (engine ID like "D1") that tests a claim of the question's answer."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="demo_links")
    demo_id = models.CharField(max_length=8, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["question", "demo_id"], name="unique_question_demo")]

    def __str__(self) -> str:
        return f"{self.question.card_id} → {self.demo_id}"


class OwnCardImage(models.Model):
    """An image a learner's own cards show: its bytes in Django's storage (`path`), named in the cards'
    Markdown as `![alt](name)`. One per content and learner: a card, or an Anki import, that brings the same
    bytes again uses the image already there. It lives as long as one of the learner's cards names it
    (quizapp.own_cards.images)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="own_card_images")
    name = models.CharField(max_length=100, help_text="the file name the cards' Markdown uses, unique per learner")
    path = models.CharField(max_length=200, unique=True, help_text="where the storage keeps the bytes")
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    cards = models.ManyToManyField(Question, related_name="images", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="unique_own_card_image_name"),
                       models.UniqueConstraint(fields=["owner", "sha256"], name="unique_own_card_image_content")]

    def __str__(self) -> str:
        return self.name


@receiver(post_delete, sender=OwnCardImage)
def _own_card_image_file_delete(sender, instance: OwnCardImage, **kwargs) -> None:
    """However the row goes (its last card deleted, the learner's account deleted), its bytes go once the
    deletion is committed: a rolled-back deletion keeps them."""
    transaction.on_commit(lambda: default_storage.delete(instance.path))


class AnkiExport(models.Model):
    """A learner's large Anki deck, built by a worker (questions.tasks): its progress while the notes are
    written, then the file through the storage API until it expires (ANKI_EXPORT_KEEP_HOURS)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Building")
        SUCCEEDED = "succeeded", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0 to 1, while the worker writes the notes")
    filters = models.JSONField(default=dict, help_text="the question list's filters: topic, tag, difficulty")
    language = models.CharField(max_length=2, choices=[("en", "English"), ("zh", "中文")])  # as Interview.Language
    with_schedule = models.BooleanField(default=False)
    cards = models.PositiveIntegerField(default=0, help_text="the cards the filters found when it was asked for")
    file = models.FileField(upload_to="anki-exports/", blank=True, default="")
    error = models.TextField(blank=True, default="")
    worker = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Anki export {self.id} of {self.owner}: {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def filename(self) -> str:
        return f"dl-interview-{self.language}.apkg"
