"""Two tabs rating one card (or asking for a fit, or saving settings) at once: the row lock leaves one
consistent state (SQLite serialises the writers; PostgreSQL waits on SELECT ... FOR UPDATE)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from fsrs import Card, Rating, Scheduler

from quizapp.study import optimizing, selectors, services
from quizapp.study.models import CardState, ReviewLog, SchedulerOptimization, StudySettings

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_fuzz")]
TABS = 4
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _in_tabs(work) -> list:
    """Run work(index) in TABS threads released together; returns each result or exception."""
    barrier, results = threading.Barrier(TABS), [None] * TABS

    def tab(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=tab, args=(index,)) for index in range(TABS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_it_applies_every_distinct_rating_of_one_card_in_turn(alice, make_question):
    question = make_question()
    results = _in_tabs(lambda index: services.card_review(
        user=alice, question=question, rating=3, reviewed_at=START + timedelta(seconds=index)))
    assert all(isinstance(result, ReviewLog) for result in results), results
    card = CardState.objects.get(user=alice, question=question)
    logs = list(ReviewLog.objects.filter(card=card).order_by("id"))
    assert card.reps == len(logs) == TABS
    # The final row is what fsrs gives for the ratings in the order they were committed.
    scheduler, replay = Scheduler(enable_fuzzing=False), Card(card_id=1, due=logs[0].reviewed_at)
    for log in logs:
        replay, _ = scheduler.review_card(replay, Rating(log.rating), review_datetime=log.reviewed_at)
    assert (card.stability, card.due, card.step) == (pytest.approx(replay.stability), replay.due, replay.step)


def test_it_records_one_review_when_tabs_resend_the_same_client_id(alice, make_question):
    question, client_id = make_question(), uuid.uuid4()
    results = _in_tabs(lambda index: services.card_review(user=alice, question=question, rating=3,
                                                          client_id=client_id))
    assert len({result.pk for result in results}) == 1, results
    assert ReviewLog.objects.filter(user=alice).count() == 1
    assert CardState.objects.get(user=alice, question=question).reps == 1


def test_it_lets_one_of_two_tabs_showing_the_same_card_rate_it(alice, make_question):
    question = make_question()
    results = _in_tabs(lambda index: services.card_review(user=alice, question=question, rating=3,
                                                          expected_reps=0))
    assert sum(isinstance(result, ReviewLog) for result in results) == 1, results
    assert sum(isinstance(result, services.StaleCard) for result in results) == TABS - 1
    assert CardState.objects.get(user=alice, question=question).reps == 1


def test_it_queues_one_fit_when_tabs_ask_at_once(alice):
    results = _in_tabs(lambda index: services.scheduler_optimization_request(user=alice))
    assert [result.queued for result in results].count(True) == 1, results
    assert len({result.optimization.pk for result in results}) == 1
    assert SchedulerOptimization.objects.filter(user=alice).count() == 1


def test_it_saves_a_new_learners_first_settings_once_when_tabs_save_at_once(alice):
    results = _in_tabs(lambda index: services.study_settings_update(user=alice,
                                                                    fields={"reviews_per_day": 100 + index}))
    assert all(isinstance(result, StudySettings) for result in results), results
    assert StudySettings.objects.filter(user=alice).count() == 1


def test_it_keeps_a_learners_first_settings_and_the_weights_of_a_fit_that_ends_meanwhile(alice, monkeypatch):
    optimization = SchedulerOptimization.objects.create(user=alice)
    better = optimizing.Fit(old_parameters=list(Scheduler().parameters), new_parameters=[0.5] * 21,
                            old_log_loss=0.4, new_log_loss=0.3, optimal_retention=0.85)
    monkeypatch.setattr(optimizing, "trainable_review_count", lambda history: optimizing.REVIEWS_NEEDED)
    monkeypatch.setattr(optimizing, "fit", lambda history, *, current_parameters: better)
    settings_read, fit_saved = threading.Event(), threading.Event()
    read_settings = selectors.study_settings_get

    def read_then_give_the_fit_time_to_save(*, user):
        study_settings = read_settings(user=user)
        if threading.current_thread().name == "settings page":
            settings_read.set()
            fit_saved.wait(timeout=2)  # the fit saves meanwhile unless the learner's lock holds it back
        return study_settings

    def change_settings():
        services.study_settings_update(user=alice, fields={"reviews_per_day": 150})

    def finish_the_fit():
        settings_read.wait(timeout=30)
        services.scheduler_optimization_run(optimization_id=optimization.pk)
        fit_saved.set()

    monkeypatch.setattr(selectors, "study_settings_get", read_then_give_the_fit_time_to_save)
    errors = []

    def run(work):
        try:
            work()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(change_settings,), name="settings page"),
               threading.Thread(target=run, args=(finish_the_fit,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    saved = StudySettings.objects.get(user=alice)
    assert (saved.reviews_per_day, saved.fsrs_parameters) == (150, [0.5] * 21)
