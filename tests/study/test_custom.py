"""Custom study: more new cards today, review ahead, today's forgotten cards, cramming a topic, and the
end-of-day mock interview."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from questions.models import Question
from quizapp.interviews.models import Interview
from quizapp.study import custom, scheduling, services, stats
from quizapp.study.models import CardState, CustomAnswer, CustomSession, ReviewLog
from quizapp.study.queue import study_queue
from tests.factories import make_topic

pytestmark = pytest.mark.usefixtures("no_fuzz")
NOW = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the default zone


def _rate(user, question, rating, at):
    services.card_review(user=user, question=question, rating=rating, reviewed_at=at)


def _rows(user) -> list[dict]:
    """Every scheduling field of the learner's cards, and their review log, to compare before and after."""
    cards = [scheduling.snapshot(card) | {"id": card.pk} for card in CardState.objects.filter(user=user).order_by("pk")]
    return cards + list(ReviewLog.objects.filter(user=user).order_by("pk").values())


def _answer(session, question_id, rating, at=NOW):
    return custom.custom_answer_record(session=session, question_id=question_id, rating=rating,
                                       client_id=uuid.uuid4(), now=at)


# More new cards today

def test_it_adds_extra_new_cards_for_today_only(alice, five_questions):
    services.study_settings_update(user=alice, fields={"new_cards_per_day": 1})
    _rate(alice, five_questions[0], 3, NOW)
    assert study_queue(user=alice, now=NOW).counts.new == 0
    custom.new_cards_extend(user=alice, extra=2, now=NOW)
    custom.new_cards_extend(user=alice, extra=1, now=NOW)  # as in Anki, the extras add up
    assert study_queue(user=alice, now=NOW).counts.new == 3
    tomorrow = NOW + timedelta(days=1)
    assert study_queue(user=alice, now=tomorrow).counts.new == 1
    assert custom.new_cards_extra_today(user=alice, now=tomorrow) == 0


@pytest.mark.parametrize("extra", [0, -3, 10000])
def test_it_refuses_an_extra_outside_its_bounds(alice, extra):
    with pytest.raises(custom.InvalidInput) as refused:
        custom.new_cards_extend(user=alice, extra=extra, now=NOW)
    assert "extra" in refused.value.fields
    assert custom.new_cards_extra_today(user=alice, now=NOW) == 0


def test_it_adds_new_cards_from_the_page_and_refuses_bad_numbers_with_400(alice_client, alice, five_questions):
    refused = alice_client.post("/study/custom/new-cards/", {"extra": "0"})
    assert refused.status_code == 400 and "1" in refused.content.decode()
    assert custom.new_cards_extra_today(user=alice) == 0
    assert alice_client.post("/study/custom/new-cards/", {"extra": "7"}).status_code == 302
    assert custom.new_cards_extra_today(user=alice) == 7


# Review ahead

def test_it_reviews_ahead_the_cards_due_within_the_days_in_due_order(alice, make_question):
    questions = [make_question() for _ in range(3)]
    for question in questions:
        _rate(alice, question, 4, NOW - timedelta(days=2))
    cards = {card.question_id: card for card in CardState.objects.filter(user=alice)}
    cards[questions[0].pk].due = NOW + timedelta(days=3)
    cards[questions[1].pk].due = NOW + timedelta(days=1)
    cards[questions[2].pk].due = NOW + timedelta(days=20)
    for card in cards.values():
        card.save()
    services.study_settings_update(user=alice, fields={"reviews_per_day": 1})
    assert study_queue(user=alice, now=NOW).counts.review == 0
    ahead = study_queue(user=alice, now=NOW, limit=5, ahead_days=3)
    assert ahead.counts.review == 2 and ahead.counts.new == 0  # no daily limit, no new cards
    assert [card.question_id for card in ahead.cards] == [questions[1].pk, questions[0].pk]


