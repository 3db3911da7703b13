from django.urls import path

from quizapp.interviews import api

urlpatterns = [
    path("", api.InterviewListApi.as_view(), name="api-interview-list"),
    path("loops/", api.LoopListApi.as_view(), name="api-interview-loops"),
    path("<uuid:interview_id>/", api.InterviewDetailApi.as_view(), name="api-interview-detail"),
    path("<uuid:interview_id>/current/", api.InterviewCurrentApi.as_view(), name="api-interview-current"),
    path("<uuid:interview_id>/answer/", api.InterviewAnswerApi.as_view(), name="api-interview-answer"),
    path("<uuid:interview_id>/end/", api.InterviewEndApi.as_view(), name="api-interview-end"),
    path("<uuid:interview_id>/review/", api.InterviewReviewApi.as_view(), name="api-interview-review"),
    path("<uuid:interview_id>/retake/", api.InterviewRetakeApi.as_view(), name="api-interview-retake"),
]
