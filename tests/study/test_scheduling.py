"""card_review applies exactly what fsrs.Scheduler computes, and keeps what undo and leeches need."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card, Rating, Scheduler, State

from quizapp.study import scheduling, selectors, services
from quizapp.study.models import CardState, ReviewLog, StudySettings

pytestmark = pytest.mark.usefixtures("no_fuzz")

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
# (minutes after the previous review, rating): learning steps, graduation, a lapse, recovery.
SEQUENCE = [(0, 3), (1, 3), (10, 3), (60 * 24 * 3, 3), (60 * 24 * 9, 2), (60 * 24 * 20, 1), (10, 3),
            (60 * 24 * 2, 4), (60 * 24 * 15, 3)]
FSRS_STATE = {State.Learning: "learning", State.Review: "review", State.Relearning: "relearning"}


def _replay_with_fsrs(scheduler: Scheduler):
    card, moment = Card(card_id=1, due=START), START
    for minutes, rating in SEQUENCE:
        moment += timedelta(minutes=minutes)
        card, _ = scheduler.review_card(card, Rating(rating), review_datetime=moment)
        yield moment, rating, card


def _assert_same(row: CardState, card: Card) -> None:
    assert row.state == FSRS_STATE[card.state]
    assert row.step == card.step
    assert row.stability == pytest.approx(card.stability, rel=1e-12)
    assert row.difficulty == pytest.approx(card.difficulty, rel=1e-12)
    assert row.due == card.due
    assert row.last_review == card.last_review


@pytest.mark.parametrize("retention", [0.9, 0.8, 0.95])
def test_it_schedules_a_sequence_of_ratings_as_fsrs_does(alice, make_question, retention):
    services.study_settings_update(user=alice, fields={"desired_retention": retention})
    question = make_question()
    for moment, rating, expected in _replay_with_fsrs(Scheduler(desired_retention=retention, enable_fuzzing=False)):
        services.card_review(user=alice, question=question, rating=rating, reviewed_at=moment)
        _assert_same(CardState.objects.get(user=alice, question=question), expected)


def test_it_schedules_with_the_learners_own_parameters(alice, make_question):
    parameters = [0.5, 1.5, 3.0, 10.0, 6.0, 0.9, 2.5, 0.01, 1.6, 0.2, 0.9, 1.5, 0.05, 0.3, 1.5, 0.5, 2.0, 0.5,
                  0.1, 0.06, 0.2]
    services.study_settings_update(user=alice, fields={"fsrs_parameters": parameters})
    question = make_question()
    for moment, rating, expected in _replay_with_fsrs(Scheduler(parameters=parameters, enable_fuzzing=False)):
        services.card_review(user=alice, question=question, rating=rating, reviewed_at=moment)
        _assert_same(CardState.objects.get(user=alice, question=question), expected)


def test_it_keeps_the_row_before_each_review_for_undo(alice, make_question):
    question = make_question()
    first = services.card_review(user=alice, question=question, rating=3, reviewed_at=START)
    card = CardState.objects.get(pk=first.card_id)
    second = services.card_review(user=alice, question=question, rating=1, reviewed_at=START + timedelta(minutes=5))
    assert first.previous_state["state"] == "new" and first.state_before == "new"
    assert second.previous_state["stability"] == card.stability
    assert second.previous_state["due"] == card.due.isoformat()
    assert second.state_before == "learning"


def test_it_counts_reps_and_lapses_and_suspends_a_leech_at_eight_lapses(alice, make_question):
    question = make_question()
    moment = START
    services.card_review(user=alice, question=question, rating=4, reviewed_at=moment)  # straight to review
    for lapse in range(1, 9):
        card = CardState.objects.get(user=alice, question=question)
        assert card.state == "review" and not card.is_leech
        moment = card.due + timedelta(hours=1)
        services.card_review(user=alice, question=question, rating=1, reviewed_at=moment)
        moment += timedelta(minutes=15)
        services.card_review(user=alice, question=question, rating=3, reviewed_at=moment)
        assert CardState.objects.get(pk=card.pk).lapses == lapse
    card = CardState.objects.get(user=alice, question=question)
    assert card.reps == 17
    assert card.is_leech and card.suspended


def test_it_records_one_review_for_a_repeated_client_id(alice, make_question):
    question, client_id = make_question(), uuid.uuid4()
    first = services.card_review(user=alice, question=question, rating=3, reviewed_at=START, client_id=client_id)
    again = services.card_review(user=alice, question=question, rating=1, reviewed_at=START + timedelta(minutes=1),
                                 client_id=client_id)
    assert again.pk == first.pk
    assert ReviewLog.objects.filter(user=alice).count() == 1
    assert CardState.objects.get(user=alice, question=question).reps == 1


def test_it_refuses_a_client_id_reused_for_another_card(alice, make_question):
    client_id = uuid.uuid4()
    services.card_review(user=alice, question=make_question(), rating=3, client_id=client_id)
    with pytest.raises(services.ClientIdReused):
        services.card_review(user=alice, question=make_question(), rating=3, client_id=client_id)


def test_it_refuses_a_rating_of_a_card_rated_meanwhile(alice, make_question):
    question = make_question()
    services.card_review(user=alice, question=question, rating=3, expected_reps=0)
    with pytest.raises(services.StaleCard):
        services.card_review(user=alice, question=question, rating=3, expected_reps=0)
    assert ReviewLog.objects.filter(user=alice).count() == 1


def test_it_refuses_ratings_outside_one_to_four(alice, make_question):
    with pytest.raises(ValueError):
        services.card_review(user=alice, question=make_question(), rating=5)
    assert not CardState.objects.exists()


def test_it_gives_retrievability_only_for_reviewed_cards(alice, make_question):
    question = make_question()
    services.card_review(user=alice, question=question, rating=3, reviewed_at=START)
    card = CardState.objects.get(user=alice, question=question)
    fsrs_card = Card(card_id=1, state=State.Learning, step=card.step, stability=card.stability,
                     difficulty=card.difficulty, due=card.due, last_review=card.last_review)
    later = START + timedelta(days=3)
    assert selectors.card_retrievability(card=card, now=later) == pytest.approx(
        Scheduler().get_card_retrievability(fsrs_card, later))
    assert 0 < selectors.card_retrievability(card=card, now=later) < 1
    assert selectors.card_retrievability(card=CardState(state="new", due=START), now=later) is None


def test_it_gives_the_retrievability_of_many_cards_with_one_settings_query(alice, make_question,
                                                                           django_assert_num_queries):
    parameters = list(Scheduler().parameters)
    parameters[20] = 0.3  # a learner's own forgetting-curve decay changes retrievability
    services.study_settings_update(user=alice, fields={"fsrs_parameters": parameters})
    for question in (make_question(), make_question()):
        services.card_review(user=alice, question=question, rating=3, reviewed_at=START)
    cards, later = list(CardState.objects.filter(user=alice)), START + timedelta(days=3)
    with django_assert_num_queries(1):
        scheduler = selectors.scheduler_for_user(user_id=alice.pk)
        batch = [selectors.retrievability_with(scheduler, card=card, now=later) for card in cards]
    assert batch == [selectors.card_retrievability(card=card, now=later) for card in cards]
    assert batch[0] == pytest.approx(Scheduler(parameters=parameters).get_card_retrievability(
        scheduling.to_fsrs_card(cards[0]), later))


def test_it_reads_and_saves_every_setting_of_a_learner(alice):
    first = selectors.study_settings_get(user=alice)  # the defaults, not saved: a read never writes
    again = selectors.study_settings_get(user=alice)
    assert again.pk == first.pk is None and not StudySettings.objects.exists()
    assert again.get_deferred_fields() == set()  # save() writes every column
    again.reviews_per_day, again.fsrs_parameters = 150, list(Scheduler().parameters)
    again.save()
    saved = selectors.study_settings_get(user=alice)
    assert (saved.reviews_per_day, saved.fsrs_parameters) == (150, list(Scheduler().parameters))
    assert saved.timezone == first.timezone and saved.desired_retention == first.desired_retention
