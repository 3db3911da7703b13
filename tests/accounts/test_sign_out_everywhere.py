"""Signing out everywhere ends every session of the learner (other browsers too) and revokes every token."""

from __future__ import annotations

from django.test import Client

from quizapp.accounts.services import api_token_create
from tests.factories import PASSWORD


def signed_in(client) -> bool:
    return client.get("/accounts/password/").status_code == 200


def log_in(client) -> Client:
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    return client


def test_it_offers_to_sign_out_everywhere_on_the_password_page(alice_client):
    page = alice_client.get("/accounts/password/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'action="/accounts/sign-out-everywhere/"' in page and "Sign out everywhere" in page


def test_it_ends_the_sessions_of_other_browsers(alice, bob, api_client):
    laptop, phone, bobs = log_in(Client()), log_in(Client()), Client()
    bobs.force_login(bob)
    token = api_token_create(user=alice)[1]

    answer = laptop.post("/accounts/sign-out-everywhere/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert answer.redirect_chain[-1][0] == "/accounts/login/"
    assert "You are signed out on every device" in answer.content.decode()

    assert not signed_in(laptop) and not signed_in(phone)
    assert signed_in(bobs)  # nobody else's
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/study/settings/").status_code == 401


def test_it_lets_a_new_login_in_after_signing_out_everywhere(alice):
    laptop = log_in(Client())
    laptop.post("/accounts/sign-out-everywhere/")
    assert not signed_in(laptop)
    log_in(laptop)
    phone = log_in(Client())
    assert signed_in(laptop) and signed_in(phone)


def test_it_needs_a_post(alice_client):
    assert alice_client.get("/accounts/sign-out-everywhere/").status_code == 405
    assert signed_in(alice_client)
