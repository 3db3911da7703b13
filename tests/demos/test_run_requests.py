"""Requesting demo runs through the API: validation before queueing, the cache, limits, access.

Tasks run eagerly here (in this process); tests/integration runs them in a real worker.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from quizapp.demos.models import DemoRequest, DemoRun

FAST_DEMO = "D13"  # convolution arithmetic: closed-form checks, a fraction of a second


def start(client, params=None, demo_id=FAST_DEMO, **headers):
    return client.post(reverse("api-demo-run-start", args=[demo_id]), {"params": params or {}}, format="json",
                       **headers)


def test_it_lists_every_registered_demo_with_its_spec(api_client):
    demos = api_client.get(reverse("api-demo-list")).json()
    assert FAST_DEMO in [demo["id"] for demo in demos]
    for demo in demos:
        assert demo["title"]["en"] and demo["title"]["zh"]
        for param in demo["params"]:
            assert param["label"]["en"] and param["label"]["zh"]
            if param["kind"] in ("int", "float"):
                assert param["minimum"] <= param["default"] <= param["maximum"]


def test_it_refuses_bad_parameters_field_by_field_before_anything_is_queued(alice_api, sent_tasks,
                                                                             django_capture_on_commit_callbacks):
    spec = alice_api.get(reverse("api-demo-detail", args=[FAST_DEMO])).json()
    bounded = next(p for p in spec["params"] if p["kind"] == "int")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post(reverse("api-demo-run-start", args=[FAST_DEMO]),
                                  {"params": {bounded["name"]: bounded["maximum"] + 1, "no_such_knob": 3}},
                                  format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.json()["params"]
    assert str(bounded["maximum"]) in errors[bounded["name"]]
    assert errors["no_such_knob"] == "unknown parameter"
    assert DemoRun.objects.count() == 0
    assert sent_tasks == []


def test_it_names_bad_parameters_in_the_learners_language(alice_api):
    spec = alice_api.get(reverse("api-demo-detail", args=[FAST_DEMO])).json()
    bounded = next(p for p in spec["params"] if p["kind"] == "int")
    response = alice_api.post(reverse("api-demo-run-start", args=[FAST_DEMO]),
                              {"params": {bounded["name"]: bounded["maximum"] + 1, "no_such_knob": 3}},
                              format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    errors = response.json()["params"]
    assert errors[bounded["name"]] == f"必须在 {bounded['minimum']} 到 {bounded['maximum']} 之间"
    assert errors["no_such_knob"] == "未知参数"


def test_it_answers_404_for_an_unknown_demo(alice_api):
    assert start(alice_api, demo_id="D99").status_code == 404


def test_it_queues_a_new_run_on_commit_on_the_demo_queue(alice_api, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = start(alice_api)
    assert response.status_code == 201
    run = DemoRun.objects.get()
    assert response.json()["id"] == str(run.id)
    assert run.status == DemoRun.Status.QUEUED
    assert sent_tasks == [([str(run.id)], "demos")]


def test_it_runs_the_demo_and_stores_a_result_in_the_common_shape(alice_api, eager_celery,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = start(alice_api).json()["id"]
    run = alice_api.get(reverse("api-run-detail", args=[run_id])).json()
    assert run["status"] == "succeeded", run["error"]
    result = run["result"]
    assert result["demo"] == FAST_DEMO
    assert result["device"] in ("cpu", "cuda")
    assert result["compute_seconds"] > 0
    assert result["summary"] and result["conclusion"]["en"] and result["conclusion"]["zh"]
    assert run["progress"] == 1.0


def test_it_returns_the_same_run_from_the_cache_for_the_same_parameters(alice_api, bob_api, eager_celery,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = start(alice_api).json()
    spec_defaults = {p["name"]: p["default"] for p in alice_api.get(
        reverse("api-demo-detail", args=[FAST_DEMO])).json()["params"]}
    again = start(bob_api, spec_defaults)  # the defaults spelled out are the same parameters
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["from_cache"] is True
    assert DemoRun.objects.count() == 1
    assert DemoRequest.objects.filter(from_cache=True).count() == 1


def test_it_does_not_reuse_a_failed_run(alice_api, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = start(alice_api).json()
    DemoRun.objects.filter(id=first["id"]).update(status=DemoRun.Status.FAILED, error="worker lost")
    with django_capture_on_commit_callbacks(execute=True):
        second = start(alice_api)
    assert second.status_code == 201
    assert second.json()["id"] != first["id"]


def test_it_lets_anonymous_visitors_see_cached_runs_but_not_start_new_ones(api_client, alice_api, eager_celery,
                                                                           django_capture_on_commit_callbacks):
    refused = start(api_client)
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"  # names the login scheme
    assert "log in" in refused.json()["detail"].lower()
    assert DemoRun.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        run_id = start(alice_api).json()["id"]
    cached = start(api_client)
    assert cached.status_code == 200 and cached.json()["id"] == run_id
    assert api_client.get(reverse("api-run-detail", args=[run_id])).json()["status"] == "succeeded"


def test_it_limits_new_runs_per_minute_with_retry_after(alice_api, sent_tasks, settings,
                                                        django_capture_on_commit_callbacks):
    settings.DEMO_RUNS_PER_MINUTE = 3
    spec = alice_api.get(reverse("api-demo-detail", args=[FAST_DEMO])).json()
    knob = next(p for p in spec["params"] if p["kind"] == "int")
    values = range(knob["minimum"], knob["minimum"] + 4)
    with django_capture_on_commit_callbacks(execute=True):
        codes = [start(alice_api, {knob["name"]: value}).status_code for value in values]
    assert codes == [201, 201, 201, 429]
    limited = start(alice_api, {knob["name"]: knob["minimum"] + 5})
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert DemoRun.objects.count() == 3
    assert start(alice_api, {knob["name"]: knob["minimum"]}).status_code == 200  # cached answers are free


@pytest.mark.parametrize(("language", "message"), [("en", "The task queue is unavailable"),
                                                   ("zh-hans", "任务队列暂时不可用")])
def test_it_answers_503_at_once_and_records_nothing_when_the_broker_is_down(alice_api, broker_down, language,
                                                                            message):
    response = start(alice_api, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 503
    assert message in response.json()["detail"]
    assert int(response["Retry-After"]) == settings.TASK_QUEUE_RETRY_AFTER_SECONDS
    # Nothing waits for a task that does not exist, and the refused start is not charged to the rate limit.
    assert not DemoRun.objects.exists() and not DemoRequest.objects.exists()


@pytest.mark.timeout(30)  # without socket timeouts the publish waits for an answer forever
def test_it_answers_503_when_the_broker_accepts_connections_but_never_answers(alice_api, broker_silent):
    response = start(alice_api, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert int(response["Retry-After"]) == settings.TASK_QUEUE_RETRY_AFTER_SECONDS
    assert not DemoRun.objects.exists()


def test_it_lists_only_my_runs(alice_api, bob_api, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = start(alice_api).json()["id"]
    assert [r["run"]["id"] for r in alice_api.get(reverse("api-my-runs")).json()["results"]] == [run_id]
    assert bob_api.get(reverse("api-my-runs")).json()["results"] == []


def test_it_fails_runs_whose_worker_went_silent_when_they_are_read(alice_api, sent_tasks, settings,
                                                                   django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        run_id = start(alice_api).json()["id"]
    long_ago = timezone.now() - timedelta(seconds=settings.DEMO_STALE_SECONDS + 1)
    DemoRun.objects.filter(id=run_id).update(status=DemoRun.Status.RUNNING, heartbeat_at=long_ago)
    run = alice_api.get(reverse("api-run-detail", args=[run_id])).json()
    assert run["status"] == "failed"
    assert "stopped responding" in run["error"]


def test_it_still_shows_the_page_of_a_run_of_a_demo_no_longer_in_the_engine(client, db):
    run = DemoRun.objects.create(demo_id="D99", params={}, params_key="0" * 64, engine_version="1",
                                 status=DemoRun.Status.FAILED, error="gone")
    response = client.get(reverse("demos:run", args=[run.id]))
    assert response.status_code == 200 and "D99" in response.content.decode()


def test_it_refuses_a_form_encoded_request_instead_of_running_the_defaults(alice_api, sent_tasks):
    response = alice_api.post(reverse("api-demo-run-start", args=[FAST_DEMO]), {"params": "x"})
    assert response.status_code == 415
    assert not DemoRun.objects.exists() and not sent_tasks


@pytest.mark.parametrize("path", ["/api/demos/{demo_id}/runs/", "/api/study/optimizations/"])
def test_it_documents_503_with_retry_after_in_the_schema_where_a_start_queues_a_task(client, db, path):
    schema = client.get("/api/schema/?format=json").json()
    unavailable = schema["paths"][path]["post"]["responses"]["503"]
    assert unavailable["headers"]["Retry-After"]["schema"]["type"] == "integer"
    component = unavailable["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][component]["required"] == ["detail"]
