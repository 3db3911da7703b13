"""The study API: queue, review (idempotent), undo, bury, suspend, settings, stats; own objects only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from fsrs import Card, Rating, Scheduler

from questions.models import Question
from quizapp.core.errors import InvalidInput
from quizapp.study import selectors, services
from quizapp.study.models import CardState, ReviewLog, SchedulerOptimization, StudySettings

pytestmark = pytest.mark.usefixtures("no_fuzz")


def _review(client, question, rating=3, **extra):
    return client.post("/api/study/reviews/", {"question": question.pk, "rating": rating,
                                               "client_id": str(extra.pop("client_id", uuid.uuid4())), **extra},
                       format="json")


def test_it_serves_the_next_card_with_the_interval_of_each_rating(alice_api, make_question):
    question = make_question()
    response = alice_api.get("/api/study/queue/")
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"new": 1, "learning": 0, "review": 0}
    card = body["cards"][0]
    assert (card["question"], card["state"], card["prompt"]) == (question.pk, "new", question.question)
    now = timezone.now()
    expected = {str(int(rating)): (Scheduler(enable_fuzzing=False).review_card(Card(card_id=1, due=now), rating,
                                                                              review_datetime=now)[0].due - now)
                for rating in Rating}
    for rating, interval in expected.items():
        assert card["intervals"][rating] == pytest.approx(interval.total_seconds(), abs=5)
    assert card["intervals"]["1"] == 60 and card["intervals"]["3"] == 600


# Noon in the default learner's zone (Asia/Shanghai): a card learnt again in ten minutes is due today, which it
# is not between 19:50 and 20:00 UTC, when ten minutes ahead is past the study day's end.
@time_machine.travel(datetime(2026, 6, 1, 4, 0, tzinfo=UTC), tick=True)
def test_it_records_a_review_once_per_client_id(alice_api, make_question):
    question, client_id = make_question(), uuid.uuid4()
    first = _review(alice_api, question, client_id=client_id)
    again = _review(alice_api, question, rating=1, client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["log"]["id"] == again.json()["log"]["id"]
    assert ReviewLog.objects.count() == 1
    assert first.json()["card"]["state"] == "learning"
    assert first.json()["next"]["counts"] == {"new": 0, "learning": 1, "review": 0}
    assert alice_api.get("/api/study/queue/").json()["counts"]["learning"] == 1


def test_it_answers_409_when_another_tab_rated_the_card(alice_api, make_question):
    question = make_question()
    assert _review(alice_api, question, expected_reps=0).status_code == 201
    stale = _review(alice_api, question, expected_reps=0)
    assert stale.status_code == 409 and stale.json()["card"]["reps"] == 1


@pytest.mark.parametrize("body", [{"rating": 0}, {"rating": 5}, {"client_id": "not-a-uuid"}, {"question": 999999},
                                  {"question": 2**63}, {"duration_ms": -1}])
def test_it_refuses_bad_reviews(alice_api, make_question, body):
    question = make_question()
    payload = {"question": question.pk, "rating": 3, "client_id": str(uuid.uuid4()), **body}
    refused = alice_api.post("/api/study/reviews/", payload, format="json")
    assert refused.status_code == 400 and set(refused.json()) == set(body)  # the message names the field
    assert not ReviewLog.objects.exists() and not CardState.objects.exists()


def test_it_names_an_unknown_question_in_the_learners_language(alice_api, make_question):
    payload = {"question": 999999, "rating": 3, "client_id": str(uuid.uuid4())}
    english = alice_api.post("/api/study/reviews/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and english.json() == {
        "question": ['Invalid pk "999999" - object does not exist.']}
    chinese = alice_api.post("/api/study/reviews/", payload, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 400 and "999999" in chinese.json()["question"][0]
    assert chinese.json()["question"] != english.json()["question"]


def test_it_needs_a_login(api_client, make_question):
    assert api_client.get("/api/study/queue/").status_code in (401, 403)
    assert _review(api_client, make_question()).status_code in (401, 403)


def test_it_undoes_the_last_rating_then_has_nothing_left(alice_api, make_question):
    question = make_question()
    _review(alice_api, question)
    response = alice_api.post("/api/study/undo/")
    assert response.status_code == 200 and response.json()["state"] == "new"
    assert alice_api.post("/api/study/undo/").status_code == 409
    assert alice_api.get("/api/study/queue/").json()["counts"]["new"] == 1


def test_it_buries_and_suspends_cards(alice_api, make_question):
    first, second, third = make_question(), make_question(), make_question()
    assert alice_api.post("/api/study/bury/", {"question": first.pk}, format="json").status_code == 200
    assert alice_api.post("/api/study/suspend/", {"question": second.pk}, format="json").json()["suspended"]
    body = alice_api.get("/api/study/queue/?limit=5").json()
    assert [card["question"] for card in body["cards"]] == [third.pk] and body["counts"]["new"] == 1


def test_it_shows_and_unsuspends_leeches(alice_api, alice, make_question):
    question = make_question()
    services.card_review(user=alice, question=question, rating=4)
    CardState.objects.filter(user=alice).update(lapses=8, is_leech=True, suspended=True)
    card_id = CardState.objects.get(user=alice).pk
    assert [card["id"] for card in alice_api.get("/api/study/cards/?leech=1").json()["results"]] == [card_id]
    assert alice_api.post(f"/api/study/cards/{card_id}/unsuspend/").json()["suspended"] is False
    assert alice_api.post(f"/api/study/cards/{card_id}/reset/").json()["state"] == "new"


def test_it_changes_settings_within_bounds_only(alice_api, alice, make_question):
    topic = make_question(topic="attention").topic
    response = alice_api.patch("/api/study/settings/", {"desired_retention": 0.85, "topics": [topic.slug],
                                                        "timezone": "Europe/Berlin"}, format="json")
    assert response.status_code == 200 and response.json()["topics"] == ["attention"]
    for bad in ({"desired_retention": 0.99}, {"desired_retention": 0.5}, {"day_start_hour": 24},
                {"timezone": "Mars/Olympus"}, {"new_cards_per_day": -1}, {"new_card_order": "alphabetical"}):
        refused = alice_api.patch("/api/study/settings/", bad, format="json")
        assert refused.status_code == 400 and set(refused.json()) == set(bad)
    saved = StudySettings.objects.get(user=alice)
    assert (saved.desired_retention, saved.timezone, saved.day_start_hour) == (0.85, "Europe/Berlin", 4)


def test_it_reports_statistics(alice_api, alice, make_question):
    question = make_question()
    make_question()
    services.card_review(user=alice, question=question, rating=4, duration_ms=90_000)
    body = alice_api.get("/api/study/stats/").json()
    assert body["today"]["reviews"] == 1 and body["today"]["minutes"] == 1.5
    assert body["cards_by_state"]["review"] == 1 and body["cards_by_state"]["new"] == 1
    assert sum(count for _, count in body["forecast"]) == 1
    assert len(body["forecast"]) == 30 and len(body["time_spent"]) == 30
    assert body["heatmap"]["days"] == [[body["today"]["day"], 1]]
    assert sum(body["retrievability"]["bins"]) == 1


def test_it_computes_true_retention_from_review_state_ratings(alice, alice_api, make_question):
    questions = [make_question() for _ in range(4)]
    start = timezone.now() - timedelta(days=20)
    for question in questions:
        services.card_review(user=alice, question=question, rating=4, reviewed_at=start)
    for question, rating in zip(questions, [1, 3, 3, 2], strict=True):
        services.card_review(user=alice, question=question, rating=rating, reviewed_at=timezone.now())
    windows = {window["days"]: window for window in alice_api.get("/api/study/stats/").json()["true_retention"]}
    assert windows[7] == {"days": 7, "reviews": 4, "retention": 0.75}


def test_it_reads_a_new_learners_defaults_without_writing(alice_api, alice_client, make_question):
    make_question()
    for path in ("/api/study/settings/", "/api/study/queue/", "/api/study/stats/", "/api/study/cards/"):
        assert alice_api.get(path).status_code == 200, path
    for path in ("/study/", "/study/stats/", "/study/settings/", "/study/leeches/"):
        assert alice_client.get(path).status_code == 200, path
    assert alice_api.get("/api/study/settings/").json()["topics"] == []
    assert not StudySettings.objects.exists()


def test_it_lists_the_api_in_the_schema(alice_api):
    schema = alice_api.get("/api/schema/").content.decode()
    for path in ("/api/study/queue/", "/api/study/reviews/", "/api/study/undo/", "/api/study/bury/",
                 "/api/study/suspend/", "/api/study/settings/", "/api/study/stats/"):
        assert path in schema


class TestPrivacy:
    """alice can neither read nor change bob's cards, logs, settings or optimisations."""

    @pytest.fixture
    def bobs(self, bob, make_question):
        log = services.card_review(user=bob, question=make_question(), rating=3)
        services.study_settings_update(user=bob, fields={"desired_retention": 0.8})
        optimization = SchedulerOptimization.objects.create(user=bob)
        return {"card": log.card, "log": log, "optimization": optimization}

    def test_it_hides_bobs_objects_from_alice(self, alice_api, bobs):
        assert alice_api.get(f"/api/study/cards/{bobs['card'].pk}/").status_code == 404
        assert alice_api.get(f"/api/study/logs/{bobs['log'].pk}/").status_code == 404
        assert alice_api.get(f"/api/study/optimizations/{bobs['optimization'].pk}/").status_code == 404
        assert alice_api.get("/api/study/cards/").json()["results"] == []
        assert alice_api.get("/api/study/logs/").json()["results"] == []
        assert alice_api.get("/api/study/settings/").json()["desired_retention"] == 0.9
        assert alice_api.get("/api/study/stats/").json()["total_reviews"] == 0

    def test_it_keeps_alice_from_changing_bobs_objects(self, alice_api, bob, bobs):
        card = bobs["card"]
        assert alice_api.post(f"/api/study/cards/{card.pk}/reset/").status_code == 404
        assert alice_api.post(f"/api/study/cards/{card.pk}/unsuspend/").status_code == 404
        assert alice_api.post("/api/study/undo/").status_code == 409
        alice_api.patch("/api/study/settings/", {"desired_retention": 0.95}, format="json")
        assert StudySettings.objects.get(user=bob).desired_retention == 0.8
        assert CardState.objects.get(pk=card.pk).reps == 1 and ReviewLog.objects.filter(user=bob).count() == 1

    def test_it_keeps_alices_reviews_of_the_same_question_apart(self, alice_api, bobs):
        assert _review(alice_api, bobs["card"].question).status_code == 201
        assert CardState.objects.get(pk=bobs["card"].pk).reps == 1
        assert CardState.objects.filter(question=bobs["card"].question).count() == 2

    def test_it_keeps_bobs_leech_pages_from_alice(self, alice_client, bobs):
        assert alice_client.post(f"/study/leeches/{bobs['card'].pk}/reset/").status_code == 404
        assert CardState.objects.get(pk=bobs["card"].pk).reps == 1


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_it_refuses_a_retention_that_is_not_a_finite_number(alice_api, alice, value):
    # NaN passes the range checks (every comparison with it is false); stored, it broke every later request.
    refused = alice_api.patch("/api/study/settings/", {"desired_retention": value}, format="json",
                              HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "Enter a finite number." in refused.json()["desired_retention"]
    assert selectors.study_settings_get(user=alice).desired_retention == 0.9
    assert alice_api.get("/api/study/queue/").status_code == 200
    assert alice_api.get("/api/study/settings/").json()["desired_retention"] == 0.9


def test_it_refuses_a_non_finite_retention_in_the_model_itself(alice):
    with pytest.raises(InvalidInput) as refused:
        services.study_settings_update(user=alice, fields={"desired_retention": float("nan")})
    assert "desired_retention" in refused.value.fields
    assert selectors.study_settings_get(user=alice).desired_retention == 0.9


def test_it_answers_409_when_another_card_took_the_client_id_after_the_check(alice_api, alice, make_question,
                                                                             monkeypatch):
    first, second = make_question(), make_question()
    client_id = uuid.uuid4()
    assert _review(alice_api, first, client_id=client_id).status_code == 201
    # Two requests with one client id for two cards lock different rows, so both can pass the
    # check before either inserts its log. Blinding the check replays that interleaving: the
    # insert itself must then refuse the id.
    earlier_outcome, checks = services._earlier_outcome, []

    def check_blind_to_the_client_id(**kwargs):
        checks.append(kwargs)
        return None if len(checks) == 1 else earlier_outcome(**kwargs)

    monkeypatch.setattr(services, "_earlier_outcome", check_blind_to_the_client_id)
    conflict = _review(alice_api, second, client_id=client_id)
    assert conflict.status_code == 409 and str(client_id) in conflict.json()["detail"]
    assert ReviewLog.objects.filter(user=alice).count() == 1
    assert not CardState.objects.filter(user=alice, question=second).exists()  # its rating was rolled back


def test_it_lists_no_leeches_of_retired_questions(alice_api, alice, make_question):
    current, retired = make_question(), make_question()
    for question in (current, retired):
        services.card_review(user=alice, question=question, rating=4)
    CardState.objects.filter(user=alice).update(lapses=8, is_leech=True, suspended=True)
    Question.objects.filter(pk=retired.pk).update(retired=True)
    leeches = alice_api.get("/api/study/cards/?leech=1").json()["results"]
    assert [card["question"] for card in leeches] == [current.pk]
    assert len(alice_api.get("/api/study/cards/").json()["results"]) == 2  # its state is kept
