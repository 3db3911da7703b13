"""Default runs computed ahead (manage.py precompute_demos): what a page shows on arrival, labelled as what it is."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

import engine
from questions.models import QuestionDemo
from quizapp.demos import services
from quizapp.demos.models import DemoRun
from tests.factories import make_question

FAST_DEMOS = ["D13", "D3"]  # closed-form convolution arithmetic and a tiny zero-init network: under a second


@pytest.fixture(autouse=True)
def same_priority(settings):
    """The command lowers its own CPU priority, for good: in this test process it must not."""
    settings.WORKER_NICENESS = 0


def precompute(*demo_ids: str) -> str:
    out = io.StringIO()
    call_command("precompute_demos", *demo_ids, stdout=out, stderr=out)
    return out.getvalue()


def default_runs() -> list[DemoRun]:
    return list(DemoRun.objects.filter(params_key__in=[services.params_key(engine.get_demo(demo_id).validate({}))
                                                       for demo_id in FAST_DEMOS]).order_by("demo_id"))


def test_it_computes_each_demos_default_run_once(db):
    output = precompute(*FAST_DEMOS)
    runs = default_runs()
    assert [(run.demo_id, run.status, run.engine_version) for run in runs] == [
        ("D13", "succeeded", engine.ENGINE_VERSION), ("D3", "succeeded", engine.ENGINE_VERSION)]
    assert all(run.params == engine.get_demo(run.demo_id).validate({}) for run in runs)
    assert all(run.result["conclusion"]["en"] for run in runs)
    assert "D13: computed in" in output and "D3: computed in" in output

    again = precompute(*FAST_DEMOS)
    assert DemoRun.objects.count() == 2  # nothing computed the second time
    assert "computed in" not in again and "D13: nothing to compute" in again


def test_it_computes_a_demo_that_draws_live_charts_and_keeps_none_of_them(db):
    """D5 sends its charts so far with each progress report; the stored result has its final charts."""
    assert "D5: computed in" in precompute("D5")
    run = DemoRun.objects.get(demo_id="D5")
    assert (run.status, run.live_charts) == ("succeeded", [])
    assert run.result["charts"] and run.progress_seq > 2


def test_it_computes_again_for_a_new_engine_version(db, monkeypatch):
    precompute("D13")
    current = engine.ENGINE_VERSION
    monkeypatch.setattr(engine, "ENGINE_VERSION", "next")
    monkeypatch.setattr(engine.runtime, "ENGINE_VERSION", "next")
    assert "D13: computed in" in precompute("D13")
    assert sorted(DemoRun.objects.values_list("engine_version", flat=True)) == sorted(["next", current])
    assert DemoRun.objects.get(engine_version="next").result["engine_version"] == "next"


def test_it_leaves_alone_a_default_run_a_learner_is_computing(db, alice):
    spec = engine.get_demo("D13")
    DemoRun.objects.create(demo_id="D13", params=spec.validate({}), params_key=services.params_key(spec.validate({})),
                           engine_version=engine.ENGINE_VERSION, status=DemoRun.Status.RUNNING, created_by=alice,
                           worker="w@test", heartbeat_at=timezone.now())
    assert "D13: nothing to compute" in precompute("D13")
    assert DemoRun.objects.count() == 1


def test_it_computes_the_others_when_one_fails_and_exits_non_zero(db, monkeypatch):
    computing = engine.execute

    def broken_d3(demo_id, params, **options):
        if demo_id == "D3":
            raise RuntimeError("out of memory")
        return computing(demo_id, params, **options)

    monkeypatch.setattr(engine, "execute", broken_d3)
    out = io.StringIO()
    with pytest.raises(CommandError, match="D3"):
        call_command("precompute_demos", "D3", "D13", stdout=out, stderr=out)
    assert "D3: FAILED: RuntimeError: out of memory" in out.getvalue()
    assert {run.demo_id: run.status for run in DemoRun.objects.all()} == {"D3": "failed", "D13": "succeeded"}
    monkeypatch.setattr(engine, "execute", computing)
    assert "D3: computed in" in precompute("D3")  # a failed run is not a result: the next call tries again


def test_it_refuses_an_unknown_demo(db):
    with pytest.raises(CommandError, match="D99"):
        precompute("D99")


@pytest.mark.parametrize("visitor", ["anonymous", "alice"])
def test_it_shows_the_precomputed_result_on_the_demo_and_question_pages_at_once(client, alice, visitor):
    if visitor == "alice":
        client.force_login(alice)
    precompute("D13")
    run = DemoRun.objects.get()
    question = make_question()
    QuestionDemo.objects.create(question=question, demo_id="D13", position=1)
    for url in (reverse("demos:detail", args=["D13"]), reverse("questions:detail", args=[question.card_id])):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert f'data-run-id="{run.id}"' in html
        # Readable with no script, and labelled as what it is: stored, with when, where and how long.
        assert f'<p class="conclusion">{escape(run.result["conclusion"]["en"])}</p>' in html
        assert "Stored result: computed" in html and f"on CPU in {run.result['compute_seconds']:.2f} s" in html


def test_it_calls_a_run_from_the_cache_only_when_it_had_finished_before_it_was_asked_for(alice_api, bob, bob_api,
                                                                                      sent_tasks, settings):
    settings.DEMO_RUNS_PER_MINUTE = 1
    url = reverse("api-demo-run-start", args=["D13"])
    started = alice_api.post(url, {"params": {}}, format="json")
    assert started.status_code == 201 and started.json()["from_cache"] is False
    joined = bob_api.post(url, {"params": {}}, format="json")  # still queued: bob will watch it compute
    assert joined.status_code == 200 and joined.json()["id"] == started.json()["id"]
    assert joined.json()["from_cache"] is False
    DemoRun.objects.update(status=DemoRun.Status.SUCCEEDED, finished_at=timezone.now())
    cached = bob_api.post(url, {"params": {}}, format="json")
    assert cached.status_code == 200 and cached.json()["from_cache"] is True
    assert list(bob.demo_requests.values_list("from_cache", flat=True).order_by("requested_at")) == [False, True]
    # Joining cost no computing: bob may still start a run of his own this minute.
    assert bob_api.post(url, {"params": {"input_size": 9}}, format="json").status_code == 201
