"""Writes for accounts: API tokens (django-rest-knox keeps only their digest), signing out everywhere and
clearing a lockout."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from knox.models import AuthToken

from quizapp.accounts.models import SignOut


def api_token_create(*, user: AbstractBaseUser) -> tuple[AuthToken, str]:
    """A new token for `user`, expiring after REST_KNOX's TOKEN_TTL; the key is shown this once. The
    learner keeps at most API_TOKENS_PER_USER tokens: the oldest beyond that are revoked."""
    token, key = AuthToken.objects.create(user=user)
    others = AuthToken.objects.filter(user=user).exclude(pk=token.pk).order_by("-created")
    surplus = list(others.values_list("pk", flat=True)[settings.API_TOKENS_PER_USER - 1:])
    if surplus:
        AuthToken.objects.filter(pk__in=surplus).delete()
    return token, key


def api_tokens_revoke(*, user: AbstractBaseUser) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def account_sign_out_everywhere(*, user: AbstractBaseUser) -> None:
    """Ends every session of `user` (the middleware compares this time with each session's login)
    and revokes every API token."""
    SignOut.objects.update_or_create(user=user, defaults={"everywhere_at": timezone.now()})
    api_tokens_revoke(user=user)


def account_lockout_clear(*, username: str) -> None:
    """Forgets the failed logins for `username` (django-axes): whoever just set a new password by mail
    owns the account, and the lockout page tells them to do exactly that."""
    axes_reset(username=username)
