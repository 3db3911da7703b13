from django.urls import path

from quizapp.interviews import api, recording_api

urlpatterns = [
    path("", api.InterviewListApi.as_view(), name="api-interview-list"),
    path("loops/", api.LoopListApi.as_view(), name="api-interview-loops"),
    path("<uuid:interview_id>/", api.InterviewDetailApi.as_view(), name="api-interview-detail"),
    path("<uuid:interview_id>/current/", api.InterviewCurrentApi.as_view(), name="api-interview-current"),
    path("<uuid:interview_id>/answer/", api.InterviewAnswerApi.as_view(), name="api-interview-answer"),
    path("<uuid:interview_id>/end/", api.InterviewEndApi.as_view(), name="api-interview-end"),
    path("<uuid:interview_id>/review/", api.InterviewReviewApi.as_view(), name="api-interview-review"),
    path("<uuid:interview_id>/retake/", api.InterviewRetakeApi.as_view(), name="api-interview-retake"),
    path("<uuid:interview_id>/recordings/", recording_api.RecordingListApi.as_view(), name="api-interview-recordings"),
    path("<uuid:interview_id>/recordings/<slug:question_id>/", recording_api.RecordingApi.as_view(),
         name="api-interview-recording"),
    path("<uuid:interview_id>/recordings/<slug:question_id>/audio/", recording_api.RecordingAudioApi.as_view(),
         name="api-interview-recording-audio"),
    # A follow-up asks about its question's card: its own recording sits under the card's follow-up/.
    path("<uuid:interview_id>/recordings/<slug:question_id>/follow-up/", recording_api.RecordingApi.as_view(),
         {"follow_up": True}, name="api-interview-follow-up-recording"),
    path("<uuid:interview_id>/recordings/<slug:question_id>/follow-up/audio/",
         recording_api.RecordingAudioApi.as_view(), {"follow_up": True},
         name="api-interview-follow-up-recording-audio"),
]
