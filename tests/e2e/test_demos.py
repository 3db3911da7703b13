"""A learner opens D1, changes depth and activation, runs it on a real worker and sees a chart."""

import itertools
import re

import pytest
from playwright.sync_api import expect

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
    # Tanh at depth 30 puts gradient norms near 1 next to others of 1e7 and more: every log axis
    # must span every positive value it draws, the widest (the page sets whole decades) included.
    log_axes = drawn_log_axes(page)
    assert any(axis["high"] / axis["low"] > 1e12 for axis in log_axes), log_axes
    for axis in log_axes:
        assert 0 < axis["min"] <= axis["low"] and axis["max"] >= axis["high"], axis
        assert axis["high"] >= 10 * axis["low"], axis  # values within a decade are drawn on a linear axis
        # Decades only, one way of writing them, and none twice: labels that fit on a phone.
        assert axis["labels"] and len(axis["labels"]) == len(set(axis["labels"])), axis["labels"]
        if axis["high"] / axis["low"] > 1e4:
            assert all(re.fullmatch(r"1e[+-]\d+", label) for label in axis["labels"]), axis["labels"]
        if axis["high"] / axis["low"] > 1e12:  # whole decades evenly apart, a handful of them
            exponents = [int(label[2:]) for label in axis["labels"]]
            gaps = {later - earlier for earlier, later in itertools.pairwise(exponents)}
            assert 3 <= len(exponents) <= 8 and len(gaps) == 1, exponents
    # Each y-axis named level above its plot (Chart.js would turn an axis title on its side).
    y_names = page.evaluate("""() => [...document.querySelectorAll(".demo-output canvas")].map(Chart.getChart)
        .filter(Boolean)
        .map((chart) => chart.options.scales.y.title.display ? "" : chart.options.plugins.subtitle.text)""")
    assert y_names and all(y_names), y_names
    parameters = page.locator(".demo-output .result .run-params").inner_text()
    assert "Hidden layers: 30" in parameters and "Activation: Tanh" in parameters  # in words, not code names
    screenshot("demo-d1-result")
    # A second run with other parameters: the first one's charts must not pass for its result meanwhile.
    page.fill("#param-depth", "20")
    page.click(".run-button")
    page.locator(".demo-output .progress:not([hidden])").wait_for(timeout=60_000)
    assert page.locator(".demo-output .result canvas").count() == 0
    page.locator(".demo-output .result .run-params", has_text="Hidden layers: 20").wait_for(timeout=120_000)


def test_it_shows_a_field_error_without_queueing_when_a_bound_is_broken(page, alice, transactional_db):
    from quizapp.demos.models import DemoRun

    log_in(page, "alice")
    page.goto("/demos/D1/")
    page.fill("#param-depth", "100000")
    page.click(".run-button")
    error = page.locator('[data-error-for="depth"]')
    expect(error).to_contain_text("between")
    expect(page.locator("#param-depth")).to_be_focused()  # in view, however far above the button
    # In Chinese the message is Chinese: the server's, not the browser's bubble in its own language.
    page.click(".lang-switch button[value=zh-hans]")
    page.wait_for_url("**/demos/D1/")
    page.fill("#param-depth", "1")
    page.click(".run-button")
    expect(error).to_contain_text("必须在")
    page.fill("#param-steps", "1.5")
    page.click(".run-button")
    expect(page.locator('[data-error-for="steps"]')).to_contain_text("必须是整数")
    expect(page.locator("#param-depth")).to_be_focused()  # two fields in error: the first one
    page.click(".reset-button")  # the defaults: no message about the old values is left
    expect(page.locator("#param-depth")).to_have_value("20")
    expect(page.locator("[data-error-for]:not(:empty)")).to_have_count(0)
    assert DemoRun.objects.count() == 0


def test_it_still_spans_a_log_axis_over_its_values_when_some_are_exactly_zero(page, screenshot, alice, celery_worker):
    # A vanished gradient comes out as exactly 0 on some CPUs (tiny on others): the page must draw
    # the positive values on a log axis that spans them, not Chart.js's broken range for a 0.
    # The real run's result, with the smallest value of each log chart set to 0 on its way in.
    def zero_the_smallest(route):
        response = route.fetch()
        run = response.json()
        for chart in (run.get("result") or {}).get("charts", []):
            if chart["y_scale"] == "log":
                points = [point for series in chart["series"] for point in series["points"] if point[1]]
                min(points, key=lambda point: point[1])[1] = 0.0
        route.fulfill(response=response, json=run)

    page.route("**/api/runs/*/", zero_the_smallest)
    log_in(page, "alice")
    page.goto("/demos/D1/")
    page.fill("#param-steps", "5")
    page.click(".run-button")
    page.locator(".demo-output .result canvas").first.wait_for(timeout=120_000)
    log_axes = drawn_log_axes(page)
    assert log_axes and all(axis["zeros"] == 1 for axis in log_axes), log_axes
    for axis in log_axes:
        assert 0 < axis["min"] <= axis["low"] and axis["max"] >= axis["high"], axis
    screenshot("demo-d1-zero-gradient")


def drawn_log_axes(page) -> list[dict]:
    """Each result chart's log-scaled y axis: its range, the lowest and highest positive value it
    draws, how many values are exactly 0, and the tick labels it shows."""
    return page.evaluate("""[...document.querySelectorAll('.demo-output .result canvas')]
      .map((canvas) => Chart.getChart(canvas)).filter(Boolean).map((chart) => {
        const scale = chart.scales.y, values = chart.data.datasets.flatMap((set) => set.data.map((point) => point.y));
        const positive = values.filter((y) => y > 0);
        return {type: scale.type, min: scale.min, max: scale.max, zeros: values.filter((y) => y === 0).length,
                low: Math.min(...positive), high: Math.max(...positive),
                labels: scale.ticks.map((tick) => tick.label).filter((label) => label !== "")};
    }).filter((axis) => axis.type === "logarithmic")""")