def test_it_reschedules_an_early_review_as_fsrs_does(alice, alice_api, make_question):
    question = make_question()
    _rate(alice, question, 4, timezone.now() - timedelta(days=1))
    card = CardState.objects.get(user=alice)
    assert card.due > timezone.now() + timedelta(days=1)
    queue = alice_api.get("/api/study/queue/?custom=ahead&days=30").json()
    assert queue["counts"]["review"] == 1 and queue["cards"][0]["question"] == question.pk
    answer = alice_api.post("/api/study/reviews/?custom=ahead&days=30",
                            {"question": question.pk, "rating": 3, "client_id": str(uuid.uuid4())}, format="json")
    assert answer.status_code == 201 and answer.json()["next"]["counts"]["review"] == 0
    card.refresh_from_db()
    assert card.reps == 2 and card.last_review > timezone.now() - timedelta(minutes=1)
    assert ReviewLog.objects.filter(user=alice, source="study").count() == 2


# Today's forgotten cards

def test_it_studies_todays_forgotten_cards_without_changing_them(alice, make_question):
    remembered, forgotten, also_forgotten, yesterday = (make_question() for _ in range(4))
    _rate(alice, yesterday, 1, NOW - timedelta(days=1))
    _rate(alice, remembered, 3, NOW)
    _rate(alice, forgotten, 1, NOW + timedelta(minutes=1))
    _rate(alice, also_forgotten, 1, NOW + timedelta(minutes=1))
    _rate(alice, also_forgotten, 3, NOW + timedelta(minutes=2))  # relearnt since: forgotten today all the same
    before = _rows(alice)
    later = NOW + timedelta(minutes=3)
    session = custom.custom_session_start(user=alice, kind="forgotten", now=later)
    queue = custom.custom_session_queue(session=session, now=later, limit=5)
    assert sorted(card.question_id for card in queue.cards) == [forgotten.pk, also_forgotten.pk]
    assert queue.counts.total == 2 and queue.counts.new == 0
    first, second = session.question_ids
    _answer(session, first, 1, later)  # Again: once more, after the other
    assert [card.question_id for card in custom.custom_session_queue(session=session, now=later, limit=5).cards] == [
        second, first]
    _answer(session, second, 3, later)
    _answer(session, first, 4, later)
    assert custom.custom_session_queue(session=session, now=later).counts.total == 0
    assert _rows(alice) == before


def test_it_has_no_forgotten_session_when_nothing_was_forgotten(alice, make_question):
    _rate(alice, make_question(), 3, NOW)
    with pytest.raises(custom.InvalidInput) as refused:
        custom.custom_session_start(user=alice, kind="forgotten", now=NOW)
    assert "kind" in refused.value.fields and not CustomSession.objects.exists()


# Cram

@pytest.fixture
def topic_cards(alice, make_question):
    """A topic with a new card, a card due today and a card due in a month; another topic's card."""
    topic = make_topic("cram-me")
    new, due, later = (make_question(topic=topic) for _ in range(3))
    make_question(topic="elsewhere")
    _rate(alice, due, 4, NOW - timedelta(days=40))
    _rate(alice, later, 4, NOW - timedelta(days=1))
    CardState.objects.filter(user=alice, question=later).update(due=NOW + timedelta(days=30))
    return topic, new, due, later


@pytest.mark.parametrize(("cards", "expected"), [("new", ["new"]), ("due", ["due"]),
                                                 ("all", ["new", "due", "later"])])
def test_it_crams_a_topics_cards_of_the_chosen_kind(alice, topic_cards, cards, expected):
    topic, *questions = topic_cards
    by_name = dict(zip(["new", "due", "later"], questions, strict=True))
    session = custom.custom_session_start(user=alice, kind="cram", topic=topic, cards=cards, now=NOW)
    queue = custom.custom_session_queue(session=session, now=NOW, limit=10)
    assert sorted(card.question_id for card in queue.cards) == sorted(by_name[name].pk for name in expected)
    assert queue.counts.new == expected.count("new")
    assert queue.counts.review == len(expected) - expected.count("new")


