"""API tokens (Authorization: Token <key>): our lookup must answer as DRF's own would."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token


@pytest.fixture
def alice_token(alice):
    return Token.objects.create(user=alice).key


def test_a_token_identifies_its_learner(api_client, alice, alice_token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {alice_token}")
    settings = api_client.get("/api/study/settings/")
    assert settings.status_code == 200
    assert api_client.patch("/api/study/settings/", {"new_cards_per_day": 7}, format="json").status_code == 200
    assert alice.study_settings.new_cards_per_day == 7


@pytest.mark.parametrize(("header", "detail"), [
    ("Token not-a-real-key", "Invalid token."),
    ("Token", "Invalid token header. No credentials provided."),
    ("Token two words", "Invalid token header. Token string should not contain spaces."),
])
def test_a_bad_token_is_refused_with_drfs_message(api_client, alice_token, header, detail):
    api_client.credentials(HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en")
    refused = api_client.get("/api/study/settings/")
    assert refused.status_code == 401 and refused.json()["detail"] == detail
    assert refused["WWW-Authenticate"] == "Token"


def test_an_anonymous_api_request_is_challenged_for_a_token(api_client):
    refused = api_client.get("/api/study/queue/")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"


def test_an_inactive_learners_token_is_refused(api_client, alice, alice_token):
    alice.is_active = False
    alice.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {alice_token}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    refused = api_client.get("/api/study/settings/")
    assert refused.status_code == 401 and refused.json()["detail"] == "用户未激活或者已删除。"  # DRF's own catalogue


def test_the_authenticated_user_is_a_complete_user(alice, alice_token):
    from quizapp.accounts.authentication import TokenAuthentication

    user, token = TokenAuthentication().authenticate_credentials(alice_token)
    assert (user.pk, user.username, user.email, user.is_active) == (alice.pk, "alice", "alice@example.org", True)
    assert user.check_password("x") is False and user.password == alice.password
    assert (token.key, token.user_id, token.created) == (alice_token, alice.pk, Token.objects.get().created)
