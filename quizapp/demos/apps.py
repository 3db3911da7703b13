from django.apps import AppConfig


class DemosConfig(AppConfig):
    name = "quizapp.demos"
    label = "demos"
