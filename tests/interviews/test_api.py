"""The API: every step of an interview, bad input as 400s, other people's interviews as 404s."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from quizapp.interviews.models import Interview
from quizapp.study.models import ReviewLog
from tests.factories import make_questions, make_topic

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def bank(db):
    make_questions(5, topic=make_topic("basics"))
    make_questions(2, topic=make_topic("cnn"), difficulty=3)


def _start(client, **body):
    return client.post("/api/interviews/", {"topics": ["basics"], "preset": "quick", **body}, format="json")


def test_it_starts_a_quick_interview_from_the_preset(alice_api, bank):
    response = _start(alice_api, language="en")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["question_count"] == 3 and data["seconds_per_question"] == 180 and data["total_seconds"] == 540
    assert data["language"] == "en" and data["status"] == "answering"
    assert [item["text"] for item in data["items"]] == [None] * 3  # nothing shown before the clock starts
    assert all(item["reference_answer_html"] is None and item["key_points"] is None for item in data["items"])


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"topics": []}, "topics", "Choose at least one topic."),
    ({"preset": "standard"}, "count", "Only 5 questions"),
    ({"topics": ["cnn"], "preset": None, "count": 2, "difficulty_max": 2, "minutes_per_question": 3},
     "count", "Only 0 questions"),
    ({"topics": ["nope"]}, "topics", ""),
    ({"preset": None, "count": 3}, "minutes_per_question", "either"),
    ({"preset": None, "minutes_per_question": 3}, "count", ""),
])
def test_it_answers_bad_setups_with_400_and_creates_nothing(alice_api, bank, body, field, message):
    body = {key: value for key, value in {"topics": ["basics"], "preset": "quick", **body}.items() if value is not None}
    response = alice_api.post("/api/interviews/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Interview.objects.exists()


def test_it_runs_an_interview_through_the_api(alice_api, bank):
    with time_machine.travel(START, tick=False) as clock:
        interview_id = _start(alice_api, language="en").json()["id"]
        base = f"/api/interviews/{interview_id}"

        current = alice_api.post(f"{base}/current/").json()
        item = current["item"]
        assert item["position"] == 1 and item["text"].startswith("Question")
        assert item["deadline"] == "2025-03-01T09:03:00Z" and current["interview_deadline"] == "2025-03-01T09:09:00Z"

        saved = alice_api.patch(f"{base}/answer/", {"question": item["question"], "answer": "draft"}, format="json")
        assert saved.status_code == 200 and saved.json()["answer"] == "draft"

        clock.shift(timedelta(minutes=1))
        reloaded = alice_api.post(f"{base}/current/").json()["item"]  # autosave survives a reload
        assert reloaded["answer"] == "draft" and reloaded["deadline"] == item["deadline"]

        alice_api.patch(f"{base}/answer/", {"question": item["question"], "answer": "saturation and the chain rule",
                                            "action": "next"}, format="json")
        second = alice_api.post(f"{base}/current/").json()["item"]
        alice_api.patch(f"{base}/answer/", {"question": second["question"], "answer": "", "action": "skip"},
                        format="json")
        clock.shift(timedelta(minutes=4))  # the third question is never answered
        third = alice_api.post(f"{base}/current/").json()["item"]
        clock.shift(timedelta(minutes=4))
        finished = alice_api.post(f"{base}/current/").json()
        assert finished["status"] == "reviewing" and finished["item"] is None

        detail = alice_api.get(f"{base}/").json()
        first = detail["items"][0]
        assert first["reference_answer_html"].startswith("<p>Reference")
        assert [point["suggested"] for point in first["key_points"]] == [True, True, False, False]
        assert detail["items"][2]["timed_out"]

        marks = [{"question": item["question"], "covered": [0, 1], "would_pass": False},
                 {"question": third["question"], "covered": []}]
        reviewed = alice_api.post(f"{base}/review/", {"items": marks}, format="json")
        assert reviewed.status_code == 200, reviewed.json()
        data = reviewed.json()
        assert data["status"] == "done" and data["score"] == pytest.approx(0.5 / 3)
        assert [item["study_rating"] for item in data["items"]] == [2, 1, 1]
        assert ReviewLog.objects.filter(source="interview").count() == 3

        again = alice_api.post(f"{base}/review/", {"items": marks}, format="json")
        assert again.status_code == 409


def test_it_refuses_an_answer_to_a_question_outside_the_interview(alice_api, bank):
    interview_id = _start(alice_api).json()["id"]
    alice_api.post(f"/api/interviews/{interview_id}/current/")
    outsider = make_questions(1, topic=make_topic("other"))[0]
    response = alice_api.patch(f"/api/interviews/{interview_id}/answer/",
                               {"question": outsider.card_id, "answer": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "not part of this interview" in response.json()["question"][0]


def test_it_refuses_a_review_mark_for_a_question_outside_the_interview(alice_api, bank):
    interview_id = _start(alice_api).json()["id"]
    alice_api.post(f"/api/interviews/{interview_id}/end/")
    response = alice_api.post(f"/api/interviews/{interview_id}/review/",
                              {"items": [{"question": "q-nope", "covered": [0]}]}, format="json",
                              HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "not part of this interview" in response.json()["items"][0]
    assert Interview.objects.get().status == "reviewing"


def test_it_lets_alice_neither_see_nor_touch_bobs_interview(alice_api, bob_api, bank):
    bobs = _start(bob_api).json()["id"]
    base = f"/api/interviews/{bobs}"
    assert alice_api.get(f"{base}/").status_code == 404
    assert alice_api.post(f"{base}/current/").status_code == 404
    assert alice_api.patch(f"{base}/answer/", {"question": "q-1", "answer": "x"}, format="json").status_code == 404
    assert alice_api.post(f"{base}/end/").status_code == 404
    assert alice_api.post(f"{base}/review/", {"items": []}, format="json").status_code == 404
    assert alice_api.post(f"{base}/retake/").status_code == 404
    assert alice_api.get("/api/interviews/").json()["results"] == []
    assert Interview.objects.get().started_at is None  # alice's calls started nothing


def test_it_gives_anonymous_visitors_nothing(api_client, bank):
    assert api_client.get("/api/interviews/").status_code in (401, 403)
    assert api_client.post("/api/interviews/", {"topics": ["basics"], "preset": "quick"},
                           format="json").status_code in (401, 403)


def test_it_filters_the_history_by_topic_and_copies_the_questions_on_a_retake(alice_api, bank):
    basics = _start(alice_api).json()["id"]
    _start(alice_api, topics=["cnn"], preset=None, count=2, minutes_per_question=1)
    listed = alice_api.get("/api/interviews/?topic=basics").json()["results"]
    assert [item["id"] for item in listed] == [basics]
    retake = alice_api.post(f"/api/interviews/{basics}/retake/")
    assert retake.status_code == 201 and retake.json()["retake_of"] == basics
    assert len(alice_api.get("/api/interviews/").json()["results"]) == 3


def test_it_appears_in_the_schema(alice_api):
    schema = alice_api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for suffix in ["", "{interview_id}/", "{interview_id}/current/", "{interview_id}/answer/",
                   "{interview_id}/end/", "{interview_id}/review/", "{interview_id}/retake/"]:
        assert f"/api/interviews/{suffix}" in paths


def test_it_requires_in_the_schema_what_saving_an_answer_requires(alice_api):
    schema = alice_api.get("/api/schema/?format=json").json()
    body = schema["paths"]["/api/interviews/{interview_id}/answer/"]["patch"]["requestBody"]
    assert body["required"] is True
    reference = body["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert set(component["required"]) == {"question", "answer"}  # `action` has a default


def test_it_lists_the_history_newest_first(alice_api, bank):
    with time_machine.travel(START, tick=False) as clock:
        started = []
        for _ in range(3):
            started.append(_start(alice_api).json()["id"])
            clock.shift(timedelta(minutes=1))
        listed = [item["id"] for item in alice_api.get("/api/interviews/").json()["results"]]
    assert listed == started[::-1]
    assert all(item["question_count"] == 3 for item in alice_api.get("/api/interviews/").json()["results"])


def test_it_refuses_to_change_answers_once_the_review_shows_the_reference_answers(alice_api, bank):
    with time_machine.travel(START, tick=False) as clock:
        interview_id = _start(alice_api).json()["id"]
        base = f"/api/interviews/{interview_id}"
        item = alice_api.post(f"{base}/current/").json()["item"]
        alice_api.patch(f"{base}/answer/", {"question": item["question"], "answer": "draft"}, format="json")
        clock.shift(timedelta(minutes=4))  # the question times out; the next one is shown
        alice_api.post(f"{base}/current/")
        alice_api.post(f"{base}/end/")
        clock.shift(timedelta(minutes=1))
        reference = alice_api.get(f"{base}/").json()["items"][0]["reference_answer_html"]

        response = alice_api.patch(f"{base}/answer/", {"question": item["question"], "answer": reference},
                                   format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 409 and "Answering has ended" in response.json()["detail"]
        assert alice_api.get(f"{base}/").json()["items"][0]["answer"] == "draft"
