from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

import engine
from questions.languages import content_language
from questions.models import LARGEST_ID, Question, Topic
from questions.serializers import TopicSlugsField
from quizapp.demos import selectors as demo_selectors
from quizapp.demos.labels import stored_run_label
from quizapp.study import browsing, scheduling, selectors
from quizapp.study.models import CardState, CustomAnswer, CustomSession, ReviewLog, SchedulerOptimization, StudySettings
from quizapp.study.queue import MAX_AHEAD_DAYS

MAX_DURATION_MS = 24 * 3600 * 1000


class CardStateSerializer(serializers.ModelSerializer):
    retrievability = serializers.SerializerMethodField()

    class Meta:
        model = CardState
        fields = ["id", "question", "state", "step", "stability", "difficulty", "due", "last_review", "reps",
                  "lapses", "is_leech", "suspended", "buried_until", "retrievability"]

    def get_retrievability(self, card) -> float | None:
        scheduler = self.context.get("scheduler")
        now = self.context.get("now") or timezone.now()
        if scheduler is None:
            return selectors.card_retrievability(card=card, now=now)
        return selectors.retrievability_with(scheduler, card=card, now=now)


class QueueCardSerializer(serializers.Serializer):
    """A card to show: the question side, the answer side, and what each rating would schedule."""

    # Serializes a CardState of queue.StudyQueue, its question loaded; the question's texts are in the
    # reader's language.

    question = serializers.IntegerField(source="question_id")
    card_id = serializers.CharField(source="question.card_id")
    state = serializers.CharField()
    reps = serializers.IntegerField()
    lapses = serializers.IntegerField()
    is_leech = serializers.BooleanField()
    topic = serializers.CharField(source="question.topic.title")
    difficulty = serializers.IntegerField(source="question.difficulty")
    prompt = serializers.CharField(source="question.question")
    key_points = serializers.ListField(source="question.localized_key_points", child=serializers.CharField(),
                                       help_text="the grading rubric, shown first on reveal; empty for my own cards")
    answer_html = serializers.CharField(source="question.answer_html")
    demo_ids = serializers.ListField(source="question.demo_ids", child=serializers.CharField())
    demos = serializers.SerializerMethodField(
        help_text="each linked demo's title, page and, once a run with its default parameters has finished, "
                  "what it concluded (in the reader's language), its main chart and when and where it was "
                  "computed")
    edit_url = serializers.SerializerMethodField(help_text="the page that edits my own card; null for the corpus's")
    retrievability = serializers.SerializerMethodField()
    intervals = serializers.SerializerMethodField(help_text="rating (1-4) → seconds until the card would be due")

    @extend_schema_field({"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"},
        "conclusion": {"type": "string", "nullable": True},
        "computed": {"type": "string", "nullable": True,
                     "description": "when, on which device and in how long that run was computed"},
        "chart": {"type": "object", "nullable": True,
                  "description": "the run's main chart, as the demo page draws it"}}}})
    def get_demos(self, card) -> list[dict]:
        # Each demo's default run is read once per answer, however many of its cards link it.
        known = self.context.setdefault("demo_evidence", {})
        missing = [demo_id for demo_id in card.question.demo_ids if demo_id not in known]
        if missing:
            found = demo_selectors.default_run_evidence(demo_ids=missing)
            known.update({demo_id: found.get(demo_id, {}) for demo_id in missing})
        language, demos = content_language(), []
        for demo_id in card.question.demo_ids:
            try:
                spec = engine.get_demo(demo_id)
            except KeyError:
                continue  # linked in the corpus, not written yet
            evidence = known[demo_id]
            demos.append({"id": demo_id, "title": spec.title[language], "url": reverse("demos:detail", args=[demo_id]),
                          "conclusion": evidence["conclusion"][language] if evidence else None,
                          "computed": stored_run_label(evidence["run"]) if evidence else None,
                          "chart": evidence.get("chart")})
        return demos

    def get_edit_url(self, card) -> str | None:
        question = card.question  # the learner's own card; studying comes back to the study page
        return f"{reverse('questions:own-edit', args=[question.card_id])}?from=study" if question.is_own else None

    def get_retrievability(self, card) -> float | None:
        return selectors.retrievability_with(self.context["scheduler"], card=card, now=self.context["now"])

    def get_intervals(self, card) -> dict[str, int]:
        intervals = scheduling.next_intervals(card, self.context["preview_scheduler"], now=self.context["now"])
        return {str(rating): round(interval.total_seconds()) for rating, interval in intervals.items()}


class QueueCountsSerializer(serializers.Serializer):
    new = serializers.IntegerField()
    learning = serializers.IntegerField()
    review = serializers.IntegerField()


