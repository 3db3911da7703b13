"""Ready by the interview: the interview date setting, the plan's arithmetic, readiness per topic, the page."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from fsrs import Scheduler

from quizapp.interviews.models import Interview, InterviewItem
from quizapp.study import readiness, scheduling, selectors, services
from quizapp.study.days import study_day_for
from quizapp.study.models import CardState, StudySettings
from tests.factories import make_topic

pytestmark = pytest.mark.usefixtures("no_fuzz")

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(("interview", "unseen", "status", "deadline", "days", "per_day"), [
    (date(2026, 3, 19), 100, "ahead", date(2026, 3, 12), 12, 9),  # 100 ÷ 12 = 8.3 → 9
    (date(2026, 3, 19), 96, "ahead", date(2026, 3, 12), 12, 8),  # exactly 8, not rounded up
    (date(2026, 3, 8), 30, "ahead", date(2026, 3, 1), 1, 30),  # exactly a week away: today is the last day
    (date(2026, 3, 4), 30, "close", date(2026, 3, 3), 3, 10),  # less than a week: all by the day before
    (date(2026, 3, 2), 30, "close", date(2026, 3, 1), 1, 30),
    (date(2026, 3, 1), 30, "today", None, 0, None),  # no day left for new cards
    (date(2026, 2, 20), 30, "passed", None, 0, None),
    (date(2026, 3, 19), 0, "done", date(2026, 3, 12), 12, 0),  # everything seen
])
def test_it_spreads_the_unseen_cards_over_the_days_until_a_week_before(interview, unseen, status, deadline, days,
                                                                        per_day):
    plan = readiness.plan_for(today=TODAY, interview_date=interview, unseen=unseen)
    assert (plan.status, plan.deadline, plan.days, plan.per_day) == (status, deadline, days, per_day)


@pytest.mark.parametrize(("unseen", "per_day", "last"), [(100, 9, date(2026, 3, 12)), (100, 10, date(2026, 3, 10)),
                                                         (5, 20, TODAY), (0, 0, TODAY), (5, 0, None)])
def test_it_says_when_the_last_new_card_comes_at_a_rate(unseen, per_day, last):
    assert readiness.last_new_card_day(today=TODAY, unseen=unseen, per_day=per_day) == last


def _settings(user, **fields) -> StudySettings:
    return services.study_settings_update(user=user, fields=fields)


def _in_days(user, days: int) -> date:
    return study_day_for(study_settings=selectors.study_settings_get(user=user), now=timezone.now()).day + timedelta(
        days=days)


def test_it_counts_every_topic_when_none_is_chosen_and_only_the_chosen_ones_otherwise(alice, make_question):
    cnn = [make_question(topic="cnn") for _ in range(3)]
    make_question(topic="rnn")
    make_question(topic="rnn", retired=True)  # can no longer come up: not in the plan
    services.card_review(user=alice, question=cnn[0], rating=3)
    _settings(alice, interview_date=_in_days(alice, 30))
    state = readiness.readiness_for(user=alice, study_settings=selectors.study_settings_get(user=alice),
                                    now=timezone.now())
    assert [(row.topic.slug, row.seen, row.cards) for row in state.topics] == [("cnn", 1, 3), ("rnn", 0, 1)]
    assert state.plan.unseen == 3 and state.plan.days == 24 and state.plan.per_day == 1
    services.study_settings_update(user=alice, fields={}, topics=[make_topic("rnn")])
    state = readiness.readiness_for(user=alice, study_settings=selectors.study_settings_get(user=alice),
                                    now=timezone.now())
    assert [row.topic.slug for row in state.topics] == ["rnn"] and state.plan.unseen == 1


def test_it_projects_recall_to_the_interview_day_as_fsrs_does_with_the_learners_parameters(alice, make_question):
    parameters = list(Scheduler().parameters)
    parameters[0] = 0.8  # the learner's own weights, not the defaults
    _settings(alice, fsrs_parameters=parameters, timezone="Europe/Berlin", day_start_hour=5)
    studied, unseen = make_question(), make_question()
    services.card_review(user=alice, question=studied, rating=3, reviewed_at=timezone.now() - timedelta(days=3))
    services.card_review(user=alice, question=studied, rating=3, reviewed_at=timezone.now() - timedelta(days=2))
    interview = _in_days(alice, 20)
    _settings(alice, interview_date=interview)
    state = readiness.readiness_for(user=alice, study_settings=selectors.study_settings_get(user=alice),
                                    now=timezone.now())
    card = CardState.objects.get(user=alice, question=studied)
    moment = datetime(interview.year, interview.month, interview.day, 5, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    expected = Scheduler(parameters=parameters).get_card_retrievability(scheduling.to_fsrs_card(card),
                                                                         scheduling.as_utc(moment))
    row = state.topics[0]
    assert state.projected_to == moment
    assert row.recall_of_seen == pytest.approx(expected, abs=1e-12)
    assert row.recall == pytest.approx(expected / 2, abs=1e-12)  # the unseen card counts as not known
    assert 0 < expected < 1 and unseen.pk != studied.pk


def test_it_takes_the_topics_score_from_the_latest_reviewed_interview_that_asked_it(alice, bob, make_question):
    cnn, rnn = make_question(topic="cnn"), make_question(topic="rnn")
    cnn_two = make_question(topic="cnn")
    now = timezone.now()

    def interview(user, *, reviewed_ago, items, status=Interview.Status.DONE):
        made = Interview.objects.create(user=user, status=status, total_seconds=600,
                                        reviewed_at=now - reviewed_ago if status == Interview.Status.DONE else None)
        for position, (question, score) in enumerate(items):
            InterviewItem.objects.create(interview=made, question=question, position=position, score=score)

    interview(alice, reviewed_ago=timedelta(days=9), items=[(cnn, 0.2), (rnn, 0.4)])
    interview(alice, reviewed_ago=timedelta(days=2), items=[(cnn, 0.6), (cnn_two, 1.0)])
    interview(alice, reviewed_ago=timedelta(0), items=[(rnn, None)], status=Interview.Status.REVIEWING)
    interview(bob, reviewed_ago=timedelta(hours=1), items=[(cnn, 0.0), (rnn, 0.0)])
    state = readiness.readiness_for(user=alice, study_settings=selectors.study_settings_get(user=alice), now=now)
    scores = {row.topic.slug: row.interview_score for row in state.topics}
    assert scores == {"cnn": pytest.approx(0.8), "rnn": pytest.approx(0.4)}


def test_it_refuses_an_interview_date_in_the_past_over_the_api(alice_api, alice):
    yesterday = _in_days(alice, -1)
    refused = alice_api.patch("/api/study/settings/", {"interview_date": yesterday.isoformat()}, format="json",
                              HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "has passed" in refused.json()["interview_date"][0]
    assert selectors.study_settings_get(user=alice).interview_date is None
    too_far = alice_api.patch("/api/study/settings/", {"interview_date": "9999-12-31"}, format="json",
                              HTTP_ACCEPT_LANGUAGE="en")
    assert too_far.status_code == 400 and "within 1000 days" in too_far.json()["interview_date"][0]
    soon = _in_days(alice, 40)
    assert alice_api.patch("/api/study/settings/", {"interview_date": soon.isoformat()},
                           format="json").json()["interview_date"] == soon.isoformat()
    # A date that has passed since it was set does not block other changes; clearing it works.
    StudySettings.objects.filter(user=alice).update(interview_date=yesterday)
    assert alice_api.patch("/api/study/settings/", {"new_cards_per_day": 7}, format="json").status_code == 200
    cleared = alice_api.patch("/api/study/settings/", {"interview_date": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["interview_date"] is None


def test_it_refuses_an_interview_date_in_the_past_on_the_settings_page(alice_client, alice):
    data = {"desired_retention": "0.9", "new_cards_per_day": "20", "reviews_per_day": "200",
            "timezone": "Asia/Shanghai", "day_start_hour": "4", "new_card_order": "topic",
            "interview_date": _in_days(alice, -3).isoformat()}
    response = alice_client.post("/study/settings/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "has passed" in response.content.decode()
    assert not StudySettings.objects.filter(user=alice).exists()
    data["interview_date"] = _in_days(alice, 0).isoformat()  # today is fine
    assert alice_client.post("/study/settings/", data).status_code == 302
    assert StudySettings.objects.get(user=alice).interview_date == _in_days(alice, 0)


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["Ready by the interview", "new cards a day", "Use as my new cards per day", "Cards seen"]),
    ("zh-hans", ["面试前准备好", "张新卡", "设为我的每日新卡片上限", "已学卡片"]),
])
def test_it_shows_the_plan_and_readiness_in_both_languages(alice_client, alice, make_question, language, words):
    questions = [make_question(topic="cnn") for _ in range(25)]
    services.card_review(user=alice, question=questions[0], rating=3)
    _settings(alice, interview_date=_in_days(alice, 15))  # 9 days through a week before: 24 ÷ 9 → 3
    response = alice_client.get("/study/plan/", HTTP_ACCEPT_LANGUAGE=language)
    page = response.content.decode()
    assert response.status_code == 200
    assert all(word in page for word in words), [word for word in words if word not in page]
    assert 'data-plan-status="ahead"' in page and "<b>3</b>" in page and 'value="3"' in page
    assert 'data-stat="seen">1 / 25<' in page and 'id="chart-readiness"' in page and "js/plan.js" in page
    by_day = response.context["chart"]["seen_by_day"]  # at the plan's 3 a day, all 25 by day 8 of 16
    assert len(by_day["days"]) == 16 and by_day["plan"][:3] == [4, 7, 10] and by_day["plan"][7:9] == [25, 25]
    assert by_day["current"][:2] == [21, 25] and by_day["total"] == 25


def test_it_explains_the_empty_states(alice_client, alice, make_question):
    make_question()
    page = alice_client.get("/study/plan/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No interview date yet" in page and "Not enough reviews yet" in page and "not seen yet" in page
    assert "no mock interview yet" in page and 'id="chart-readiness"' not in page
    _settings(alice, interview_date=_in_days(alice, 0))
    page = alice_client.get("/study/plan/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your interview is today" in page and "Use as my new cards per day" not in page
    StudySettings.objects.filter(user=alice).update(interview_date=_in_days(alice, -1))
    page = alice_client.get("/study/plan/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "That date has passed" in page and "How ready you are now" in page


def test_it_applies_the_plan_or_the_learners_own_number(alice_client, alice, make_question):
    make_question()
    _settings(alice, interview_date=_in_days(alice, 30))
    assert alice_client.post("/study/plan/", {"new_cards_per_day": "13"}).status_code == 302
    assert selectors.study_settings_get(user=alice).new_cards_per_day == 13
    refused = alice_client.post("/study/plan/", {"new_cards_per_day": "-1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and refused.context["form"].errors["new_cards_per_day"]
    assert selectors.study_settings_get(user=alice).new_cards_per_day == 13


def test_it_never_shows_alice_bobs_reviews_interviews_or_date(alice_client, alice, bob, make_question):
    question = make_question(topic="cnn")
    services.card_review(user=bob, question=question, rating=3)
    _settings(bob, interview_date=_in_days(bob, 20))
    made = Interview.objects.create(user=bob, status=Interview.Status.DONE, total_seconds=600,
                                    reviewed_at=timezone.now())
    InterviewItem.objects.create(interview=made, question=question, position=0, score=0.9)
    page = alice_client.get("/study/plan/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-stat="seen">0 / 1<' in page and "No interview date yet" in page and "90%" not in page
    assert "no mock interview yet" in page
