"""API token authentication with the lookup as one plain statement.

It runs before every API request. DRF's version builds an ORM query (select_related, get) that
cost more CPU than the rest of a small request; this one reads the token's user in one statement,
which psycopg prepares on PostgreSQL, and answers exactly as DRF does.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from quizapp.core.rows import instance_from_row


@cache
def _user_by_token(vendor: str) -> tuple[str, list[str]]:
    """The statement reading a token's creation time and its user's columns, and their attnames."""
    User = get_user_model()
    fields = User._meta.concrete_fields
    columns = ", ".join(f"u.{connection.ops.quote_name(field.column)}" for field in fields)
    sql = (f"SELECT t.created, {columns} FROM {Token._meta.db_table} t "
           f"JOIN {User._meta.db_table} u ON u.{User._meta.pk.column} = t.user_id WHERE t.key = %s")
    return sql, [field.attname for field in fields]


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str):
        sql, names = _user_by_token(connection.vendor)
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = instance_from_row(get_user_model(), names, row[1:])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = instance_from_row(Token, ["key", "user_id", "created"], [key, user.pk, row[0]])
        token.user = user
        return (user, token)
