"""The server side of studying without waiting: ratings the browser kept and sent late are dated when
they were made, recorded once however often they are sent, in order, and a rating can be sent
without the queue after it, or with several next cards for the page to hold."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from quizapp.study.models import CardState, ReviewLog

pytestmark = pytest.mark.usefixtures("no_fuzz")
NOW = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)


def _rate(client, question, rating=3, **extra):
    body = {"question": question.pk, "rating": rating, "client_id": str(uuid.uuid4()), **extra}
    return client.post("/api/study/reviews/", body, format="json")


def test_it_dates_a_rating_sent_late_when_it_was_made(alice_api, make_question):
    question = make_question()
    with time_machine.travel(NOW, tick=False):
        assert _rate(alice_api, question, rating=3, age_ms=3 * 3600 * 1000).status_code == 201
    log = ReviewLog.objects.get()
    assert log.reviewed_at == NOW - timedelta(hours=3)
    card = CardState.objects.get()
    assert card.last_review == NOW - timedelta(hours=3)
    assert card.due < NOW  # its first learning step counted from then, so it is due again already


def test_it_records_a_rating_sent_again_once(alice_api, make_question):
    question, client_id = make_question(), str(uuid.uuid4())
    first = _rate(alice_api, question, client_id=client_id, age_ms=5000)
    again = _rate(alice_api, question, client_id=client_id, age_ms=60_000)  # the retry, a minute on
    assert (first.status_code, again.status_code) == (201, 200)
    assert ReviewLog.objects.count() == 1 and again.json()["log"] == first.json()["log"]


def test_it_never_dates_a_review_before_the_cards_last_one(alice_api, make_question):
    question = make_question()
    with time_machine.travel(NOW, tick=False):
        _rate(alice_api, question, rating=1)
        _rate(alice_api, question, rating=3, age_ms=3600 * 1000)  # says an hour ago: before the first
    first, second = ReviewLog.objects.order_by("id")
    assert second.reviewed_at == first.reviewed_at == NOW


@pytest.mark.parametrize(("extra", "field"), [({"age_ms": 8 * 24 * 3600 * 1000}, "age_ms"), ({"age_ms": -1}, "age_ms"),
                                             ({"next_cards": 11}, "next_cards"), ({"next_cards": -1}, "next_cards")])
def test_it_refuses_a_rating_out_of_bounds_and_records_nothing(alice_api, make_question, extra, field):
    response = _rate(alice_api, make_question(), **extra)
    assert response.status_code == 400 and field in response.json()
    assert not ReviewLog.objects.exists()


def test_it_answers_without_the_queue_or_with_several_next_cards(alice_api, make_question):
    questions = [make_question() for _ in range(8)]
    assert _rate(alice_api, questions[0], next_cards=0).json()["next"] is None
    following = _rate(alice_api, questions[1], next_cards=5).json()["next"]
    assert len(following["cards"]) == 5 and len({card["question"] for card in following["cards"]}) == 5


def test_it_keeps_the_counters_exact_after_ratings_sent_in_a_burst(alice_api, make_question):
    questions = [make_question() for _ in range(6)]
    with time_machine.travel(NOW, tick=False):
        for question, rating in zip(questions[:4], [3, 1, 4, 2], strict=True):
            _rate(alice_api, question, rating=rating, next_cards=0, age_ms=10_000)
        last = _rate(alice_api, questions[4], rating=3, next_cards=3).json()["next"]
        fresh = alice_api.get("/api/study/queue/?limit=3").json()
    assert last["counts"] == fresh["counts"]
    assert [card["question"] for card in last["cards"]] == [card["question"] for card in fresh["cards"]]
