"""`Authorization: Token <key>` for the API: django-rest-knox's scheme, refusing a key that cannot be one.

knox 5.1 decodes the key as UTF-8 without catching the error, so bytes that are not UTF-8 (gunicorn
passes them through) answered 500; and it looks any string up in the database. A key that is not
knox's shape (TOKEN_PREFIX, then AUTH_TOKEN_CHARACTER_LENGTH hexadecimal digits) is refused here
with a 401 and the challenge, before any query."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.settings import knox_settings
from rest_framework.exceptions import AuthenticationFailed


class KnoxTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        if not looks_like_a_key(token):
            raise AuthenticationFailed(_("Invalid token."))  # knox's own message for a key it does not know
        return super().authenticate_credentials(token)


def looks_like_a_key(token: bytes) -> bool:
    """Whether `token` has the shape of a key knox makes (crypto.create_token_string: lowercase hex)."""
    try:
        key = token.decode("ascii")
    except UnicodeDecodeError:
        return False
    digits = knox_settings.AUTH_TOKEN_CHARACTER_LENGTH
    return re.fullmatch(rf"{re.escape(knox_settings.TOKEN_PREFIX)}[0-9a-f]{{{digits}}}", key) is not None


class KnoxTokenAuthenticationScheme(KnoxTokenScheme):
    """The schema names this class's security scheme as it did knox's (drf-spectacular matches exact classes)."""

    target_class = "quizapp.accounts.authentication.KnoxTokenAuthentication"
