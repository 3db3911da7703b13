"""The "optimise my scheduler" task: too few reviews says how many more; enough fits and compares."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from fsrs import Card, Rating, Scheduler

from quizapp.study import optimizing, selectors, services, tasks
from quizapp.study.models import MAX_RETENTION, MIN_RETENTION, CardState, ReviewLog, SchedulerOptimization

START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def _simulated_history(user, questions, *, reviews_per_card: int, seed: int = 7) -> None:
    """Reviews as a learner would make them: on time, forgetting about as often as FSRS predicts."""
    rng, scheduler = random.Random(seed), Scheduler(enable_fuzzing=False)
    logs = []
    for index, question in enumerate(questions):
        row = CardState.objects.create(user=user, question=question, due=START)
        card, moment = Card(card_id=row.pk, due=START), START + timedelta(minutes=index)
        for _ in range(reviews_per_card):
            recall = scheduler.get_card_retrievability(card, moment) if card.last_review else 0.6
            rating = (Rating.Again if rng.random() > 0.03 + 0.95 * max(recall, 0.3)
                      else rng.choice([Rating.Hard, Rating.Good, Rating.Good, Rating.Easy]))
            before = card.state
            card, _ = scheduler.review_card(card, rating, review_datetime=moment)
            logs.append(ReviewLog(user=user, card=row, rating=int(rating), reviewed_at=moment, duration_ms=8000,
                                  state_before=before.name.lower(), previous_state={}))
            moment = max(card.due, moment + timedelta(minutes=1)) + timedelta(hours=rng.randint(0, 30))
    ReviewLog.objects.bulk_create(logs)


def _request(user, django_capture_on_commit_callbacks) -> SchedulerOptimization:
    with django_capture_on_commit_callbacks(execute=True):
        optimization = services.scheduler_optimization_request(user=user).optimization
    optimization.refresh_from_db()
    return optimization


@pytest.mark.usefixtures("eager_celery")
def test_it_says_how_many_more_reviews_it_needs(alice, make_question, django_capture_on_commit_callbacks):
    _simulated_history(alice, [make_question() for _ in range(10)], reviews_per_card=6)
    optimization = _request(alice, django_capture_on_commit_callbacks)
    assert optimization.status == SchedulerOptimization.Status.TOO_FEW
    assert 0 < optimization.reviews_counted < optimization.reviews_needed == optimizing.REVIEWS_NEEDED
    assert optimization.new_parameters == [] and selectors.study_settings_get(user=alice).fsrs_parameters == []


def test_it_counts_only_reviews_a_day_or_more_apart():
    logs = [optimizing.ReviewLog(card_id=1, rating=Rating.Good, review_datetime=START + delay, review_duration=0)
            for delay in (timedelta(0), timedelta(minutes=10), timedelta(days=1, minutes=10), timedelta(days=2))]
    assert optimizing.trainable_review_count(logs) == 1


@pytest.mark.usefixtures("eager_celery")
def test_it_fits_the_learners_parameters_compares_log_loss_and_finds_their_optimal_retention(
        alice, make_question, django_capture_on_commit_callbacks):
    _simulated_history(alice, [make_question() for _ in range(60)], reviews_per_card=14)
    optimization = _request(alice, django_capture_on_commit_callbacks)
    assert optimization.status == SchedulerOptimization.Status.SUCCEEDED, optimization.error
    assert optimization.reviews_counted >= optimizing.REVIEWS_NEEDED
    assert optimization.old_parameters == pytest.approx(list(Scheduler().parameters))
    assert len(optimization.new_parameters) == 21 and optimization.new_parameters != optimization.old_parameters
    assert all(0 < loss < 1 for loss in (optimization.old_log_loss, optimization.new_log_loss))
    saved = selectors.study_settings_get(user=alice).fsrs_parameters
    assert optimization.applied == (optimization.new_log_loss < optimization.old_log_loss)
    assert saved == (optimization.new_parameters if optimization.applied else [])
    Scheduler(parameters=optimization.new_parameters)  # fsrs accepts them (within its bounds)
    # fsrs's own simulation, run for real: one of the retentions it tries, within the setting's bounds.
    assert optimization.optimal_retention in (0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
    assert MIN_RETENTION <= optimization.optimal_retention <= MAX_RETENTION


def test_it_runs_a_request_only_once(alice, make_question):
    optimization = SchedulerOptimization.objects.create(user=alice)
    services.scheduler_optimization_run(optimization_id=optimization.pk)
    optimization.refresh_from_db()
    first_finish = optimization.finished_at
    services.scheduler_optimization_run(optimization_id=optimization.pk)
    optimization.refresh_from_db()
    assert optimization.status == "too_few" and optimization.finished_at == first_finish


def test_it_shows_the_count_and_the_result_on_the_page(alice_client, alice, make_question):
    SchedulerOptimization.objects.create(user=alice, status="succeeded", reviews_counted=600, reviews_needed=512,
                                         old_parameters=[0.2] * 21, new_parameters=[0.3] * 21, old_log_loss=0.41,
                                         new_log_loss=0.37, applied=True)
    page = alice_client.get("/study/optimize/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "0.4100" in page and "0.3700" in page and page.count("<tr>") == 22
    assert alice_client.post("/study/optimize/").status_code == 302
    assert SchedulerOptimization.objects.filter(user=alice).count() == 2


def test_it_tells_the_learner_how_many_more_reviews_are_needed(alice_client, alice):
    SchedulerOptimization.objects.create(user=alice, status="too_few", reviews_counted=100, reviews_needed=512)
    page = alice_client.get("/study/optimize/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "100 of 512, so 412 more are needed" in page
    assert '<button type="submit" disabled>' in page  # nothing to press until the history is long enough


STALE_AFTER = timedelta(seconds=tasks.OPTIMIZE_TIME_LIMIT) + services.OPTIMIZATION_STALE_MARGIN


def _unfinished(user, *, status: str, created_ago: timedelta, started_ago: timedelta | None = None):
    """A fit left as a worker left it: still queued or running, created (and claimed) that long ago."""
    optimization = SchedulerOptimization.objects.create(user=user, status=status)
    now = timezone.now()
    SchedulerOptimization.objects.filter(pk=optimization.pk).update(
        created_at=now - created_ago, started_at=now - started_ago if started_ago is not None else None)
    return optimization


def test_it_fails_fits_that_can_no_longer_finish_when_they_are_read(alice_api, alice):
    killed = _unfinished(alice, status="running", created_ago=STALE_AFTER * 2, started_ago=STALE_AFTER * 2)
    never_picked_up = _unfinished(alice, status="queued", created_ago=STALE_AFTER + timedelta(minutes=1))
    # Waited long in the queue but claimed five minutes ago: within its time limit, still fitting.
    fitting = _unfinished(alice, status="running", created_ago=STALE_AFTER * 2, started_ago=timedelta(minutes=5))
    body = alice_api.get(f"/api/study/optimizations/{killed.pk}/").json()
    assert body["status"] == "failed" and body["error"] == services.OPTIMIZATION_LOST and body["finished_at"]
    assert SchedulerOptimization.objects.get(pk=never_picked_up.pk).status == "failed"
    assert alice_api.get(f"/api/study/optimizations/{fitting.pk}/").json()["status"] == "running"
    assert not services.scheduler_optimization_claim(optimization_id=never_picked_up.pk)  # a late task does nothing


def test_it_tells_the_learner_in_their_language_that_a_fit_was_lost(alice_client, alice):
    _unfinished(alice, status="running", created_ago=STALE_AFTER * 2, started_ago=STALE_AFTER * 2)
    page = alice_client.get("/study/optimize/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "拟合没有完成" in page
    assert 'http-equiv="refresh"' not in page  # the page stops waiting for it


def test_it_runs_one_fit_at_a_time_per_learner(alice_api, alice_client, bob_api, alice):
    first = alice_api.post("/api/study/optimizations/")
    again = alice_api.post("/api/study/optimizations/")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["status"] == "queued"
    assert alice_client.post("/study/optimize/")["Location"] == "/study/optimize/"  # the page's button joins it
    assert SchedulerOptimization.objects.filter(user=alice).count() == 1
    assert bob_api.post("/api/study/optimizations/").status_code == 202  # another learner's fit is their own
    SchedulerOptimization.objects.filter(pk=first.json()["id"]).update(status="too_few")
    assert alice_api.post("/api/study/optimizations/").status_code == 202  # once it ends, a new one queues


def test_it_does_not_let_a_lost_fit_block_the_next(alice_api, alice):
    lost = _unfinished(alice, status="running", created_ago=STALE_AFTER * 2, started_ago=STALE_AFTER * 2)
    response = alice_api.post("/api/study/optimizations/")
    assert response.status_code == 202 and response.json()["id"] != lost.pk
    assert SchedulerOptimization.objects.get(pk=lost.pk).status == "failed"


@pytest.mark.parametrize(("language", "message"), [("en", "The task queue is unavailable"),
                                                   ("zh-hans", "任务队列暂时不可用")])
def test_it_answers_503_at_once_and_records_no_fit_when_the_broker_is_down(alice_api, alice_client, alice,
                                                                           broker_down, language, message):
    response = alice_api.post("/api/study/optimizations/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 503
    assert message in response.json()["detail"]
    assert int(response["Retry-After"]) == settings.TASK_QUEUE_RETRY_AFTER_SECONDS
    page = alice_client.post("/study/optimize/", HTTP_ACCEPT_LANGUAGE=language, follow=True).content.decode()
    assert message in page  # the page's button says so too
    assert not SchedulerOptimization.objects.filter(user=alice).exists()  # nothing waits for a task


def test_it_sends_fits_to_the_optimizer_queue_not_the_demos_one(alice_api, sent_fits):
    from quizapp.celery import app

    assert alice_api.post("/api/study/optimizations/").status_code == 202
    assert len(sent_fits) == 1
    assert app.amqp.router.route({}, tasks.optimize_scheduler.name)["queue"].name == "optimizer"


def test_it_reaps_fits_nobody_serves_or_whose_worker_went_silent(alice, bob, settings):
    from quizapp.core.services import worker_heartbeat_record
    from quizapp.demos.tasks import reap_stale_runs

    worker_heartbeat_record(hostname="demos-only@box", queues=["demos"], has_cuda=False)
    grace = timedelta(seconds=settings.DEMO_NO_WORKER_GRACE_SECONDS)
    unserved = _unfinished(alice, status="queued", created_ago=grace + timedelta(seconds=1))
    just_asked = _unfinished(bob, status="queued", created_ago=grace - timedelta(seconds=5))
    orphaned = _unfinished(bob, status="running", created_ago=timedelta(minutes=2), started_ago=timedelta(minutes=1))
    SchedulerOptimization.objects.filter(pk=orphaned.pk).update(worker="optimizer@gone")  # no heartbeat
    fitting = _unfinished(alice, status="running", created_ago=timedelta(minutes=2), started_ago=timedelta(minutes=1))
    SchedulerOptimization.objects.filter(pk=fitting.pk).update(worker="demos-only@box")  # alive
    reap_stale_runs()
    states = {fit.pk: (fit.status, fit.error) for fit in SchedulerOptimization.objects.all()}
    assert states[unserved.pk] == ("failed", services.OPTIMIZATION_NO_WORKER)
    assert states[orphaned.pk] == ("failed", services.OPTIMIZATION_LOST)
    assert states[just_asked.pk][0] == "queued" and states[fitting.pk][0] == "running"


def test_it_fails_a_redelivered_fit_that_finds_itself_running_instead_of_fitting_again(alice):
    optimization = SchedulerOptimization.objects.create(user=alice)
    assert services.scheduler_optimization_claim(optimization_id=optimization.pk, worker="optimizer@box")
    # The pool process was killed mid-fit (an OOM kill): Celery requeues the task, which comes back.
    tasks.optimize_scheduler.apply(args=[optimization.pk])
    optimization.refresh_from_db()
    assert (optimization.status, optimization.error) == ("failed", services.OPTIMIZATION_CRASHED)


def test_it_lets_a_fit_the_reaper_failed_meanwhile_neither_succeed_nor_change_the_parameters(alice, monkeypatch):
    optimization = SchedulerOptimization.objects.create(user=alice)
    better = optimizing.Fit(old_parameters=list(Scheduler().parameters), new_parameters=[0.5] * 21,
                            old_log_loss=0.4, new_log_loss=0.3, optimal_retention=0.8)

    def fit_outlived_by_the_reaper(history, *, current_parameters):
        # The fit computed silently past the reaper's patience: it was failed, the learner asked again.
        SchedulerOptimization.objects.filter(pk=optimization.pk).update(
            status=SchedulerOptimization.Status.FAILED, error=services.OPTIMIZATION_LOST, finished_at=timezone.now())
        SchedulerOptimization.objects.create(user=alice)
        return better

    monkeypatch.setattr(optimizing, "trainable_review_count", lambda history: optimizing.REVIEWS_NEEDED)
    monkeypatch.setattr(optimizing, "fit", fit_outlived_by_the_reaper)
    services.scheduler_optimization_run(optimization_id=optimization.pk, worker="optimizer@box")
    optimization.refresh_from_db()
    assert (optimization.status, optimization.error) == ("failed", services.OPTIMIZATION_LOST)
    assert optimization.new_parameters == [] and not optimization.applied and optimization.optimal_retention is None
    assert selectors.study_settings_get(user=alice).fsrs_parameters == []


def test_it_finds_no_optimal_retention_in_a_history_that_cannot_tell():
    """fsrs would divide by zero without a recalled repeat review, and tie every retention at no cost without
    answer times; the page then says why rather than showing 0.70."""
    def history(*, ratings, duration):
        return [optimizing.ReviewLog(card_id=index // len(ratings), rating=ratings[index % len(ratings)],
                                     review_datetime=START + timedelta(days=index), review_duration=duration)
                for index in range(optimizing.RETENTION_REVIEWS_NEEDED * len(ratings))]

    assert optimizing.can_tell_optimal_retention(history(ratings=[Rating.Good, Rating.Good], duration=5000))
    assert not optimizing.can_tell_optimal_retention(history(ratings=[Rating.Good, Rating.Again], duration=5000)[1:])
    assert not optimizing.can_tell_optimal_retention(history(ratings=[Rating.Good, Rating.Good], duration=0))
    assert not optimizing.can_tell_optimal_retention(history(ratings=[Rating.Good, Rating.Good], duration=5000)[:511])


def _fit_with_optimal_retention(user, value):
    return SchedulerOptimization.objects.create(user=user, status="succeeded", reviews_counted=600,
                                                reviews_needed=512, old_parameters=[0.2] * 21,
                                                new_parameters=[0.3] * 21, old_log_loss=0.41, new_log_loss=0.37,
                                                optimal_retention=value)


@pytest.mark.parametrize(("language", "words"), [("en", "Optimal for you: 0.85"), ("zh-hans", "适合你的最佳值：0.85")])
def test_it_shows_the_optimal_retention_beside_the_setting_and_uses_it(alice_client, alice, language, words):
    _fit_with_optimal_retention(alice, 0.85)
    SchedulerOptimization.objects.create(user=alice, status="failed", error="x")  # a later failure keeps it shown
    for path in ("/study/settings/", "/study/optimize/"):
        page = alice_client.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert words in page and 'form="use-optimal-retention"' in page
    used = alice_client.post("/study/settings/optimal-retention/", {"next": "optimize"})
    assert used["Location"] == "/study/optimize/"
    assert selectors.study_settings_get(user=alice).desired_retention == 0.85
    page = alice_client.get("/study/settings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Optimal for you: 0.85" in page and 'form="use-optimal-retention"' not in page  # in use already
    assert alice_api_settings(alice_client)["optimal_retention"] == 0.85


def alice_api_settings(client) -> dict:
    return client.get("/api/study/settings/").json()


def test_it_says_how_many_more_reviews_the_optimal_retention_needs(alice_client, alice, make_question):
    _simulated_history(alice, [make_question() for _ in range(10)], reviews_per_card=6)
    counted = optimizing.trainable_review_count(optimizing.history_for_user(user=alice))
    page = alice_client.get("/study/settings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (f"computed from your reviews: {counted} of the 512 needed, so {512 - counted} more" in page)
    assert "Optimal for you" not in page


def test_it_never_shows_alice_bobs_optimal_retention(alice_client, alice, bob):
    _fit_with_optimal_retention(bob, 0.75)
    page = alice_client.get("/study/settings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Optimal for you" not in page and "0.75" not in page
    assert alice_api_settings(alice_client)["optimal_retention"] is None
    assert alice_client.post("/study/settings/optimal-retention/").status_code == 302
    assert selectors.study_settings_get(user=alice).desired_retention == 0.9