def test_it_brings_back_again_and_hard_at_the_end_and_ends_good_and_easy(alice, make_question):
    topic = make_topic("order")
    first, second, third = (make_question(topic=topic) for _ in range(3))
    session = custom.custom_session_start(user=alice, kind="cram", topic=topic, cards="new", now=NOW)
    assert session.question_ids == [first.pk, second.pk, third.pk]  # new cards: in the topic's order
    _answer(session, first.pk, 1)
    _answer(session, second.pk, 2)
    assert session.answers.count() == 2
    order = [card.question_id for card in custom.custom_session_queue(session=session, now=NOW, limit=5).cards]
    assert order == [third.pk, first.pk, second.pk]
    for question in (third, first, second):
        _answer(session, question.pk, 3)
    queue = custom.custom_session_queue(session=session, now=NOW)
    assert queue.cards == [] and queue.counts.total == 0
    with pytest.raises(custom.CardDone):
        _answer(session, first.pk, 1)


def test_it_leaves_the_schedule_statistics_and_limits_untouched_when_cramming(alice, topic_cards):
    topic = topic_cards[0]
    services.study_settings_update(user=alice, fields={"new_cards_per_day": 1, "reviews_per_day": 5})
    before_rows, before_queue = _rows(alice), study_queue(user=alice, now=NOW).counts
    before_stats = stats.study_stats(user=alice, now=NOW)
    session = custom.custom_session_start(user=alice, kind="cram", topic=topic, cards="all", now=NOW)
    for question_id in session.question_ids:
        _answer(session, question_id, 1)
        _answer(session, question_id, 4)
    assert _rows(alice) == before_rows
    assert study_queue(user=alice, now=NOW).counts == before_queue
    assert stats.study_stats(user=alice, now=NOW) == before_stats
    assert CustomAnswer.objects.filter(session=session).count() == 6


def test_it_undoes_a_cram_rating_only(alice, topic_cards):
    session = custom.custom_session_start(user=alice, kind="cram", topic=topic_cards[0], cards="all", now=NOW)
    _answer(session, session.question_ids[0], 4)
    logs = ReviewLog.objects.count()
    custom.custom_answer_undo(session=session)
    assert custom.custom_session_queue(session=session, now=NOW).counts.total == 3
    assert ReviewLog.objects.count() == logs
    with pytest.raises(services.NothingToUndo):
        custom.custom_answer_undo(session=session)


# The API

def _cram(alice, topic) -> CustomSession:
    return custom.custom_session_start(user=alice, kind="cram", topic=topic, cards="all")


def test_it_serves_a_cram_session_through_the_queue_review_and_undo_api(alice, alice_api, topic_cards):
    session = _cram(alice, topic_cards[0])
    mode = f"custom=cram&session={session.pk}"
    before = _rows(alice)
    queue = alice_api.get(f"/api/study/queue/?{mode}").json()
    assert queue["counts"] == {"new": 1, "learning": 0, "review": 2}
    first = queue["cards"][0]["question"]
    assert first == session.question_ids[0]
    body = {"question": first, "rating": 4, "client_id": str(uuid.uuid4())}
    rated = alice_api.post(f"/api/study/reviews/?{mode}", body, format="json")
    assert rated.status_code == 201
    assert sum(rated.json()["next"]["counts"].values()) == 2
    assert rated.json()["next"]["cards"][0]["question"] == session.question_ids[1]
    again = alice_api.post(f"/api/study/reviews/?{mode}", body, format="json")  # the same client id: nothing new
    assert again.status_code == 200 and again.json()["answer"]["id"] == rated.json()["answer"]["id"]
    assert alice_api.post(f"/api/study/undo/?{mode}").status_code == 200
    assert sum(alice_api.get(f"/api/study/queue/?{mode}").json()["counts"].values()) == 3
    assert alice_api.post(f"/api/study/undo/?{mode}").status_code == 409
    assert _rows(alice) == before


