"""Writes for accounts: API tokens (django-rest-knox keeps only their digest) and signing out everywhere."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from knox.models import AuthToken

from quizapp.accounts.models import SignOut


def api_token_create(*, user: AbstractBaseUser) -> tuple[AuthToken, str]:
    """A new token for `user`, expiring after REST_KNOX's TOKEN_TTL; the key is shown this once."""
    return AuthToken.objects.create(user=user)


def api_tokens_revoke(*, user: AbstractBaseUser) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def account_sign_out_everywhere(*, user: AbstractBaseUser) -> None:
    """Ends every session of `user` (the middleware compares this time with each session's login)
    and revokes every API token."""
    SignOut.objects.update_or_create(user=user, defaults={"everywhere_at": timezone.now()})
    api_tokens_revoke(user=user)
