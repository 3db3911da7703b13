"""Ready by the interview: a learner sets an interview date, reads the plan and readiness, and applies the
plan; the optimal retention beside the setting. Screenshots in both languages and on a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quizapp.interviews.models import Interview, InterviewItem
from quizapp.study import selectors, services
from quizapp.study.days import study_day_for
from quizapp.study.models import SchedulerOptimization, StudySettings
from tests.e2e.conftest import log_in
from tests.e2e.test_csp import _a_chart_drew
from tests.factories import make_question, make_topic, make_user

pytestmark = pytest.mark.e2e


def _alice_with_two_topics():
    """Alice has seen 4 of 30 cards in two topics, and a reviewed mock interview asked one of them."""
    alice = make_user("alice")
    cnn = make_topic("cnn", title_en="Convolutional networks", title_zh="卷积神经网络", position=1)
    rnn = make_topic("rnn", title_en="Recurrent networks", title_zh="循环神经网络", position=2)
    cnns = [make_question(topic=cnn) for _ in range(20)]
    rnns = [make_question(topic=rnn) for _ in range(10)]
    for question in (*cnns[:3], rnns[0]):
        services.card_review(user=alice, question=question, rating=3, reviewed_at=timezone.now() - timedelta(days=2))
    interview = Interview.objects.create(user=alice, status=Interview.Status.DONE, total_seconds=600,
                                         reviewed_at=timezone.now())
    InterviewItem.objects.create(interview=interview, question=cnns[0], position=0, score=0.75)
    return alice


def test_it_sets_an_interview_date_and_applies_the_plan(page, screenshot, transactional_db):
    alice = _alice_with_two_topics()
    log_in(page, "alice")
    page.click(".lang-switch button[value=en]")
    today = study_day_for(study_settings=selectors.study_settings_get(user=alice), now=timezone.now()).day
    interview = today + timedelta(days=20)  # a week before: 14 days left, today included: 26 ÷ 14 → 2
    page.goto("/study/settings/")
    page.fill("#id_interview_date", interview.isoformat())
    page.click(".settings-form button[type=submit]")
    expect(page.locator(".messages")).to_be_visible()
    assert StudySettings.objects.get(user=alice).interview_date == interview

    page.click(".study-subnav a[href='/study/plan/']")
    expect(page.locator("[data-stat=plan-per-day] b")).to_have_text("2")
    expect(page.locator("tr[data-topic=cnn] [data-stat=seen]")).to_have_text("3 / 20")
    expect(page.locator("tr[data-topic=cnn] [data-stat=score]")).to_contain_text("75%")
    expect(page.locator("tr[data-topic=rnn] [data-stat=score]")).to_have_text("no mock interview yet")
    _a_chart_drew(page, ".readiness")
    _a_chart_drew(page, ".plan")
    screenshot("plan-en")

    expect(page.locator("#id_new_cards_per_day")).to_have_value("2")
    page.fill("#id_new_cards_per_day", "3")  # adjustable: a little more than the plan
    page.click(".plan-apply button")
    expect(page.locator("[data-stat=plan-current]")).to_contain_text("At your current 3 new cards a day")
    assert StudySettings.objects.get(user=alice).new_cards_per_day == 3

    page.click(".lang-switch button[value=zh-hans]")
    expect(page.locator("h1")).to_have_text("面试前准备好")
    expect(page.locator("tr[data-topic=cnn] td").first).to_have_text("卷积神经网络")
    _a_chart_drew(page, ".readiness")
    screenshot("plan-zh")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _a_chart_drew(page, ".readiness")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the plan scrolls sideways on a phone"
    screenshot("plan-phone")


def test_it_explains_an_empty_plan_and_uses_the_optimal_retention(page, screenshot, transactional_db):
    alice = make_user("alice")
    make_question(topic="cnn")
    SchedulerOptimization.objects.create(user=alice, status="succeeded", reviews_counted=600, reviews_needed=512,
                                         old_parameters=[0.2] * 21, new_parameters=[0.3] * 21, old_log_loss=0.41,
                                         new_log_loss=0.37, optimal_retention=0.85)
    log_in(page, "alice")
    page.click(".lang-switch button[value=en]")
    page.goto("/study/plan/")
    expect(page.locator("[data-stat=plan-empty]")).to_contain_text("No interview date yet")
    expect(page.locator("[data-stat=readiness-empty]")).to_contain_text("Not enough reviews yet")
    screenshot("plan-empty-en")

    page.goto("/study/settings/")
    expect(page.locator("[data-stat=optimal-retention]")).to_contain_text("Optimal for you: 0.85")
    screenshot("settings-optimal-retention-en")
    page.click("button[form=use-optimal-retention]")
    expect(page.locator("#id_desired_retention")).to_have_value("0.85")
    assert StudySettings.objects.get(user=alice).desired_retention == 0.85
    page.click(".lang-switch button[value=zh-hans]")
    expect(page.locator("[data-stat=optimal-retention]")).to_contain_text("适合你的最佳值：0.85")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("settings-optimal-retention-phone-zh")
