"""A newcomer signs up, logs out and in, switches language and finds the navigation."""

import pytest
from django.contrib.auth import get_user_model

from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_it_signs_up_logs_in_and_switches_language(page, screenshot, transactional_db):
    page.goto("/accounts/signup/")
    page.fill("#id_username", "dora")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.press("#id_password2", "Enter")
    page.wait_for_url(lambda url: "/signup/" not in url)
    assert get_user_model().objects.filter(username="dora").exists()
    assert page.locator(".tools .user").inner_text() == "dora"

    page.click("text=Log out") if page.locator("text=Log out").count() else page.click("text=退出")
    log_in(page, "dora")

    page.click(".lang-switch button[value=en]")
    nav = page.locator("#main-nav")
    for label in ["Study", "Interview", "Questions", "Demos", "Stats"]:
        assert nav.get_by_role("link", name=label).is_visible()
    screenshot("foundation-en")

    page.click(".lang-switch button[value=zh-hans]")
    for label in ["学习", "面试", "题库", "演示", "统计"]:
        assert nav.get_by_role("link", name=label).is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    screenshot("foundation-zh")


def test_it_fits_the_layout_to_a_phone(page, screenshot, transactional_db):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    assert not page.locator("#main-nav").is_visible()  # folded behind the menu button
    page.click(".menu-toggle")
    assert page.locator("#main-nav").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    screenshot("foundation-phone")


def test_it_takes_the_time_zone_from_the_browser_at_sign_up(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url, timezone_id="America/New_York", locale="en-US")
    page = context.new_page()
    page.goto("/accounts/signup/")
    page.fill("#id_username", "erin")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.press("#id_password2", "Enter")
    page.wait_for_url(lambda url: "/signup/" not in url)
    assert get_user_model().objects.get(username="erin").study_settings.timezone == "America/New_York"
    page.goto("/study/settings/")
    assert page.locator("#id_timezone").input_value() == "America/New_York"
    context.close()
