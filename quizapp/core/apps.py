from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "quizapp.core"
    label = "core"
