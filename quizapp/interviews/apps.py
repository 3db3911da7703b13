from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "quizapp.interviews"
    label = "interviews"

    def ready(self):
        from quizapp.interviews import recordings  # noqa: F401 - its receiver removes a deleted recording's file
