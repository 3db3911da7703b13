"""The API of spoken answers: list, upload (multipart), play back (byte ranges) and delete a question's
recording. Someone else's interview or recording is a 404, as everywhere."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from questions.api import slug
from questions.models import Question
from quizapp.core.negotiation import FileNegotiation
from quizapp.core.parsers import BoundedMultiPartParser
from quizapp.core.ranges import ranged_response
from quizapp.interviews import recordings, selectors
from quizapp.interviews.api import BAD_INPUT, CONFLICT, NOT_YOURS
from quizapp.interviews.recordings import EXTENSIONS
from quizapp.interviews.serializers import RecordingListSerializer, RecordingSerializer, RecordingUploadSerializer

QUESTION_ID = OpenApiParameter("question_id", slug(Question._meta.get_field("card_id").max_length),
                               OpenApiParameter.PATH, description="the question's card ID")
FORM_ROOM = 64 * 1024  # the multipart form around the file: its boundaries and the `seconds` field


class RecordingUploadParser(BoundedMultiPartParser):
    """The recording's own limit, refused as a recording too large is (400 naming `audio`) before the body
    is read."""

    def refuse_too_large(self, request) -> None:
        limit = settings.ANSWER_RECORDING_MAX_BYTES
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + FORM_ROOM:
            raise ValidationError({"audio": [recordings.too_large_message(limit)]})


class RecordingListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RecordingListSerializer, 404: NOT_YOURS}, operation_id="interviews_recordings_list",
                   summary="The interview's spoken answers, and whether this site transcribes them")
    def get(self, request, interview_id):
        interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
        return Response(RecordingListSerializer({"transcription": recordings.transcription_status(),
                                                 "recordings": recordings.recordings_of(interview=interview)}).data)


class RecordingApi(APIView):
    """PUT: the question's spoken answer, in place of an earlier one. Accepted while the question is on the
    clock (until its deadline, with the answers' grace), never longer than its time."""

    permission_classes = [IsAuthenticated]
    parser_classes = [RecordingUploadParser, FormParser]

    @extend_schema(parameters=[QUESTION_ID], request={"multipart/form-data": RecordingUploadSerializer},
                   responses={201: RecordingSerializer, 400: BAD_INPUT, 404: NOT_YOURS, 409: CONFLICT},
                   summary="Record a spoken answer (replaces the question's earlier one)")
    def put(self, request, interview_id, question_id, follow_up=False):
        received_at = timezone.now()  # before the body is read: an upload begun on the clock is on time
        interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
        body = RecordingUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        limit = settings.ANSWER_RECORDING_MAX_BYTES
        recording = recordings.recording_save(interview=interview, question_id=question_id,
                                              audio=body.validated_data["audio"].read(limit + 1),
                                              seconds=body.validated_data["seconds"], received_at=received_at,
                                              follow_up=follow_up)
        return Response(RecordingSerializer(recording).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[QUESTION_ID], responses={200: RecordingSerializer, 404: NOT_YOURS},
                   summary="One spoken answer")
    def get(self, request, interview_id, question_id, follow_up=False):
        recording = recordings.recording_get_or_404(user=request.user, interview_id=interview_id,
                                                    question_id=question_id, follow_up=follow_up)
        return Response(RecordingSerializer(recording).data)

    @extend_schema(parameters=[QUESTION_ID], responses={204: None, 404: NOT_YOURS},
                   summary="Delete a spoken answer and its file")
    def delete(self, request, interview_id, question_id, follow_up=False):
        interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
        recordings.recording_delete(interview=interview, question_id=question_id, follow_up=follow_up)
        return Response(status=status.HTTP_204_NO_CONTENT)


AUDIO = {content_type: OpenApiTypes.BINARY for content_type in EXTENSIONS}


class RecordingAudioApi(APIView):
    permission_classes = [IsAuthenticated]
    content_negotiation_class = FileNegotiation  # a player asks for audio/*

    @extend_schema(parameters=[QUESTION_ID],
                   responses={**{(200, content_type): schema for content_type, schema in AUDIO.items()},
                              **{(206, content_type): schema for content_type, schema in AUDIO.items()},
                              404: NOT_YOURS, 416: OpenApiResponse(description="the range lies past the end")},
                   summary="Play a spoken answer: the audio, whole or the byte range asked for (Range)")
    def get(self, request, interview_id, question_id, follow_up=False):
        recording = recordings.recording_get_or_404(user=request.user, interview_id=interview_id,
                                                    question_id=question_id, follow_up=follow_up)
        response = ranged_response(request=request, size=recording.size, content_type=recording.content_type,
                                   read=lambda start, length: recordings.recording_read(recording, start, length))
        response["Cache-Control"] = "private, no-cache"
        return response
