"""Spoken answers through the API: stored with the answer, played back (whole and by byte range), replaced,
deleted with their file, never anyone else's (404), refused above the size limit, in a format that is no
recording, off the question's clock or longer than it; and the API says when nothing transcribes them."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from quizapp.accounts.my_data import account_data, account_delete
from quizapp.interviews.models import AnswerRecording
from tests.factories import make_questions, make_topic

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
# A WebM file's EBML header (DocType "webm"), as Chromium's MediaRecorder begins one, then some payload.
WEBM = (bytes.fromhex("1a45dfa39f4286810142f7810142f2810442f381084282847765626d42878104428581 02".replace(" ", ""))
        + bytes(range(256)) * 4)
OGG = b"OggS\x00\x02" + bytes(200)
MP4 = b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00" + bytes(200)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def interview(alice_api, db):
    make_questions(3, topic=make_topic("basics"))
    with time_machine.travel(START, tick=False):
        created = alice_api.post("/api/interviews/", {"topics": ["basics"], "preset": "quick", "language": "en"},
                                 format="json").json()
        current = alice_api.post(f"/api/interviews/{created['id']}/current/").json()["item"]
    return {"base": f"/api/interviews/{created['id']}", "question": current["question"]}


def _upload(client, interview, audio=WEBM, seconds=20.0, name="answer.webm", at=START + timedelta(seconds=30),
            **extra):
    with time_machine.travel(at, tick=False):
        return client.put(f"{interview['base']}/recordings/{interview['question']}/",
                          {"audio": SimpleUploadedFile(name, audio, content_type="audio/webm"), "seconds": seconds},
                          format="multipart", HTTP_ACCEPT_LANGUAGE="en", **extra)


def _stored_files(media):
    return sorted(path.name for path in media.rglob("*") if path.is_file())


@pytest.mark.parametrize(("audio", "content_type"), [(WEBM, "audio/webm"), (OGG, "audio/ogg"), (MP4, "audio/mp4")])
def test_it_stores_a_recording_and_plays_it_back(alice_api, interview, audio, content_type):
    response = _upload(alice_api, interview, audio=audio, name="whatever.bin")
    assert response.status_code == 201, response.json()
    stored = response.json()
    assert stored["content_type"] == content_type and stored["size"] == len(audio) and stored["seconds"] == 20.0
    assert stored["transcript_status"] == "not_configured" and stored["transcript"] == ""

    played = alice_api.get(stored["audio_url"])
    assert played.status_code == 200 and played["Content-Type"] == content_type
    assert played.content == audio and played["Accept-Ranges"] == "bytes"
    listed = alice_api.get(f"{interview['base']}/recordings/").json()["recordings"]
    assert [(item["question"], item["size"]) for item in listed] == [(interview["question"], len(audio))]


def test_it_serves_the_byte_range_a_player_asks_for(alice_api, interview):
    url = _upload(alice_api, interview).json()["audio_url"]
    tail = alice_api.get(url, HTTP_RANGE="bytes=1000-")
    assert tail.status_code == 206 and tail.content == WEBM[1000:]
    assert tail["Content-Range"] == f"bytes 1000-{len(WEBM) - 1}/{len(WEBM)}"
    middle = alice_api.get(url, HTTP_RANGE="bytes=4-7")
    assert middle.status_code == 206 and middle.content == WEBM[4:8]
    assert alice_api.get(url, HTTP_RANGE="bytes=-10").content == WEBM[-10:]
    past = alice_api.get(url, HTTP_RANGE=f"bytes={len(WEBM)}-")
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{len(WEBM)}"


def test_a_new_recording_replaces_the_earlier_one_and_its_file(alice_api, interview, media,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _upload(alice_api, interview, audio=OGG)
    first = _stored_files(media)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(alice_api, interview, audio=WEBM, at=START + timedelta(seconds=60))
    assert AnswerRecording.objects.get().content_type == "audio/webm"
    assert len(_stored_files(media)) == 1 and _stored_files(media) != first


def test_it_deletes_a_recording_and_its_file(alice_api, interview, media, django_capture_on_commit_callbacks):
    url = _upload(alice_api, interview).json()["audio_url"]
    assert len(_stored_files(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        deleted = alice_api.delete(f"{interview['base']}/recordings/{interview['question']}/")
    assert deleted.status_code == 204
    assert _stored_files(media) == [] and not AnswerRecording.objects.exists()
    assert alice_api.get(url).status_code == 404
    assert alice_api.delete(f"{interview['base']}/recordings/{interview['question']}/").status_code == 404


def test_nobody_else_sees_plays_replaces_or_deletes_a_recording(alice_api, bob_api, interview):
    url = _upload(alice_api, interview).json()["audio_url"]
    recording = f"{interview['base']}/recordings/{interview['question']}/"
    assert bob_api.get(url).status_code == 404
    assert bob_api.get(recording).status_code == 404
    assert bob_api.get(f"{interview['base']}/recordings/").status_code == 404
    assert bob_api.delete(recording).status_code == 404
    assert _upload(bob_api, interview, audio=OGG).status_code == 404
    assert AnswerRecording.objects.get().content_type == "audio/webm"
    assert alice_api.get(url).content == WEBM


def test_it_refuses_a_recording_above_the_size_limit(alice_api, interview, settings, media):
    settings.ANSWER_RECORDING_MAX_BYTES = len(WEBM) - 1
    response = _upload(alice_api, interview)
    assert response.status_code == 400
    assert f"larger than {len(WEBM) - 1:,} bytes" in response.json()["audio"][0]
    assert not AnswerRecording.objects.exists() and _stored_files(media) == []


def test_it_refuses_a_body_declared_past_the_limit_before_reading_it(alice_api, interview, settings):
    settings.ANSWER_RECORDING_MAX_BYTES = 1000
    response = _upload(alice_api, interview, audio=WEBM + bytes(70 * 1024))
    assert response.status_code == 400 and "larger than 1,000 bytes" in response.json()["audio"][0]


@pytest.mark.parametrize("audio", [b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(100), b"just some text",
                                   bytes.fromhex("1a45dfa3") + b"\x42\x82\x88matroska" + bytes(50), b""])
def test_it_refuses_what_is_no_webm_ogg_or_mp4_recording(alice_api, interview, audio, media):
    response = _upload(alice_api, interview, audio=audio)
    assert response.status_code == 400 and "audio" in response.json()
    assert not AnswerRecording.objects.exists() and _stored_files(media) == []


def test_it_takes_a_recording_only_on_the_questions_clock(alice_api, interview):
    late = _upload(alice_api, interview, at=START + timedelta(minutes=3, seconds=3))
    assert late.status_code == 409 and "time is up" in late.json()["detail"]
    longer = _upload(alice_api, interview, seconds=183)
    assert longer.status_code == 400 and "at most its time, 180 seconds" in longer.json()["seconds"][0]
    within_grace = _upload(alice_api, interview, at=START + timedelta(minutes=3, seconds=1))
    assert within_grace.status_code == 201
    assert not AnswerRecording.objects.filter(seconds=183).exists()


def test_it_refuses_a_recording_for_a_question_not_shown_or_moved_on_from(alice_api, interview):
    items = alice_api.get(f"{interview['base']}/").json()["items"]
    unseen = {**interview, "question": items[1]["question"]}
    assert _upload(alice_api, unseen).status_code == 400
    with time_machine.travel(START + timedelta(seconds=40), tick=False):
        alice_api.patch(f"{interview['base']}/answer/", {"question": interview["question"], "answer": "",
                                                         "action": "next"}, format="json")
    moved_on = _upload(alice_api, interview, at=START + timedelta(seconds=50))
    assert moved_on.status_code == 409 and "moved on" in moved_on.json()["detail"]


def test_the_api_says_when_no_speech_to_text_is_configured(alice_api, interview, settings):
    settings.SPEECH_TO_TEXT_MODEL = ""
    transcription = alice_api.get(f"{interview['base']}/recordings/", HTTP_ACCEPT_LANGUAGE="en").json()["transcription"]
    assert transcription["configured"] is False and "not configured" in transcription["detail"]


def test_my_data_names_my_recordings_and_deleting_my_account_removes_their_files(
        alice, alice_api, interview, media, django_capture_on_commit_callbacks):
    url = _upload(alice_api, interview).json()["audio_url"]
    items = account_data(user=alice)["interviews"][0]["items"]
    spoken = [item["recording"] for item in items if item["recording"]]
    assert [(recording["size"], recording["audio_url"]) for recording in spoken] == [(len(WEBM), url)]
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=alice)
    assert _stored_files(media) == [] and not AnswerRecording.objects.exists()


def test_a_broker_that_is_down_costs_the_transcript_never_the_recording(
        alice_api, interview, settings, broker_down, django_capture_on_commit_callbacks):
    settings.SPEECH_TO_TEXT_MODEL = "/models/whisper-small"
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(alice_api, interview)
    assert response.status_code == 201 and response.json()["transcript_status"] == "pending"
    recording = AnswerRecording.objects.get()
    assert recording.transcript_status == "failed" and recording.size == len(WEBM)
    assert alice_api.get(response.json()["audio_url"]).content == WEBM


@pytest.mark.parametrize("accept", ["audio/webm", "audio/*", "*/*"])
def test_it_plays_a_recording_to_a_player_that_asks_for_audio_and_answers_a_missing_one_404(alice_api, interview,
                                                                                           accept):
    url = _upload(alice_api, interview).json()["audio_url"]
    played = alice_api.get(url, HTTP_ACCEPT=accept)
    assert played.status_code == 200 and played.content == WEBM  # DRF's negotiation used to answer 406
    missing = alice_api.get(f"{interview['base']}/recordings/no-such-card/audio/", HTTP_ACCEPT=accept)
    assert missing.status_code == 404 and "detail" in missing.json()
