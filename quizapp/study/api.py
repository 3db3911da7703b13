"""The study API: thin views over the services and selectors. Everything is the caller's own:
another learner's card, log or optimisation answers 404."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.core.queueing import (
    QUEUE_UNAVAILABLE_RESPONSE,
    RETRY_AFTER_HEADER,
    QueueUnavailable,
    queue_unavailable_response,
)
from quizapp.study import payloads, scheduling, selectors, services, stats
from quizapp.study.models import CardState, SchedulerOptimization
from quizapp.study.queue import study_queue
from quizapp.study.serializers import (
    CardStateSerializer,
    QuestionRefSerializer,
    QueueSerializer,
    ReviewLogSerializer,
    ReviewRequestSerializer,
    ReviewResultSerializer,
    SchedulerOptimizationSerializer,
    StudySettingsSerializer,
)

MAX_QUEUE_LIMIT = 20
CONFLICT = OpenApiResponse(description="the card changed meanwhile, or the client id was used for another card")


class StudyApi(APIView):
    permission_classes = [IsAuthenticated]


def _card_context(user, study_settings=None) -> dict:
    study_settings = study_settings or services.study_settings_get(user=user)
    return {"scheduler": scheduling.scheduler_for(study_settings), "now": timezone.now()}


def queue_payload(*, user, limit: int, study_settings=None) -> dict:
    now = timezone.now()
    study_settings = study_settings or services.study_settings_get(user=user)
    queue = study_queue(user=user, now=now, limit=limit, study_settings=study_settings)
    # Button labels come without fuzz: the interval a rating gets may differ by a day or two.
    return payloads.queue_payload(queue, scheduler=scheduling.scheduler_for(study_settings), now=now,
                                  preview_scheduler=scheduling.scheduler_for(study_settings, fuzz=False))


class QueueApi(StudyApi):
    @extend_schema(responses=QueueSerializer, summary="Today's next cards and the counters of cards left",
                   parameters=[OpenApiParameter("limit", int, description=f"cards to return (1-{MAX_QUEUE_LIMIT})")])
    def get(self, request):
        try:
            limit = min(MAX_QUEUE_LIMIT, max(1, int(request.query_params.get("limit", 1))))
        except ValueError:
            raise ValidationError({"limit": "a whole number"}) from None
        return Response(queue_payload(user=request.user, limit=limit))


class ReviewApi(StudyApi):
    @extend_schema(request=ReviewRequestSerializer, summary="Rate a card (idempotent by client_id); answers with "
                   "the next card, so studying takes one request per card",
                   responses={201: ReviewResultSerializer, 200: ReviewResultSerializer, 409: CONFLICT})
    def post(self, request):
        body = ReviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            outcome = services.card_review_outcome(
                user=request.user, question_id=data["question"], rating=data["rating"],
                duration_ms=data["duration_ms"], client_id=data["client_id"], expected_reps=data.get("expected_reps"))
        except services.QuestionNotFound:
            # DRF's own words (and translation) for an unknown primary key.
            unknown = PrimaryKeyRelatedField.default_error_messages["does_not_exist"]
            raise ValidationError({"question": [unknown.format(pk_value=data["question"])]}) from None
        except services.StaleCard as stale:
            return Response({"detail": "This card was rated meanwhile (another tab?).",
                             "card": CardStateSerializer(stale.card, context=_card_context(request.user)).data},
                            status=status.HTTP_409_CONFLICT)
        except services.ClientIdReused as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(_review_result(request.user, outcome),
                        status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)


def _review_result(user, outcome: services.ReviewOutcome) -> dict:
    """ReviewResultSerializer's shape: the log, the card after it, and the queue that follows."""
    log, card, study_settings = outcome.log, outcome.log.card, outcome.study_settings
    scheduler = scheduling.scheduler_for(study_settings)
    return {"log": payloads.log_payload(log, question_id=card.question_id),
            "card": payloads.card_payload(card, scheduler=scheduler, now=timezone.now()),
            "became_leech": card.is_leech and not log.previous_state["is_leech"],
            "next": queue_payload(user=user, limit=1, study_settings=study_settings)}


class UndoApi(StudyApi):
    @extend_schema(request=None, summary="Undo my latest study rating, restoring the card exactly",
                   responses={200: CardStateSerializer, 409: OpenApiResponse(description="nothing to undo")})
    def post(self, request):
        try:
            card = services.review_undo(user=request.user)
        except services.NothingToUndo as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(CardStateSerializer(card, context=_card_context(request.user)).data)


class BuryApi(StudyApi):
    @extend_schema(request=QuestionRefSerializer, responses=CardStateSerializer,
                   summary="Bury a card until my next study day")
    def post(self, request):
        body = QuestionRefSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        card = services.card_bury(user=request.user, question=body.validated_data["question"])
        return Response(CardStateSerializer(card, context=_card_context(request.user)).data)


