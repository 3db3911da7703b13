"""Follow-ups: the card's follow-up is asked after an answer that missed a key point it probes, on its own
clock, reviewed like a question under its question and counted as half a question."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from quizapp.core.errors import InvalidInput
from quizapp.interviews import scoring, selectors, services
from quizapp.interviews.models import Interview, InterviewItem
from quizapp.study.models import ReviewLog
from tests.factories import KEY_POINTS, make_question, make_topic

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
# The factory's key points are 0 saturation, 1 the chain rule, 2 ReLU or residual connections, 3 initialisation;
# the follow-up probes the last two.
FOLLOW_UP = {
    "probes": [2, 3],
    "question": {"en": "Why does a residual connection keep the gradient from vanishing?",
                 "zh": "残差连接为什么能让梯度不消失？"},
    "key_points": [
        {"en": "The identity path adds 1 to the local derivative", "zh": "恒等路径给局部导数加上 1",
         "terms": ["identity", "恒等"]},
        {"en": "The gradient reaches early layers without passing through the weights of every layer",
         "zh": "梯度不必穿过每一层的权重就能到达前面的层", "terms": ["shortcut", "捷径"]},
    ],
}
MISSES_A_PROBE = "Saturated sigmoids: the chain rule multiplies small factors, so use ReLU."  # no initialisation
MAKES_EVERY_PROBE = "Use ReLU and careful initialisation."


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _interview(user, *, follow_ups=(True, False), card=None, **timing) -> Interview:
    """An interview on one card per entry of `follow_ups`, in that order, the true ones with FOLLOW_UP (and
    the columns `card` sets)."""
    topic = make_topic("basics")
    questions = [make_question(topic=topic, **({"follow_up": FOLLOW_UP, **(card or {})} if has else {}))
                 for has in follow_ups]
    interview = services.interview_create_on_questions(user=user, questions=questions, language="en")
    if timing:
        Interview.objects.filter(pk=interview.pk).update(**timing)
        interview.refresh_from_db()
    return interview


def _answer(interview, item, text, action="next") -> InterviewItem:
    return services.interview_answer_save(interview=interview, question_id=item.question.card_id, answer=text,
                                          action=action, follow_up=item.is_follow_up)


def test_it_asks_the_follow_up_next_when_the_answer_missed_a_probed_point(alice, clock):
    interview = _interview(alice)  # 3 minutes per question: 6 minutes in all
    first = services.interview_advance(interview=interview)
    clock.shift(timedelta(minutes=1))
    _answer(interview, first, MISSES_A_PROBE)
    clock.shift(timedelta(seconds=20))  # the next page arrives a moment later: the follow-up's clock starts then

    follow_up = services.interview_advance(interview=interview)
    assert follow_up.is_follow_up and follow_up.follow_up_of == first
    assert follow_up.question == first.question and follow_up.position == first.position
    assert follow_up.text("en") == FOLLOW_UP["question"]["en"] and follow_up.text("zh") == FOLLOW_UP["question"]["zh"]
    shown = START + timedelta(minutes=1, seconds=20)
    assert follow_up.shown_at == shown and follow_up.deadline == shown + timedelta(seconds=90)  # half of 3 minutes
    interview.refresh_from_db()
    assert interview.total_seconds == 6 * 60 + 90 and interview.deadline == START + timedelta(minutes=6, seconds=90)
    assert services.interview_advance(interview=interview) == follow_up  # a reload: the same clock

    _answer(interview, follow_up, "The identity path.")
    second = services.interview_advance(interview=interview)
    assert second.position == 2 and not second.is_follow_up


@pytest.mark.parametrize(("answer", "action"), [
    (MAKES_EVERY_PROBE, "next"),  # every probed point made
    ("I would use ReLU", "skip"),  # skipped: nothing to follow up on
    ("", "next"),  # a blank answer is no answer to dig into
])
def test_it_asks_no_follow_up_after_an_answer_that_made_every_probed_point_or_was_skipped(alice, clock, answer,
                                                                                        action):
    interview = _interview(alice)
    _answer(interview, services.interview_advance(interview=interview), answer, action=action)
    assert services.interview_advance(interview=interview).position == 2
    assert not InterviewItem.objects.filter(follow_up_of__isnull=False).exists()


@pytest.mark.parametrize(("aliases", "follow_up_asked"), [(["GQA"], False), ([], True)])
def test_it_finds_a_probed_point_under_the_cards_other_name_for_its_term(alice, clock, aliases, follow_up_asked):
    points = [*KEY_POINTS[:3], {"en": "Grouped-query attention", "zh": "分组查询注意力",
                                "terms": ["grouped-query attention"]}]
    interview = _interview(alice, card={"key_points": points, "aliases": aliases})
    _answer(interview, services.interview_advance(interview=interview), "ReLU, and GQA")
    assert services.interview_advance(interview=interview).is_follow_up == follow_up_asked


def test_it_asks_no_follow_up_for_a_card_without_one_nor_after_a_follow_up(alice, clock):
    interview = _interview(alice, follow_ups=(False, True))
    _answer(interview, services.interview_advance(interview=interview), MISSES_A_PROBE)
    second = services.interview_advance(interview=interview)
    assert second.position == 2 and not second.is_follow_up
    _answer(interview, second, MISSES_A_PROBE)
    follow_up = services.interview_advance(interview=interview)
    assert follow_up.is_follow_up
    _answer(interview, follow_up, "I do not know")  # misses all its points: still no follow-up of a follow-up
    assert services.interview_advance(interview=interview) is None
    assert InterviewItem.objects.filter(follow_up_of__isnull=False).count() == 1


def test_it_shows_the_follow_up_at_once_when_its_question_timed_out(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    _answer(interview, first, MISSES_A_PROBE, action="save")
    clock.shift(timedelta(minutes=3, seconds=30))  # the learner was away when the question's time ran out

    follow_up = services.interview_advance(interview=interview)
    first.refresh_from_db()
    assert first.timed_out and follow_up.is_follow_up
    assert follow_up.shown_at == START + timedelta(minutes=3, seconds=30)  # its own clock starts when shown
    assert follow_up.seconds_given == 90


def test_it_gives_a_follow_up_at_least_a_minute(alice, clock):
    interview = _interview(alice, seconds_per_question=60, total_seconds=120)
    _answer(interview, services.interview_advance(interview=interview), MISSES_A_PROBE)
    assert services.interview_advance(interview=interview).seconds_given == 60


def test_it_runs_a_follow_up_on_the_one_clock_of_an_interview_with_only_a_total_time(alice, clock):
    interview = _interview(alice, seconds_per_question=None, total_seconds=600)
    _answer(interview, services.interview_advance(interview=interview), MISSES_A_PROBE)
    follow_up = services.interview_advance(interview=interview)
    interview.refresh_from_db()
    assert follow_up.deadline == interview.deadline == START + timedelta(minutes=10)
    assert follow_up.seconds_allowed is None and interview.total_seconds == 600


def test_it_asks_no_follow_up_when_the_learner_ends_the_interview(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    _answer(interview, first, MISSES_A_PROBE, action="save")
    services.interview_end(interview=interview)
    assert not InterviewItem.objects.filter(follow_up_of__isnull=False).exists()


def test_it_refuses_an_answer_to_a_follow_up_that_was_not_asked(alice, clock):
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    with pytest.raises(InvalidInput) as refused:
        services.interview_answer_save(interview=interview, question_id=first.question.card_id, answer="x",
                                       follow_up=True)
    assert "follow_up" in refused.value.fields
    assert InterviewItem.objects.get(pk=first.pk).answer == ""


def _answered_with_a_follow_up(user) -> tuple[Interview, InterviewItem, InterviewItem, InterviewItem]:
    interview = _interview(user)
    first = services.interview_advance(interview=interview)
    _answer(interview, first, MISSES_A_PROBE)
    follow_up = services.interview_advance(interview=interview)
    _answer(interview, follow_up, "The identity path adds one to the derivative.")
    second = services.interview_advance(interview=interview)
    _answer(interview, second, MAKES_EVERY_PROBE)
    assert services.interview_advance(interview=interview) is None
    return interview, first, follow_up, second


def test_it_grades_the_follow_up_against_its_own_key_points_as_half_a_question(alice, clock):
    interview, first, follow_up, second = _answered_with_a_follow_up(alice)
    follow_up.refresh_from_db()
    suggested = [point["suggested"] for point in selectors.key_points_for_review(item=follow_up, language="en")]
    assert suggested == [True, False]  # its own points: "identity" found, "shortcut" not
    marks = {first.question.card_id: {"covered": [0, 1, 2], "follow_up": {"covered": [0], "partly": [1]}},
             second.question.card_id: {"covered": [2, 3]}}
    services.interview_review_finish(interview=interview, marks=marks)

    follow_up.refresh_from_db()
    assert follow_up.point_credits == [1.0, 0.5] and follow_up.score == 0.75
    assert follow_up.would_pass and not follow_up.verdict_overridden  # derived, as a question's
    assert follow_up.study_rating is None  # the card is rated once, by its question
    interview.refresh_from_db()
    assert interview.score == pytest.approx((0.75 + 0.5 + 0.75 * scoring.FOLLOW_UP_WEIGHT) / 2.5)
    assert ReviewLog.objects.filter(user=alice, source="interview").count() == 2


def test_it_records_an_override_of_the_follow_ups_verdict(alice, clock):
    interview, first, follow_up, _ = _answered_with_a_follow_up(alice)
    services.interview_review_finish(interview=interview, marks={
        first.question.card_id: {"covered": [0], "follow_up": {"covered": [], "verdict": "pass"}}})
    follow_up.refresh_from_db()
    assert follow_up.score == 0 and follow_up.would_pass and follow_up.verdict_overridden


@pytest.mark.parametrize("follow_up_mark", [{"covered": [2]}, {"covered": [0], "partly": [0]},
                                            {"verdict": "maybe"}])
def test_it_refuses_bad_marks_for_a_follow_up_and_changes_nothing(alice, clock, follow_up_mark):
    interview, first, *_ = _answered_with_a_follow_up(alice)
    with pytest.raises(InvalidInput) as refused:
        services.interview_review_finish(interview=interview, marks={
            first.question.card_id: {"covered": [0], "follow_up": follow_up_mark}})
    assert f"{first.question.card_id}.follow-up" in refused.value.fields["items"][0]
    interview.refresh_from_db()
    assert interview.status == Interview.Status.REVIEWING


def test_it_refuses_marks_for_a_follow_up_that_was_not_asked(alice, clock):
    interview, first, follow_up, second = _answered_with_a_follow_up(alice)
    with pytest.raises(InvalidInput) as refused:
        services.interview_review_finish(interview=interview, marks={
            second.question.card_id: {"covered": [0], "follow_up": {"covered": [0]}}})
    assert "no follow-up" in refused.value.fields["items"][0]


def test_it_studies_a_card_whose_follow_up_missed_a_point_though_its_question_made_them_all(alice, clock):
    interview, first, _, second = _answered_with_a_follow_up(alice)
    services.interview_review_finish(interview=interview, marks={
        first.question.card_id: {"covered": [0, 1, 2, 3], "follow_up": {"covered": [0]}},
        second.question.card_id: {"covered": [0, 1, 2, 3]}})
    interview.refresh_from_db()
    session = services.interview_study_missed(interview=interview)
    assert session.question_ids == [first.question_id]


def test_it_retakes_the_questions_without_their_follow_ups(alice, clock):
    interview, *_ = _answered_with_a_follow_up(alice)
    services.interview_review_finish(interview=interview, marks={})
    retaken = services.interview_retake(user=alice, interview=interview)
    assert retaken.items.count() == 2 and not retaken.items.filter(follow_up_of__isnull=False).exists()
    assert retaken.total_seconds == 2 * 3 * 60


def test_it_weighs_a_follow_up_as_half_a_question_in_the_topics_score_history(alice, clock):
    interview, first, *_ = _answered_with_a_follow_up(alice)
    services.interview_review_finish(interview=interview, marks={
        first.question.card_id: {"covered": [0, 1, 2, 3], "follow_up": {"covered": []}}})
    [point] = selectors.topic_score_history(user=alice)[first.question.topic_id]
    assert point.score == pytest.approx((1 + 0 + 0 * 0.5) / 2.5)


def test_it_counts_the_questions_not_their_follow_ups_in_the_history(alice, clock):
    _answered_with_a_follow_up(alice)
    assert selectors.interview_history(user=alice).get().question_count == 2


def test_a_follow_ups_spoken_answer_is_its_own_beside_its_questions(alice, alice_api, clock, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.interviews.test_recordings import OGG, WEBM

    settings.MEDIA_ROOT = tmp_path
    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    base = f"/api/interviews/{interview.id}/recordings/{first.question.card_id}/"

    def upload(url, audio):
        return alice_api.put(url, {"audio": SimpleUploadedFile("a.webm", audio), "seconds": 10.0}, format="multipart")

    assert upload(base, WEBM).status_code == 201
    clock.shift(timedelta(seconds=30))
    _answer(interview, first, MISSES_A_PROBE)
    follow_up = services.interview_advance(interview=interview)
    assert follow_up.is_follow_up
    stored = upload(base + "follow-up/", OGG).json()
    assert stored["follow_up"] is True and stored["audio_url"].endswith("/follow-up/audio/")
    assert alice_api.get(stored["audio_url"]).content == OGG
    assert alice_api.get(base + "audio/").content == WEBM  # the question's own recording is untouched
    listed = alice_api.get(f"/api/interviews/{interview.id}/recordings/").json()["recordings"]
    assert [(entry["question"], entry["follow_up"]) for entry in listed] == [
        (first.question.card_id, False), (first.question.card_id, True)]
    assert alice_api.delete(base + "follow-up/").status_code == 204
    assert alice_api.get(base + "follow-up/").status_code == 404 and alice_api.get(base).status_code == 200


def test_a_transcript_counts_as_said_when_choosing_the_follow_up(alice, clock):
    from quizapp.interviews.models import AnswerRecording

    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    AnswerRecording.objects.create(item=first, audio="x.webm", content_type="audio/webm", size=1, seconds=5,
                                   recorded_at=START,
                                   transcript=MAKES_EVERY_PROBE,
                                   transcript_status=AnswerRecording.Transcript.DONE)
    first.refresh_from_db()
    assert not selectors.follow_up_wanted(item=first)  # typed nothing, said every probed point aloud
    AnswerRecording.objects.filter(item=first).update(transcript=MISSES_A_PROBE)
    first = InterviewItem.objects.get(pk=first.pk)
    assert selectors.follow_up_wanted(item=first)


@pytest.mark.parametrize("transcript_status", ["not_configured", "pending", "failed"])
def test_it_asks_the_follow_up_after_an_answer_only_spoken_whose_words_it_cannot_read(alice, clock,
                                                                                      transcript_status):
    """No speech-to-text on the site, the transcript not back yet, or transcription failed: nothing to match, so
    the interviewer digs, as after a missed point; a typed answer beside the recording is matched as usual."""
    from quizapp.interviews.models import AnswerRecording

    interview = _interview(alice)
    first = services.interview_advance(interview=interview)
    AnswerRecording.objects.create(item=first, audio="x.webm", content_type="audio/webm", size=1, seconds=5,
                                   recorded_at=START, transcript_status=transcript_status)
    _answer(interview, first, "")
    follow_up = services.interview_advance(interview=interview)
    assert follow_up.is_follow_up and follow_up.follow_up_of == first

    typed_too = _interview(alice)
    first = services.interview_advance(interview=typed_too)
    AnswerRecording.objects.create(item=first, audio="y.webm", content_type="audio/webm", size=1, seconds=5,
                                   recorded_at=START, transcript_status=transcript_status)
    _answer(typed_too, first, MAKES_EVERY_PROBE)
    assert not services.interview_advance(interview=typed_too).is_follow_up
