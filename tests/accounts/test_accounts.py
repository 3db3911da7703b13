import pytest
from django.contrib.auth import get_user_model

from tests.factories import PASSWORD


@pytest.mark.django_db
def test_it_signs_up_and_logs_the_user_in(client):
    response = client.post("/accounts/signup/", {"username": "carol", "password1": PASSWORD,
                                                 "password2": PASSWORD})
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="carol").exists()
    assert client.get("/").context["user"].username == "carol"


@pytest.mark.django_db
def test_it_lands_on_the_next_page_of_this_site_after_signing_up(client):
    response = client.post("/accounts/signup/?next=/study/", {"username": "carol", "password1": PASSWORD,
                                                               "password2": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/study/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/x", "javascript:alert(1)",
                                    "study:session"])
def test_it_lands_home_when_next_is_another_site_or_not_a_path(client, target):
    response = client.post(f"/accounts/signup/?next={target}", {"username": "carol", "password1": PASSWORD,
                                                                "password2": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"].username == "carol"


@pytest.mark.django_db
def test_it_refuses_mismatched_passwords_with_a_message(client):
    response = client.post("/accounts/signup/", {"username": "carol", "password1": PASSWORD,
                                                 "password2": PASSWORD + "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert not get_user_model().objects.filter(username="carol").exists()


def test_it_logs_in_and_out(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == alice
    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_it_changes_the_password(alice_client, alice):
    response = alice_client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "a-brand-new-pass-42", "new_password2": "a-brand-new-pass-42"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a-brand-new-pass-42")


def test_it_asks_for_a_login_before_a_password_change(client, db):
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(("sent", "kept"), [("Europe/Berlin", "Europe/Berlin"), ("Mars/Olympus", "Asia/Shanghai"),
                                            ("", "Asia/Shanghai")])
def test_it_starts_the_study_day_in_the_browsers_time_zone(client, sent, kept):
    client.post("/accounts/signup/", {"username": "carol", "password1": PASSWORD, "password2": PASSWORD,
                                      "timezone": sent})
    assert client.get("/study/settings/").context["form"]["timezone"].value() == kept
