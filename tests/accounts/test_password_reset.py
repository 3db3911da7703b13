"""Password reset by e-mail: ask on the login page, get a link, set a new password; the old one is done."""

from __future__ import annotations

import re

from django.core import mail

from quizapp.accounts.services import api_token_create
from tests.factories import PASSWORD

NEW_PASSWORD = "a-brand-new-pass-42"


def ask_for_a_link(client, email: str):
    return client.post("/accounts/password/reset/", {"email": email}, HTTP_ACCEPT_LANGUAGE="en")


def reset_by_mail(client, email: str, new_password: str) -> str:
    """Asks for a link, follows it from the mail and sets `new_password`; returns the link."""
    ask_for_a_link(client, email)
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", mail.outbox[-1].body).group(1)
    form = client.get(link, follow=True)  # Django swaps the token for a session key, then shows the form
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/done/"
    return link


def test_it_links_the_reset_from_the_login_page(client, db):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/accounts/password/reset/"' in page and "Forgot your password?" in page


def test_it_resets_a_forgotten_password_by_email(client, api_client, alice, bob):
    token = api_token_create(user=alice)[1]
    asked = ask_for_a_link(client, "alice@example.org")
    assert asked.status_code == 302 and asked["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.org"]
    body = mail.outbox[0].body
    assert "alice" in body
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", body).group(1)

    form = client.get(link, follow=True)  # Django swaps the token for a session key, then shows the form
    assert form.status_code == 200 and form.context["validlink"]
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/done/"

    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 200
    assert client.post("/accounts/login/", {"username": "alice", "password": NEW_PASSWORD}).status_code == 302
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/study/settings/").status_code == 401  # the reset revoked the tokens
    assert client.get(link, follow=True).context["validlink"] is False  # the link works once


def test_it_lifts_a_lockout_when_the_password_is_reset(client, alice, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for n in range(limit):  # someone guesses alice's password from many addresses: her account locks
        client.post("/accounts/login/", {"username": "alice", "password": "guess"}, REMOTE_ADDR=f"10.0.0.{n}")
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 429

    reset_by_mail(client, "alice@example.org", NEW_PASSWORD)  # what the lockout page tells her to do
    assert client.post("/accounts/login/", {"username": "alice", "password": NEW_PASSWORD},
                       REMOTE_ADDR="10.0.1.1").status_code == 302


def test_it_sends_nothing_for_an_unknown_address_and_says_the_same(client, alice):
    asked = ask_for_a_link(client, "nobody@example.org")
    assert asked.status_code == 302 and asked["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_it_mails_the_link_in_the_learners_language(client, alice):
    client.post("/accounts/password/reset/", {"email": "alice@example.org"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "重置" in mail.outbox[0].subject


def test_it_asks_for_an_email_address_at_sign_up_for_resets(client, db):
    page = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="email"' in page
    client.post("/accounts/signup/", {"username": "carol", "email": "carol@example.org",
                                      "password1": PASSWORD, "password2": PASSWORD})
    client.post("/accounts/logout/")
    ask_for_a_link(client, "carol@example.org")
    assert mail.outbox[0].to == ["carol@example.org"]


def test_it_limits_the_reset_mails_one_address_may_ask_for(client, alice, throttle_rates):
    throttle_rates["password_reset"] = "2/hour"
    for _ in range(2):
        assert client.post("/accounts/password/reset/", {"email": "alice@example.org"},
                           REMOTE_ADDR="10.0.0.7").status_code == 302
    refused = client.post("/accounts/password/reset/", {"email": "alice@example.org"},
                          REMOTE_ADDR="10.0.0.7", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many password reset requests from your address" in refused.content.decode()
    assert len(mail.outbox) == 2
    assert client.post("/accounts/password/reset/", {"email": "alice@example.org"},
                       REMOTE_ADDR="10.0.0.8").status_code == 302
    assert len(mail.outbox) == 3
