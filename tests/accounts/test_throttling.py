"""Rate limits: every API per anonymous address and per learner, the token login per address, and
new accounts per address. Past the rate: 429, Retry-After and a message."""

from __future__ import annotations

import pytest
import yaml
from django.contrib.auth import get_user_model

from tests.factories import PASSWORD


def statuses(client, path: str, times: int, **extra) -> list[int]:
    return [client.get(path, HTTP_ACCEPT_LANGUAGE="en", **extra).status_code for _ in range(times)]


@pytest.mark.django_db
def test_it_throttles_an_anonymous_address_on_the_api(api_client, throttle_rates):
    throttle_rates["anon"] = "3/min"
    assert statuses(api_client, "/api/topics/", 3) == [200, 200, 200]
    refused = api_client.get("/api/demos/", HTTP_ACCEPT_LANGUAGE="en")  # any API: one budget per address
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["detail"].startswith("Request was throttled.")
    assert statuses(api_client, "/api/topics/", 1, REMOTE_ADDR="10.0.0.2") == [200]  # another address


def test_it_throttles_a_learner_on_the_api_wherever_they_call_from(alice_api, bob_api, throttle_rates):
    throttle_rates["user"] = "2/min"
    assert statuses(alice_api, "/api/study/settings/", 2) == [200, 200]
    assert statuses(alice_api, "/api/study/settings/", 1, REMOTE_ADDR="10.0.0.2") == [429]
    assert statuses(bob_api, "/api/study/settings/", 1) == [200]


def test_it_gives_the_token_login_its_own_tighter_rate(api_client, alice, throttle_rates):
    throttle_rates["token_login"] = "2/min"
    body = {"username": "alice", "password": PASSWORD}
    answers = [api_client.post("/api/auth/login/", body, format="json").status_code for _ in range(3)]
    assert answers == [200, 200, 429]


@pytest.mark.django_db
def test_it_throttles_sign_ups_per_address(client, throttle_rates):
    throttle_rates["signup"] = "2/hour"
    for name in ("carol", "dave"):
        assert client.post("/accounts/signup/", {"username": name, "password1": PASSWORD, "password2": PASSWORD},
                           REMOTE_ADDR="10.0.0.9").status_code == 302
        client.post("/accounts/logout/")
    refused = client.post("/accounts/signup/", {"username": "erin", "password1": PASSWORD, "password2": PASSWORD},
                          REMOTE_ADDR="10.0.0.9", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many new accounts from your address" in refused.content.decode()
    assert not get_user_model().objects.filter(username="erin").exists()
    assert client.post("/accounts/signup/", {"username": "erin", "password1": PASSWORD, "password2": PASSWORD},
                       REMOTE_ADDR="10.0.0.10").status_code == 302


@pytest.mark.django_db
def test_it_does_not_count_a_refused_sign_up_form(client, throttle_rates):
    throttle_rates["signup"] = "1/hour"
    for _ in range(3):
        assert client.post("/accounts/signup/", {"username": "carol", "password1": PASSWORD,
                                                 "password2": "mismatch"}).status_code == 200
    assert client.post("/accounts/signup/", {"username": "carol", "password1": PASSWORD,
                                             "password2": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_it_documents_429_on_every_operation(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "429" in operation["responses"], f"{method.upper()} {path}"
