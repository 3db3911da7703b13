"""Scoring, key-point suggestions, and the review feeding the study scheduler."""

from datetime import timedelta

import pytest
from django.utils import timezone

from quizapp.interviews import scoring, selectors, services
from quizapp.interviews.models import Interview
from quizapp.study.models import CardState, ReviewLog
from tests.factories import KEY_POINTS, make_questions, make_topic


def test_it_suggests_key_points_whose_terms_appear_in_english_any_case():
    answer = "The CHAIN RULE multiplies factors; Saturated units kill the gradient."
    assert selectors.key_points_suggested(key_points=KEY_POINTS, answer=answer) == [True, True, False, False]


def test_it_suggests_key_points_from_a_chinese_answer():
    answer = "sigmoid 在饱和区导数很小,用残差连接可以缓解"
    assert selectors.key_points_suggested(key_points=KEY_POINTS, answer=answer) == [True, False, True, False]


def test_it_suggests_nothing_for_an_empty_answer_or_blank_terms():
    points = [{"en": "x", "zh": "x", "terms": ["  "]}, *KEY_POINTS]
    assert selectors.key_points_suggested(key_points=points, answer="") == [False] * 5


@pytest.mark.parametrize(("credits", "answer", "late", "expected"), [
    ([1, 1, 1, 0], "text", False, 0.75),
    ([1, 0.5, 0.5, 0], "text", False, 0.5),
    ([1, 1, 1, 1], "text", True, 0.5),
    ([1, 1, 0, 0], "   ", False, 0.0),
    ([], "text", False, 0.0),
])
def test_it_scores_the_mean_credit_of_the_key_points(credits, answer, late, expected):
    assert scoring.item_score(credits=credits, answer=answer, late=late) == expected


@pytest.mark.parametrize(("score", "choice", "would_pass", "overridden"), [
    (0.75, "derived", True, False), (0.74, "derived", False, False),
    (0.0, "pass", True, True), (1.0, "fail", False, True),
    (0.9, "pass", True, False), (0.2, "fail", False, False),  # choosing what the points give is no override
])
def test_it_derives_the_verdict_from_the_score_unless_overridden(score, choice, would_pass, overridden):
    assert scoring.verdict(score=score, choice=choice) == scoring.Verdict(would_pass=would_pass,
                                                                            overridden=overridden)


@pytest.mark.parametrize(("score", "would_pass", "rating"), [
    (0.0, True, scoring.AGAIN), (0.49, False, scoring.AGAIN), (0.5, False, scoring.HARD),
    (0.74, True, scoring.HARD), (0.75, False, scoring.GOOD), (0.75, True, scoring.GOOD),
    (1.0, False, scoring.GOOD), (1.0, True, scoring.EASY),
])
def test_it_turns_a_score_into_a_study_rating(score, would_pass, rating):
    assert scoring.study_rating(score=score, would_pass=would_pass) == rating


def _answered_interview(user, answers: list[str]) -> Interview:
    make_questions(len(answers) + 1)
    interview = services.interview_create(user=user, topics=[make_topic()], count=len(answers) + 1,
                                          minutes_per_question=3)
    for answer in answers:
        item = services.interview_advance(interview=interview)
        services.interview_answer_save(interview=interview, question_id=item.question.card_id, answer=answer,
                                       action="next")
    services.interview_end(interview=interview)  # the last question is never shown
    interview.refresh_from_db()
    return interview


def test_it_rates_the_asked_questions_through_the_scheduler_when_the_review_is_finished(alice):
    interview = _answered_interview(alice, ["I know nothing", "saturation, chain rule, relu, init"])
    weak, strong, unseen = interview.items.select_related("question")
    marks = {weak.question.card_id: {"covered": [0]},
             strong.question.card_id: {"covered": [0, 1, 2, 3], "verdict": "pass"}}

    services.interview_review_finish(interview=interview, marks=marks)

    interview.refresh_from_db()
    weak.refresh_from_db(), strong.refresh_from_db(), unseen.refresh_from_db()
    assert interview.status == Interview.Status.DONE
    assert (weak.score, weak.study_rating) == (0.25, scoring.AGAIN)
    assert (strong.score, strong.study_rating) == (1.0, scoring.EASY)
    assert (unseen.score, unseen.study_rating, unseen.study_due) == (0.0, None, None)
    assert interview.score == pytest.approx((0.25 + 1.0 + 0.0) / 3)

    logs = {log.card.question_id: log for log in ReviewLog.objects.filter(user=alice).select_related("card")}
    assert set(logs) == {weak.question_id, strong.question_id}
    assert {log.source for log in logs.values()} == {"interview"}
    assert logs[weak.question_id].rating == 1 and logs[strong.question_id].rating == 4
    again_card = CardState.objects.get(user=alice, question=weak.question)
    easy_card = CardState.objects.get(user=alice, question=strong.question)
    assert again_card.reps == easy_card.reps == 1
    # The scheduler brings the missed question back much sooner than the one answered well.
    assert again_card.due < easy_card.due
    assert easy_card.due - timezone.now() > timedelta(days=1)
    assert weak.study_due == again_card.due


def test_it_counts_a_review_lapse_for_a_card_already_in_review(alice):
    interview = _answered_interview(alice, ["wrong"])
    item = interview.items.select_related("question").first()
    now = timezone.now()
    CardState.objects.create(user=alice, question=item.question, state=CardState.State.REVIEW, stability=20.0,
                             difficulty=5.0, due=now, last_review=now - timedelta(days=20), reps=4)
    services.interview_review_finish(interview=interview, marks={})
    card = CardState.objects.get(user=alice, question=item.question)
    assert card.lapses == 1 and card.state == CardState.State.RELEARNING


def test_it_reviews_an_interview_only_once(alice):
    interview = _answered_interview(alice, ["something"])
    services.interview_review_finish(interview=interview, marks={})
    with pytest.raises(services.InterviewConflict):
        services.interview_review_finish(interview=interview, marks={})
    assert ReviewLog.objects.filter(user=alice).count() == 1


def test_it_refuses_a_review_before_answering_is_over(alice):
    make_questions(2)
    interview = services.interview_create(user=alice, topics=[make_topic()], count=2, minutes_per_question=3)
    services.interview_advance(interview=interview)
    with pytest.raises(services.InterviewConflict):
        services.interview_review_finish(interview=interview, marks={})


@pytest.mark.parametrize("mark", [{"q-outsider": {"covered": []}}, "bad index"])
def test_it_refuses_marks_for_other_questions_or_points_and_changes_nothing(alice, mark):
    interview = _answered_interview(alice, ["text"])
    if mark == "bad index":
        mark = {interview.items.first().question.card_id: {"covered": [0, 9]}}
    with pytest.raises(services.InterviewInputError):
        services.interview_review_finish(interview=interview, marks=mark)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.REVIEWING and not ReviewLog.objects.exists()


def test_it_asks_the_same_questions_in_the_same_order_on_a_retake(alice):
    interview = _answered_interview(alice, ["a", "b"])
    retake = services.interview_retake(user=alice, interview=interview)
    assert retake.retake_of == interview and retake.status == Interview.Status.ANSWERING
    assert (list(retake.items.values_list("question_id", flat=True))
            == list(interview.items.values_list("question_id", flat=True)))
    assert (retake.seconds_per_question, retake.total_seconds) == (180, 540)
