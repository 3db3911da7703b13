"""The card browser: filters, search and sorts (page and API), bulk actions, FSRS Helper's postpone and
advance; only ever the learner's own cards."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from quizapp.core.errors import InvalidInput
from quizapp.study import browsing, services
from quizapp.study.days import study_day_for
from quizapp.study.models import CardState, ReviewLog, StudySettings
from tests.factories import make_question, make_user

pytestmark = pytest.mark.usefixtures("no_fuzz")


# "Due later today" must hold whenever the suite runs: at 19:30–20:00 UTC a card due in half an hour falls past
# the end of the default learner's study day (04:00 in Asia/Shanghai), so these tests run at noon there.
MIDDAY_IN_THE_LEARNERS_ZONE = time_machine.travel(datetime(2026, 6, 1, 4, 0, tzinfo=UTC), tick=True)


def _reviewed(user, *, stability: float, days_ago: int, due_in: timedelta, topic="basics", **fields) -> CardState:
    """A card in the review state with a real review in its log, then given this memory state and due."""
    question = make_question(topic=topic, **fields)
    now = timezone.now()
    services.card_review(user=user, question=question, rating=4, reviewed_at=now - timedelta(days=days_ago))
    card = CardState.objects.get(user=user, question=question)
    assert card.state == CardState.State.REVIEW
    card.stability, card.due = stability, now + due_in
    card.save()
    return card


def _history(card: CardState) -> list:
    return list(ReviewLog.objects.filter(card=card).values_list("id", "rating", "reviewed_at", "previous_state"))


def _bulk(client, **body):
    return client.post("/api/study/browse/actions/", body, format="json")


def test_it_postpones_the_due_reviews_whose_recall_suffers_least_first_and_keeps_their_history(alice_api, alice):
    sturdy = _reviewed(alice, stability=100, days_ago=10, due_in=-timedelta(hours=1))
    fragile = _reviewed(alice, stability=5, days_ago=10, due_in=-timedelta(hours=1))
    not_due = _reviewed(alice, stability=30, days_ago=2, due_in=timedelta(days=10))
    history = {card.pk: _history(card) for card in (sturdy, fragile, not_due)}
    before = timezone.now()

    response = _bulk(alice_api, action="postpone", matching={}, days=3, limit=1)

    assert response.status_code == 200
    body = response.json()
    assert (body["selected"], body["changed"], body["skipped"], body["days"]) == (3, 1, 2, 3)
    assert body["retrievability_after"] < body["retrievability_before"]
    sturdy_now, fragile_now, not_due_now = (CardState.objects.get(pk=card.pk) for card in (sturdy, fragile, not_due))
    # The sturdy card moves, from now (it was overdue) by three days; the other two stay.
    assert before + timedelta(days=3) <= sturdy_now.due <= timezone.now() + timedelta(days=3)
    assert (fragile_now.due, not_due_now.due) == (fragile.due, not_due.due)
    # Its memory state and its log are as they were.
    assert (sturdy_now.stability, sturdy_now.difficulty, sturdy_now.last_review, sturdy_now.reps) == (
        sturdy.stability, sturdy.difficulty, sturdy.last_review, sturdy.reps)
    assert {card.pk: _history(card) for card in (sturdy, fragile, not_due)} == history


@MIDDAY_IN_THE_LEARNERS_ZONE
def test_it_postpones_every_ticked_due_review_and_says_which_it_skipped(alice_api, alice):
    due_later_today = _reviewed(alice, stability=20, days_ago=15, due_in=timedelta(minutes=5))
    overdue = _reviewed(alice, stability=5, days_ago=10, due_in=-timedelta(days=2))
    not_due = _reviewed(alice, stability=30, days_ago=2, due_in=timedelta(days=10))
    learning = CardState.objects.create(user=alice, question=make_question(), state=CardState.State.LEARNING,
                                        stability=1, difficulty=5, step=0, due=timezone.now(),
                                        last_review=timezone.now())
    before = timezone.now()

    body = _bulk(alice_api, action="postpone", cards=[due_later_today.pk, overdue.pk, not_due.pk, learning.pk],
                 days=7).json()

    assert (body["selected"], body["changed"], body["skipped"]) == (4, 2, 2)
    assert CardState.objects.get(pk=due_later_today.pk).due == due_later_today.due + timedelta(days=7)
    assert CardState.objects.get(pk=overdue.pk).due >= before + timedelta(days=7)
    assert CardState.objects.get(pk=not_due.pk).due == not_due.due
    assert CardState.objects.get(pk=learning.pk).due == learning.due


def test_it_advances_the_reviews_nearest_their_due_date_first_never_before_now(alice_api, alice):
    # Both last reviewed 5 days ago; after 5 days' advance the first has 10 of its 15 days' stability
    # behind it, the second 30 of 60: the first's recall is lower, so an early review costs it less.
    near = _reviewed(alice, stability=15, days_ago=5, due_in=timedelta(days=10))
    far = _reviewed(alice, stability=60, days_ago=5, due_in=timedelta(days=30))
    due_today = _reviewed(alice, stability=5, days_ago=5, due_in=-timedelta(hours=1))
    history = _history(near)

    body = _bulk(alice_api, action="advance", matching={"state": "review"}, days=5, limit=1).json()

    assert (body["selected"], body["changed"]) == (3, 1)
    assert CardState.objects.get(pk=near.pk).due == near.due - timedelta(days=5)
    assert CardState.objects.get(pk=far.pk).due == far.due
    assert CardState.objects.get(pk=due_today.pk).due == due_today.due
    assert _history(near) == history

    before = timezone.now()
    assert _bulk(alice_api, action="advance", cards=[far.pk], days=365).json()["changed"] == 1
    assert before <= CardState.objects.get(pk=far.pk).due <= timezone.now()


@pytest.mark.parametrize("days", [0, 366, -1, "three", None])
@pytest.mark.parametrize("action", ["postpone", "advance"])
def test_it_refuses_a_move_out_of_bounds_with_a_400_naming_days(alice_api, alice, action, days):
    card = _reviewed(alice, stability=10, days_ago=10, due_in=-timedelta(hours=1))
    body = {"action": action, "cards": [card.pk]} | ({} if days is None else {"days": days})
    response = _bulk(alice_api, **body)
    assert response.status_code == 400 and "days" in response.json()
    assert CardState.objects.get(pk=card.pk).due == card.due


def test_it_refuses_bad_days_in_the_service_too(alice):
    card = _reviewed(alice, stability=10, days_ago=10, due_in=-timedelta(hours=1))
    with pytest.raises(InvalidInput) as refused:
        browsing.cards_bulk_change(user=alice, action="postpone", card_ids=[card.pk], days=366)
    assert set(refused.value.fields) == {"days"}


def test_it_never_touches_another_learners_cards(alice_api, bob_api, alice, bob):
    mine = _reviewed(alice, stability=10, days_ago=10, due_in=-timedelta(hours=1))
    bobs = _reviewed(bob, stability=10, days_ago=10, due_in=-timedelta(hours=1))

    for action in ("postpone", "suspend", "reset"):
        response = _bulk(alice_api, action=action, cards=[mine.pk, bobs.pk], days=3)
        assert response.status_code == 404
    assert CardState.objects.get(pk=mine.pk).due == mine.due and not CardState.objects.get(pk=mine.pk).suspended
    # "All matching" is all of mine, none of Bob's.
    assert _bulk(alice_api, action="postpone", matching={}, days=3).json()["changed"] == 1
    assert _bulk(alice_api, action="suspend", matching={}).json()["changed"] == 1
    bobs_now = CardState.objects.get(pk=bobs.pk)
    assert (bobs_now.due, bobs_now.suspended) == (bobs.due, False)
    assert alice_api.get(f"/api/study/cards/{bobs.pk}/history/").status_code == 404
    assert [row["id"] for row in bob_api.get("/api/study/browse/").json()["results"]] == [bobs.pk]


def test_it_suspends_buries_and_resets_once_however_often_it_is_sent(alice_api, alice):
    first = _reviewed(alice, stability=10, days_ago=10, due_in=-timedelta(hours=1))
    second = _reviewed(alice, stability=20, days_ago=10, due_in=timedelta(days=3))
    ids = [first.pk, second.pk]
    for action, then in [("suspend", lambda card: card.suspended), ("unsuspend", lambda card: not card.suspended),
                         ("bury", lambda card: card.buried_until is not None),
                         ("unbury", lambda card: card.buried_until is None),
                         ("reset", lambda card: card.state == "new" and card.reps == 0 and card.stability is None)]:
        assert _bulk(alice_api, action=action, cards=ids).json()["changed"] == 2, action
        assert all(then(card) for card in CardState.objects.filter(pk__in=ids)), action
        assert _bulk(alice_api, action=action, cards=ids).json()["changed"] == 0, action
    # Reset keeps the history: each card's one review is still there.
    assert ReviewLog.objects.filter(card_id__in=ids).count() == 2


def test_it_buries_until_the_learners_next_study_day(alice_api, alice):
    card = _reviewed(alice, stability=10, days_ago=10, due_in=-timedelta(hours=1))
    StudySettings.objects.create(user=alice, timezone="America/New_York")
    _bulk(alice_api, action="bury", cards=[card.pk])
    day = study_day_for(study_settings=StudySettings.objects.get(user=alice), now=timezone.now()).day
    assert CardState.objects.get(pk=card.pk).buried_until == day + timedelta(days=1)
    listed = alice_api.get("/api/study/browse/", {"state": "buried"}).json()["results"]
    assert [(row["id"], row["buried"]) for row in listed] == [(card.pk, True)]


def test_it_refuses_all_matching_when_the_count_confirmed_has_changed(alice_api, alice):
    card = _reviewed(alice, stability=10, days_ago=10, due_in=-timedelta(hours=1))
    response = _bulk(alice_api, action="suspend", matching={}, expected=2)
    assert response.status_code == 409 and "1" in response.json()["detail"]
    assert not CardState.objects.get(pk=card.pk).suspended
    assert _bulk(alice_api, action="suspend", matching={}, expected=1).json()["changed"] == 1


@pytest.mark.parametrize("body, field", [
    ({"action": "explode", "cards": [1]}, "action"),
    ({"action": "suspend"}, "cards"),
    ({"action": "suspend", "cards": []}, "cards"),
    ({"action": "suspend", "matching": {"state": "sleeping"}}, "matching"),
    ({"action": "suspend", "matching": {"topic": "no-such-topic"}}, "matching"),
    ({"action": "postpone", "cards": [1], "days": 2, "limit": 0}, "limit"),
])
def test_it_answers_400_naming_the_field_for_a_bad_bulk_request(alice_api, alice, body, field):
    response = _bulk(alice_api, **body)
    assert response.status_code == 400 and field in response.json()


def test_it_filters_by_topic_and_state_and_searches_questions_in_both_languages(alice_api, alice):
    graph = _reviewed(alice, stability=10, days_ago=3, due_in=timedelta(days=1), topic="graphs",
                      question_en="What is a spanning tree?", question_zh="什么是生成树？")
    suspended = _reviewed(alice, stability=10, days_ago=3, due_in=timedelta(days=1), question_en="Why dropout?",
                          question_zh="为什么用随机失活？")
    leech = _reviewed(alice, stability=10, days_ago=3, due_in=timedelta(days=1))
    CardState.objects.filter(pk=suspended.pk).update(suspended=True)
    CardState.objects.filter(pk=leech.pk).update(is_leech=True, suspended=True)
    new = CardState.objects.create(user=alice, question=make_question(), due=timezone.now())

    def ids(**params):
        response = alice_api.get("/api/study/browse/", params)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {graph.pk, suspended.pk, leech.pk, new.pk}
    assert ids(topic="graphs") == {graph.pk}
    assert ids(q="spanning") == ids(q="生成树") == {graph.pk}
    assert ids(q="DROPOUT") == ids(q="随机失活") == {suspended.pk}
    assert ids(state="suspended") == {suspended.pk, leech.pk}
    assert ids(state="leech") == {leech.pk}
    assert ids(state="new") == {new.pk}
    assert ids(state="review", topic="basics") == {suspended.pk, leech.pk}
    for bad in ({"state": "sleeping"}, {"sort": "colour"}, {"topic": "nope"}):
        response = alice_api.get("/api/study/browse/", bad)
        assert response.status_code == 400 and set(bad) <= set(response.json())


def test_it_sorts_by_each_column_with_unknown_values_last(alice_api, alice):
    # Recall now: the young card (last review 2 days ago) highest, the old weak one lowest.
    weak = _reviewed(alice, stability=3, days_ago=20, due_in=timedelta(days=1))
    strong = _reviewed(alice, stability=200, days_ago=20, due_in=timedelta(days=5))
    young = _reviewed(alice, stability=50, days_ago=2, due_in=timedelta(days=3))
    CardState.objects.filter(pk=weak.pk).update(lapses=4, reps=9)
    CardState.objects.filter(pk=strong.pk).update(lapses=1, reps=2)
    new = CardState.objects.create(user=alice, question=make_question(), due=timezone.now() + timedelta(days=9))

    def order(sort):
        return [row["id"] for row in alice_api.get("/api/study/browse/", {"sort": sort}).json()["results"]]

    assert order("due") == [weak.pk, young.pk, strong.pk, new.pk]
    assert order("-due") == [new.pk, strong.pk, young.pk, weak.pk]
    assert order("retrievability") == [weak.pk, strong.pk, young.pk, new.pk]
    assert order("-retrievability") == [young.pk, strong.pk, weak.pk, new.pk]
    assert order("-stability") == [strong.pk, young.pk, weak.pk, new.pk]
    assert order("stability") == [weak.pk, young.pk, strong.pk, new.pk]
    assert order("-lapses")[:2] == [weak.pk, strong.pk]
    assert order("-reps")[0] == weak.pk
    assert order("-last_review") == [young.pk, *sorted([weak.pk, strong.pk], reverse=True), new.pk]
    rows = alice_api.get("/api/study/browse/", {"sort": "-retrievability"}).json()["results"]
    assert rows[0]["retrievability"] > rows[1]["retrievability"] > rows[2]["retrievability"]
    assert rows[3]["retrievability"] is None


def test_it_shows_a_cards_history_latest_first(alice_api, alice):
    question = make_question()
    now = timezone.now()
    services.card_review(user=alice, question=question, rating=4, reviewed_at=now - timedelta(days=20),
                         duration_ms=4000)
    services.card_review(user=alice, question=question, rating=2, reviewed_at=now - timedelta(days=1),
                         duration_ms=9000)
    card = CardState.objects.get(user=alice, question=question)
    rows = alice_api.get(f"/api/study/cards/{card.pk}/history/").json()
    assert [(row["rating"], row["state_before"], row["duration_ms"]) for row in rows] == [
        (2, "review", 9000), (4, "new", 4000)]
    assert rows[0]["interval_days_before"] > 1 and rows[1]["interval_days_before"] is None


def test_it_documents_the_browser_api(alice_api):
    paths = alice_api.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"/api/study/browse/", "/api/study/browse/actions/", "/api/study/cards/{id}/history/"} <= set(paths)
    actions = paths["/api/study/browse/actions/"]["post"]
    assert {"200", "404", "409"} <= set(actions["responses"])
    parameters = {parameter["name"] for parameter in paths["/api/study/browse/"]["get"]["parameters"]}
    assert {"q", "topic", "state", "sort", "limit", "offset"} <= parameters


# The page


def test_it_asks_visitors_to_log_in(client, db):
    response = client.get("/study/browse/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_lists_the_learners_cards_with_their_state_and_history(alice_client, alice):
    card = _reviewed(alice, stability=12.5, days_ago=3, due_in=timedelta(days=2),
                     question_en="What is a spanning tree?", question_zh="什么是生成树？")
    StudySettings.objects.create(user=alice, timezone="Europe/London")
    _reviewed(make_user("carol"), stability=1, days_ago=1, due_in=timedelta(days=1), question_en="Carol's card?")

    page = alice_client.get("/study/browse/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "What is a spanning tree?" in page and "Carol&#x27;s card?" not in page
    assert "12.5" in page and "(Europe/London)" in page and "History (1 review)" in page
    assert card.due.astimezone(zoneinfo.ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M") in page
    assert 'href="/study/browse/"' in page  # the study pages link it
    chinese = alice_client.get("/study/browse/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "什么是生成树？" in chinese


def test_it_keeps_the_filter_in_the_query_string_and_answers_400_for_a_bad_one(alice_client, alice):
    graph = _reviewed(alice, stability=10, days_ago=3, due_in=timedelta(days=1), topic="graphs",
                      question_en="What is a spanning tree?")
    _reviewed(alice, stability=10, days_ago=3, due_in=timedelta(days=1), question_en="Why dropout?")
    page = alice_client.get("/study/browse/", {"topic": "graphs", "sort": "-lapses"},
                            HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "spanning tree" in page and "Why dropout?" not in page
    assert '<input type="hidden" name="topic" value="graphs">' in page  # "all matching" acts on this filter
    assert "sort=lapses" in page and "topic=graphs" in page  # the column's link sorts the other way
    assert f'value="{graph.pk}"' in page
    response = alice_client.get("/study/browse/", {"state": "sleeping"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "Why dropout?" in response.content.decode()


@MIDDAY_IN_THE_LEARNERS_ZONE
def test_it_postpones_ticked_cards_from_the_page(alice_client, alice):
    first = _reviewed(alice, stability=10, days_ago=10, due_in=timedelta(minutes=30))
    second = _reviewed(alice, stability=20, days_ago=10, due_in=timedelta(minutes=40))
    untouched = _reviewed(alice, stability=20, days_ago=10, due_in=timedelta(minutes=50))
    response = alice_client.post("/study/browse/bulk/", {
        "action": "postpone", "scope": "selected", "card": [first.pk, second.pk], "days": "4",
        "back": "sort=-due"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain == [("/study/browse/?sort=-due", 302)]
    assert "Postponed 2 of the 2 selected cards by 4 days" in response.content.decode()
    assert CardState.objects.get(pk=first.pk).due == first.due + timedelta(days=4)
    assert CardState.objects.get(pk=second.pk).due == second.due + timedelta(days=4)
    assert CardState.objects.get(pk=untouched.pk).due == untouched.due


def test_it_refuses_bad_days_and_other_learners_cards_on_the_page(alice_client, alice):
    card = _reviewed(alice, stability=10, days_ago=10, due_in=-timedelta(hours=1))
    bobs = _reviewed(make_user("bob"), stability=10, days_ago=10, due_in=-timedelta(hours=1))
    response = alice_client.post("/study/browse/bulk/", {"action": "postpone", "scope": "selected",
                                                         "card": [card.pk], "days": "400"})
    assert response.status_code == 400 and "365" in response.content.decode()
    response = alice_client.post("/study/browse/bulk/", {"action": "suspend", "scope": "selected",
                                                         "card": [card.pk, bobs.pk]})
    assert response.status_code == 404
    assert not CardState.objects.filter(pk__in=[card.pk, bobs.pk], suspended=True).exists()
    alice_client.post("/study/browse/bulk/", {"action": "suspend", "scope": "matching", "expected": "1"})
    assert CardState.objects.get(pk=card.pk).suspended and not CardState.objects.get(pk=bobs.pk).suspended
