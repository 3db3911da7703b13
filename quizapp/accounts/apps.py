from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "quizapp.accounts"
    label = "accounts"

    def ready(self):
        from quizapp.accounts import checks, signals  # noqa: F401  (registers the check, connects the receivers)
