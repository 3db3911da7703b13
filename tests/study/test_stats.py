"""Statistics: each review and due date lands on the study day the queue gives it; retired cards
leave the forecast and the card counts but stay in the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from questions.models import Question
from quizapp.study import services
from quizapp.study.days import study_day_at
from quizapp.study.models import CardState
from quizapp.study.stats import study_stats

pytestmark = pytest.mark.usefixtures("no_fuzz")


@pytest.mark.parametrize(("moment", "study_day"), [
    # 9 March 2025, New York springs forward at 02:00: 08:30 UTC is 04:30 EDT, after the 04:00 day start.
    (datetime(2025, 3, 9, 8, 30, tzinfo=UTC), "2025-03-09"),
    # 2 November 2025, New York falls back at 02:00: 08:30 UTC is 03:30 EST, before the 04:00 day start.
    (datetime(2025, 11, 2, 8, 30, tzinfo=UTC), "2025-11-01"),
])
def test_it_puts_reviews_on_the_queues_study_day_across_a_daylight_saving_change(alice, make_question, moment,
                                                                                  study_day):
    services.study_settings_update(user=alice, fields={"timezone": "America/New_York", "day_start_hour": 4})
    services.card_review(user=alice, question=make_question(), rating=3, reviewed_at=moment, duration_ms=60_000)
    assert study_day_at(moment=moment, timezone_name="America/New_York", day_start_hour=4).day.isoformat() == study_day
    stats = study_stats(user=alice, now=moment + timedelta(minutes=5))
    assert stats["today"] == {"day": study_day, "reviews": 1, "minutes": 1.0}
    assert stats["heatmap"]["days"] == [[study_day, 1]]
    assert stats["time_spent"][-1] == [study_day, 1.0]


def test_it_forecasts_a_card_on_the_study_day_the_queue_will_show_it(alice, make_question):
    services.study_settings_update(user=alice, fields={"timezone": "America/New_York", "day_start_hour": 4})
    services.card_review(user=alice, question=make_question(), rating=4)
    CardState.objects.filter(user=alice).update(due=datetime(2025, 3, 9, 8, 30, tzinfo=UTC))  # 04:30 EDT
    forecast = study_stats(user=alice, now=datetime(2025, 3, 8, 17, 0, tzinfo=UTC))["forecast"]
    assert forecast[:2] == [["2025-03-08", 0], ["2025-03-09", 1]]


def test_it_leaves_retired_cards_out_of_the_forecast_but_keeps_their_reviews(alice, make_question):
    current, retired = make_question(), make_question()
    for question in (current, retired):
        services.card_review(user=alice, question=question, rating=4)
    Question.objects.filter(pk=retired.pk).update(retired=True)
    stats = study_stats(user=alice, now=CardState.objects.get(user=alice, question=current).last_review)
    assert sum(count for _, count in stats["forecast"]) == 1
    assert stats["cards_by_state"]["review"] == 1 and sum(stats["retrievability"]["bins"]) == 1
    assert stats["today"]["reviews"] == 2 and stats["total_reviews"] == 2


def test_it_counts_every_card_in_one_slice_of_the_state_chart(alice, make_question):
    reviewed, suspended, leech, _unseen = make_question(), make_question(), make_question(), make_question()
    now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    for question in (reviewed, suspended, leech):
        services.card_review(user=alice, question=question, rating=4, reviewed_at=now)
    services.card_set_suspended(user=alice, question=suspended, suspended=True)
    CardState.objects.filter(user=alice, question=leech).update(is_leech=True, suspended=True, lapses=8)
    by_state = study_stats(user=alice, now=now + timedelta(minutes=1))["cards_by_state"]
    assert by_state == {"new": 1, "learning": 0, "review": 1, "relearning": 0, "suspended": 1, "leeches": 1}
    assert sum(by_state.values()) == Question.objects.count()
