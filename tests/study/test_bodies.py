"""The study API's bodies: the queue's cards in the reader's language with their demos in order, the
time of the next learning step, and a rating's answer holding the card and log as they were stored."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from rest_framework import serializers

from questions.models import Question, QuestionDemo
from quizapp.study import scheduling, selectors, services
from quizapp.study.models import CardState, ReviewLog
from quizapp.study.serializers import CardStateSerializer, ReviewLogSerializer

pytestmark = pytest.mark.usefixtures("no_fuzz")
NOW = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def studied(alice, make_question):
    """A review card due now, a learning card, a leech buried until tomorrow, new cards with demos."""
    review, learning, leech, *new = (make_question() for _ in range(5))
    QuestionDemo.objects.create(question=new[0], demo_id="D2", position=2)
    QuestionDemo.objects.create(question=new[0], demo_id="D1", position=1)
    services.card_review(user=alice, question=review, rating=4, reviewed_at=NOW - timedelta(days=30))
    services.card_review(user=alice, question=learning, rating=1, reviewed_at=NOW - timedelta(minutes=15))
    services.card_review(user=alice, question=leech, rating=4, reviewed_at=NOW - timedelta(days=3))
    CardState.objects.filter(question=leech).update(is_leech=True, lapses=8, buried_until=date(2025, 3, 11))
    return alice


@pytest.mark.parametrize(("language", "content"), [("en", "en"), ("zh-hans", "zh")])
def test_it_lists_each_kind_of_card_in_the_readers_language_with_its_demos_in_order(alice_api, studied, language,
                                                                                     content):
    with time_machine.travel(NOW, tick=False):
        cards = alice_api.get("/api/study/queue/?limit=5", HTTP_ACCEPT_LANGUAGE=language).json()["cards"]
    assert {card["state"] for card in cards} == {"learning", "review", "new"}
    assert any(card["demo_ids"] == ["D1", "D2"] for card in cards)
    for card in cards:
        question = Question.objects.get(pk=card["question"])
        assert (card["card_id"], card["prompt"], card["answer_html"], card["topic"]) == (
            question.card_id, getattr(question, f"question_{content}"), getattr(question, f"answer_html_{content}"),
            getattr(question.topic, f"title_{content}"))
        assert card["key_points"] == [point[content] for point in question.key_points]  # the rubric, first on reveal


def test_it_gives_the_time_of_the_next_learning_step(alice_api, alice, make_question):
    services.card_review(user=alice, question=make_question(), rating=1, reviewed_at=NOW)
    later_today = NOW + timedelta(hours=1)  # past the learn-ahead window: nothing to show until then
    CardState.objects.filter(user=alice).update(due=later_today)
    with time_machine.travel(NOW, tick=False):
        body = alice_api.get("/api/study/queue/").json()
    assert body["cards"] == [] and body["counts"]["learning"] == 1
    assert body["next_learning_due"] == serializers.DateTimeField().to_representation(later_today)


def test_it_answers_a_rating_with_the_card_and_log_as_stored(alice_api, studied, make_question):
    question = make_question()
    with time_machine.travel(NOW, tick=False):
        body = alice_api.post("/api/study/reviews/", {"question": question.pk, "rating": 2, "duration_ms": 4200,
                                                      "client_id": str(uuid.uuid4())}, format="json").json()
    stored = CardState.objects.get(user=studied, question=question)
    context = {"scheduler": scheduling.scheduler_for(selectors.study_settings_get(user=studied)), "now": NOW}
    assert body["card"] == CardStateSerializer(stored, context=context).data
    assert body["log"] == ReviewLogSerializer(ReviewLog.objects.get(card=stored)).data
    buried = CardState.objects.get(user=studied, is_leech=True)
    assert alice_api.get(f"/api/study/cards/{buried.pk}/").json()["buried_until"] == "2025-03-11"


def test_it_shows_each_demos_title_and_what_its_default_run_concluded(alice_api, make_question):
    import engine
    from quizapp.demos.models import DemoRun
    from quizapp.demos.services import params_key

    question = make_question()
    for position, demo_id in enumerate(["D1", "D2"], start=1):
        QuestionDemo.objects.create(question=question, demo_id=demo_id, position=position)
    spec = engine.get_demo("D1")
    finished = {"demo_id": "D1", "params": spec.validate({}), "params_key": params_key(spec.validate({})),
                "engine_version": engine.ENGINE_VERSION, "status": DemoRun.Status.SUCCEEDED,
                "finished_at": datetime(2025, 3, 9, 8, 30, tzinfo=UTC),
                "result": {"conclusion": {"en": "The gradient vanished.", "zh": "梯度消失了。"},
                           "charts": [{"kind": "line", "title": {"en": "Gradient norm", "zh": "梯度范数"}}],
                           "device_name": "CPU", "compute_seconds": 1.234}}
    DemoRun.objects.create(**finished)
    DemoRun.objects.create(**{**finished, "params": {"depth": 2}, "params_key": "other",  # not the defaults
                              "result": {"conclusion": {"en": "Not evidence.", "zh": "不是证据。"}}})
    # A stored result says so, with when, where and how long it computed (the server's time zone: UTC).
    computed = {"en": "Stored result: computed March 9, 2025, 8:30 a.m. on CPU in 1.23 s",
                "zh": "已存的结果：2025年3月9日 08:30 在 CPU 上计算，用时 1.23 秒"}
    for language, content in (("en", "en"), ("zh-hans", "zh")):
        card = alice_api.get("/api/study/queue/", HTTP_ACCEPT_LANGUAGE=language).json()["cards"][0]
        assert card["demos"] == [
            {"id": "D1", "title": spec.title[content], "url": "/demos/D1/",
             "conclusion": finished["result"]["conclusion"][content], "chart": finished["result"]["charts"][0],
             "computed": computed[content]},
            {"id": "D2", "title": engine.get_demo("D2").title[content], "url": "/demos/D2/", "conclusion": None,
             "chart": None, "computed": None}]
