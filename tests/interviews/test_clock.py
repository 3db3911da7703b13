"""The server is the clock: deadlines are stored once, time-outs are decided by the server."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from quizapp.interviews import services
from quizapp.interviews.models import Interview
from tests.factories import make_questions, make_topic

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _interview(user, count=3, **timing):
    make_questions(count)
    timing = timing or {"minutes_per_question": 3}
    return services.interview_create(user=user, topics=[make_topic()], count=count, **timing)


def test_it_stores_the_deadline_when_a_question_is_first_shown(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    assert first.position == 1
    assert first.shown_at == START and first.deadline == START + timedelta(minutes=3)
    interview.refresh_from_db()
    assert interview.started_at == START and interview.deadline == START + timedelta(minutes=9)


def test_it_keeps_the_same_deadline_on_a_reload(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    clock.shift(timedelta(minutes=2))
    again = services.interview_advance(interview=interview)  # a reload, or a second tab
    assert again.pk == first.pk
    assert again.shown_at == START and again.deadline == START + timedelta(minutes=3)


def test_it_times_out_a_question_and_shows_the_next(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    clock.shift(timedelta(minutes=3, seconds=1))
    second = services.interview_advance(interview=interview)
    first.refresh_from_db()
    assert first.timed_out and first.closed_at == first.deadline
    assert second.position == 2 and second.deadline == START + timedelta(minutes=6, seconds=1)


def test_it_caps_a_question_at_the_interviews_deadline(alice, clock):
    interview = _interview(alice, count=2)
    services.interview_advance(interview=interview)
    clock.shift(timedelta(minutes=5))  # question 1 timed out long ago; 1 minute of the interview is left
    second = services.interview_advance(interview=interview)
    assert second.deadline == START + timedelta(minutes=6)


def test_it_gives_every_question_the_interviews_deadline_with_a_total_time(alice, clock):
    interview = _interview(alice, count=3, total_minutes=10)
    first = services.interview_advance(interview=interview)
    services.interview_answer_save(interview=interview, question_id=first.question.card_id, answer="a",
                                   action="next")
    clock.shift(timedelta(minutes=1))
    second = services.interview_advance(interview=interview)
    assert first.deadline == second.deadline == START + timedelta(minutes=10)


def test_it_moves_to_the_review_when_the_interviews_time_is_up(alice, clock):
    interview = _interview(alice, count=3, total_minutes=5)
    first = services.interview_advance(interview=interview)
    services.interview_answer_save(interview=interview, question_id=first.question.card_id, answer="draft")
    clock.shift(timedelta(minutes=5))
    assert services.interview_advance(interview=interview) is None
    interview.refresh_from_db()
    assert interview.status == Interview.Status.REVIEWING
    items = list(interview.items.all())
    assert items[0].timed_out and items[0].answer == "draft"
    assert [item.shown_at for item in items[1:]] == [None, None]  # never reached
    assert all(item.closed_at for item in items)


def test_it_moves_on_when_the_learner_submits(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    clock.shift(timedelta(seconds=40))
    saved = services.interview_answer_save(interview=interview, question_id=first.question.card_id,
                                           answer="my answer", action="next")
    assert saved.closed_at == START + timedelta(seconds=40) and not saved.late and not saved.timed_out
    assert saved.seconds_used == 40
    assert services.interview_advance(interview=interview).position == 2


def test_it_keeps_an_answer_after_the_deadline_and_marks_it_late(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    card_id = first.question.card_id
    services.interview_answer_save(interview=interview, question_id=card_id, answer="on time")
    clock.shift(timedelta(minutes=3, seconds=1))
    unchanged = services.interview_answer_save(interview=interview, question_id=card_id, answer="on time")
    assert not unchanged.late  # the same text re-sent after the deadline changes nothing
    clock.shift(timedelta(seconds=5))
    late = services.interview_answer_save(interview=interview, question_id=card_id, answer="on time, and more",
                                          action="next")
    assert late.late and late.answer == "on time, and more" and late.closed_at is not None


def test_it_counts_a_save_within_the_grace_of_the_deadline_as_on_time(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    clock.shift(timedelta(minutes=3, seconds=1))
    saved = services.interview_answer_save(interview=interview, question_id=first.question.card_id,
                                           answer="typed in the last second", action="next")
    assert not saved.late and saved.timed_out


def test_it_still_takes_a_late_answer_to_a_timed_out_question(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    clock.shift(timedelta(minutes=4))
    services.interview_advance(interview=interview)  # another tab moved on
    late = services.interview_answer_save(interview=interview, question_id=first.question.card_id,
                                          answer="from the stale tab")
    assert late.timed_out and late.late and late.answer == "from the stale tab"


def test_it_refuses_an_answer_to_a_question_not_in_the_interview(alice, clock):
    interview = _interview(alice)
    outsider = make_questions(1)[0]
    services.interview_advance(interview=interview)
    with pytest.raises(services.InterviewInputError) as error:
        services.interview_answer_save(interview=interview, question_id=outsider.card_id, answer="x")
    assert "question" in error.value.fields


def test_it_refuses_an_answer_to_a_question_not_shown_yet(alice, clock):
    interview = _interview(alice)
    services.interview_advance(interview=interview)
    third = interview.items.get(position=3)
    with pytest.raises(services.InterviewInputError):
        services.interview_answer_save(interview=interview, question_id=third.question.card_id, answer="x")


def test_it_refuses_to_change_a_submitted_answer(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    card_id = first.question.card_id
    services.interview_answer_save(interview=interview, question_id=card_id, answer="final", action="next")
    with pytest.raises(services.InterviewConflict):
        services.interview_answer_save(interview=interview, question_id=card_id, answer="second thoughts")


def test_it_closes_the_question_as_skipped_on_skip(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    skipped = services.interview_answer_save(interview=interview, question_id=first.question.card_id, answer="",
                                             action="skip")
    assert skipped.skipped and skipped.closed_at == START


def test_it_closes_the_rest_and_opens_the_review_when_ending_early(alice, clock):
    interview = _interview(alice)
    services.interview_advance(interview=interview)
    services.interview_end(interview=interview)
    interview.refresh_from_db()
    assert interview.status == Interview.Status.REVIEWING
    first, *rest = interview.items.all()
    assert first.skipped and all(item.shown_at is None and item.closed_at for item in rest)


def test_it_does_not_call_an_answered_question_skipped_when_ending_early(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    services.interview_answer_save(interview=interview, question_id=first.question.card_id, answer="half an answer")
    services.interview_end(interview=interview)
    first.refresh_from_db()
    assert first.closed_at == START and not first.skipped and first.answer == "half an answer"


def _time_up(interview, clock, answer="my own words"):
    """Answer the first question, then let the whole interview run out: the review opens."""
    first = services.interview_advance(interview=interview)
    services.interview_answer_save(interview=interview, question_id=first.question.card_id, answer=answer)
    clock.shift(timedelta(minutes=10))
    assert services.interview_advance(interview=interview) is None
    return first


def test_it_refuses_to_change_an_answer_once_the_reference_answers_are_shown(alice, clock):
    interview = _interview(alice, count=3, total_minutes=5)
    first = _time_up(interview, clock)
    clock.shift(timedelta(seconds=30))  # the learner has been reading the review
    with pytest.raises(services.InterviewConflict):
        services.interview_answer_save(interview=interview, question_id=first.question.card_id,
                                       answer="saturation, chain rule, residual, initialisation")
    first.refresh_from_db()
    assert first.answer == "my own words" and first.answer_saved_at == START


def test_it_still_lands_a_save_sent_just_before_answering_ended(alice, clock):
    interview = _interview(alice, count=3, total_minutes=5)
    first = _time_up(interview, clock)
    clock.shift(services.GRACE)  # the page's last autosave, overtaken by the end of answering
    saved = services.interview_answer_save(interview=interview, question_id=first.question.card_id,
                                           answer="my own words, finished")
    assert saved.answer == "my own words, finished" and saved.timed_out


def test_it_counts_a_passed_deadline_as_timed_out_not_skipped_when_ending_early(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    clock.shift(timedelta(minutes=3, seconds=30))  # nobody looked since the deadline passed
    services.interview_end(interview=interview)
    first.refresh_from_db()
    assert first.timed_out and not first.skipped
    assert first.closed_at == first.deadline == START + timedelta(minutes=3)
