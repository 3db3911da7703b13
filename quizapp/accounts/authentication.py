"""API token authentication with the lookup as one plain statement.

It runs before every API request. DRF's version builds an ORM query (select_related, get) that
cost more CPU than the rest of a small request; this one reads the token's user in one statement,
which psycopg prepares on PostgreSQL, and answers exactly as DRF does.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from quizapp.core.rows import instance_from_row


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str):
        User = get_user_model()
        names = [field.attname for field in User._meta.concrete_fields]
        columns = ", ".join(f"u.{connection.ops.quote_name(field.column)}" for field in User._meta.concrete_fields)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT t.created, {columns} FROM {Token._meta.db_table} t "
                           f"JOIN {User._meta.db_table} u ON u.{User._meta.pk.column} = t.user_id WHERE t.key = %s",
                           [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = instance_from_row(User, names, row[1:])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = instance_from_row(Token, ["key", "user_id", "created"], [key, user.pk, row[0]])
        token.user = user
        return (user, token)
