"""axe-core on every page a learner can reach (tests/e2e/pages.py), in light and dark, English and
Chinese, on a computer and a 390-pixel phone: no serious or critical violation. On the phone, in both
languages, no element runs past the screen's right edge and a screenshot of each page is kept."""

from __future__ import annotations

import collections
import itertools
import re
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.e2e.pages import PAGES, build_site

pytestmark = pytest.mark.e2e

# From npm (package.json's devDependencies): injected by the test, never served by the app.
AXE = Path(django_settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"en": "en-US", "zh": "zh-CN"}
FAILING_IMPACTS = ("serious", "critical")

RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((rule) => ({rule: rule.id, impact: rule.impact, help: rule.help,
    nodes: rule.nodes.length, where: rule.nodes.slice(0, 3).map((node) => node.target.join(" ")).join(" | ")}));
}"""

# What every page has beyond axe's serious rules: its own title, one main landmark reached by the skip
# link, a first-level heading, the header and footer landmarks.
LAYOUT_PROBLEMS = """() => {
  const site = document.querySelector(".brand").textContent.trim();
  const problems = [];
  if (!document.title.trim() || document.title.trim() === `${site} · ${site}`) problems.push("no title of its own");
  if (document.querySelectorAll("main#main").length !== 1) problems.push("not one main#main");
  if (!document.querySelector("h1")) problems.push("no h1");
  if (!document.querySelector("body > header") || !document.querySelector("body > footer")) {
    problems.push("no header or footer landmark");
  }
  if (document.querySelector("body > a.skip-link")?.getAttribute("href") !== "#main") problems.push("no skip link");
  return problems;
}"""

# Elements whose right edge passes the viewport's, unless a box that scrolls or clips them keeps them in view.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const keptIn = (node) => {
    for (let box = node.parentElement; box && box !== document.body; box = box.parentElement) {
      const clips = getComputedStyle(box).overflowX !== "visible";
      if (clips && box.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter((node) => { const box = node.getBoundingClientRect(); return box.width > 0 && box.right > width + 1; })
    .filter((node) => !keptIn(node))
    .map((node) => `${node.tagName.toLowerCase()}.${[...node.classList].join(".")} → ` +
                   `${Math.round(node.getBoundingClientRect().right)}px`);
}"""


def _open(page, site, entry) -> None:
    """Go to the page and do what the learner would before looking: reveal the answer, search."""
    page.goto(entry.path(site))
    page.locator(entry.ready).first.wait_for(state="attached")
    if entry.action == "reveal":
        page.locator(".show-answer").click()
        expect(page.locator(".ratings")).to_be_visible()
    elif entry.action == "search":
        page.locator("[data-search-open]").click()
        page.keyboard.type("sigmoid")
        page.locator(".search-dialog [role=option]").first.wait_for()


