"""A demo's page shows its default result on arrival, and every result says where it came from."""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_it_shows_the_stored_default_result_at_once_to_an_anonymous_visitor(page, settings, transactional_db):
    settings.WORKER_NICENESS = 0  # the command would lower this test process's priority for good
    call_command("precompute_demos", "D13", stdout=io.StringIO())
    page.goto("/demos/D13/")
    # No worker and nobody logged in: the page has it already, labelled as stored, and draws its charts.
    expect(page.locator(".demo-output .run-status")).to_have_text(
        re.compile(r"^Stored result: computed .+ on CPU in \d+\.\d\d s$"))
    expect(page.locator(".demo-output .result .conclusion")).not_to_be_empty()
    page.locator(".demo-output .result canvas").first.wait_for()


def test_it_says_computed_just_now_for_a_fresh_run_and_from_the_cache_for_its_repeat(page, alice, celery_worker):
    log_in(page, "alice")
    page.goto("/demos/D13/")
    page.fill("#param-input_size", "9")
    page.click(".run-button")
    status = page.locator(".demo-output .run-status")
    expect(status).to_have_text(re.compile(r"^Computed just now on CPU in \d"), timeout=120_000)
    page.click(".run-button")
    expect(status).to_have_text(re.compile(r"^From the cache: computed .+ on CPU in \d"))
