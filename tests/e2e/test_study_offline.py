"""Studying without waiting for the server: the next card shows at once, ratings made offline reach
the database once the connection is back, and a reload or a lost answer loses no rating and doubles
none. On a phone, with touch."""

import time

import pytest
from playwright.sync_api import expect

from quizapp.study.models import ReviewLog
from tests.e2e.conftest import RATINGS_SENT, log_in
from tests.factories import make_question, make_topic, make_user

pytestmark = pytest.mark.e2e


def _cards(count: int = 6):
    topic = make_topic("e2e", title_en="E2E", title_zh="端到端", position=1)
    return [make_question(card_id=f"offline-{number}", topic=topic, difficulty=1, position=number,
                          question_en=f"Offline card {number}?") for number in range(1, count + 1)]


def _logs_become(count: int, seconds: float = 20) -> list[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ReviewLog.objects.count() >= count:
            break
        time.sleep(0.1)
    return list(ReviewLog.objects.order_by("id").values_list("card__question__card_id", flat=True))


def _new_count(page, value: int) -> None:
    expect(page.locator(".count-new b")).to_have_text(str(value))


def test_it_keeps_studying_offline_on_a_phone_and_sends_the_ratings_when_back(browser, live_server, screenshot,
                                                                              transactional_db):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844},
                                  has_touch=True, is_mobile=True, locale="en-US")
    page = context.new_page()
    make_user("alice")
    _cards()
    log_in(page, "alice")
    page.goto("/study/")
    expect(page.locator(".study-card .prompt")).to_have_text("Offline card 1?")

    context.set_offline(True)
    for number in (1, 2, 3):
        expect(page.locator(".study-card .prompt")).to_have_text(f"Offline card {number}?")
        page.tap(".show-answer")
        page.tap(".rate-4")  # Easy: the card leaves today's queue
    expect(page.locator(".study-card .prompt")).to_have_text("Offline card 4?")  # shown from what the page holds
    _new_count(page, 3)
    expect(page.locator(".study-status")).to_contain_text("Offline")
    assert ReviewLog.objects.count() == 0
    assert page.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('quizapp.ratings.')).length") == 3
    screenshot("study-offline-phone")

    context.set_offline(False)
    assert _logs_become(3) == ["offline-1", "offline-2", "offline-3"]  # in the order they were made
    page.wait_for_function(RATINGS_SENT)
    _new_count(page, 3)  # the server's count now, and it agrees
    expect(page.locator(".study-status")).to_have_text("")
    time.sleep(1)
    assert ReviewLog.objects.count() == 3  # nothing sent twice
    context.close()


def test_it_loses_no_rating_and_doubles_none_across_a_lost_answer_and_a_reload(page, transactional_db):
    make_user("alice")
    _cards()
    log_in(page, "alice")
    page.goto("/study/")
    expect(page.locator(".study-card .prompt")).to_have_text("Offline card 1?")
    page.keyboard.press("Space")
    page.keyboard.press("4")
    assert _logs_become(1) == ["offline-1"]

    page.route("**/api/study/reviews/", lambda route: route.abort())  # the server is out of reach
    expect(page.locator(".study-card .prompt")).to_have_text("Offline card 2?")
    page.keyboard.press("Space")
    page.keyboard.press("4")
    expect(page.locator(".study-card .prompt")).to_have_text("Offline card 3?")
    # As if the answer to the first rating had been lost on its way back: the server has it, and the
    # browser still holds it to send again.
    recorded = ReviewLog.objects.get()
    page.evaluate("""([clientId, question]) => localStorage.setItem(`quizapp.ratings.${document.querySelector(
        "section.study").dataset.learner}.${clientId}`, JSON.stringify({seq: 1, madeAt: Date.now() - 5000,
        body: {question, rating: 4, client_id: clientId, expected_reps: 0, duration_ms: 900}}))""",
                  [str(recorded.client_id), recorded.card.question_id])
    assert ReviewLog.objects.count() == 1

    page.unroute("**/api/study/reviews/")
    page.reload()  # the ratings kept in the browser go first; then the queue after them
    assert _logs_become(2) == ["offline-1", "offline-2"]
    expect(page.locator(".study-card .prompt")).to_have_text("Offline card 3?")
    _new_count(page, 4)
    time.sleep(1)
    assert ReviewLog.objects.count() == 2  # the first rating, sent again, still counts once


def test_it_drops_a_rating_not_sent_yet_on_undo(page, transactional_db):
    make_user("alice")
    _cards()
    log_in(page, "alice")
    page.goto("/study/")
    expect(page.locator(".study-card .prompt")).to_have_text("Offline card 1?")
    page.context.set_offline(True)
    page.keyboard.press("Space")
    page.keyboard.press("1")
    expect(page.locator(".study-card .prompt")).to_have_text("Offline card 2?")
    page.keyboard.press("u")
    expect(page.locator(".study-card .prompt")).to_have_text("Offline card 1?")
    expect(page.locator(".study-status")).to_have_text("Rating undone.")
    _new_count(page, 6)
    page.context.set_offline(False)
    page.keyboard.press("Space")
    page.keyboard.press("4")
    assert _logs_become(1) == ["offline-1"]
    time.sleep(1)
    assert list(ReviewLog.objects.values_list("rating", flat=True)) == [4]  # the undone Again never arrived
