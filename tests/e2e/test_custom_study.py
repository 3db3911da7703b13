"""Custom study in the browser: a topic crammed with the keyboard leaves the schedule as it was, and
the custom study page in both languages and on a phone."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quizapp.study import scheduling, services
from quizapp.study.models import CardState, CustomAnswer, ReviewLog
from tests.e2e.conftest import log_in
from tests.factories import make_question, make_topic, make_user

pytestmark = pytest.mark.e2e


def _database(user) -> list:
    cards = [scheduling.snapshot(card) for card in CardState.objects.filter(user=user).order_by("pk")]
    return cards + list(ReviewLog.objects.filter(user=user).order_by("pk").values())


def _expect_total(page, total: int) -> None:
    """The counters add up to `total` (the server's answer to a rating may still be on its way)."""
    counts = [page.locator(f".count-{kind} b") for kind in ("new", "learning", "review")]
    expect(counts[0]).not_to_have_text("–")
    deadline = time.monotonic() + 5
    while sum(int(count.inner_text()) for count in counts) != total and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sum(int(count.inner_text()) for count in counts) == total


def test_it_crams_a_topic_with_the_keyboard_and_changes_nothing(page, screenshot, transactional_db):
    alice = make_user("alice")
    topic = make_topic("attention", title_en="Attention", title_zh="注意力", position=1)
    questions = [make_question(topic=topic, question_en=f"Attention question {number}?") for number in range(3)]
    services.card_review(user=alice, question=questions[0], rating=3, reviewed_at=timezone.now() - timedelta(days=3))
    before = _database(alice)
    log_in(page, "alice")
    page.click(".lang-switch button[value=en]")

    page.goto("/study/custom/")
    page.select_option("#id_topic", label="Attention")
    page.check("input[name=cards][value=all]")
    page.click(".custom-cram button[type=submit]")
    page.wait_for_url("**/study/?custom=cram&session=*")
    expect(page.locator(".custom-banner")).to_contain_text("cramming Attention")
    _expect_total(page, 3)

    first = page.locator(".study-card .prompt").inner_text()
    page.keyboard.press("Space")
    expect(page.locator(".ratings")).to_be_visible()
    expect(page.locator(".rate-1 .interval")).to_be_hidden()  # no interval: nothing is rescheduled
    page.keyboard.press("1")  # Again: back at the end of the session
    expect(page.locator(".study-card .prompt")).not_to_have_text(first)
    _expect_total(page, 3)
    for _ in range(3):
        expect(page.locator(".show-answer")).to_be_visible()
        page.keyboard.press("Space")
        expect(page.locator(".ratings")).to_be_visible()
        page.keyboard.press("Space")  # Good: done for this session
        expect(page.locator(".ratings")).to_be_hidden()
    expect(page.locator(".done")).to_be_visible()
    _expect_total(page, 0)
    screenshot("custom-cram-done")

    page.keyboard.press("u")  # undoes the session's last rating, not a real one
    expect(page.locator(".study-card")).to_be_visible()
    _expect_total(page, 1)
    assert CustomAnswer.objects.filter(session__user=alice).count() == 3
    assert _database(alice) == before


def test_it_shows_the_custom_study_page_in_both_languages_and_on_a_phone(page, screenshot, transactional_db):
    make_user("alice")
    make_question(topic=make_topic("attention", title_en="Attention", title_zh="注意力", position=1))
    log_in(page, "alice")
    page.goto("/study/custom/")
    page.click(".lang-switch button[value=en]")
    expect(page.locator("h1")).to_have_text("Custom study")
    page.fill("#id_extra", "0")
    page.click(".custom-new button[type=submit]")
    expect(page.locator(".custom-new .errorlist")).to_be_visible()
    screenshot("custom-study-en")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("custom-study-en-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/study/custom/")
    page.click(".lang-switch button[value=zh-hans]")
    expect(page.locator("h1")).to_have_text("自定义学习")
    expect(page.locator("#id_topic")).to_contain_text("注意力")
    screenshot("custom-study-zh")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("custom-study-zh-phone")
