"""A learner starts a loop, answers a card leaving out a point its follow-up probes, is asked the follow-up and
answers it, reviews both (the follow-up counting half), sees it under its question on the results and studies
the missed cards at once. A tiny loop of two cards of its own keeps it fast: one topic each, drawn in order."""

import pytest

from quizapp.interviews import loops, selectors
from quizapp.interviews.models import InterviewItem
from tests.e2e.conftest import log_in
from tests.factories import make_question
from tests.interviews.test_follow_ups import FOLLOW_UP, MISSES_A_PROBE

pytestmark = pytest.mark.e2e

TINY_LOOP = loops.Loop(slug="tiny-loop", title={"en": "Tiny loop", "zh": "小面试"}, difficulty_min=2,
                       difficulty_max=2, count=2, weights={"probed": 1, "plain": 1})


@pytest.fixture
def tiny_loop(monkeypatch):
    monkeypatch.setattr(loops, "read_loops", lambda: {TINY_LOOP.slug: TINY_LOOP})
    monkeypatch.setattr(selectors, "read_loops", lambda: {TINY_LOOP.slug: TINY_LOOP})
    return make_question(topic="probed", follow_up=FOLLOW_UP), make_question(topic="plain")


def _credits(item) -> list[str]:
    return [radio.get_attribute("value") for radio in item.locator("input[name^=point-]:checked").all()]


def test_it_asks_the_follow_up_of_an_answer_that_missed_a_probed_point_and_grades_it(page, screenshot, alice,
                                                                                   tiny_loop, transactional_db):
    probed, plain = tiny_loop
    log_in(page, "alice")
    page.click(".lang-switch button[value=en]")
    page.goto("/interviews/")
    page.get_by_role("button", name="Tiny loop · 2 questions").click()

    page.locator(".position").filter(has_text="Question 1 of 2").wait_for()
    page.locator(".question-text").filter(has_text=probed.question_en).wait_for()
    page.keyboard.type(MISSES_A_PROBE)  # ReLU, but not initialisation
    page.keyboard.press("Control+Enter")

    page.locator(".position").filter(has_text="Follow-up to question 1").wait_for()
    assert page.locator(".question-text").inner_text() == FOLLOW_UP["question"]["en"]
    assert probed.question_en in page.locator(".follow-up-context").inner_text()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'answer'")
    page.keyboard.type("The identity path adds one to the derivative.")
    page.locator(".autosave").filter(has_text="Saved").wait_for()  # the autosave reached the follow-up
    assert InterviewItem.objects.get(follow_up_of__isnull=False).answer.startswith("The identity path")
    screenshot("interviews-follow-up")
    page.keyboard.press("Control+Enter")

    page.locator(".position").filter(has_text="Question 2 of 2").wait_for()
    page.keyboard.type("Careful initialisation.")
    page.keyboard.press("Control+Enter")

    page.wait_for_url("**/review/")
    question, follow_up, second = page.locator(".review-item").all()
    assert "follow-up" in follow_up.get_attribute("class")
    assert _credits(question) == ["fully", "fully", "fully", "missed"]
    assert _credits(follow_up) == ["fully", "missed"]  # "identity" found in its own answer
    follow_up.locator("input[name$='.follow-up-1'][value=partly]").check()
    assert follow_up.locator(".item-score output").inner_text() == "75%"
    assert page.locator(".overall-score").inner_text() == "55%"  # (75% + 25% + 75% × ½) / 2.5
    screenshot("interviews-follow-up-review")
    page.get_by_role("button", name="Finish the review and update my study queue").click()

    page.wait_for_url("**/results/")
    assert page.locator(".overall-result").inner_text() == "55%"
    rows = page.locator(".results-table tbody tr")
    assert rows.count() == 3 and "follow-up" in rows.nth(1).get_attribute("class")
    assert "rated with its question" in rows.nth(1).inner_text()
    feedback = page.locator(".feedback-item.follow-up")
    assert feedback.locator(".missed-points li").inner_text().startswith("partly")
    screenshot("interviews-follow-up-results")
    page.get_by_role("button", name="Study these now").click()
    page.wait_for_url("**/study/?custom=interview*")
    page.get_by_text("the cards your mock interview found missing").wait_for()
