"""Login lockout (django-axes): after AXES_FAILURE_LIMIT failures for one username, or from one
address, even the right password is refused with a message (429) until the cool-off has passed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


def log_in(client, path: str, username: str, password: str, address: str):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address,
                       HTTP_ACCEPT_LANGUAGE="en")


def fail_often(client, path: str, *, usernames: list[str], addresses: list[str]) -> None:
    """Failed logins; the one that reaches the limit is already answered with the lockout."""
    statuses = [log_in(client, path, username, "wrong-password", address).status_code
                for username, address in zip(usernames, addresses, strict=True)]
    assert statuses[:-1] == [200] * (len(statuses) - 1)


def logged_in(response) -> bool:
    return response.status_code == 302


@pytest.fixture
def staff_alice(alice):
    alice.is_staff = True
    alice.save()
    return alice


@pytest.mark.parametrize("path", LOGIN_PAGES)
def test_it_locks_an_account_guessed_from_many_addresses(client, staff_alice, path):
    limit = settings.AXES_FAILURE_LIMIT
    fail_often(client, path, usernames=["alice"] * limit, addresses=[f"10.0.0.{n}" for n in range(limit)])
    refused = log_in(client, path, "alice", PASSWORD, "10.0.1.1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    page = refused.content.decode()
    assert "Too many failed logins for this account or from this address" in page
    assert 'href="/accounts/password/reset/"' in page and "<nav" in page  # in the site's layout
    assert not refused.wsgi_request.user.is_authenticated


def test_it_locks_an_address_that_guesses_many_accounts(client, alice, bob):
    limit = settings.AXES_FAILURE_LIMIT
    fail_often(client, "/accounts/login/", usernames=[f"user{n}" for n in range(limit)], addresses=["10.0.0.9"] * limit)
    assert log_in(client, "/accounts/login/", "alice", PASSWORD, "10.0.0.9").status_code == 429
    assert logged_in(log_in(client, "/accounts/login/", "bob", PASSWORD, "10.0.0.10"))  # from elsewhere


def test_it_locks_nothing_under_the_limit(client, alice):
    limit = settings.AXES_FAILURE_LIMIT
    fail_often(client, "/accounts/login/", usernames=["alice"] * (limit - 1), addresses=["10.0.0.9"] * (limit - 1))
    assert logged_in(log_in(client, "/accounts/login/", "alice", PASSWORD, "10.0.0.9"))


def test_it_keeps_counting_when_the_guesser_logs_into_its_own_account(client, alice, bob):
    limit = settings.AXES_FAILURE_LIMIT
    fail_often(client, "/accounts/login/", usernames=["alice"] * (limit - 1), addresses=["10.0.0.9"] * (limit - 1))
    assert logged_in(log_in(Client(), "/accounts/login/", "bob", PASSWORD, "10.0.0.9"))
    log_in(client, "/accounts/login/", "alice", "wrong-password", "10.0.0.9")
    assert log_in(client, "/accounts/login/", "alice", PASSWORD, "10.0.0.9").status_code == 429


def test_it_unlocks_after_the_cool_off(client, alice):
    limit = settings.AXES_FAILURE_LIMIT
    fail_often(client, "/accounts/login/", usernames=["alice"] * limit, addresses=["10.0.0.9"] * limit)
    assert log_in(client, "/accounts/login/", "alice", PASSWORD, "10.0.0.9").status_code == 429
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)):
        assert logged_in(log_in(client, "/accounts/login/", "alice", PASSWORD, "10.0.0.9"))


def test_it_translates_the_lockout_message(client, alice):
    limit = settings.AXES_FAILURE_LIMIT
    fail_often(client, "/accounts/login/", usernames=["alice"] * limit, addresses=["10.0.0.9"] * limit)
    refused = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9",
                          HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 429 and "登录失败次数过多" in refused.content.decode()


def test_it_locks_the_api_token_login_too(api_client, alice):
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [api_client.post("/api/auth/login/", {"username": "alice", "password": "wrong"}, format="json",
                                REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(limit)]
    assert statuses == [400] * (limit - 1) + [429]
    refused = api_client.post("/api/auth/login/", {"username": "alice", "password": PASSWORD}, format="json",
                              REMOTE_ADDR="10.0.1.1", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and "token" not in refused.json()
    assert refused.json()["detail"].startswith("Too many failed logins") and refused["Retry-After"]


def test_it_counts_api_failures_toward_the_site_login(client, api_client, alice):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        api_client.post("/api/auth/login/", {"username": "alice", "password": "wrong"}, format="json")
    assert log_in(client, "/accounts/login/", "alice", PASSWORD, "10.0.1.1").status_code == 429


def test_it_ignores_a_forwarded_address_unless_proxies_are_trusted(client, alice, settings):
    limit = settings.AXES_FAILURE_LIMIT
    # A client behind no proxy writes X-Forwarded-For itself: new values must not give it new addresses.
    for n in range(limit):
        client.post("/accounts/login/", {"username": f"user{n}", "password": "x"}, REMOTE_ADDR="10.0.0.9",
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert log_in(client, "/accounts/login/", "alice", PASSWORD, "10.0.0.9").status_code == 429


def test_it_locks_the_forwarded_address_behind_a_trusted_proxy(client, alice, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    limit = settings.AXES_FAILURE_LIMIT
    for n in range(limit):  # one client guessing through the proxy at 10.0.0.1
        client.post("/accounts/login/", {"username": f"user{n}", "password": "x"}, REMOTE_ADDR="10.0.0.1",
                    HTTP_X_FORWARDED_FOR="192.0.2.7")
    another_client = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD},
                                   REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.8")
    assert logged_in(another_client)
    guesser = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD},
                          REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.7")
    assert guesser.status_code == 429
