"""My data: download everything of mine as JSON, and delete my account with all of it, after the
password. Nothing of anybody else's leaves with mine or goes with mine."""

import json

import pytest

from questions.models import Question
from quizapp.accounts.services import api_token_create
from quizapp.demos.models import DemoRequest, DemoRun
from quizapp.interviews.models import Interview
from quizapp.interviews.services import interview_create
from quizapp.study.models import CardState, ReviewLog, StudySettings
from quizapp.study.services import card_review, study_settings_update
from tests.factories import PASSWORD, make_question, make_questions, make_topic


@pytest.fixture
def two_learners(alice, bob):
    topic = make_topic("basics")
    corpus = make_questions(3, topic=topic)
    mine = make_question(topic=topic, owner=alice, card_id="alice-own", question_en="My own question?")
    make_question(topic=topic, owner=bob, card_id="bob-own")
    study_settings_update(user=alice, fields={"desired_retention": 0.85}, topics=[topic])
    for question in (corpus[0], mine):
        card_review(user=alice, question=question, rating=3)
    card_review(user=bob, question=corpus[1], rating=1)
    interview_create(user=alice, topics=[topic], count=2, minutes_per_question=3)
    interview_create(user=bob, topics=[topic], count=1, minutes_per_question=3)
    run = DemoRun.objects.create(demo_id="D1", params={"depth": 4}, params_key="k", engine_version="4",
                                 created_by=alice, status="done")
    DemoRequest.objects.create(user=alice, run=run)
    DemoRequest.objects.create(user=bob, run=run, from_cache=True)
    api_token_create(user=alice)
    return corpus, mine


def test_it_downloads_everything_of_mine_and_nothing_of_anybody_elses(alice_client, two_learners):
    corpus, mine = two_learners
    response = alice_client.get("/accounts/my-data.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert 'attachment; filename="my-data-alice-' in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["username"] == "alice"
    assert data["study_settings"]["desired_retention"] == 0.85 and data["study_settings"]["topics"] == ["basics"]
    assert sorted(card["card_id"] for card in data["cards"]) == sorted([corpus[0].card_id, "alice-own"])
    assert [review["rating"] for review in data["reviews"]] == [3, 3]
    assert {review["card_id"] for review in data["reviews"]} == {corpus[0].card_id, "alice-own"}
    assert [card["card_id"] for card in data["own_cards"]] == ["alice-own"]
    assert data["own_cards"][0]["question_en"] == "My own question?" and data["own_cards"][0]["topic"] == "basics"
    assert len(data["interviews"]) == 1 and len(data["interviews"][0]["items"]) == 2
    assert [run["demo_id"] for run in data["demo_runs"]] == ["D1"]
    assert "bob-own" not in response.content.decode()


def test_it_asks_to_log_in_before_a_download(client, db):
    response = client.get("/accounts/my-data.json")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_keeps_the_account_when_the_password_is_wrong(alice_client, alice, two_learners):
    alice_client.post("/i18n/setlang/", {"language": "en"})
    response = alice_client.post("/accounts/delete/", {"password": "not it"})
    assert response.status_code == 400
    assert "That is not your password; nothing was deleted." in response.content.decode()
    assert ReviewLog.objects.filter(user=alice).count() == 2 and Question.objects.filter(owner=alice).exists()


def test_it_deletes_my_account_with_everything_in_it_and_leaves_bob_alone(alice_client, alice, bob, two_learners):
    page = alice_client.get("/accounts/delete/")
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    response = alice_client.post("/accounts/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    for model, owner in ((CardState, "user"), (ReviewLog, "user"), (Interview, "user"), (DemoRequest, "user"),
                         (StudySettings, "user"), (Question, "owner")):
        assert not model.objects.filter(**{f"{owner}__username": "alice"}).exists(), model.__name__
    assert not type(alice).objects.filter(username="alice").exists()
    assert alice_client.get("/study/").status_code == 302  # signed out
    # Bob's things stay, and so do the shared corpus and the demo run (it only loses who asked first).
    assert ReviewLog.objects.filter(user=bob).count() == 1 and Interview.objects.filter(user=bob).count() == 1
    assert Question.objects.filter(card_id="bob-own").exists() and Question.objects.corpus().count() == 3
    assert DemoRun.objects.get().created_by is None and DemoRequest.objects.filter(user=bob).exists()
