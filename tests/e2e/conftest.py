"""End-to-end tests drive Debian's Chromium through Playwright against a live test server.

Without /usr/bin/chromium they are skipped with a message saying how to enable them; with
CI=true a missing browser fails the run instead.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
# True once the study page holds no rating the server has not acknowledged (static/js/study.js's store).
RATINGS_SENT = "() => !Object.keys(localStorage).some((key) => key.startsWith('quizapp.ratings.'))"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]

# Playwright's sync API runs an event loop; Django must still allow the test's own DB calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    # In CI a missing browser is an error: the `browser` fixture fails those tests.
    if Path(CHROMIUM).exists() or os.environ.get("CI") == "true":
        return
    message = (f"{CHROMIUM} is missing: run `make test` as root (it installs Debian's chromium) "
               "or `apt-get install chromium` to enable the end-to-end tests")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def playwright_driver():
    """Playwright, started once: a test module that needs a browser launched its own way (other flags)
    launches it from here, since a second sync_playwright() cannot run beside the first."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing (CI requires it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser tab; the test fails if a page script threw (an exception or a rejected promise
    nothing caught), whatever the test itself looked at."""
    if "transactional_db" in request.fixturenames:
        # Set up first, so emptied last: the tab closes (no autosave or rating still on its way) before the
        # database is flushed, whatever order the test names its fixtures in.
        request.getfixturevalue("transactional_db")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900},
                                  locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
    yield page
    ratings_settled(page)
    context.close()
    assert script_errors == []


def ratings_settled(page, seconds: float = 10) -> None:
    """Wait until the study page holds no rating still on its way to the server. A test may end on a key
    that rated a card: its request, or the one the page sends as it closes, must not reach the server
    while the next test's database is being emptied."""
    from playwright.sync_api import Error

    if not page.url.startswith("http"):  # about:blank: no page of the site, no storage to read
        return
    with contextlib.suppress(Error):  # a page left offline keeps its ratings: nothing to wait for
        page.wait_for_function(RATINGS_SENT, timeout=seconds * 1000)


@pytest.fixture
def screenshot(page):
    """screenshot("name") saves tests/e2e/screenshots/name.png (git-ignored) and returns its path."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
