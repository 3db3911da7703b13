from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

import engine
from quizapp.core.parsers import BoundedJSONParser
from quizapp.core.queueing import QUEUE_UNAVAILABLE_RESPONSE, RETRY_AFTER_HEADER
from quizapp.demos import selectors, services
from quizapp.demos.serializers import (
    DemoRequestSerializer,
    DemoRunSerializer,
    DemoSpecSerializer,
    RunPollSerializer,
    RunRequestSerializer,
)

DEMO_ID = OpenApiParameter("demo_id", str, OpenApiParameter.PATH, enum=[spec.id for spec in engine.all_demos()])


class DemoListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=DemoSpecSerializer(many=True), summary="All demos with their parameter specs")
    def get(self, request):
        return Response([spec.describe() for spec in engine.all_demos()])


class DemoDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=DemoSpecSerializer, summary="One demo's spec", parameters=[DEMO_ID])
    def get(self, request, demo_id: str):
        return Response(selectors.demo_spec_get_or_404(demo_id=demo_id).describe())


class DemoRunStartApi(APIView):
    """Start a run, or get the finished one with the same parameters from the cache."""

    permission_classes = [AllowAny]  # anonymous visitors get cached runs; new runs need a login
    # Parameters are typed JSON; a form post's "params=x" would otherwise read as "all defaults".
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=RunRequestSerializer, summary="Start a demo run (or reuse a cached one)",
                   responses={200: DemoRunSerializer, 201: DemoRunSerializer,
                              400: OpenApiResponse(description="a message per bad parameter"),
                              429: OpenApiResponse(description="too many runs; see Retry-After"),
                              503: QUEUE_UNAVAILABLE_RESPONSE},
                   parameters=[DEMO_ID, RETRY_AFTER_HEADER])
    def post(self, request, demo_id: str):
        selectors.demo_spec_get_or_404(demo_id=demo_id)
        body = RunRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user if request.user.is_authenticated else None
        outcome = services.demo_run_request(user=user, demo_id=demo_id, raw_params=body.validated_data["params"])
        code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        return Response({**DemoRunSerializer(outcome.run).data, "from_cache": outcome.from_cache}, status=code)


class DemoRunDetailApi(APIView):
    permission_classes = [AllowAny]
    # A demo page polls a live run every 50 ms (static/js/demos.js), past the API's general rates.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "run_poll"

    @extend_schema(responses={200: DemoRunSerializer, 204: OpenApiResponse(description="nothing new since ?seen=")},
                   parameters=[RunPollSerializer], summary="Poll a run",
                   description="A page polls a live run every 50 ms; progress_seq grows with each change it could "
                               "show, and ?seen=<progress_seq> answers 204 with no body while there is none. 429 "
                               "past API_THROTTLE_RUN_POLL (1500/min per learner or address).")
    def get(self, request, run_id):
        query = RunPollSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        seen = query.validated_data.get("seen")
        if seen is not None and services.demo_run_unchanged(run_id=run_id, seen_seq=seen):
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(DemoRunSerializer(services.demo_run_refreshed_or_404(run_id=run_id)).data)


class MyDemoRunsApi(ListAPIView):
    """The runs I asked for, newest first (cached answers included)."""

    permission_classes = [IsAuthenticated]
    serializer_class = DemoRequestSerializer

    def get_queryset(self):
        return services.demo_requests_refreshed(user=self.request.user)
