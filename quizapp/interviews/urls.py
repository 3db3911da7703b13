from django.urls import path

from quizapp.interviews import views

app_name = "interviews"
urlpatterns = [
    path("", views.index, name="index"),
    path("history/", views.history, name="history"),
    path("<uuid:interview_id>/", views.answer, name="answer"),
    path("<uuid:interview_id>/answer/", views.answer_submit, name="answer-submit"),
    path("<uuid:interview_id>/end/", views.end, name="end"),
    path("<uuid:interview_id>/review/", views.review, name="review"),
    path("<uuid:interview_id>/results/", views.results, name="results"),
    path("<uuid:interview_id>/retake/", views.retake, name="retake"),
    path("<uuid:interview_id>/study-missed/", views.study_missed, name="study-missed"),
]
