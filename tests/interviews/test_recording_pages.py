"""Spoken answers on the pages: the answer page offers the recorder and says whether recordings are
transcribed; the review plays a recording back beside the key points, counts it as an answer (a
transcript's words pre-tick points like typed ones), and the results list it."""

import pytest
from django.utils import timezone

from quizapp.interviews import recordings, services
from quizapp.interviews.models import AnswerRecording
from tests.factories import make_questions, make_topic
from tests.interviews.test_recordings import WEBM


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SPEECH_TO_TEXT_MODEL = ""


@pytest.fixture
def interview(alice, alice_client):
    alice_client.post("/i18n/setlang/", {"language": "en"})
    make_questions(2, topic=make_topic("basics"))
    return services.interview_create(user=alice, topics=[make_topic("basics")], count=2, minutes_per_question=3,
                                     language="en")


def _speak(interview, *, transcript: str | None = None) -> AnswerRecording:
    """Answer the current question aloud only (no typed word), then end the interview."""
    item = services.interview_advance(interview=interview)
    recording = recordings.recording_save(interview=interview, question_id=item.question.card_id, audio=WEBM,
                                          seconds=12.0, received_at=timezone.now())
    if transcript is not None:
        AnswerRecording.objects.filter(pk=recording.pk).update(transcript=transcript,
                                                               transcript_status=AnswerRecording.Transcript.DONE)
    services.interview_end(interview=interview)
    return recording


def test_the_answer_page_offers_the_recorder_and_says_nothing_transcribes(alice_client, interview):
    page = alice_client.get(f"/interviews/{interview.id}/").content.decode()
    assert "data-recorder" in page and 'id="recorder-strings"' in page
    assert "Speech-to-text is not configured on this site" in page


def test_the_answer_page_says_so_when_recordings_are_transcribed(alice_client, interview, settings):
    settings.SPEECH_TO_TEXT_MODEL = "/models/whisper-small"
    page = alice_client.get(f"/interviews/{interview.id}/").content.decode()
    assert "Spoken answers are transcribed" in page and "not configured" not in page


def test_the_review_plays_a_spoken_answer_and_lets_its_key_points_be_marked(alice_client, interview):
    recording = _speak(interview)
    card_id = recording.item.question.card_id
    page = alice_client.get(f"/interviews/{interview.id}/review/").content.decode()
    assert f'src="/api/interviews/{interview.id}/recordings/{card_id}/audio/"' in page
    assert "Not transcribed: no speech-to-text model was configured" in page
    # A spoken answer is an answer: its key points can be marked (a blank one's are disabled).
    assert f'name="point-{card_id}-0" value="fully">' in page  # neither ticked nor disabled


def test_a_transcript_pre_ticks_the_key_points_its_words_hold(alice_client, interview):
    recording = _speak(interview, transcript="The sigmoid saturates, so use ReLU")
    card_id = recording.item.question.card_id
    page = alice_client.get(f"/interviews/{interview.id}/review/").content.decode()
    assert "The sigmoid saturates, so use ReLU" in page
    ticked = {index for index in range(4) if f'name="point-{card_id}-{index}" value="fully" checked' in page}
    assert ticked == {0, 2}  # saturat(es) and relu; the chain rule and initialisation were not said


def test_a_spoken_answer_scores_what_its_key_points_earn_and_the_results_list_it(alice_client, interview):
    recording = _speak(interview)
    card_id = recording.item.question.card_id
    response = alice_client.post(f"/interviews/{interview.id}/review/", {
        f"point-{card_id}-0": "fully", f"point-{card_id}-1": "fully", f"point-{card_id}-2": "partly"})
    assert response.status_code == 302
    recording.item.refresh_from_db()
    assert recording.item.answer == "" and recording.item.score == 0.625
    results = alice_client.get(f"/interviews/{interview.id}/results/").content.decode()
    assert "Your spoken answers" in results and f"/recordings/{card_id}/audio/" in results


def test_nobody_elses_review_shows_a_recording(bob, client, interview):
    _speak(interview)
    client.force_login(bob)
    assert client.get(f"/interviews/{interview.id}/review/").status_code == 404
