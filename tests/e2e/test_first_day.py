"""The first day: a visitor tries five cards without an account, signs up from the end of them, lands
on the first card with their own time zone, and the home page says what today holds. Times written in
the learner's zone name it only where it is not the browser's."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS
from tests.factories import PASSWORD, make_question, make_topic

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def _corpus(count: int = 8):
    from questions.models import TopicGroup

    group = TopicGroup.objects.get_or_create(slug="starters", defaults={"title_en": "Starters", "title_zh": "入门"})[0]
    topic = make_topic("first-day", title_en="First day", title_zh="第一天", position=1, group=group)
    return [make_question(card_id=f"first-{number}", topic=topic, position=number, difficulty=1,
                          question_en=f"First-day question {number}?") for number in range(1, count + 1)]


def _screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_it_goes_from_five_tried_cards_to_an_account_and_its_first_card(browser, live_server, transactional_db):
    _corpus()
    context = browser.new_context(base_url=live_server.url, timezone_id="Europe/Berlin", locale="en-US",
                                  viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="Try five cards, no account needed").click()
    for number in range(1, 6):
        expect(page.locator("[data-try-card]:not([hidden]) .prompt")).to_have_text(f"First-day question {number}?")
        expect(page.locator(".try-position")).to_have_text(f"Card {number} of 5")
        if number == 1:
            _screenshot(page, "try-phone-en")
        page.keyboard.press("Space")
        expect(page.locator("[data-try-card]:not([hidden]) .key-points")).to_be_visible()
        page.keyboard.press("3")
    expect(page.locator(".done")).to_contain_text("each of the 8 cards")
    page.get_by_role("link", name="Sign up and start studying").click()

    page.fill("#id_username", "fay")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.press("#id_password2", "Enter")
    page.wait_for_url("**/study/")
    expect(page.locator(".study-card .prompt")).to_have_text("First-day question 1?")
    assert get_user_model().objects.get(username="fay").study_settings.timezone == "Europe/Berlin"

    page.goto("/")
    expect(page.locator(".today-counts")).to_have_text("0 to review · 0 learning · 8 new")
    expect(page.get_by_role("heading", name="New here? Two questions, then your first cards")).to_be_visible()
    _screenshot(page, "home-first-day-phone-en")
    page.get_by_label("Starters").check()
    page.get_by_role("button", name="Save and start studying").click()
    page.wait_for_url("**/study/")
    expect(page.locator(".study-card .prompt")).to_have_text("First-day question 1?")
    assert list(get_user_model().objects.get(username="fay").study_settings.topics.values_list("slug", flat=True)) \
        == ["first-day"]
    page.goto("/")
    expect(page.locator(".first-day")).to_have_count(0)  # asked once
    _screenshot(page, "home-today-phone-en")
    context.close()


def test_it_offers_the_five_cards_in_chinese_to_a_chinese_browser(browser, live_server, transactional_db):
    _corpus()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="先试五张卡片，无需注册").click()
    expect(page.locator(".try-position")).to_have_text("第 1 张，共 5 张")
    page.keyboard.press("Space")
    expect(page.locator(".rate-3")).to_contain_text("良好")
    _screenshot(page, "try-phone-zh")
    context.close()


def test_it_names_the_learners_zone_only_where_it_is_not_the_browsers(browser, live_server, transactional_db):
    from quizapp.interviews.services import interview_create
    from quizapp.study.services import study_settings_update
    from tests.e2e.conftest import log_in
    from tests.factories import make_user

    topic = _corpus()[0].topic
    alice = make_user("alice")
    interview_create(user=alice, topics=[topic], count=1, minutes_per_question=3)
    for browser_zone, learner_zone, shown in (("Asia/Shanghai", "Asia/Shanghai", False),
                                              ("America/New_York", "Asia/Shanghai", True)):
        study_settings_update(user=alice, fields={"timezone": learner_zone})
        context = browser.new_context(base_url=live_server.url, timezone_id=browser_zone, locale="en-US")
        page = context.new_page()
        log_in(page, "alice")
        page.goto("/interviews/")
        label = page.locator("[data-learner-zone]").first
        expect(label).to_have_text(f"Times are in your study time zone, {learner_zone}.")
        expect(label).to_be_visible() if shown else expect(label).to_be_hidden()
        context.close()
