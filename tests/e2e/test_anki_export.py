"""A learner with many own cards downloads their Anki deck in a browser without JavaScript: the list's link
leads to the deck's page, which refreshes itself while a real worker builds it, then offers the download."""

from __future__ import annotations

import pytest

from tests.anki_support import anki_collection, anki_import
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.integration.test_anki_export_worker import own_cards
from tests.worker import running_worker

pytestmark = pytest.mark.e2e

OWN_CARDS = 1500


@pytest.fixture
def exports_worker(transactional_db):
    with running_worker(name="e2e-exports", queues="exports") as worker:
        yield worker


@pytest.fixture
def page_without_script(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_it_builds_a_large_deck_behind_a_self_refreshing_page_and_downloads_it(
        page_without_script, exports_worker, alice, settings, tmp_path):
    settings.ANKI_EXPORT_ASYNC_CARDS = 500
    own_cards(alice, OWN_CARDS)
    page = page_without_script
    log_in(page, "alice")
    page.goto("/questions/all/")
    page.get_by_role("link", name="Download as an Anki deck (.apkg)").click()
    page.wait_for_url("**/questions/exports/*/")
    assert page.get_by_text(f"{OWN_CARDS} cards").is_visible()
    assert page.locator("progress").is_visible()  # the worker takes a second or more over 1,500 cards
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "anki-export-building.png"), full_page=True)
    download_link = page.get_by_role("link", name="Download the deck (.apkg)")
    download_link.wait_for(timeout=120_000)  # the page asks again every second until the worker is done
    page.screenshot(path=str(SCREENSHOTS / "anki-export-ready.png"), full_page=True)
    with page.expect_download() as downloading:
        download_link.click()
    deck = tmp_path / "deck.apkg"
    downloading.value.save_as(deck)
    assert downloading.value.suggested_filename == "dl-interview-en.apkg"
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, deck, scheduling=False)
        assert collection.note_count() == OWN_CARDS