class SuspendApi(StudyApi):
    @extend_schema(request=QuestionRefSerializer, responses=CardStateSerializer,
                   summary="Suspend a card until I unsuspend it")
    def post(self, request):
        body = QuestionRefSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        card = services.card_set_suspended(user=request.user, question=body.validated_data["question"],
                                           suspended=True)
        return Response(CardStateSerializer(card, context=_card_context(request.user)).data)


class CardListApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CardStateSerializer

    def get_queryset(self):
        user = self.request.user
        leeches_only = self.request.query_params.get("leech") == "1"
        queryset = selectors.leeches_for_user(user=user) if leeches_only else selectors.card_states_for_user(user=user)
        return queryset.order_by("due", "pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **_card_context(self.request.user)}

    @extend_schema(summary="My cards (leech=1: only leeches)",
                   parameters=[OpenApiParameter("leech", str, enum=["1"], required=False)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CardDetailApi(RetrieveAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CardStateSerializer

    def get_queryset(self):
        return selectors.card_states_for_user(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **_card_context(self.request.user)}


class CardChangeApi(StudyApi):
    """POST changes one of my cards with `change` and answers with it; another learner's card is a 404."""

    change = None  # services.card_<action>(*, user, card_id)

    def post(self, request, pk: int):
        try:
            card = type(self).change(user=request.user, card_id=pk)
        except CardState.DoesNotExist:
            raise Http404 from None
        return Response(CardStateSerializer(card, context=_card_context(request.user)).data)


@extend_schema_view(post=extend_schema(request=None, responses=CardStateSerializer,
                                       summary="Unsuspend one of my cards"))
class CardUnsuspendApi(CardChangeApi):
    change = staticmethod(services.card_unsuspend)


@extend_schema_view(post=extend_schema(request=None, responses=CardStateSerializer,
                                       summary="Unbury one of my cards: back in today's queue"))
class CardUnburyApi(CardChangeApi):
    change = staticmethod(services.card_unbury)


@extend_schema_view(post=extend_schema(request=None, responses=CardStateSerializer,
                                       summary="Reset one of my cards to new"))
class CardResetApi(CardChangeApi):
    change = staticmethod(services.card_reset)


class ReviewLogListApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ReviewLogSerializer

    def get_queryset(self):
        return selectors.review_logs_for_user(user=self.request.user)


class ReviewLogDetailApi(RetrieveAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ReviewLogSerializer

    def get_queryset(self):
        return selectors.review_logs_for_user(user=self.request.user)


class SettingsApi(StudyApi):
    @extend_schema(responses=StudySettingsSerializer, summary="My study settings")
    def get(self, request):
        return Response(StudySettingsSerializer(services.study_settings_get(user=request.user)).data)

    @extend_schema(request=StudySettingsSerializer, responses=StudySettingsSerializer,
                   summary="Change my study settings (out-of-range values answer 400)")
    def patch(self, request):
        return self._update(request, partial=True)

    @extend_schema(request=StudySettingsSerializer, responses=StudySettingsSerializer,
                   summary="Replace my study settings (out-of-range values answer 400)")
    def put(self, request):
        return self._update(request, partial=False)

    def _update(self, request, *, partial: bool):
        current = services.study_settings_get(user=request.user)
        body = StudySettingsSerializer(current, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        topics = fields.pop("topics", None)
        try:
            updated = services.study_settings_update(user=request.user, fields=fields, topics=topics)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return Response(StudySettingsSerializer(updated).data)


class StatsApi(StudyApi):
    @extend_schema(responses=OpenApiTypes.OBJECT,
                   summary="My statistics: heat-map, forecast, true retention, states, retrievability, time")
    def get(self, request):
        return Response(stats.study_stats(user=request.user, now=timezone.now()))


class OptimizationStartApi(StudyApi):
    @extend_schema(request=None, responses={202: SchedulerOptimizationSerializer, 200: SchedulerOptimizationSerializer,
                                            503: QUEUE_UNAVAILABLE_RESPONSE},
                   parameters=[RETRY_AFTER_HEADER],
                   summary="Fit my FSRS parameters on my review history (a Celery task); 202 when queued, 200 "
                           "with my fit already queued or running (one at a time)")
    def post(self, request):
        try:
            requested = services.scheduler_optimization_request(user=request.user)
        except QueueUnavailable as error:
            return queue_unavailable_response(error)
        return Response(SchedulerOptimizationSerializer(requested.optimization).data,
                        status=status.HTTP_202_ACCEPTED if requested.queued else status.HTTP_200_OK)


class OptimizationDetailApi(StudyApi):
    @extend_schema(responses=SchedulerOptimizationSerializer, summary="One of my optimisations")
    def get(self, request, pk: int):
        try:
            optimization = selectors.optimization_get(user=request.user, optimization_id=pk)
        except SchedulerOptimization.DoesNotExist:
            raise Http404 from None
        return Response(SchedulerOptimizationSerializer(optimization).data)
