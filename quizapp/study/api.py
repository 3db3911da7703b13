"""The study API: thin views over the services and selectors. Everything is the caller's own:
another learner's card, log or optimisation answers 404."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.core.errors import NotYours
from quizapp.core.queueing import QUEUE_UNAVAILABLE_RESPONSE, RETRY_AFTER_HEADER
from quizapp.study import browsing, custom, scheduling, selectors, services, stats
from quizapp.study.days import study_day_for
from quizapp.study.forms import CardBrowseFilter
from quizapp.study.models import CustomSession
from quizapp.study.queue import StudyQueue, study_queue
from quizapp.study.serializers import (
    BrowseCardSerializer,
    BrowseMatchingSerializer,
    BulkActionRequestSerializer,
    BulkOutcomeSerializer,
    CardHistorySerializer,
    CardStateSerializer,
    CustomAnswerResultSerializer,
    CustomAnswerSerializer,
    CustomModeSerializer,
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
NO_SUCH_SESSION = OpenApiResponse(description="no such custom study session of yours")


class StudyApi(APIView):
    permission_classes = [IsAuthenticated]


def _card_context(user, study_settings=None) -> dict:
    """What the card serializers need: the learner's schedulers (the buttons' intervals come without
    fuzz: the interval a rating gets may differ by a day or two) and the moment."""
    study_settings = study_settings or selectors.study_settings_get(user=user)
    return {"scheduler": scheduling.scheduler_for(study_settings), "now": timezone.now(),
            "preview_scheduler": scheduling.scheduler_for(study_settings, fuzz=False)}


def _custom_mode(request) -> dict:
    """The custom study mode of the query string, validated (400 naming the field); `session` becomes
    the learner's CustomSession (another learner's: 404)."""
    mode = CustomModeSerializer(data=request.query_params)
    mode.is_valid(raise_exception=True)
    data = dict(mode.validated_data)
    if data.get("custom") in CustomSession.Kind.values:
        data["session"] = custom.custom_session_get(user=request.user, session_id=data["session"])
        if data["session"].kind != data["custom"]:
            raise ValidationError({"session": [_("This session is not of that kind.")]})
    else:
        data.pop("session", None)
    return data


def _queue(request, mode: dict, *, now, limit: int, study_settings) -> StudyQueue:
    """Today's queue, or the custom session's."""
    if "session" in mode:
        return custom.custom_session_queue(session=mode["session"], now=now, limit=limit)
    ahead_days = mode["days"] if mode.get("custom") == "ahead" else 0
    return study_queue(user=request.user, now=now, limit=limit, study_settings=study_settings, ahead_days=ahead_days)


class QueueApi(StudyApi):
    @extend_schema(responses={200: QueueSerializer, 404: NO_SUCH_SESSION},
                   summary="Today's next cards and the counters of cards left (or a custom study session's)",
                   parameters=[OpenApiParameter("limit", int, description=f"cards to return (1-{MAX_QUEUE_LIMIT})"),
                               CustomModeSerializer])
    def get(self, request):
        try:
            limit = min(MAX_QUEUE_LIMIT, max(1, int(request.query_params.get("limit", 1))))
        except ValueError:
            raise ValidationError({"limit": "a whole number"}) from None
        mode = _custom_mode(request)
        study_settings = selectors.study_settings_get(user=request.user)
        context = _card_context(request.user, study_settings)
        queue = _queue(request, mode, now=context["now"], limit=limit, study_settings=study_settings)
        return Response(QueueSerializer(queue, context=context).data)


REVIEW_RESULT = PolymorphicProxySerializer(
    component_name="ReviewOrCustomAnswerResult", serializers=[ReviewResultSerializer, CustomAnswerResultSerializer],
    resource_type_field_name=None)


class ReviewApi(StudyApi):
    @extend_schema(request=ReviewRequestSerializer, summary="Rate a card (idempotent by client_id); answers with "
                   "the next card, so studying takes one request per card. In a forgotten or cram session the "
                   "rating is the session's only: the card's schedule does not change",
                   parameters=[CustomModeSerializer],
                   responses={201: REVIEW_RESULT, 200: REVIEW_RESULT, 404: NO_SUCH_SESSION, 409: CONFLICT})
    def post(self, request):
        mode = _custom_mode(request)
        body = ReviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if "session" in mode:
            return self._custom_answer(request, mode["session"], data)
        outcome = services.card_review_outcome(
            user=request.user, question_id=data["question"], rating=data["rating"], duration_ms=data["duration_ms"],
            client_id=data["client_id"], expected_reps=data.get("expected_reps"),
            reviewed_at=timezone.now() - timedelta(milliseconds=data["age_ms"]))
        log, card = outcome.log, outcome.log.card
        context = _card_context(request.user, outcome.study_settings)
        queue = _queue(request, mode, now=context["now"], limit=data["next_cards"],
                       study_settings=outcome.study_settings) if data["next_cards"] else None
        result = {"log": log, "card": card, "became_leech": card.is_leech and not log.previous_state["is_leech"],
                  "next": queue}
        return Response(ReviewResultSerializer(result, context=context).data,
                        status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)

    def _custom_answer(self, request, session, data):
        answer, created = custom.custom_answer_record(session=session, question_id=data["question"],
                                                      rating=data["rating"], client_id=data["client_id"])
        context = _card_context(request.user)
        queue = custom.custom_session_queue(session=session, now=context["now"],
                                            limit=data["next_cards"]) if data["next_cards"] else None
        result = {"answer": answer, "became_leech": False, "next": queue}
        return Response(CustomAnswerResultSerializer(result, context=context).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def handle_exception(self, exc):
        if isinstance(exc, services.StaleCard):  # the 409 shows the card as it is now
            exc.extra["card"] = CardStateSerializer(exc.card, context=_card_context(self.request.user)).data
        return super().handle_exception(exc)


UNDONE = PolymorphicProxySerializer(component_name="UndoneRatingResult",
                                   serializers=[CardStateSerializer, CustomAnswerSerializer],
                                   resource_type_field_name=None)


class UndoApi(StudyApi):
    @extend_schema(request=None, summary="Undo my latest study rating, restoring the card exactly (in a "
                   "forgotten or cram session: its latest rating, answered with that rating)",
                   parameters=[CustomModeSerializer],
                   responses={200: UNDONE, 404: NO_SUCH_SESSION, 409: OpenApiResponse(description="nothing to undo")})
    def post(self, request):
        mode = _custom_mode(request)
        if "session" in mode:
            return Response(CustomAnswerSerializer(custom.custom_answer_undo(session=mode["session"])).data)
        card = services.review_undo(user=request.user)
        return Response(CardStateSerializer(card, context=_card_context(request.user)).data)


def _answers_with_the_card(summary: str, *, request=None):
    """The schema of a POST that changes one of my cards and answers with it."""
    return extend_schema_view(post=extend_schema(request=request, responses=CardStateSerializer, summary=summary))


class CardSetAsideApi(StudyApi):
    # POST takes a question's card out of my queue with `set_aside` and answers with the card.
    set_aside = None  # services.card_<action>(*, user, question)

    def post(self, request):
        body = QuestionRefSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        card = type(self).set_aside(user=request.user, question=body.validated_data["question"])
        return Response(CardStateSerializer(card, context=_card_context(request.user)).data)


@_answers_with_the_card("Bury a card until my next study day", request=QuestionRefSerializer)
class BuryApi(CardSetAsideApi):
    set_aside = staticmethod(services.card_bury)


@_answers_with_the_card("Suspend a card until I unsuspend it", request=QuestionRefSerializer)
class SuspendApi(CardSetAsideApi):
    set_aside = staticmethod(partial(services.card_set_suspended, suspended=True))


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
        card = type(self).change(user=request.user, card_id=pk)
        return Response(CardStateSerializer(card, context=_card_context(request.user)).data)


@_answers_with_the_card("Unsuspend one of my cards")
class CardUnsuspendApi(CardChangeApi):
    change = staticmethod(services.card_unsuspend)


@_answers_with_the_card("Unbury one of my cards: back in today's queue")
class CardUnburyApi(CardChangeApi):
    change = staticmethod(services.card_unbury)


@_answers_with_the_card("Reset one of my cards to new")
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
        return Response(StudySettingsSerializer(selectors.study_settings_get(user=request.user)).data)

    @extend_schema(request=StudySettingsSerializer, responses=StudySettingsSerializer,
                   summary="Change my study settings (out-of-range values answer 400)")
    def patch(self, request):
        return self._update(request, partial=True)

    @extend_schema(request=StudySettingsSerializer, responses=StudySettingsSerializer,
                   summary="Replace my study settings (out-of-range values answer 400)")
    def put(self, request):
        return self._update(request, partial=False)

    def _update(self, request, *, partial: bool):
        current = selectors.study_settings_get(user=request.user)
        body = StudySettingsSerializer(current, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        topics = fields.pop("topics", None)
        updated = services.study_settings_update(user=request.user, fields=fields, topics=topics)
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
        requested = services.scheduler_optimization_request(user=request.user)
        return Response(SchedulerOptimizationSerializer(requested.optimization).data,
                        status=status.HTTP_202_ACCEPTED if requested.queued else status.HTTP_200_OK)


class OptimizationDetailApi(StudyApi):
    @extend_schema(responses=SchedulerOptimizationSerializer, summary="One of my optimisations")
    def get(self, request, pk: int):
        optimization = services.scheduler_optimization_get(user=request.user, optimization_id=pk)
        return Response(SchedulerOptimizationSerializer(optimization).data)


BROWSE_PARAMETERS = [
    OpenApiParameter("q", str, description="text in the question, English or Chinese"),
    OpenApiParameter("topic", str, description="a topic's slug"),
    OpenApiParameter("state", str, enum=list(browsing.STATE_FILTERS)),
    OpenApiParameter("sort", str, description="due (the default), retrievability, stability, difficulty, lapses, "
                     "reps or last_review; a leading - sorts descending",
                     enum=[f"{sign}{key}" for key in browsing.SORTS for sign in ("", "-")]),
]


class BrowseListApi(ListAPIView):
    """The card browser's list: my cards filtered, searched and sorted as the page does."""

    permission_classes = [IsAuthenticated]
    serializer_class = BrowseCardSerializer

    def _context(self) -> dict:
        if not hasattr(self, "_browse_context"):
            study_settings = selectors.study_settings_get(user=self.request.user)
            context = _card_context(self.request.user, study_settings)
            context["today"] = study_day_for(study_settings=study_settings, now=context["now"]).day
            self._browse_context = context
        return self._browse_context

    def get_queryset(self):
        filters = CardBrowseFilter(self.request.query_params)
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        context = self._context()
        cards = browsing.cards_matching(user=self.request.user, card_filter=filters.card_filter(),
                                        day=context["today"])
        return browsing.cards_sorted(cards, sort=filters.sort_key(), scheduler=context["scheduler"],
                                     now=context["now"])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **self._context()}

    @extend_schema(summary="Browse my cards: filter (topic, state), search (q) and sort; an unknown value answers "
                           "400 naming the parameter", parameters=BROWSE_PARAMETERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CardHistoryApi(StudyApi):
    @extend_schema(responses=CardHistorySerializer(many=True),
                   summary="One of my cards' review history, latest first (another learner's card: 404)")
    def get(self, request, pk: int):
        card = selectors.card_states_for_user(user=request.user).filter(pk=pk).first()
        if card is None:
            raise NotYours
        return Response(CardHistorySerializer(card.logs.select_related("card"), many=True).data)


REFUSED = inline_serializer("BulkActionRefused", fields={"detail": serializers.CharField()})


class BulkActionApi(StudyApi):
    @extend_schema(request=BulkActionRequestSerializer,
                   responses={200: BulkOutcomeSerializer,
                              404: OpenApiResponse(REFUSED, description="a card in `cards` is not mine; "
                                                                        "nothing changed"),
                              409: OpenApiResponse(REFUSED, description="`expected` differs from the cards "
                                                                        "matching now; nothing changed")},
                   summary="Suspend, unsuspend, bury, unbury, reset, postpone or advance my ticked cards or all "
                           "matching a filter; says how many changed. Sent again, the first five change nothing "
                           "more; postpone and advance (FSRS Helper's, by N days: only review cards, the review "
                           "log kept) move the cards again")
    def post(self, request):
        body = BulkActionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        card_filter = BrowseMatchingSerializer.card_filter(data["matching"]) if "matching" in data else None
        outcome = browsing.cards_bulk_change(
            user=request.user, action=data["action"], card_ids=data.get("cards"), card_filter=card_filter,
            expected=data.get("expected"), days=data.get("days"), limit=data.get("limit"))
        return Response(BulkOutcomeSerializer(outcome).data)
