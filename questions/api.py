from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from questions import selectors, services
from questions.apkg_export import anki_download
from questions.forms import AnkiExportForm, QuestionFilterForm
from questions.models import Question
from questions.serializers import (
    SLUG_PATTERN,
    TOPIC_SLUG_LENGTH,
    AnkiExportSerializer,
    QuestionSerializer,
    TopicSerializer,
)
from questions.throttles import AnkiExportThrottle
from questions.views import anki_export_file_response
from quizapp.core.negotiation import FileNegotiation
from quizapp.core.queueing import QUEUE_UNAVAILABLE_RESPONSE, RETRY_AFTER_HEADER


def slug(max_length: int | None = None) -> dict:
    """A schema for what Django's SlugField takes; anything else names no topic, tag or card."""
    schema = {"type": "string", "pattern": SLUG_PATTERN}
    return {**schema, "maxLength": max_length} if max_length else schema


EXPORT_ID = OpenApiParameter("export_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="the export's id")
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
                                                                     "(signed in only)"), RETRY_AFTER_HEADER],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 202: AnkiExportSerializer,
                   400: OpenApiTypes.OBJECT, 503: QUEUE_UNAVAILABLE_RESPONSE})
    @action(detail=False, url_path="export.apkg", pagination_class=None,
            throttle_classes=[*viewsets.ReadOnlyModelViewSet.throttle_classes, AnkiExportThrottle],
            content_negotiation_class=FileNegotiation)
    def anki(self, request):
        """The questions the filters find as an Anki deck (.apkg); with `schedule`, your schedule in it. Your
        deck of more than ANKI_EXPORT_ASYNC_CARDS cards is built by a worker: 202 with the export to poll
        (`url`, also the Location header) until its `download_url` is there."""
        form = AnkiExportForm(request.query_params, learner=request.user)
        if not form.is_valid():
            raise ValidationError(form.errors)
        language = form.cleaned_data["language"] or "zh"
        with_schedule = form.cleaned_data["schedule"]
        cards = (selectors.anki_deck_size(viewer=request.user, filters=form.cleaned_data)
                 if request.user.is_authenticated else 0)
        if cards > settings.ANKI_EXPORT_ASYNC_CARDS:  # a visitor's deck is the corpus's, cached: always built here
            export = services.anki_export_request(owner=request.user, language=language, with_schedule=with_schedule,
                                                  filters=selectors.anki_criteria(form.cleaned_data), cards=cards)
            body = AnkiExportSerializer(export, context={"request": request}).data
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})
        deck = anki_download(viewer=request.user, filters=form.cleaned_data, language=language,
                             with_schedule=with_schedule)
        response = HttpResponse(deck, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="dl-interview-{language}.apkg"'
        return response


class AnkiExportApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[EXPORT_ID], responses=AnkiExportSerializer, summary="One of my Anki decks being built")
    def get(self, request, export_id):
        export = services.anki_export_get(owner=request.user, export_id=export_id)
        return Response(AnkiExportSerializer(export, context={"request": request}).data)


class AnkiExportDownloadApi(APIView):
    permission_classes = [IsAuthenticated]
    content_negotiation_class = FileNegotiation  # a client may ask for application/octet-stream

    @extend_schema(parameters=[EXPORT_ID], responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
                   summary="The deck a worker built (404 once it has expired)")
    def get(self, request, export_id):
        return anki_export_file_response(services.anki_export_get(owner=request.user, export_id=export_id))
