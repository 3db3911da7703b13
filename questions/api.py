from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny

from questions import selectors
from questions.apkg_export import anki_download
from questions.forms import AnkiExportForm, QuestionFilterForm
from questions.models import Question
from questions.serializers import SLUG_PATTERN, TOPIC_SLUG_LENGTH, QuestionSerializer, TopicSerializer
from questions.throttles import AnkiExportThrottle


def slug(max_length: int | None = None) -> dict:
    """A schema for what Django's SlugField takes; anything else names no topic, tag or card."""
    schema = {"type": "string", "pattern": SLUG_PATTERN}
    return {**schema, "maxLength": max_length} if max_length else schema


CARD_ID = OpenApiParameter("id", slug(Question._meta.get_field("card_id").max_length), OpenApiParameter.PATH,
                           description="the card's stable ID")


@extend_schema_view(retrieve=extend_schema(parameters=[
    OpenApiParameter("slug", slug(TOPIC_SLUG_LENGTH), OpenApiParameter.PATH)]))
class TopicViewSet(viewsets.ReadOnlyModelViewSet):
    """Topics that have questions, with their question counts."""

    serializer_class = TopicSerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self):
        return selectors.topic_list_with_counts(viewer=self.request.user)


# The filters apply to the list only: a card is found by its ID alone.
@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("q", {"type": "string", "maxLength": 200}, description="search text (Chinese or English)"),
    OpenApiParameter("topic", slug()), OpenApiParameter("tag", slug()),
    OpenApiParameter("difficulty", OpenApiTypes.INT, enum=[1, 2, 3]),
]), retrieve=extend_schema(parameters=[CARD_ID]))
class QuestionViewSet(viewsets.ReadOnlyModelViewSet):
    """The corpus and, for a signed-in learner, their own cards (`own`), read-only. `id` is the card's stable ID."""

    serializer_class = QuestionSerializer
    permission_classes = [AllowAny]
    lookup_field = "card_id"
    lookup_url_kwarg = "id"

    def get_queryset(self):
        form = QuestionFilterForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        filters = {name: form.cleaned_data[name] or None for name in ("topic", "tag", "difficulty")}
        filters["viewer"] = self.request.user
        query = form.cleaned_data["q"].strip()
        if query:
            return selectors.question_search(query=query, **filters)
        return selectors.question_list(**filters)

    def get_object(self):
        return get_object_or_404(selectors.question_list(viewer=self.request.user), card_id=self.kwargs["id"])

    @extend_schema(parameters=[
        OpenApiParameter("topic", slug()), OpenApiParameter("tag", slug()),
        OpenApiParameter("difficulty", OpenApiTypes.INT, enum=[1, 2, 3]),
        OpenApiParameter("language", {"type": "string", "enum": ["zh", "en"], "default": "zh"}),
        OpenApiParameter("schedule", OpenApiTypes.BOOL, description="include your reviews and scheduling "
                                                                     "(signed in only)")],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 400: OpenApiTypes.OBJECT})
    @action(detail=False, url_path="export.apkg", pagination_class=None,
            throttle_classes=[*viewsets.ReadOnlyModelViewSet.throttle_classes, AnkiExportThrottle])
    def anki(self, request):
        """The questions the filters find as an Anki deck (.apkg); with `schedule`, your schedule in it."""
        form = AnkiExportForm(request.query_params, learner=request.user)
        if not form.is_valid():
            raise ValidationError(form.errors)
        language = form.cleaned_data["language"] or "zh"
        deck = anki_download(viewer=request.user, filters=form.cleaned_data, language=language,
                             with_schedule=form.cleaned_data["schedule"])
        response = HttpResponse(deck, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="dl-interview-{language}.apkg"'
        return response
