"""Polling a run as a demo page does: the whole run when something changed since the page's ?seen=, 204 when not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quizapp.demos import services
from quizapp.demos.models import DemoRun


@pytest.fixture
def running(alice):
    run = DemoRun.objects.create(demo_id="D1", params={}, params_key="poll", engine_version="test", created_by=alice)
    assert services.demo_run_claim(run_id=run.id, worker="w", task_id="t")
    return DemoRun.objects.get(id=run.id)


def poll(client, run, **query):
    return client.get(reverse("api-run-detail", args=[run.id]), query)


def test_it_answers_204_while_nothing_changed_and_the_run_once_it_has(api_client, running):
    seen = poll(api_client, running).json()["progress_seq"]
    assert poll(api_client, running, seen=seen).status_code == 204
    chart = {"title": {"en": "Training loss", "zh": "训练损失"}, "series": []}
    services.demo_run_progress(run_id=running.id, fraction=0.5, message="half", charts=[chart])
    changed = poll(api_client, running, seen=seen)
    assert changed.status_code == 200
    body = changed.json()
    assert body["progress_seq"] > seen and body["progress"] == 0.5 and body["live_charts"] == [chart]
    services.demo_run_succeed(run_id=running.id, result={"charts": []})
    done = poll(api_client, running, seen=body["progress_seq"]).json()
    assert done["status"] == "succeeded" and done["live_charts"] == []  # the result's charts replace them


def test_it_fails_a_silent_run_even_when_the_page_saw_its_last_change(api_client, running, settings):
    seen = running.progress_seq
    DemoRun.objects.filter(id=running.id).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.DEMO_STALE_SECONDS + 1))
    answer = poll(api_client, running, seen=seen)
    assert answer.status_code == 200 and answer.json()["status"] == "failed"


@pytest.mark.parametrize("seen", ["abc", "-1", "99999999999"])
def test_it_refuses_a_seen_that_is_not_a_progress_seq(api_client, running, seen):
    answer = poll(api_client, running, seen=seen)
    assert answer.status_code == 400 and "seen" in answer.json()