def _visit_every_page(browser, live_server, site, *, viewport: str, scheme: str, language: str, check):
    """One browser context for the combination; `check(page, entry)` on each page, visitors' first."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[viewport], locale=LOCALES[language],
                                  color_scheme=scheme)
    context.add_init_script(path=str(AXE))  # through DevTools: the page's CSP stays as production's
    page = context.new_page()
    page.set_default_timeout(15_000)
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
    logged_in = False
    try:
        for entry in PAGES:
            if not entry.anonymous and not logged_in:
                log_in(page, "alice")
                logged_in = True
            _open(page, site, entry)
            check(page, entry)
    finally:
        context.close()
    assert script_errors == []


@pytest.fixture
def site(settings, transactional_db, tmp_path):
    assert AXE.exists(), f"{AXE} is missing: `npm ci` (scripts/vendor.sh, run by `make test`) installs it"
    settings.INTERVIEW_SECONDS_PER_MINUTE = 600  # the interview on the clock stays there for the whole test
    settings.MEDIA_ROOT = tmp_path / "media"  # the own card's image, gone with the test
    return build_site()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_it_finds_no_serious_or_critical_axe_violation_on_any_page(browser, live_server, site, viewport):
    found = []
    started = time.monotonic()
    unlike_a_page = {}
    for scheme, language in itertools.product(("light", "dark"), LOCALES):
        def check(page, entry, combination=f"{scheme}/{language}"):
            found.extend({"combination": combination, "page": entry.title, "group": entry.group, **violation}
                         for violation in page.evaluate(RUN_AXE))
            if problems := page.evaluate(LAYOUT_PROBLEMS):
                unlike_a_page[f"{combination} {entry.title}"] = problems

        _visit_every_page(browser, live_server, site, viewport=viewport, scheme=scheme, language=language,
                          check=check)
    _write_report(viewport, found, seconds=time.monotonic() - started)
    failing = [f"{v['combination']} {v['page']}: {v['rule']} ({v['impact']}, {v['nodes']}×) {v['where']} — {v['help']}"
               for v in found if v["impact"] in FAILING_IMPACTS]
    assert failing == [], "\n".join(failing)
    assert unlike_a_page == {}


def _write_report(viewport: str, found: list[dict], *, seconds: float) -> None:
    """tests/e2e/screenshots/axe-<viewport>.txt: violations (elements) per page group and impact."""
    counts = collections.Counter((v["group"], v["impact"]) for v in found for _ in range(v["nodes"]))
    lines = [f"{len(PAGES)} pages × 4 combinations in {seconds:.0f} s"]
    for group in dict.fromkeys(entry.group for entry in PAGES):
        impacts = ", ".join(f"{impact} {counts[group, impact]}" for impact in ("critical", "serious", "moderate",
                                                                                "minor"))
        lines.append(f"{group}: {impacts}")
    rules = collections.Counter(f"{v['impact']} {v['rule']} ({v['page']})" for v in found)
    lines += [f"  {count}× {rule}" for rule, count in rules.most_common()]
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / f"axe-{viewport}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("language", LOCALES)
def test_it_fits_every_page_on_a_390_pixel_phone(browser, live_server, site, language):
    overflowing = {}
    SCREENSHOTS.mkdir(exist_ok=True)

    def check(page, entry):
        if found := page.evaluate(OVERFLOWING):
            overflowing[entry.title] = found[:5]
        name = "".join(c if c.isalnum() else "-" for c in entry.title).strip("-")
        page.screenshot(path=str(SCREENSHOTS / f"phone-{language}-{name}.png"), full_page=True)

    _visit_every_page(browser, live_server, site, viewport="phone", scheme="light", language=language, check=check)
    assert overflowing == {}


def test_it_skips_to_the_content_and_says_which_theme_a_press_chose(page, site):
    log_in(page, "alice")
    page.goto("/questions/all/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0  # shown once the keyboard reaches it
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.keyboard.press("Tab")  # the next stop is inside the content, not back in the header
    assert page.evaluate("document.activeElement.closest('main') !== null")

    toggle = page.locator(".theme-toggle")
    status = page.locator("#" + toggle.get_attribute("aria-describedby"))
    assert status.get_attribute("aria-live") == "polite"  # a live region: read out when it changes
    expect(status).to_have_text("Theme: as the device")
    toggle.click()
    expect(status).to_have_text("Theme: light")
    toggle.click()
    expect(status).to_have_text("Theme: dark")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.get_by_role("group", name="Language").get_by_role("button").count() == 2


def test_it_unfolds_the_import_section_an_address_names(page, site):
    log_in(page, "alice")  # she has a card: the import section starts folded
    page.goto("/questions/mine/")
    assert page.locator("details#import").get_attribute("open") is None
    page.goto("/questions/mine/#import")
    expect(page.locator("details#import input[type=file]")).to_be_visible()


def test_it_scrolls_a_wide_formula_inside_its_box_with_a_hint_on_a_phone(page, site):
    log_in(page, "alice")
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"/questions/{site.question}/")
    formula = page.locator(".answer:visible .katex-display").first
    expect(formula).to_have_class(re.compile(r"\bscrolls\b"))
    width, scroll_width, shadow = formula.evaluate(
        "box => [box.clientWidth, box.scrollWidth, getComputedStyle(box).boxShadow]")
    assert width <= 390 < scroll_width and shadow != "none"  # it scrolls, and its edges are shaded
    formula.focus()
    page.keyboard.press("ArrowRight")  # a keyboard scrolls it too
    page.wait_for_function("(box) => box.scrollLeft > 0", arg=formula.element_handle())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size(VIEWPORTS["desktop"])  # with room, it is a formula like any other
    expect(formula).not_to_have_class(re.compile(r"\bscrolls\b"))
    assert formula.get_attribute("tabindex") is None


@pytest.mark.parametrize("language", LOCALES)
def test_it_stacks_the_interview_history_and_puts_a_demos_chart_first_on_a_phone(browser, live_server, site,
                                                                                   language):
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS["phone"], locale=LOCALES[language])
    page = context.new_page()
    log_in(page, "alice")
    page.goto("/interviews/history/")
    rows = page.locator(".interview-table tbody tr")
    expect(rows).to_have_count(3)
    for row in rows.all():  # every cell of a row within the screen, under its column's name
        for cell in row.locator("td").all():
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, cell.inner_text()
    labels = rows.first.locator("td[data-label]").evaluate_all(
        "cells => cells.map((cell) => getComputedStyle(cell, '::before').content)")
    headings = page.locator(".interview-table thead th").evaluate_all(
        "cells => cells.slice(0, 5).map((cell) => `\"${cell.textContent}\"`)")
    assert labels == headings
    page.emulate_media(color_scheme="dark")  # the trend's text and grid in the dark theme's colours
    page.reload()
    page.wait_for_function("() => window.Chart && Chart.getChart('interview-trend')")
    assert page.evaluate("[Chart.getChart('interview-trend').options.color,"
                         " Chart.getChart('interview-trend').options.scales.y.grid.color]") == ["#9aa5b1", "#2c333a"]

    page.goto(f"/demos/{site.demo}/")
    result = page.locator(".demo-output .result")
    result.locator("canvas").first.wait_for()
    top = {name: result.locator(selector).first.bounding_box()["y"]
           for name, selector in (("conclusion", ".conclusion"), ("chart", ".chart-box"), ("tiles", ".summary-grid"))}
    assert top["conclusion"] < top["chart"] < top["tiles"], top
    run = page.locator(".run-button").bounding_box()["y"]
    assert top["chart"] - run < VIEWPORTS["phone"]["height"], top  # within a screen of Run, no longer two below
    context.close()
