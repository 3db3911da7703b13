from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from questions.languages import content_language
from questions.serializers import TopicSlugsField
from quizapp.interviews import loops, recordings, scoring, selectors, services
from quizapp.interviews.models import AnswerRecording, Interview, InterviewItem


class InterviewCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=Interview.Kind.choices, default=Interview.Kind.QUESTIONS,
        help_text="questions = cards of the chosen topics; system_design = one design case, 15 min; coding = one "
                  "implement-from-scratch card, 20 min. A round picks its own card and clock: only language applies")
    preset = serializers.ChoiceField(choices=list(services.PRESETS), required=False, allow_null=True,
                                     help_text="quick = 3 questions × 3 min, standard = 8 × 5 min; "
                                               "sets count and minutes_per_question")
    # allow_empty gives the message, min_length the schema's minItems.
    topics = TopicSlugsField(allow_empty=False, min_length=1, required=False,
                             error_messages={"empty": _("Choose at least one topic.")},
                             help_text="required for a question round")
    difficulty_min = serializers.IntegerField(min_value=1, max_value=3, default=1)
    difficulty_max = serializers.IntegerField(min_value=1, max_value=3, default=3)
    count = serializers.IntegerField(required=False, min_value=1, max_value=services.MAX_QUESTIONS)
    minutes_per_question = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                                    max_value=services.MAX_MINUTES_PER_QUESTION)
    total_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                             max_value=services.MAX_TOTAL_MINUTES,
                                             help_text="instead of minutes_per_question: one clock for all")
    language = serializers.ChoiceField(choices=Interview.Language.choices, required=False)
    weak_spots = serializers.BooleanField(default=False)
    loop = serializers.SlugField(
        required=False, max_length=40,
        help_text=f"a loop's slug (GET /api/interviews/loops/) or {loops.WEAK_SPOTS} for the weak spots round: "
                  "the loop picks its own questions and clocks, only language applies")

    def validate_loop(self, loop):
        if loop != loops.WEAK_SPOTS and loop not in loops.read_loops():
            raise serializers.ValidationError(_("Choose one of the loops."))
        return loop

    def validate(self, data):
        if data.get("loop"):
            if data["kind"] != Interview.Kind.QUESTIONS:
                raise serializers.ValidationError({"loop": [_("A loop sets its own rounds: leave kind out.")]})
            return {"loop": data["loop"], "language": data.get("language") or content_language()}
        if data["kind"] != Interview.Kind.QUESTIONS:
            return {"kind": data["kind"], "language": data.get("language") or content_language()}
        if not data.get("topics"):
            raise serializers.ValidationError({"topics": [_("Choose at least one topic.")]})
        preset = services.PRESETS.get(data.pop("preset", None), {})
        data = {**data, **preset}
        if preset:
            data["total_minutes"] = None
        if data.get("count") is None:
            raise serializers.ValidationError({"count": [_("Give the number of questions, or a preset.")]})
        data.setdefault("language", content_language())
        return data


class TitleSerializer(serializers.Serializer):
    en = serializers.CharField()
    zh = serializers.CharField()


class LoopTopicSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = TitleSerializer(allow_null=True, help_text="null for a topic the bank does not hold")
    weight = serializers.IntegerField(help_text="the topic's weight in the loop")
    questions = serializers.IntegerField(help_text="how many of the loop's questions it asks (shared by weight)")


class LoopSerializer(serializers.Serializer):
    slug = serializers.SlugField(help_text="what POST /api/interviews/ takes as loop")
    title = TitleSerializer()
    difficulty_min = serializers.IntegerField()
    difficulty_max = serializers.IntegerField()
    question_count = serializers.IntegerField()
    topics = LoopTopicSerializer(many=True)


class KeyPointReviewSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    text = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField())
    suggested = serializers.BooleanField(help_text="one of its terms appears in the answer")
    covered = serializers.BooleanField(help_text="covered, fully or partly, in the finished review")
    credit = serializers.FloatField(allow_null=True, help_text="0 missed, 0.5 partly, 1 fully; null before the review")


