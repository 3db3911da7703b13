"""A learner takes a Quick interview with the keyboard, lets one question time out, gives each key point
its credit in the review (overriding one verdict), sees the score and what to work on, studies the missed
cards at once, and sees the history chart."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from quizapp.interviews import services
from quizapp.interviews.models import Interview
from quizapp.study.models import ReviewLog
from tests.e2e.conftest import log_in
from tests.factories import make_questions, make_topic

pytestmark = pytest.mark.e2e

SECONDS_PER_MINUTE = 5  # Quick = 3 questions × 15 s here; the one-minute warning comes at 5 s


def _earlier_interview(user, topic, *, covered: int) -> None:
    """A reviewed interview from before, so the trend has more than one point."""
    interview = services.interview_create(user=user, topics=[topic], count=3, minutes_per_question=3, language="en")
    while (item := services.interview_advance(interview=interview)) is not None:
        services.interview_answer_save(interview=interview, question_id=item.question.card_id, answer="an answer",
                                       action="next")
    marks = {item.question.card_id: {"covered": list(range(covered))}
             for item in interview.items.select_related("question")}
    services.interview_review_finish(interview=interview, marks=marks)


def _credits(item) -> list[str]:
    """The credit chosen for each key point of a review item, in order."""
    return [radio.get_attribute("value") for radio in item.locator("input[name^=point-]:checked").all()]


def _wait_for_question(page, position: int) -> None:
    page.locator(".position").filter(has_text=f"Question {position} of 3").wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'answer'")  # type at once


def test_it_runs_a_quick_interview_by_keyboard_with_a_time_out_a_review_and_the_trend(page, screenshot, alice, settings,
                                                                               transactional_db):
    settings.INTERVIEW_SECONDS_PER_MINUTE = SECONDS_PER_MINUTE
    topic = make_topic("basics")
    make_questions(3, topic=topic)
    _earlier_interview(alice, topic, covered=1)
    _earlier_interview(alice, topic, covered=2)
    log_in(page, "alice")
    page.click(".lang-switch button[value=en]")
    page.goto("/interviews/")
    screenshot("interviews-setup")
    page.get_by_role("button", name="Quick 3 × 3 min").click()

    _wait_for_question(page, 1)
    page.keyboard.type("Saturated sigmoid units: the chain rule multiplies small factors.")
    page.locator(".autosave").filter(has_text="Saved").wait_for()
    screenshot("interviews-answer")
    page.keyboard.press("Control+Enter")

    _wait_for_question(page, 2)
    page.keyboard.type("Use ReLU, and 残差连接 keep gradients alive.")
    page.keyboard.press("Control+Enter")

    _wait_for_question(page, 3)
    page.keyboard.type("I am not sure")
    page.locator(".clock-warning").filter(has_text="Under a minute left").wait_for()
    assert "warning" in page.locator("[data-clock=question]").get_attribute("class")
    screenshot("interviews-warning")
    page.wait_for_url("**/review/", timeout=3 * SECONDS_PER_MINUTE * 1000 + 10_000)  # left to time out

    first, second, third = page.locator(".review-item").all()
    assert _credits(first) == ["fully", "fully", "missed", "missed"]  # saturation and the chain rule were found
    assert _credits(second) == ["missed", "missed", "fully", "missed"]  # ReLU and 残差
    assert "time ran out" in third.inner_text()
    second.locator("input[name$='-3'][value=partly]").check()
    assert first.locator(".item-score output").inner_text() == "50%"
    assert second.locator(".item-score output").inner_text() == "38%"  # (1 + ½) / 4
    assert first.locator(".derived-verdict").inner_text() == "no pass"
    assert page.locator(".overall-score").inner_text() == "29%"  # (50% + 37.5% + 0%) / 3
    first.get_by_label("Pass (my override)", exact=True).check()
    screenshot("interviews-review")
    page.get_by_role("button", name="Finish the review and update my study queue").click()

    page.wait_for_url("**/results/")
    assert page.locator(".overall-result").inner_text() == "29%"
    assert page.locator(".results-table .rating").count() == 3
    assert page.locator(".results-table .overridden").count() == 1
    assert page.locator(".feedback-item").count() == 3  # each question left a key point short
    assert page.locator(".feedback-item").first.locator(".missed-points li").count() == 2
    screenshot("interviews-results")
    page.get_by_role("button", name="Study these now").click()
    page.wait_for_url("**/study/?custom=interview*")
    page.get_by_text("the cards your mock interview found missing").wait_for()
    screenshot("interviews-study-missed")
    page.go_back()
    page.wait_for_url("**/results/")

    page.get_by_role("link", name="History and trend").click()
    page.wait_for_function("() => window.Chart && Chart.getChart('interview-trend')")
    assert page.evaluate("Chart.getChart('interview-trend').data.datasets[0].data") == [25, 50, 29]
    assert page.locator(".interview-table .score").first.inner_text().startswith("29%")
    assert page.evaluate("[Chart.getChart('interview-trend').options.scales.y.title.display,"
                         " Chart.getChart('interview-trend').options.plugins.title.text]") == [False, "Score (%)"]
    screenshot("interviews-history")

    # On a phone, in Chinese: each interview a block of lines, nothing to scroll sideways, no date or
    # number wrapped.
    page.click(".lang-switch button[value=zh-hans]")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    table = page.locator(".interview-table")
    assert table.evaluate("box => box.scrollWidth <= box.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    lines = table.locator("td:not(:nth-child(2))").evaluate_all("""cells => cells
        .filter((cell) => cell.innerText.trim())
        .map((cell) => { const text = document.createRange(); text.selectNodeContents(cell);
                         return new Set([...text.getClientRects()].map((box) => Math.round(box.top))).size; })""")
    assert set(lines) == {1}, lines
    screenshot("interviews-history-phone")

    interview = Interview.objects.latest("created_at")
    assert interview.status == Interview.Status.DONE
    assert interview.items.get(position=3).timed_out
    assert ReviewLog.objects.filter(user=alice, source="interview").count() == 3 * 3


def test_it_keeps_what_was_typed_a_moment_before_ending_early(page, alice, transactional_db):
    """The answer typed just before "End the interview now" (no autosave yet) reaches the review."""
    make_questions(3, topic=make_topic("basics"))
    log_in(page, "alice")
    page.click(".lang-switch button[value=en]")
    page.goto("/interviews/")
    page.get_by_role("button", name="Quick 3 × 3 min").click()
    _wait_for_question(page, 1)

    def slow_autosave(route):  # a slow network: the save must still land before the interview ends
        page.wait_for_timeout(800)
        route.continue_()

    page.route("**/api/interviews/*/answer/", slow_autosave)
    page.keyboard.type("Typed a moment before ending.")
    page.click(".end-button")  # well within the 1.5 s autosave pause
    page.get_by_role("heading", name="Review your answers").wait_for()
    assert "Typed a moment before ending." in page.locator("main").inner_text()
    item = Interview.objects.get(user=alice).items.get(position=1)
    assert item.answer == "Typed a moment before ending." and not item.skipped  # answered, then ended: not skipped


def test_it_shows_the_same_saved_time_after_a_reload_on_the_learners_clock(browser, live_server, alice,
                                                                             transactional_db):
    # A browser in Shanghai with English as its language, on the Chinese page: one clock, 24-hour,
    # before and after a reload (the reload used to show the server's UTC time, 8 hours off).
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Shanghai", locale="en-US")
    page = context.new_page()
    make_questions(3, topic=make_topic("basics"))
    log_in(page, "alice")
    page.click(".lang-switch button[value=zh-hans]")
    page.locator("html[lang^=zh]").wait_for(state="attached")  # the switch's answer, not a race with the goto
    page.goto("/interviews/")
    page.locator("button[name=preset][value=quick]").click()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'answer'")
    page.keyboard.type("残差连接")
    status = page.locator(".autosave")
    status.filter(has_text="已保存").wait_for()
    shanghai = datetime.now(ZoneInfo("Asia/Shanghai"))
    before = status.inner_text().split()[-1]
    page.reload()
    after = status.inner_text().split()[-1]
    context.close()
    assert re.fullmatch(r"\d\d:\d\d:\d\d", before) and re.fullmatch(r"\d\d:\d\d:\d\d", after), (before, after)
    seconds = [_seconds_since_midnight(text) for text in (before, after, shanghai.strftime("%H:%M:%S"))]
    assert max(seconds) - min(seconds) <= 3, (before, after, shanghai)


def _seconds_since_midnight(clock: str) -> int:
    hours, minutes, seconds = map(int, clock.split(":"))
    return hours * 3600 + minutes * 60 + seconds
