"""API tokens (django-rest-knox): `Authorization: Token <key>`, stored as a digest, expiring, revoked by
a logout, a password change and signing out everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken

from quizapp.accounts.services import api_token_create
from tests.factories import PASSWORD


class FewerIterationsHasher(PBKDF2PasswordHasher):
    """Django's hasher with another iteration count: a login re-hashes a password hashed otherwise."""

    iterations = 1000


@pytest.fixture
def alice_token(alice):
    return api_token_create(user=alice)[1]


def works(api_client, key: str) -> bool:
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")
    answer = api_client.get("/api/study/settings/")
    assert answer.status_code in (200, 401)
    return answer.status_code == 200


def test_it_identifies_the_learner_by_a_token(api_client, alice, alice_token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {alice_token}")
    assert api_client.get("/api/study/settings/").status_code == 200
    assert api_client.patch("/api/study/settings/", {"new_cards_per_day": 7}, format="json").status_code == 200
    assert alice.study_settings.new_cards_per_day == 7


@pytest.mark.parametrize(("header", "detail"), [
    ("Token not-a-real-key", "Invalid token."),
    ("Token", "Invalid token header. No credentials provided."),
    ("Token two words", "Invalid token header. Token string should not contain spaces."),
])
def test_it_refuses_a_bad_token_with_a_challenge(api_client, alice_token, header, detail):
    api_client.credentials(HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en")
    refused = api_client.get("/api/study/settings/")
    assert refused.status_code == 401 and refused.json()["detail"] == detail
    assert refused["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("key", [
    "\xff\xfe",  # bytes that are not UTF-8, as gunicorn passes them on (WSGI headers are latin-1)
    "a" * 10_000,  # longer than any key
    "0123456789abcdef" * 4 + "\u00e9",  # a real key's length and digits, then a byte outside them
])
@pytest.mark.parametrize("path", ["/api/study/settings/", "/api/auth/logout/", "/api/auth/logoutall/"])
def test_it_refuses_a_key_that_cannot_be_a_token_before_any_query(client, alice_token, django_assert_num_queries,
                                                                 key, path):
    with django_assert_num_queries(0):
        refused = client.post(path, HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 401 and refused.json()["detail"] == "Invalid token."
    assert refused["WWW-Authenticate"] == "Token"


def test_it_challenges_an_anonymous_api_request_for_a_token(api_client, db):
    refused = api_client.get("/api/study/queue/")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"


def test_it_refuses_an_inactive_learners_token_in_their_language(api_client, alice, alice_token):
    alice.is_active = False
    alice.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {alice_token}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    refused = api_client.get("/api/study/settings/")
    assert refused.status_code == 401 and refused.json()["detail"] == "用户未激活或者已删除。"


def test_it_logs_in_for_a_token_that_expires(api_client, alice):
    answer = api_client.post("/api/auth/login/", {"username": "alice", "password": PASSWORD}, format="json")
    assert answer.status_code == 200
    expiry = timezone.datetime.fromisoformat(answer.json()["expiry"])
    assert abs(expiry - (timezone.now() + timedelta(hours=240))) < timedelta(minutes=1)
    assert works(api_client, answer.json()["token"])
    assert "sessionid" not in answer.cookies  # a token login starts no session


def test_it_refuses_a_token_login_with_a_wrong_password(api_client, alice):
    answer = api_client.post("/api/auth/login/", {"username": "alice", "password": "nope"}, format="json",
                             HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert answer.json() == {"non_field_errors": ["Wrong username or password."]}


def test_it_stores_only_a_digest_of_the_token(alice, alice_token):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        stored = [str(value) for value in cursor.fetchone()]
    assert not any(alice_token in value for value in stored)
    assert len(alice_token) == 64 and any(len(value) == 128 for value in stored)  # the SHA-512 digest


def test_it_stops_a_token_when_it_expires(api_client, alice, alice_token):
    assert works(api_client, alice_token)
    with time_machine.travel(timezone.now() + timedelta(hours=239)):
        assert works(api_client, alice_token)
    with time_machine.travel(timezone.now() + timedelta(hours=241)):
        assert not works(api_client, alice_token)
    assert not AuthToken.objects.exists()  # and it is gone from the table


def test_it_revokes_only_that_token_on_logout(api_client, alice, alice_token):
    other = api_token_create(user=alice)[1]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {alice_token}")
    assert api_client.post("/api/auth/logout/").status_code == 204
    assert not works(api_client, alice_token)
    assert works(api_client, other)


def test_it_revokes_every_token_of_the_learner_on_logoutall(api_client, alice, bob, alice_token):
    other = api_token_create(user=alice)[1]
    bobs = api_token_create(user=bob)[1]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {alice_token}")
    assert api_client.post("/api/auth/logoutall/").status_code == 204
    assert not works(api_client, alice_token) and not works(api_client, other)
    assert works(api_client, bobs)


def test_it_revokes_the_tokens_when_the_password_changes(api_client, alice_client, alice, bob, alice_token):
    bobs = api_token_create(user=bob)[1]
    changed = alice_client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "a-brand-new-pass-42", "new_password2": "a-brand-new-pass-42"})
    assert changed.status_code == 302
    assert not works(api_client, alice_token)
    assert works(api_client, bobs)


def test_it_revokes_the_tokens_when_an_admin_sets_a_password(api_client, client, alice, alice_token, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", PASSWORD)
    client.force_login(admin)
    changed = client.post(f"/admin/auth/user/{alice.pk}/password/",
                          {"password1": "a-brand-new-pass-42", "password2": "a-brand-new-pass-42",
                           "usable_password": "true"})
    assert changed.status_code == 302
    assert not works(api_client, alice_token)


def test_it_keeps_the_tokens_when_a_login_rehashes_the_password(api_client, alice, alice_token, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.FewerIterationsHasher"]
    answer = api_client.post("/api/auth/login/", {"username": "alice", "password": PASSWORD}, format="json")
    assert answer.status_code == 200
    alice.refresh_from_db()
    assert alice.password.startswith("pbkdf2_sha256$1000$")  # Django upgraded the hash on login
    assert works(api_client, alice_token) and works(api_client, answer.json()["token"])

    alice.set_password("a-brand-new-pass-42")  # a real change still revokes them
    alice.save()
    assert not works(api_client, alice_token) and not works(api_client, answer.json()["token"])


def test_it_revokes_the_tokens_when_an_admin_disables_the_password(api_client, client, alice, alice_token,
                                                                   django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", PASSWORD)
    client.force_login(admin)
    changed = client.post(f"/admin/auth/user/{alice.pk}/password/",
                          {"usable_password": "false", "unset-password": "1"})
    alice.refresh_from_db()
    assert changed.status_code == 302 and not alice.has_usable_password()
    assert not works(api_client, alice_token)


def test_it_revokes_the_oldest_tokens_past_the_limit_per_learner(api_client, alice, bob, settings):
    settings.API_TOKENS_PER_USER = 3
    bobs = api_token_create(user=bob)[1]
    keys = []
    for _ in range(5):  # a script that logs in on every run and never logs out
        answer = api_client.post("/api/auth/login/", {"username": "alice", "password": PASSWORD}, format="json")
        assert answer.status_code == 200
        keys.append(answer.json()["token"])
    assert [works(api_client, key) for key in keys] == [False, False, True, True, True]
    assert AuthToken.objects.filter(user=alice).count() == 3
    assert works(api_client, bobs)  # nobody else's


def test_it_keeps_the_tokens_when_a_save_leaves_the_password(api_client, alice, alice_token):
    alice.email = "alice@example.com"
    alice.save()
    assert works(api_client, alice_token)


def test_it_prints_a_working_token_from_the_management_command(api_client, alice, capsys):
    call_command("create_api_token", "alice")
    key = capsys.readouterr().out.strip()
    assert works(api_client, key)


def test_it_drops_the_old_table_of_plain_text_tokens(transactional_db):
    with connection.cursor() as cursor:  # as rest_framework.authtoken left it on a deployed database
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef', CURRENT_TIMESTAMP, 1)")
    call_command("migrate", "accounts", "0001", verbosity=0)
    call_command("migrate", "accounts", verbosity=0)
    assert "authtoken_token" not in connection.introspection.table_names()
