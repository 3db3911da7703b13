from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "quizapp.accounts"
    label = "accounts"

    def ready(self):
        from quizapp.accounts import signals  # noqa: F401  (connects the receivers)
