from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from questions.models import AnkiExport, Question, Topic, TopicGroup

# More than the corpus will ever have: the list is refused before any query when longer.
MAX_TOPICS_PER_LIST = 100
SLUG_PATTERN = "^[-a-zA-Z0-9_]+$"  # what Django's SlugField takes
TOPIC_SLUG_LENGTH = Topic._meta.get_field("slug").max_length


class TopicGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = TopicGroup
        fields = ["slug", "title_en", "title_zh"]


class TopicSerializer(serializers.ModelSerializer):
    question_count = serializers.IntegerField(read_only=True)
    group = TopicGroupSerializer(read_only=True, allow_null=True, help_text="the shelf the topic lists under")

    class Meta:
        model = Topic
        fields = ["slug", "title_en", "title_zh", "group", "question_count"]


@extend_schema_field({"type": "string", "pattern": SLUG_PATTERN, "maxLength": TOPIC_SLUG_LENGTH})
class TopicSlugField(serializers.SlugRelatedField):
    """One topic by slug. A value that is no slug is refused before the lookup (PostgreSQL fails on a NUL)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", queryset=Topic.objects.all(), **kwargs)

    def to_internal_value(self, data):
        serializers.SlugField(max_length=TOPIC_SLUG_LENGTH).run_validation(data)
        return super().to_internal_value(data)


class TopicSlugsField(serializers.ListField):
    """Topics named by slug, looked up in one query; the 400 names every unknown slug, or says how many topics
    there are when the list is longer. Reads back as slugs."""

    child = serializers.SlugField(max_length=TOPIC_SLUG_LENGTH)

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_TOPICS_PER_LIST)
        kwargs["error_messages"] = {"max_length": _("Name at most {max_length} topics."),
                                    **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> list[Topic]:
        if isinstance(data, list) and len(data) > self.max_length:  # before each is validated and looked up
            self.fail("max_length", max_length=self.max_length)
        named = super().to_internal_value(data)
        if not named:
            return []
        found = {topic.slug: topic for topic in Topic.objects.all()}  # a few dozen: all in one query, counted
        if len(named) > len(found):
            raise serializers.ValidationError(ngettext(
                "There is only %(count)d topic: name at most that many.",
                "There are only %(count)d topics: name at most that many.", len(found)) % {"count": len(found)})
        slugs = list(dict.fromkeys(named))  # once each, in the order given
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            raise serializers.ValidationError(ngettext("Unknown topic: %(slugs)s.", "Unknown topics: %(slugs)s.",
                                                       len(unknown)) % {"slugs": ", ".join(unknown)})
        return [found[slug] for slug in slugs]

    def to_representation(self, topics) -> list[str]:
        topics = topics.all() if hasattr(topics, "all") else topics
        return [topic.slug for topic in topics]


class KeyPointSerializer(serializers.Serializer):
    en = serializers.CharField()
    zh = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField())


class QuestionSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="card_id")
    topic = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    demos = serializers.ListField(source="demo_ids", child=serializers.CharField(), read_only=True)
    key_points = KeyPointSerializer(many=True)
    seed_refs = serializers.ListField(child=serializers.CharField())
    references = serializers.ListField(child=serializers.CharField())
    own = serializers.BooleanField(source="is_own", read_only=True,
                                   help_text="the learner's own card, not the corpus's")
    highlights = serializers.SerializerMethodField(
        help_text="search results only: the question in the reader's language, HTML-escaped, with <mark> "
                  "around the words it was found by")

    class Meta:
        model = Question
        fields = ["id", "topic", "difficulty", "tags", "demos", "seed_refs", "references", "question_en",
                  "question_zh", "answer_en", "answer_zh", "answer_html_en", "answer_html_zh", "key_points", "own",
                  "highlights"]

    @extend_schema_field({"type": "object", "nullable": True, "properties": {"question": {"type": "string"}}})
    def get_highlights(self, question: Question) -> dict | None:
        highlighted = question.highlighted_question
        return None if highlighted is None else {"question": str(highlighted)}


class AnkiExportSerializer(serializers.ModelSerializer):
    """A deck a worker builds: poll `url` until `status` is succeeded, then fetch `download_url`."""

    url = serializers.SerializerMethodField(help_text="this export's state, to poll")
    download_url = serializers.SerializerMethodField(help_text="the deck, once built and until it expires")
    error = serializers.SerializerMethodField(help_text="why it failed, in the request's language")

    class Meta:
        model = AnkiExport
        fields = ["id", "status", "progress", "cards", "language", "with_schedule", "filters", "error", "url",
                  "download_url", "created_at", "finished_at"]
        read_only_fields = fields

    def get_url(self, export) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-anki-export", args=[export.pk]))

    def get_download_url(self, export) -> str | None:
        if export.status != AnkiExport.Status.SUCCEEDED or not export.file:
            return None
        return self.context["request"].build_absolute_uri(reverse("api-anki-export-download", args=[export.pk]))

    def get_error(self, export) -> str:
        return gettext(export.error) if export.error else ""