@pytest.mark.parametrize(("query", "field"), [
    ("custom=later", "custom"), ("custom=ahead", "days"), ("custom=ahead&days=0", "days"),
    ("custom=ahead&days=10000", "days"), ("custom=ahead&days=x", "days"), ("custom=cram", "session"),
    ("custom=forgotten&session=0", "session"),
])
def test_it_refuses_a_bad_mode_with_400_naming_the_field(alice_api, make_question, query, field):
    question = make_question()
    for response in (alice_api.get(f"/api/study/queue/?{query}"),
                     alice_api.post(f"/api/study/reviews/?{query}",
                                    {"question": question.pk, "rating": 3, "client_id": str(uuid.uuid4())},
                                    format="json"),
                     alice_api.post(f"/api/study/undo/?{query}")):
        assert response.status_code == 400 and field in response.json()
    assert not CardState.objects.exists()


def test_it_refuses_a_session_of_another_kind_and_a_card_not_in_it(alice, alice_api, topic_cards):
    session = _cram(alice, topic_cards[0])
    assert alice_api.get(f"/api/study/queue/?custom=forgotten&session={session.pk}").status_code == 400
    other = Question.objects.get(topic__slug="elsewhere")
    refused = alice_api.post(f"/api/study/reviews/?custom=cram&session={session.pk}",
                             {"question": other.pk, "rating": 3, "client_id": str(uuid.uuid4())}, format="json")
    assert refused.status_code == 400 and "question" in refused.json()


def test_it_keeps_alices_sessions_from_bob(alice, bob_api, bob, topic_cards):
    session = _cram(alice, topic_cards[0])
    mode = f"custom=cram&session={session.pk}"
    body = {"question": session.question_ids[0], "rating": 1, "client_id": str(uuid.uuid4())}
    assert bob_api.get(f"/api/study/queue/?{mode}").status_code == 404
    assert bob_api.post(f"/api/study/reviews/?{mode}", body, format="json").status_code == 404
    assert bob_api.post(f"/api/study/undo/?{mode}").status_code == 404
    assert not session.answers.exists()


def test_it_never_crams_bobs_own_cards_for_alice(alice, bob, make_question):
    topic = make_topic("shared")
    corpus = make_question(topic=topic)
    make_question(topic=topic, owner=bob)
    session = custom.custom_session_start(user=alice, kind="cram", topic=topic, cards="all")
    assert session.question_ids == [corpus.pk]


# The pages

