"""Two browsers of one learner: signing out everywhere in one ends the other's session too; a
forgotten password is reset from the login page through the mailed link."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def second_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_it_signs_out_every_browser(page, second_page, screenshot, transactional_db, alice):
    log_in(page, "alice")
    log_in(second_page, "alice")
    page.goto("/accounts/password/")
    screenshot("sign-out-everywhere")
    page.get_by_role("button", name="Sign out everywhere").click()
    page.wait_for_url(lambda url: "/accounts/login/" in url)
    assert "signed out on every device" in page.content()

    second_page.goto("/accounts/password/")
    assert "/accounts/login/" in second_page.url  # the other browser must log in again


def test_it_resets_a_forgotten_password_from_the_login_page(page, transactional_db, alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("#id_email", "alice@example.org")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url(lambda url: "/reset/sent/" in url)

    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.fill("#id_new_password1", "a-brand-new-pass-42")
    page.fill("#id_new_password2", "a-brand-new-pass-42")
    page.get_by_role("button", name="Set the new password").click()
    page.wait_for_url(lambda url: "/reset/done/" in url)
    log_in(page, "alice", "a-brand-new-pass-42")
    assert page.locator(".tools .user").inner_text() == "alice"
