"""Demo charts a learner can read and share: the theme's colours (and a redraw when it changes), one colour
scale and bar per pair of heat-maps, a second run overlaid on the first, and a page address that reopens a run.

The runs are computed for real by the engine, in this process, and stored as a worker would store them.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from playwright.sync_api import expect

import engine
from quizapp.demos.models import DemoRun
from quizapp.demos.services import params_key

pytestmark = pytest.mark.e2e

D8_SMALL = {"depth": 6, "width": 32, "steps": 60}
D1_SMALL = {"depth": 8, "width": 16, "steps": 20}
TOP_OF_SCALE = (253, 231, 37)  # demos.js's heatColor(1): the colour of a group's highest value


def computed_run(demo_id: str, raw_params: dict) -> DemoRun:
    result = engine.execute(demo_id, raw_params)
    params = result["params"]
    return DemoRun.objects.create(demo_id=demo_id, params=params, params_key=params_key(params),
                                  engine_version=engine.ENGINE_VERSION, status=DemoRun.Status.SUCCEEDED,
                                  result=result, finished_at=timezone.now())


def address(run: DemoRun) -> str:
    query = {name: str(value).lower() if isinstance(value, bool) else value for name, value in run.params.items()}
    return f"/demos/{run.demo_id}/?{urlencode(query)}"


def rgb(colour: str) -> tuple[int, ...]:
    if colour.startswith("#"):
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(float(part)) for part in re.findall(r"[\d.]+", colour)[:3])


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two colours."""
    def luminance(colour):
        channels = [value / 255 for value in rgb(colour)]
        linear = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted([luminance(first), luminance(second)], reverse=True)
    return (high + 0.05) / (low + 0.05)


CHART_COLOURS = """() => [...document.querySelectorAll('.demo-output .result canvas')]
  .map((canvas) => Chart.getChart(canvas)).filter(Boolean)
  .map((chart) => ({series: chart.data.datasets.map((set) => set.borderColor), text: chart.options.color}))"""
FIRST_CHART = "Chart.getChart(document.querySelector('.demo-output .result canvas'))"
FIRST_SERIES_COLOUR = f"{FIRST_CHART}.data.datasets[0].borderColor"


