import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from quizapp.interviews import selectors, services
from quizapp.interviews.models import Interview
from quizapp.study.models import CardState
from tests.factories import make_question, make_questions, make_topic


def _create(user, **overrides):
    setup = {"topics": [make_topic()], "count": 3, "minutes_per_question": 3}
    return services.interview_create(user=user, **{**setup, **overrides})


def _card_ids(interview):
    return [item.question.card_id for item in interview.items.select_related("question")]


def test_it_picks_only_questions_within_the_topics_and_difficulty_range(alice):
    wanted, other = make_topic("wanted"), make_topic("other")
    inside = make_questions(4, topic=wanted, difficulty=2) + make_questions(2, topic=wanted, difficulty=3)
    make_questions(3, topic=wanted, difficulty=1)
    make_questions(5, topic=other, difficulty=2)
    make_question(topic=wanted, difficulty=2, retired=True)

    interview = _create(alice, topics=[wanted], difficulty_min=2, difficulty_max=3, count=6)

    assert sorted(_card_ids(interview)) == sorted(question.card_id for question in inside)


def test_it_never_repeats_a_question_within_an_interview(alice):
    make_questions(12)
    for _ in range(5):
        ids = _card_ids(_create(alice, count=12))
        assert len(ids) == len(set(ids)) == 12


def test_it_numbers_the_questions_in_order(alice):
    make_questions(5)
    interview = _create(alice, count=5)
    assert list(interview.items.values_list("position", flat=True)) == [1, 2, 3, 4, 5]


def test_it_refuses_more_questions_than_the_filters_allow_and_creates_nothing(alice):
    topic = make_topic()
    make_questions(2, topic=topic, difficulty=1)
    with pytest.raises(services.InterviewInputError) as error, translation.override("en"):
        _create(alice, topics=[topic], difficulty_max=1, count=3)
    assert "Only 2 questions" in error.value.fields["count"][0]
    assert Interview.objects.count() == 0


@pytest.mark.parametrize(("overrides", "field"), [
    ({"topics": []}, "topics"),
    ({"count": 0}, "count"),
    ({"count": 21}, "count"),
    ({"minutes_per_question": 16}, "minutes_per_question"),
    ({"minutes_per_question": None}, "minutes_per_question"),
    ({"minutes_per_question": 3, "total_minutes": 10}, "minutes_per_question"),
    ({"minutes_per_question": None, "total_minutes": 301}, "total_minutes"),
    ({"difficulty_min": 3, "difficulty_max": 1}, "difficulty_min"),
])
def test_it_names_the_bad_field(alice, overrides, field):
    make_questions(3)
    with pytest.raises(services.InterviewInputError) as error:
        _create(alice, **overrides)
    assert field in error.value.fields
    assert Interview.objects.count() == 0


def test_it_stores_the_allowances_in_seconds(alice):
    make_questions(4)
    per_question = _create(alice, count=4, minutes_per_question=5)
    total = _create(alice, count=4, minutes_per_question=None, total_minutes=12)
    assert (per_question.seconds_per_question, per_question.total_seconds) == (300, 1200)
    assert (total.seconds_per_question, total.total_seconds) == (None, 720)


def _studied(user, question, *, lapses=0, stability=50.0, days_since_review=1):
    now = timezone.now()
    return CardState.objects.create(
        user=user, question=question, state=CardState.State.REVIEW, stability=stability, difficulty=5.0,
        due=now + timedelta(days=1), last_review=now - timedelta(days=days_since_review), reps=3, lapses=lapses)


def test_it_ranks_weak_spots_by_lapses_then_by_retrievability(alice, bob):
    lapsed_twice, lapsed_once, fading, strong, never_studied = make_questions(5)
    _studied(alice, lapsed_once, lapses=1)
    _studied(alice, lapsed_twice, lapses=2)
    _studied(alice, fading, stability=1.0, days_since_review=30)
    _studied(alice, strong, stability=100.0, days_since_review=1)
    _studied(bob, never_studied, lapses=5)  # bob's weakness is not alice's

    ids = [question.id for question in (lapsed_twice, lapsed_once, fading, strong, never_studied)]
    weak = selectors.weak_question_ids(user=alice, question_ids=ids, now=timezone.now())

    assert weak == [lapsed_twice.id, lapsed_once.id, fading.id]


def test_it_prefers_weak_spots_when_asked(alice):
    questions = make_questions(15)
    weak = questions[3], questions[9]
    for question in weak:
        _studied(alice, question, lapses=1)
    for question in questions[:3]:
        _studied(alice, question, stability=200.0)

    for seed in range(5):
        pool = selectors.interview_question_pool(topics=[make_topic()], difficulty_min=1, difficulty_max=3)
        picked = selectors.interview_questions_pick(user=alice, pool=pool, count=3, weak_spots=True,
                                                    rng=random.Random(seed))
        assert set(weak) <= set(picked) and len(set(picked)) == 3


def test_it_fills_a_weak_spots_interview_from_the_rest_when_few_are_weak(alice):
    questions = make_questions(6)
    _studied(alice, questions[0], lapses=3)
    interview = _create(alice, count=6, weak_spots=True)
    assert sorted(_card_ids(interview)) == sorted(question.card_id for question in questions)


def _weak_spot_queries(user, questions) -> int:
    with CaptureQueriesContext(connection) as queries:
        weak = selectors.weak_question_ids(user=user, question_ids=[question.id for question in questions],
                                           now=timezone.now())
    assert len(weak) == len(questions)
    return len(queries)


def test_it_finds_weak_spots_in_as_many_queries_for_30_cards_as_for_5(alice, django_assert_max_num_queries):
    questions = make_questions(35)
    for question in questions:
        _studied(alice, question, lapses=1)
    few = _weak_spot_queries(alice, questions[:5])
    with django_assert_max_num_queries(few):
        _weak_spot_queries(alice, questions[5:])
