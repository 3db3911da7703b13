"""One session of each interview loop on the real corpus, in English and in Chinese: the loop starts from the
set-up page and asks its number of questions, the first is answered and the next shown (the first card's
follow-up where it has one and the answer missed a point it probes), the interview ends early, is reviewed
and its results shown. Screenshots of each step go to tests/e2e/screenshots/loops/ (what a session of each
loop looks like)."""

import pytest
from playwright.sync_api import expect

from questions.services import corpus_load
from quizapp.interviews import loops
from quizapp.interviews.models import Interview
from tests.e2e.conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.e2e

FOLDER = SCREENSHOTS / "loops"
SWITCH = {"en": "en", "zh": "zh-hans"}  # the language switch's value for each interview language
ANSWERS = {"en": "I would start from the definition, then the trade-off and a number that shows it.",
           "zh": "我会先讲定义，再讲取舍，最后给一个能说明问题的数字。"}


@pytest.fixture
def corpus(transactional_db):
    corpus_load()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_it_runs_a_session_of_each_loop_and_keeps_its_screenshots(page, alice, corpus, language):
    FOLDER.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        page.screenshot(path=str(FOLDER / f"{name}-{language}.png"), full_page=True)

    log_in(page, "alice")
    page.click(f".lang-switch button[value={SWITCH[language]}]")
    page.goto("/interviews/")
    shot("setup")
    for loop in loops.read_loops().values():
        page.goto("/interviews/")
        page.locator(f"button[name=loop][value={loop.slug}]").click()
        page.locator(".question-text").wait_for()
        page.wait_for_function("document.activeElement && document.activeElement.id === 'answer'")
        page.keyboard.type(ANSWERS[language])
        shot(f"{loop.slug}-1-answer")
        first = page.locator(".question-text").inner_text()
        page.keyboard.press("Control+Enter")
        expect(page.locator(".question-text")).not_to_have_text(first)
        shot(f"{loop.slug}-2-next")
        page.locator(".end-button").click()
        page.wait_for_url("**/review/")
        shot(f"{loop.slug}-3-review")
        page.locator(".finish-review").click()
        page.wait_for_url("**/results/")
        shot(f"{loop.slug}-4-results")

        interview = Interview.objects.filter(loop=loop.slug).get()
        assert interview.language == language and interview.status == Interview.Status.DONE
        assert interview.items.filter(follow_up_of__isnull=True).count() == loop.count
