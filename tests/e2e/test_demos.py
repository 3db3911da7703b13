"""A learner opens D1, changes depth and activation, runs it on a real worker and sees a chart."""

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_it_runs_d1_from_the_page_with_progress_and_charts(page, screenshot, alice, celery_worker):
    log_in(page, "alice")
    page.goto("/demos/D1/")
    page.fill("#param-depth", "30")
    page.select_option("#param-activation", "tanh")
    page.fill("#param-steps", "200")
    page.click(".run-button")
    page.locator(".demo-output .progress:not([hidden])").wait_for(timeout=60_000)
    screenshot("demo-d1-progress")
    page.locator(".demo-output .result canvas").first.wait_for(timeout=120_000)
    assert page.locator(".demo-output .run-status").inner_text().strip()
    conclusion = page.locator(".demo-output .result .conclusion").inner_text()
    assert "tanh" in conclusion.lower()
    # Tanh at depth 30 leaves first-layer gradients of exactly 0 next to others of ~1e7: the log axis
    # must still span the data (Chart.js alone drew an empty chart for such a range).
    y_axis = page.evaluate("(() => { const s = Chart.getChart(document.querySelector("
                           "'.demo-output .result canvas')).scales.y; return [s.type, s.min, s.max]; })()")
    assert y_axis[0] == "logarithmic" and 0 < y_axis[1] < 1e-6 and y_axis[2] >= 1e7
    screenshot("demo-d1-result")


def test_it_shows_a_field_error_without_queueing_when_a_bound_is_broken(page, alice, transactional_db):
    from quizapp.demos.models import DemoRun

    log_in(page, "alice")
    page.goto("/demos/D1/")
    page.fill("#param-depth", "100000")
    page.click(".run-button")
    assert page.eval_on_selector("#param-depth", "input => !input.validity.valid")  # the browser refuses
    page.eval_on_selector("#param-depth", "input => input.removeAttribute('max')")  # a tampered page
    page.click(".run-button")
    error = page.locator('[data-error-for="depth"]')
    error.wait_for()
    assert "between" in error.inner_text()
    assert DemoRun.objects.count() == 0
