"""A learner answers out loud: Chromium's fake microphone (a tone) records through MediaRecorder, the
recording is saved before the question closes (also when the learner moves on mid-recording), the page
says nothing transcribes it, the review plays it back beside the key points where it earns its credit, and
the results page deletes one, file and all."""

import time

import pytest

from quizapp.interviews.models import AnswerRecording
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, log_in
from tests.factories import make_questions, make_topic

pytestmark = pytest.mark.e2e

# Only this module's browser: a fake microphone, granted without a prompt, and playback without a click.
MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                args=[*CHROMIUM_ARGS, *MEDIA_ARGS])
    yield browser
    browser.close()


def _until(check, seconds: float = 10):
    """Poll `check` from here (the CSP forbids the evaluated strings wait_for_function would need)."""
    deadline = time.monotonic() + seconds
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return value


def _record(page, seconds: float) -> None:
    page.get_by_role("button", name="Record", exact=True).click()
    page.locator(".recorder-status").filter(has_text="Recording…").wait_for()
    time.sleep(seconds)


def test_it_records_plays_back_reviews_and_deletes_a_spoken_answer(page, screenshot, alice, settings, tmp_path,
                                                                   transactional_db):
    settings.MEDIA_ROOT = tmp_path
    settings.SPEECH_TO_TEXT_MODEL = ""
    make_questions(3, topic=make_topic("basics"))
    log_in(page, "alice")
    page.click(".lang-switch button[value=en]")
    page.goto("/interviews/")
    page.get_by_role("button", name="Quick 3 × 3 min").click()
    page.locator(".position").filter(has_text="Question 1 of 3").wait_for()
    assert "Speech-to-text is not configured on this site" in page.locator(".spoken-answer").inner_text()

    _record(page, 2.5)
    page.get_by_role("button", name="Stop").click()
    page.locator(".recorder-status").filter(has_text="Recording saved: 0:0").wait_for()
    assert page.locator(".spoken-answer audio").is_visible()
    screenshot("interviews-spoken-answer")
    first = AnswerRecording.objects.get()
    assert first.content_type == "audio/webm" and first.size > 1000 and 2 <= first.seconds <= 5
    page.get_by_role("button", name="Next question").click()

    # Moving on mid-recording: the recording is saved first, then the question closes.
    page.locator(".position").filter(has_text="Question 2 of 3").wait_for()
    _record(page, 1.5)
    page.get_by_role("button", name="Next question").click()
    page.locator(".position").filter(has_text="Question 3 of 3").wait_for()
    assert AnswerRecording.objects.count() == 2
    page.get_by_role("button", name="End the interview now and review").click()

    page.wait_for_url("**/review/")
    spoken, second, _unanswered = page.locator(".review-item").all()
    player = spoken.locator(".spoken-answer-player audio")
    # The browser reads the served recording and plays it.
    _until(lambda: player.evaluate("audio => audio.readyState") >= 1)
    player.evaluate("audio => audio.play()")
    _until(lambda: player.evaluate("audio => audio.currentTime") > 0.3)
    assert "Not transcribed" in spoken.inner_text()
    spoken.locator("input[name$='-0'][value=fully]").check()  # what the learner heard themselves say
    spoken.locator("input[name$='-1'][value=fully]").check()
    assert spoken.locator(".item-score output").inner_text() == "50%"
    assert second.locator(".spoken-answer-player audio").count() == 1
    screenshot("interviews-spoken-review")
    page.get_by_role("button", name="Finish the review and update my study queue").click()

    page.wait_for_url("**/results/")
    assert page.locator(".spoken-result").count() == 2
    files = lambda: sorted(path for path in tmp_path.rglob("*") if path.is_file())  # noqa: E731
    assert len(files()) == 2
    page.locator(".spoken-result").first.get_by_role("button", name="Delete the recording").click()
    _until(lambda: page.locator(".spoken-result").count() == 1)
    assert AnswerRecording.objects.count() == 1 and len(files()) == 1