def test_it_starts_sessions_from_the_custom_study_page(alice_client, alice, topic_cards):
    page = alice_client.get("/study/custom/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Cram-Me" in page.content.decode()
    started = alice_client.post("/study/custom/cram/", {"topic": topic_cards[0].pk, "cards": "new", "count": "5"})
    session = CustomSession.objects.get(user=alice)
    assert started.status_code == 302 and started["Location"] == f"/study/?custom=cram&session={session.pk}"
    assert session.question_ids == [topic_cards[1].pk]
    session_page = alice_client.get(started["Location"])
    assert f'data-custom-query="custom=cram&amp;session={session.pk}"' in session_page.content.decode()
    ahead = alice_client.post("/study/custom/ahead/", {"days": "3"})
    assert ahead["Location"] == "/study/?custom=ahead&days=3"


@pytest.mark.parametrize(("with_topic", "cards", "count"), [(False, "all", "5"), (True, "odd", "5"),
                                                           (True, "all", "0"), (True, "all", "10000")])
def test_it_refuses_a_bad_cram_with_400(alice_client, topic_cards, with_topic, cards, count):
    form = {"cards": cards, "count": count, **({"topic": topic_cards[0].pk} if with_topic else {})}
    assert alice_client.post("/study/custom/cram/", form).status_code == 400
    assert not CustomSession.objects.exists()


def test_it_answers_400_for_a_bad_mode_in_the_session_address(alice_client):
    assert alice_client.get("/study/?custom=ahead&days=0").status_code == 400


def test_it_answers_404_for_bobs_session_page(alice_client, bob, make_question):
    make_question(topic="bobs")
    session = custom.custom_session_start(user=bob, kind="cram", topic=make_topic("bobs"), cards="all")
    assert alice_client.get(f"/study/?custom=cram&session={session.pk}").status_code == 404


# The end-of-day mock

def test_it_starts_a_mock_on_the_corpus_cards_studied_today(alice_client, alice, bob, make_question):
    today = [make_question() for _ in range(3)]
    own = make_question(owner=alice)
    earlier = make_question()
    now = timezone.now()
    _rate(alice, earlier, 3, now - timedelta(days=2))
    for minutes, question in enumerate([*today, own]):
        _rate(alice, question, 3, now - timedelta(minutes=10 - minutes))
    _rate(bob, make_question(), 3, now)
    response = alice_client.post("/study/custom/mock/")
    interview = Interview.objects.get(user=alice)
    assert response.status_code == 302 and response["Location"] == f"/interviews/{interview.pk}/"
    asked = list(interview.items.order_by("position").values_list("question_id", flat=True))
    assert asked == [today[2].pk, today[1].pk, today[0].pk]  # the latest first; no own card


def test_it_fills_the_mock_from_recent_reviews_and_says_so(alice_client, alice, make_question):
    older, recent, today = make_question(), make_question(), make_question()
    now = timezone.now()
    _rate(alice, older, 3, now - timedelta(days=5))
    _rate(alice, recent, 3, now - timedelta(days=2))
    _rate(alice, today, 3, now)
    response = alice_client.post("/study/custom/mock/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    interview = Interview.objects.get(user=alice)
    assert list(interview.items.order_by("position").values_list("question_id", flat=True)) == [
        today.pk, recent.pk, older.pk]
    assert "fewer than three" in response.content.decode()


def test_it_refuses_a_mock_with_fewer_than_three_corpus_cards(alice_client, alice, make_question):
    _rate(alice, make_question(), 3, timezone.now())
    _rate(alice, make_question(owner=alice), 3, timezone.now())
    response = alice_client.post("/study/custom/mock/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert not Interview.objects.exists() and "at least three" in response.content.decode()


def test_it_offers_the_mock_and_custom_study_when_the_day_is_done(alice_client):
    page = alice_client.get("/study/").content.decode()
    assert 'action="/study/custom/mock/"' in page and 'href="/study/custom/"' in page


def test_it_documents_the_modes_bounds_in_the_schema(client, db):
    schema = client.get("/api/schema/?format=json").json()
    for path, method in (("/api/study/queue/", "get"), ("/api/study/reviews/", "post"), ("/api/study/undo/", "post")):
        operation = schema["paths"][path][method]
        parameters = {parameter["name"]: parameter["schema"] for parameter in operation["parameters"]}
        assert set(parameters["custom"]["enum"]) == {"ahead", "forgotten", "cram", "interview"}
        assert (parameters["days"]["minimum"], parameters["days"]["maximum"]) == (1, 9999)


def test_it_counts_crammed_cards_as_studied_today_for_the_mock(alice, make_question):
    topic = make_topic("crammed")
    questions = [make_question(topic=topic) for _ in range(3)]
    session = custom.custom_session_start(user=alice, kind="cram", topic=topic, cards="new")
    now = timezone.now()
    for seconds, question in enumerate(questions):
        custom.custom_answer_record(session=session, question_id=question.pk, rating=3, client_id=uuid.uuid4(),
                                    now=now - timedelta(seconds=10 - seconds))
    chosen, filled = custom.mock_questions_today(user=alice)
    assert chosen == questions[::-1] and not filled