def drawn_colours(page) -> dict:
    charts = page.evaluate(CHART_COLOURS)
    return {"series": sorted({colour for chart in charts for colour in chart["series"]}),
            "text": {chart["text"] for chart in charts},
            "page": page.evaluate("getComputedStyle(document.body).backgroundColor"),
            "missing": page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--heat-missing')")}


def test_it_draws_the_charts_in_the_themes_colours_and_redraws_them_when_the_theme_changes(page, screenshot,
                                                                                          transactional_db):
    run = computed_run("D8", D8_SMALL)
    page.emulate_media(color_scheme="light")
    page.goto(address(run))
    page.locator(".demo-output .result canvas").first.wait_for()
    light, light_first = drawn_colours(page), page.evaluate(FIRST_SERIES_COLOUR)
    page.emulate_media(color_scheme="dark")  # the system's setting, under the page's "auto" theme
    page.wait_for_function(f"() => {FIRST_SERIES_COLOUR} !== '{light_first}'")
    dark = drawn_colours(page)
    screenshot("demo-d8-dark")
    assert light["page"] != dark["page"]
    assert len(light["series"]) >= 2 and set(light["series"]).isdisjoint(dark["series"]), (light, dark)
    assert light["text"] != dark["text"] and len(dark["text"]) == 1
    assert light["missing"] != dark["missing"]
    for theme in (light, dark):
        # Lines against the page: WCAG's 3:1 for graphics; the axis text is the page's muted text (4.5:1).
        assert all(contrast(colour, theme["page"]) >= 3 for colour in theme["series"]), theme
        assert contrast(next(iter(theme["text"])), theme["page"]) >= 4.5, theme
    # The page's own toggle (light → dark here) redraws them too.
    page.evaluate("document.documentElement.dataset.theme = 'light'")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert drawn_colours(page)["series"] == light["series"]
    page.click(".theme-toggle")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert drawn_colours(page)["series"] == dark["series"]


def test_it_colours_a_pair_of_heatmaps_on_one_scale_under_one_colour_bar(page, screenshot, transactional_db):
    run = computed_run("D8", D8_SMALL)
    page.goto(address(run))
    group = page.locator(".heatmap-group[data-scale-group='std']")
    expect(group.locator("canvas[role=img]")).to_have_count(3)  # two heat-maps and their one colour bar
    expect(group.locator(".colour-bar")).to_have_count(1)
    expect(page.locator(".colour-bar")).to_have_count(1)
    group.scroll_into_view_if_needed()
    screenshot("demo-d8-heatmaps")
    heatmaps = run.result["heatmaps"]
    values = [[value for row in heatmap["values"] for value in row if value is not None] for heatmap in heatmaps]
    bar = group.locator(".colour-bar")
    assert float(bar.get_attribute("data-low")) == pytest.approx(min(map(min, values)), rel=1e-6)
    assert float(bar.get_attribute("data-high")) == pytest.approx(max(map(max, values)), rel=1e-6)
    # Each heat-map's own highest cell: the top colour only in the one that holds the pair's highest value.
    highest = max(range(len(heatmaps)), key=lambda index: max(values[index]))
    assert max(values[1 - highest]) < 0.9 * max(values[highest])  # on separate scales both would reach the top
    for index, heatmap in enumerate(heatmaps):
        row, column = max(((r, c) for r, row in enumerate(heatmap["values"]) for c, value in enumerate(row)
                           if value is not None), key=lambda cell: heatmap["values"][cell[0]][cell[1]])
        pixel = page.evaluate("""([index, row, column, columns]) => {
            const canvas = document.querySelectorAll('.heatmap-group .heatmap canvas')[index];
            const cell = canvas.width / columns;
            return [...canvas.getContext('2d').getImageData((column + 0.5) * cell, (row + 0.5) * cell, 1, 1).data]
              .slice(0, 3);
        }""", [index, row, column, len(heatmap["x_ticks"])])
        assert (tuple(pixel) == TOP_OF_SCALE) == (index == highest), (index, pixel)


def test_it_overlays_a_second_run_dashed_and_shows_both_summaries_side_by_side(page, screenshot, transactional_db):
    first = computed_run("D1", {**D1_SMALL, "activation": "sigmoid"})
    second = computed_run("D1", {**D1_SMALL, "activation": "relu"})
    page.goto(address(first))  # an anonymous visitor: both runs come from the cache
    page.locator(".demo-output .result canvas").first.wait_for()
    first_series = page.evaluate(f"{FIRST_CHART}.data.datasets.length")
    page.click(".compare-button")
    expect(page.locator(".form-error")).to_contain_text("Change a parameter first")
    page.select_option("#param-activation", "relu")
    page.click(".compare-button")
    page.locator(".compare-summary").wait_for()
    screenshot("demo-d1-compare")
    overlay = page.evaluate(f"""{FIRST_CHART}.data.datasets
        .map((set) => ({{label: set.label, dashed: set.borderDash.length > 0, colour: set.borderColor}}))""")
    second_series = len(second.result["charts"][0]["series"])
    assert len(overlay) == first_series + second_series
    assert [set_["dashed"] for set_ in overlay] == [False] * first_series + [True] * second_series
    assert all(set_["label"].endswith("(Activation: ReLU)") for set_ in overlay if set_["dashed"]), overlay
    assert all(set_["label"].endswith("(Activation: Sigmoid)") for set_ in overlay if not set_["dashed"]), overlay
    rows = page.locator(".compare-summary tbody tr")
    expect(rows).to_have_count(len({m["key"] for m in first.result["summary"] + second.result["summary"]}))
    for metric in second.result["summary"]:
        shown = page.locator(f".compare-summary tr[data-key='{metric['key']}'] td.value").nth(1).inner_text()
        if metric["value"] is not None and math.isfinite(metric["value"]):  # shown to 3 or 4 figures
            assert float(shown.split()[0]) == pytest.approx(metric["value"], rel=6e-3, abs=1e-12), (metric, shown)
    expect(page.locator(".result .conclusion")).to_have_count(2)
    expect(page.locator(".result .compare-params")).to_contain_text("Activation: ReLU")
    page.set_viewport_size({"width": 375, "height": 800})  # the side-by-side table still fits a phone
    page.wait_for_function("() => document.documentElement.scrollWidth <= innerWidth")  # once the charts resized
    # The address holds the comparison: the first run's parameters and what the second changed.
    assert "activation=sigmoid&" in page.url and page.url.endswith("vs.activation=relu")
    shared = page.context.new_page()
    shared.goto(page.url)
    expect(shared.locator(".compare-summary")).to_be_visible()
    assert shared.evaluate(f"{FIRST_CHART}.data.datasets.filter((set) => set.borderDash.length).length") \
        == second_series
    expect(shared.locator("#param-activation")).to_have_value("sigmoid")
    shared.close()
    page.click(".hide-comparison")
    expect(page.locator(".compare-summary")).to_have_count(0)
    assert page.evaluate(f"{FIRST_CHART}.data.datasets.length") == first_series
    assert "vs." not in page.url


def test_it_keeps_the_forms_parameters_in_the_address_to_reopen_the_run(page, browser, live_server,
                                                                          transactional_db):
    run = computed_run("D1", {**D1_SMALL, "activation": "tanh", "batchnorm": True})
    page.goto("/demos/D1/")
    for name, value in D1_SMALL.items():
        page.fill(f"#param-{name}", str(value))
    page.select_option("#param-activation", "tanh")
    page.check("#param-batchnorm")
    assert "activation=tanh" in page.url and "batchnorm=true" in page.url and "depth=8" in page.url
    shared = page.url
    other = browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    other.goto(shared)
    expect(other.locator(".demo-output .result .run-params")).to_contain_text("Hidden layers: 8")
    expect(other.locator(".demo-output .result .run-params")).to_contain_text("Activation: Tanh")
    assert other.evaluate("document.querySelector('.demo-output').dataset.runId") == str(run.id)
    expect(other.locator("#param-activation")).to_have_value("tanh")
    other.click(".reset-button")  # the demo's defaults, not the link's values
    expect(other.locator("#param-depth")).to_have_value(str(engine.get_demo("D1").defaults()["depth"]))
    expect(other.locator("#param-batchnorm")).not_to_be_checked()
    assert "activation=sigmoid" in other.url
    other.context.close()
