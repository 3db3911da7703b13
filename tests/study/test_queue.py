"""Today's queue: the learner's day boundaries, daily limits, order, undo, bury and suspend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from questions.models import Question
from quizapp.study import services
from quizapp.study.days import study_day_at
from quizapp.study.models import CardState, ReviewLog
from quizapp.study.queue import study_queue

pytestmark = pytest.mark.usefixtures("no_fuzz")


def test_it_starts_the_study_day_at_the_learners_hour_in_their_time_zone():
    # 04:00 in Shanghai (UTC+8) is 20:00 UTC the evening before.
    before = study_day_at(moment=datetime(2025, 3, 1, 19, 59, tzinfo=UTC), timezone_name="Asia/Shanghai",
                          day_start_hour=4)
    after = study_day_at(moment=datetime(2025, 3, 1, 20, 0, tzinfo=UTC), timezone_name="Asia/Shanghai",
                         day_start_hour=4)
    assert before.day == date(2025, 3, 1) and after.day == date(2025, 3, 2)
    assert after.starts_at == datetime(2025, 3, 1, 20, 0, tzinfo=UTC)
    assert after.ends_at - after.starts_at == timedelta(days=1)


def test_it_shortens_the_study_day_when_daylight_saving_starts():
    # New York moves from UTC-5 to UTC-4 at 02:00 on 9 March 2025, so with a 04:00 day start the
    # study day of 8 March lasts 23 hours.
    day = study_day_at(moment=datetime(2025, 3, 8, 12, 0, tzinfo=UTC), timezone_name="America/New_York",
                       day_start_hour=4)
    assert day.day == date(2025, 3, 8)
    assert day.starts_at == datetime(2025, 3, 8, 9, 0, tzinfo=UTC)
    assert day.ends_at == datetime(2025, 3, 9, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("timezone_name", "hour", "now", "due_today"), [
    # Due at 03:30 Shanghai time: still "today" when the day starts at 04:00, tomorrow when it starts at 0.
    ("Asia/Shanghai", 4, datetime(2025, 3, 1, 12, 0, tzinfo=UTC), True),
    ("Asia/Shanghai", 0, datetime(2025, 3, 1, 12, 0, tzinfo=UTC), False),
    # The same instant is 14:30 in Los Angeles on 1 March: due today there whatever the hour.
    ("America/Los_Angeles", 4, datetime(2025, 3, 1, 18, 0, tzinfo=UTC), True),
])
def test_it_counts_a_review_as_due_by_the_learners_day(alice, make_question, timezone_name, hour, now, due_today):
    services.study_settings_update(user=alice, fields={"timezone": timezone_name, "day_start_hour": hour})
    question = make_question()
    services.card_review(user=alice, question=question, rating=4, reviewed_at=now - timedelta(days=10))
    CardState.objects.filter(user=alice).update(due=datetime(2025, 3, 1, 19, 30, tzinfo=UTC))  # 03:30 in Shanghai
    queue = study_queue(user=alice, now=now)
    assert queue.counts.review == (1 if due_today else 0)
    assert [card.question_id for card in queue.cards if card.state == "review"] == ([question.pk] if due_today else [])


def test_it_limits_new_cards_per_day_and_starts_again_the_next_day(alice, five_questions):
    services.study_settings_update(user=alice, fields={"new_cards_per_day": 3})
    now = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert study_queue(user=alice, now=now).counts.new == 3
    for minutes in range(3):
        card = study_queue(user=alice, now=now + timedelta(minutes=minutes)).cards[0]
        assert card.state == "new"
        services.card_review_outcome(user=alice, question_id=card.question_id, rating=4,
                                     reviewed_at=now + timedelta(minutes=minutes))
    queue = study_queue(user=alice, now=now + timedelta(minutes=5))
    assert queue.counts.new == 0 and queue.cards == []
    assert study_queue(user=alice, now=now + timedelta(days=1)).counts.new == 2


def test_it_limits_reviews_per_day(alice, five_questions):
    services.study_settings_update(user=alice, fields={"reviews_per_day": 2})
    start = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    for question in five_questions:
        services.card_review(user=alice, question=question, rating=4, reviewed_at=start)
    later = start + timedelta(days=60)
    assert study_queue(user=alice, now=later).counts.review == 2
    for minutes in range(2):
        card = study_queue(user=alice, now=later).cards[0]
        assert card.state == "review"
        services.card_review_outcome(user=alice, question_id=card.question_id, rating=3,
                                     reviewed_at=later + timedelta(minutes=minutes))
    assert study_queue(user=alice, now=later + timedelta(minutes=3)).counts.review == 0


def test_it_fills_a_page_with_new_cards_once_the_days_review_budget_runs_out(alice, make_question):
    reviewed, fresh = [make_question() for _ in range(4)], [make_question() for _ in range(3)]
    services.study_settings_update(user=alice, fields={"reviews_per_day": 2, "new_cards_per_day": 2})
    start = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    for question in reviewed:
        services.card_review(user=alice, question=question, rating=4, reviewed_at=start)
    later = start + timedelta(days=60)
    first = study_queue(user=alice, now=later).cards[0]
    services.card_review_outcome(user=alice, question_id=first.question_id, rating=3, reviewed_at=later)

    page = study_queue(user=alice, now=later + timedelta(minutes=1), limit=3)
    assert page.counts.review == 1 and page.counts.new == 2
    assert [card.state for card in page.cards] == ["review", "new", "new"]
    assert {card.question_id for card in page.cards[1:]} <= {question.pk for question in fresh}
    # A budget lowered below what was done today leaves no reviews, and no error.
    services.study_settings_update(user=alice, fields={"reviews_per_day": 0})
    page = study_queue(user=alice, now=later + timedelta(minutes=1), limit=3)
    assert page.counts.review == 0 and [card.state for card in page.cards] == ["new", "new"]


def test_it_orders_new_cards_by_difficulty_when_asked(alice, make_question):
    hard, basic, standard = make_question(difficulty=3), make_question(difficulty=1), make_question(difficulty=2)
    services.study_settings_update(user=alice, fields={"new_card_order": "difficulty"})
    assert [card.question_id for card in study_queue(user=alice, limit=3).cards] == [basic.pk, standard.pk, hard.pk]
    services.study_settings_update(user=alice, fields={"new_card_order": "topic"})
    assert [card.question_id for card in study_queue(user=alice, limit=3).cards] == [hard.pk, basic.pk, standard.pk]


def test_it_shuffles_new_cards_in_a_fixed_order_of_each_learners_own(alice, bob, make_question):
    questions = [make_question() for _ in range(12)]
    in_corpus_order = [question.pk for question in questions]
    orders = {}
    for learner in (alice, bob):
        services.study_settings_update(user=learner, fields={"new_card_order": "shuffled", "new_cards_per_day": 12})
        orders[learner] = [card.question_id for card in study_queue(user=learner, limit=12).cards]
        assert sorted(orders[learner]) == in_corpus_order  # every new card, each once
        assert [card.question_id for card in study_queue(user=learner, limit=12).cards] == orders[learner]
    assert orders[alice] != in_corpus_order and orders[bob] != in_corpus_order
    assert orders[alice] != orders[bob]
    # Rating the first card leaves the rest in the same order.
    services.card_review(user=alice, question=questions[in_corpus_order.index(orders[alice][0])], rating=3)
    assert [card.question_id for card in study_queue(user=alice, limit=11).cards] == orders[alice][1:]


def test_it_studies_only_the_chosen_topics(alice, make_question):
    make_question(topic="rnn")
    wanted = make_question(topic="cnn")
    services.study_settings_update(user=alice, fields={}, topics=[wanted.topic])
    queue = study_queue(user=alice, limit=5)
    assert [card.question_id for card in queue.cards] == [wanted.pk] and queue.counts.new == 1


def test_it_shows_learning_steps_then_ends_the_day(alice, make_question):
    question = make_question()
    now = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    services.card_review(user=alice, question=question, rating=1, reviewed_at=now)  # again: due in 1 minute
    queue = study_queue(user=alice, now=now + timedelta(seconds=5))
    assert queue.counts.learning == 1
    assert [card.question_id for card in queue.cards] == [question.pk]  # within the learn-ahead window
    services.card_review(user=alice, question=question, rating=4, reviewed_at=now + timedelta(minutes=1))
    queue = study_queue(user=alice, now=now + timedelta(minutes=2))
    assert queue.counts.total == 0 and queue.cards == []


def _row(card: CardState) -> dict:
    return {field.name: getattr(card, field.name) for field in CardState._meta.fields}


def test_it_undoes_the_rating_of_the_last_card_of_the_day_exactly(alice, make_question):
    question = make_question()
    start = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    services.card_review(user=alice, question=question, rating=4, reviewed_at=start)
    later = start + timedelta(days=30)
    before = _row(CardState.objects.get(user=alice))
    assert study_queue(user=alice, now=later).counts.review == 1
    services.card_review(user=alice, question=question, rating=1, reviewed_at=later)
    services.card_review(user=alice, question=question, rating=3, reviewed_at=later + timedelta(minutes=10))
    assert study_queue(user=alice, now=later + timedelta(minutes=11)).counts.total == 0

    services.review_undo(user=alice)
    services.review_undo(user=alice)
    assert _row(CardState.objects.get(user=alice)) == before
    assert ReviewLog.objects.filter(user=alice).count() == 1
    queue = study_queue(user=alice, now=later + timedelta(minutes=12))
    assert queue.counts.review == 1 and queue.cards[0].question_id == question.pk


def test_it_undoes_a_new_cards_first_rating_back_to_new(alice, make_question):
    question = make_question()
    services.card_review(user=alice, question=question, rating=3)
    card = services.review_undo(user=alice)
    assert card.state == "new" and card.stability is None and card.reps == 0
    assert study_queue(user=alice).counts.new == 1
    with pytest.raises(services.NothingToUndo):
        services.review_undo(user=alice)


def test_it_does_not_undo_over_a_later_interview_review(alice, make_question):
    question = make_question()
    services.card_review(user=alice, question=question, rating=3)
    services.card_review(user=alice, question=question, rating=1, source="interview")
    with pytest.raises(services.NothingToUndo):
        services.review_undo(user=alice)
    assert ReviewLog.objects.filter(user=alice).count() == 2


def test_it_does_not_undo_over_a_later_reset(alice, make_question):
    question = make_question()
    for rating in (3, 3, 1):
        services.card_review(user=alice, question=question, rating=rating)
    card = CardState.objects.get(user=alice, question=question)
    services.card_reset(user=alice, card_id=card.pk)
    with pytest.raises(services.NothingToUndo):
        services.review_undo(user=alice)
    card.refresh_from_db()
    assert card.state == CardState.State.NEW and card.reps == 0  # the reset stands


def test_it_buries_a_card_until_the_next_study_day(alice, make_question):
    first, second = make_question(), make_question()
    now = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    services.card_bury(user=alice, question=first, now=now)
    queue = study_queue(user=alice, now=now, limit=5)
    assert [card.question_id for card in queue.cards] == [second.pk] and queue.counts.new == 1
    tomorrow = study_queue(user=alice, now=now + timedelta(days=1), limit=5)
    assert [card.question_id for card in tomorrow.cards] == [first.pk, second.pk]


def test_it_keeps_suspended_cards_out_until_unsuspended(alice, make_question):
    question = make_question()
    services.card_review(user=alice, question=question, rating=4)
    card = services.card_set_suspended(user=alice, question=question, suspended=True)
    assert study_queue(user=alice, now=card.due + timedelta(hours=1)).counts.review == 0
    services.card_unsuspend(user=alice, card_id=card.pk)
    assert study_queue(user=alice, now=card.due + timedelta(hours=1)).counts.review == 1


def test_it_resets_a_leech_to_a_new_card(alice, make_question):
    question = make_question()
    services.card_review(user=alice, question=question, rating=4)
    CardState.objects.filter(user=alice).update(lapses=8, is_leech=True, suspended=True)
    card = services.card_reset(user=alice, card_id=CardState.objects.get(user=alice).pk)
    assert (card.state, card.lapses, card.is_leech, card.suspended, card.stability) == ("new", 0, False, False, None)
    assert study_queue(user=alice).counts.new == 1


def test_it_keeps_retired_questions_out_of_the_queue_but_keeps_their_state(alice, make_question):
    retired_review, retired_learning, current = make_question(), make_question(), make_question()
    start = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    for question in (retired_review, current):
        services.card_review(user=alice, question=question, rating=4, reviewed_at=start)
    services.card_review(user=alice, question=retired_learning, rating=1, reviewed_at=start + timedelta(days=29))
    Question.objects.filter(pk__in=[retired_review.pk, retired_learning.pk]).update(retired=True)
    queue = study_queue(user=alice, now=start + timedelta(days=30), limit=5)
    assert (queue.counts.learning, queue.counts.review, queue.counts.new) == (0, 1, 0)
    assert [card.question_id for card in queue.cards] == [current.pk]
    assert CardState.objects.get(user=alice, question=retired_review).reps == 1  # kept, should it come back

    Question.objects.filter(pk=retired_review.pk).update(retired=False)
    assert study_queue(user=alice, now=start + timedelta(days=30)).counts.review == 2