class QueueSerializer(serializers.Serializer):
    day = serializers.DateField(source="day.day", help_text="the learner's study day")
    day_ends_at = serializers.DateTimeField(source="day.ends_at", help_text="when the study day ends: a card due "
                                            "before then is today's")
    counts = QueueCountsSerializer(help_text="cards left today")
    cards = QueueCardSerializer(many=True)
    next_learning_due = serializers.DateTimeField(allow_null=True,
                                                  help_text="when a learning card is due later today")


# A rating kept in the browser while offline is sent within days, or dropped by the browser's storage.
MAX_RATING_AGE_MS = 7 * 24 * 3600 * 1000
MAX_NEXT_CARDS = 10


class ReviewRequestSerializer(serializers.Serializer):
    question = serializers.IntegerField(min_value=1, max_value=LARGEST_ID,
                                        help_text="the question's id (an unknown one answers 400)")
    rating = serializers.IntegerField(min_value=1, max_value=4, help_text="1 Again, 2 Hard, 3 Good, 4 Easy")
    client_id = serializers.UUIDField(help_text="made by the client; sending it again records nothing new")
    duration_ms = serializers.IntegerField(min_value=0, max_value=MAX_DURATION_MS, default=0)
    expected_reps = serializers.IntegerField(
        min_value=0, required=False,
        help_text="the card's reps when it was shown; a card rated meanwhile (another tab) answers 409")
    age_ms = serializers.IntegerField(
        min_value=0, max_value=MAX_RATING_AGE_MS, default=0,
        help_text="how long ago the learner rated, for a rating sent late (kept offline, retried): the review "
                  "is dated then. A duration, not a time of day, so the device's clock does not matter")
    next_cards = serializers.IntegerField(
        min_value=0, max_value=MAX_NEXT_CARDS, default=1,
        help_text="how many of the next cards to answer with (0: no queue, only the review's own result)")


class ReviewLogSerializer(serializers.ModelSerializer):
    question = serializers.IntegerField(source="card.question_id")

    class Meta:
        model = ReviewLog
        fields = ["id", "card", "question", "rating", "reviewed_at", "duration_ms", "state_before", "source",
                  "client_id"]


@extend_schema_field(OpenApiTypes.INT)  # a question's id (without a queryset, the schema would say string)
class StudyableQuestionField(serializers.PrimaryKeyRelatedField):
    """A question the requesting learner may study: the corpus's or their own (another learner's own
    card is as unknown as a missing one)."""

    def get_queryset(self):
        return Question.objects.for_viewer(self.context["request"].user)


class QuestionRefSerializer(serializers.Serializer):
    question = StudyableQuestionField()


class ChosenTopicsField(TopicSlugsField):
    def get_attribute(self, study_settings) -> list:
        # Settings never saved (the defaults) have chosen no topics, and no row to relate them to.
        return super().get_attribute(study_settings) if study_settings.pk else []


class StudySettingsSerializer(serializers.ModelSerializer):
    topics = ChosenTopicsField(required=False, help_text="topic slugs; empty studies every topic")
    interview_date = serializers.DateField(
        required=False, allow_null=True,
        help_text="optional; the study plan aims to show every card a week before it. A day already past in "
                  "my time zone, or more than 1000 days ahead, answers 400 (one kept as it was may have passed)")
    optimal_retention = serializers.SerializerMethodField(
        help_text="the desired retention that costs me the least review time, from my latest fit; null before one")

    class Meta:
        model = StudySettings
        fields = ["desired_retention", "new_cards_per_day", "reviews_per_day", "timezone", "day_start_hour",
                  "new_card_order", "topics", "interview_date", "fsrs_parameters", "optimal_retention"]
        read_only_fields = ["fsrs_parameters"]

    def get_optimal_retention(self, study_settings) -> float | None:
        optimization = selectors.optimal_retention_latest(user=study_settings.user)
        return optimization.optimal_retention if optimization else None


class SchedulerOptimizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = SchedulerOptimization
        fields = ["id", "status", "reviews_counted", "reviews_needed", "old_parameters", "new_parameters",
                  "old_log_loss", "new_log_loss", "optimal_retention", "applied", "error", "created_at", "finished_at"]


class ReviewResultSerializer(serializers.Serializer):
    log = ReviewLogSerializer()
    card = CardStateSerializer()
    became_leech = serializers.BooleanField()
    next = QueueSerializer(read_only=True, allow_null=True,
                           help_text="the queue after this review: the next cards and counters (null when "
                                     "next_cards was 0)")


