from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from quizapp.core.schema import WholeBodyPatchSchema
from quizapp.interviews import selectors, services
from quizapp.interviews.models import Interview
from quizapp.interviews.serializers import (
    AnswerSerializer,
    CurrentQuestionSerializer,
    InterviewCreateSerializer,
    InterviewDetailSerializer,
    InterviewItemSerializer,
    InterviewSerializer,
    LoopSerializer,
    ReviewSerializer,
)

BAD_INPUT = OpenApiResponse(description="a message per bad field; nothing was changed")
CONFLICT = OpenApiResponse(description="the interview's state forbids this (e.g. already reviewed)")
NOT_YOURS = OpenApiResponse(description="no such interview of yours")


def _detail(interview: Interview) -> dict:
    interview = Interview.objects.prefetch_related("topics").get(pk=interview.pk)
    items = selectors.interview_items(interview=interview).select_related("interview")
    return {**InterviewSerializer(interview).data, "items": InterviewItemSerializer(items, many=True).data}


class InterviewListApi(ListAPIView):
    """My interviews, newest first (the history), and starting a new one."""

    permission_classes = [IsAuthenticated]
    serializer_class = InterviewSerializer

    def get_queryset(self):
        return selectors.interview_history(user=self.request.user, topic=self.request.query_params.get("topic"))

    @extend_schema(parameters=[OpenApiParameter("topic", str, description="only interviews with a question "
                                                                          "of this topic (slug)")],
                   summary="My interviews, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=InterviewCreateSerializer, summary="Start an interview (questions are picked now)",
                   responses={201: InterviewDetailSerializer, 400: BAD_INPUT})
    def post(self, request):
        body = InterviewCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if "loop" in data:
            interview = services.interview_loop_create(user=request.user, **data)
        elif data["kind"] == Interview.Kind.QUESTIONS:
            data.pop("kind")
            interview = services.interview_create(user=request.user, **data)
        else:
            interview = services.interview_round_create(user=request.user, **data)
        return Response(_detail(interview), status=status.HTTP_201_CREATED)


class LoopListApi(APIView):
    """The interview loops one can start (POST /api/interviews/ with loop), as the set-up page offers them."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: LoopSerializer(many=True)}, summary="The interview loops",
                   description="Each loop's bilingual title, difficulty range, number of questions and topics "
                               "(weight and share of the questions). The weak spots round (loop weak-spots) is "
                               "the learner's own and not listed.")
    def get(self, request):
        return Response(LoopSerializer(selectors.loop_list(), many=True).data)


class InterviewDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: InterviewDetailSerializer, 404: NOT_YOURS},
                   summary="One interview; reference answers appear once answering is over")
    def get(self, request, interview_id):
        return Response(_detail(selectors.interview_get_or_404(user=request.user, interview_id=interview_id)))


class InterviewCurrentApi(APIView):
    """The server is the clock: the first call for a question starts its clock, later calls (a reload,
    another tab) get the same deadline. Questions whose time ran out are closed on the way."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: CurrentQuestionSerializer, 404: NOT_YOURS},
                   summary="Show the current question (starting its clock once)")
    def post(self, request, interview_id):
        interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
        item = services.interview_advance(interview=interview)
        interview.refresh_from_db()
        return Response(CurrentQuestionSerializer({
            "status": interview.status, "server_time": timezone.now(), "interview_deadline": interview.deadline,
            "item": item}).data)


class InterviewAnswerApi(APIView):
    """PATCH: the answer is one part of the interview, sent whole."""
    permission_classes = [IsAuthenticated]
    schema = WholeBodyPatchSchema()

    @extend_schema(request=AnswerSerializer, summary="Autosave an answer, or save it and move on",
                   responses={200: InterviewItemSerializer, 400: BAD_INPUT, 404: NOT_YOURS, 409: CONFLICT})
    def patch(self, request, interview_id):
        interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
        body = AnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sent = body.validated_data
        item = services.interview_answer_save(interview=interview, question_id=sent["question"],
                                              answer=sent["answer"], action=sent["action"],
                                              follow_up=sent["follow_up"])
        return Response(InterviewItemSerializer(item).data)


class InterviewEndApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: InterviewDetailSerializer, 404: NOT_YOURS},
                   summary="Stop answering now; unanswered questions are closed")
    def post(self, request, interview_id):
        interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
        interview = services.interview_end(interview=interview)
        return Response(_detail(interview))


class InterviewReviewApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReviewSerializer, summary="Finish the review: score and feed study",
                   description="Each asked question is rated in study (source=interview): score < 0.5 Again, "
                               "< 0.75 Hard, otherwise Good; a full score with a pass is Easy. A key point earns 1 "
                               "(covered), 0.5 (partly) or 0 (missed); the verdict is derived from the score "
                               "unless overridden. A follow-up, marked under its question (follow_up), is scored "
                               "the same way against its own key points, weighs half a question in the "
                               "interview's score and rates no card (its question rates it).",
                   responses={200: InterviewDetailSerializer, 400: BAD_INPUT, 404: NOT_YOURS, 409: CONFLICT})
    def post(self, request, interview_id):
        interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        interview = services.interview_review_finish(interview=interview, marks=body.validated_data["items"])
        return Response(_detail(interview))


class InterviewRetakeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, summary="A new interview with the same questions",
                   responses={201: InterviewDetailSerializer, 400: BAD_INPUT, 404: NOT_YOURS})
    def post(self, request, interview_id):
        original = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
        retaken = services.interview_retake(user=request.user, interview=original)
        return Response(_detail(retaken), status=status.HTTP_201_CREATED)
