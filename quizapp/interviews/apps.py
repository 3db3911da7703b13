from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "quizapp.interviews"
    label = "interviews"
