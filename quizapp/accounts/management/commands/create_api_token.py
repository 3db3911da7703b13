from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from quizapp.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Make an API token for a user and print it (it is stored only as a digest: copy it now)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r}") from None
        token, key = api_token_create(user=user)
        self.stdout.write(key)
        self.stderr.write(f"expires {token.expiry.isoformat() if token.expiry else 'never'}")