class CustomModeSerializer(serializers.Serializer):
    """A custom study session's mode, in the query string of the queue, review and undo calls."""

    custom = serializers.ChoiceField(choices=["ahead", *CustomSession.Kind.values], required=False,
                                     help_text="ahead: review ahead by `days`; forgotten, cram or interview: the "
                                               "no-reschedule `session`; absent: today's normal queue")
    days = serializers.IntegerField(min_value=1, max_value=MAX_AHEAD_DAYS, required=False,
                                    help_text="review ahead: the reviews due within that many days after today")
    session = serializers.IntegerField(min_value=1, max_value=LARGEST_ID, required=False,
                                       help_text="forgotten, cram or interview: one of my custom sessions "
                                                 "(another's: 404)")

    def validate(self, data):
        custom = data.get("custom")
        if custom == "ahead" and "days" not in data:
            raise serializers.ValidationError({"days": [_("Give the number of days to review ahead.")]})
        if custom in CustomSession.Kind.values and "session" not in data:
            raise serializers.ValidationError({"session": [_("Give the custom study session.")]})
        return data


class CustomAnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomAnswer
        fields = ["id", "session", "question", "rating", "answered_at", "client_id"]


class CustomAnswerResultSerializer(serializers.Serializer):
    answer = CustomAnswerSerializer()
    became_leech = serializers.BooleanField(help_text="always false: the card's schedule does not change")
    next = QueueSerializer(read_only=True, allow_null=True,
                           help_text="the session after this rating: the next cards and counters (null when "
                                     "next_cards was 0)")


class BrowseCardSerializer(CardStateSerializer):
    """A row of the card browser: the card state with its question (in the reader's language) and topic."""

    card_id = serializers.CharField(source="question.card_id")
    prompt = serializers.CharField(source="question.question", help_text="the question, in the reader's language")
    topic = serializers.SlugRelatedField(source="question.topic", slug_field="slug", read_only=True)
    topic_title = serializers.CharField(source="question.topic.title")
    buried = serializers.SerializerMethodField(help_text="buried until a later study day")

    class Meta(CardStateSerializer.Meta):
        fields = ["card_id", "prompt", "topic", "topic_title", *CardStateSerializer.Meta.fields, "buried"]

    def get_buried(self, card) -> bool:
        return card.buried_until is not None and card.buried_until > self.context["today"]


class CardHistorySerializer(ReviewLogSerializer):
    interval_days_before = serializers.SerializerMethodField(
        help_text="the interval the card had when rated (days from its review before to its due date); "
                  "null for a card not yet reviewed then")

    class Meta(ReviewLogSerializer.Meta):
        fields = [*ReviewLogSerializer.Meta.fields, "interval_days_before"]

    def get_interval_days_before(self, log) -> float | None:
        before = log.previous_state
        if not before.get("last_review"):
            return None
        return round((datetime.fromisoformat(before["due"]) - datetime.fromisoformat(before["last_review"]))
                     .total_seconds() / 86400, 2)


class BrowseMatchingSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    topic = serializers.SlugRelatedField(slug_field="slug", queryset=Topic.objects.all(), required=False,
                                         allow_null=True, default=None)
    state = serializers.ChoiceField(choices=browsing.STATE_FILTERS, required=False, allow_blank=True, default="")

    @staticmethod
    def card_filter(data: dict) -> browsing.CardFilter:
        return browsing.CardFilter(topic_id=data["topic"].pk if data["topic"] else None, state=data["state"],
                                   query=data["q"])


class BulkActionRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=browsing.ACTIONS)
    cards = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=LARGEST_ID), required=False,
                                  max_length=browsing.MAX_SELECTED_IDS,
                                  help_text="ids of my card states (the browser's `id`); any other learner's "
                                            "answers 404 and changes nothing")
    matching = BrowseMatchingSerializer(required=False, help_text="instead of `cards`: every card matching this "
                                                                  "filter (the browser's q, topic, state)")
    expected = serializers.IntegerField(min_value=0, required=False,
                                        help_text="the count the learner confirmed; another count answers 409")
    days = serializers.IntegerField(min_value=1, max_value=browsing.MAX_SHIFT_DAYS, required=False,
                                    help_text="postpone and advance: by how many days (required for them)")
    limit = serializers.IntegerField(min_value=1, max_value=browsing.MAX_LIMIT, required=False,
                                     help_text="postpone and advance: move at most this many cards, those whose "
                                               "recall suffers least first")

    def validate(self, data):
        if ("cards" in data) == ("matching" in data):
            raise serializers.ValidationError({"cards": [_("Send either cards or matching.")]})
        if data["action"] in browsing.SHIFT_ACTIONS and "days" not in data:
            raise serializers.ValidationError({"days": [_("This field is required.")]})
        return data


class BulkOutcomeSerializer(serializers.Serializer):
    action = serializers.CharField()
    selected = serializers.IntegerField(help_text="cards in the selection")
    changed = serializers.IntegerField(help_text="cards this request changed (0 when it was already done)")
    skipped = serializers.IntegerField(help_text="selected cards the action left as they were")
    days = serializers.IntegerField(allow_null=True)
    retrievability_before = serializers.FloatField(
        allow_null=True, help_text="postpone/advance: mean recall chance of the moved cards at their old due dates")
    retrievability_after = serializers.FloatField(allow_null=True, help_text="... and at their new ones")