class InterviewItemSerializer(serializers.ModelSerializer):
    """The question text appears once it is shown; reference answer and key points after answering."""

    question = serializers.CharField(source="question.card_id")
    follow_up = serializers.BooleanField(
        source="is_follow_up", read_only=True,
        help_text="the follow-up the interviewer asked after the question of the same card and position (its "
                  "answer missed a key point the follow-up probes): its own text, key points, clock and review")
    text = serializers.SerializerMethodField()
    seconds_used = serializers.IntegerField(read_only=True, allow_null=True)
    seconds_given = serializers.IntegerField(read_only=True, allow_null=True)
    reference_answer_html = serializers.SerializerMethodField()
    key_points = serializers.SerializerMethodField()
    demos = serializers.SerializerMethodField()

    class Meta:
        model = InterviewItem
        fields = ["position", "question", "follow_up", "text", "shown_at", "deadline", "answer", "answer_saved_at",
                  "closed_at", "skipped", "timed_out", "late", "seconds_used", "seconds_given", "reference_answer_html",
                  "key_points", "demos", "would_pass", "verdict_overridden", "score", "study_rating", "study_due"]

    def _language(self, item) -> str:
        return item.interview.language

    def _revealed(self, item) -> bool:
        return item.interview.status != Interview.Status.ANSWERING

    def get_text(self, item) -> str | None:
        return item.text(self._language(item)) if item.shown_at else None

    def get_reference_answer_html(self, item) -> str | None:
        """The card's answer; none for a follow-up, whose key points are its reference."""
        if not self._revealed(item) or item.is_follow_up:
            return None
        return getattr(item.question, f"answer_html_{self._language(item)}")

    def get_demos(self, item) -> list[str] | None:
        return item.question.demo_ids if self._revealed(item) else None

    @extend_schema_field(KeyPointReviewSerializer(many=True, allow_null=True))
    def get_key_points(self, item) -> list[dict] | None:
        if not self._revealed(item):
            return None
        return selectors.key_points_for_review(item=item, language=self._language(item))


class InterviewSerializer(serializers.ModelSerializer):
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    question_count = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Interview
        fields = ["id", "kind", "loop", "status", "language", "topics", "difficulty_min", "difficulty_max",
                  "weak_spots", "seconds_per_question", "total_seconds", "question_count", "retake_of", "created_at",
                  "started_at", "deadline", "answering_ended_at", "reviewed_at", "score", "url"]

    def get_question_count(self, interview) -> int:
        annotated = getattr(interview, "question_count", None)  # the history's lists count in one query
        if annotated is None:
            return interview.items.filter(follow_up_of__isnull=True).count()  # follow-ups are not questions
        return annotated

    def get_url(self, interview) -> str:
        return f"/interviews/{interview.id}/"


class InterviewDetailSerializer(InterviewSerializer):
    items = InterviewItemSerializer(many=True, read_only=True)

    class Meta(InterviewSerializer.Meta):
        fields = [*InterviewSerializer.Meta.fields, "items"]


class CurrentQuestionSerializer(serializers.Serializer):
    status = serializers.CharField()
    server_time = serializers.DateTimeField()
    interview_deadline = serializers.DateTimeField(allow_null=True)
    item = InterviewItemSerializer(allow_null=True, help_text="null once answering is over")


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField(help_text="the question's card ID")
    follow_up = serializers.BooleanField(default=False, help_text="the answer is to the question's follow-up")
    answer = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=20_000)
    action = serializers.ChoiceField(choices=["save", "next", "skip"], default="save",
                                     help_text="save = autosave; next/skip also move on")


class ItemMarkSerializer(serializers.Serializer):
    """The credit given to one item's key points and its verdict."""

    covered = serializers.ListField(child=serializers.IntegerField(min_value=0), default=list, max_length=7,
                                    help_text="indexes of the key points covered fully")
    partly = serializers.ListField(child=serializers.IntegerField(min_value=0), default=list, max_length=7,
                                   help_text="indexes of the key points covered partly; any other point is missed")
    verdict = serializers.ChoiceField(
        choices=list(scoring.VERDICT_CHOICES), default=scoring.DERIVED,
        help_text="derived: a pass from a score of 0.75 up; pass or fail against that is recorded as an override")


class ReviewMarkSerializer(ItemMarkSerializer):
    question = serializers.CharField(help_text="the question's card ID")
    follow_up = ItemMarkSerializer(required=False, help_text="the marks of the question's follow-up, if it was asked")


class ReviewSerializer(serializers.Serializer):
    items = ReviewMarkSerializer(many=True)

    def validate_items(self, items):
        return {mark["question"]: {key: mark[key] for key in ("covered", "partly", "verdict", "follow_up")
                                   if key in mark} for mark in items}


class TranscriptionStatusSerializer(serializers.Serializer):
    configured = serializers.BooleanField(help_text="a speech-to-text model transcribes recordings on this site")
    detail = serializers.CharField()


class RecordingSerializer(serializers.ModelSerializer):
    question = serializers.CharField(source="item.question.card_id")
    follow_up = serializers.BooleanField(source="item.is_follow_up", help_text="the answer to the card's follow-up")
    audio_url = serializers.SerializerMethodField()

    class Meta:
        model = AnswerRecording
        fields = ["question", "follow_up", "content_type", "size", "seconds", "recorded_at", "transcript_status",
                  "transcript", "audio_url"]

    def get_audio_url(self, recording) -> str:
        return recordings.recording_url(recording.item, audio=True)


class RecordingListSerializer(serializers.Serializer):
    transcription = TranscriptionStatusSerializer()
    recordings = RecordingSerializer(many=True)


class RecordingUploadSerializer(serializers.Serializer):
    audio = serializers.FileField(help_text="the recording: WebM, Ogg or MP4 audio, at most "
                                            "ANSWER_RECORDING_MAX_BYTES (5 MiB by default)")
    seconds = serializers.FloatField(min_value=0.1, max_value=services.MAX_TOTAL_MINUTES * 60,
                                     help_text="its length; at most the question's time")
