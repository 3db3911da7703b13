"""Follow-ups through the API and the pages: shown as a follow-up with its own text and clock, answered,
reviewed under its question, on the results under its question; nobody else's to see."""

import pytest

from quizapp.interviews import services
from quizapp.interviews.models import Interview
from tests.factories import make_question, make_topic
from tests.interviews.test_follow_ups import FOLLOW_UP, MAKES_EVERY_PROBE, MISSES_A_PROBE


@pytest.fixture
def interview(alice) -> Interview:
    """An English interview on two cards, the first with a follow-up; 3 minutes a question."""
    topic = make_topic("basics")
    questions = [make_question(topic=topic, follow_up=FOLLOW_UP), make_question(topic=topic)]
    return services.interview_create_on_questions(user=alice, questions=questions, language="en")


@pytest.fixture
def english(alice_client):
    alice_client.post("/i18n/setlang/", {"language": "en"})
    return alice_client


def test_it_asks_and_reviews_a_follow_up_through_the_api(alice_api, interview):
    base = f"/api/interviews/{interview.id}"
    first = alice_api.post(f"{base}/current/").json()["item"]
    assert first["follow_up"] is False
    alice_api.patch(f"{base}/answer/", {"question": first["question"], "answer": MISSES_A_PROBE, "action": "next"},
                    format="json")

    follow_up = alice_api.post(f"{base}/current/").json()["item"]
    assert follow_up["follow_up"] is True and follow_up["question"] == first["question"]
    assert follow_up["position"] == 1 and follow_up["text"] == FOLLOW_UP["question"]["en"]
    assert follow_up["seconds_given"] == 90 and follow_up["key_points"] is None  # nothing revealed yet
    draft = alice_api.patch(f"{base}/answer/", {"question": first["question"], "follow_up": True,
                                                "answer": "the identity path"}, format="json")
    assert draft.status_code == 200 and draft.json()["follow_up"] and draft.json()["answer"] == "the identity path"
    assert alice_api.post(f"{base}/current/").json()["item"]["answer"] == "the identity path"  # autosaved
    alice_api.patch(f"{base}/answer/", {"question": first["question"], "follow_up": True,
                                        "answer": "the identity path adds one", "action": "next"}, format="json")
    second = alice_api.post(f"{base}/current/").json()["item"]
    alice_api.patch(f"{base}/answer/", {"question": second["question"], "answer": MAKES_EVERY_PROBE,
                                        "action": "next"}, format="json")

    assert alice_api.post(f"{base}/current/").json()["status"] == "reviewing"
    detail = alice_api.get(f"{base}/").json()
    assert [(item["position"], item["follow_up"]) for item in detail["items"]] == [(1, False), (1, True), (2, False)]
    assert detail["question_count"] == 2
    revealed = detail["items"][1]
    assert [point["text"] for point in revealed["key_points"]] == [p["en"] for p in FOLLOW_UP["key_points"]]
    assert [point["suggested"] for point in revealed["key_points"]] == [True, False]
    assert revealed["reference_answer_html"] is None  # its key points are its reference

    marks = [{"question": first["question"], "covered": [0, 1, 2], "follow_up": {"covered": [0], "verdict": "fail"}},
             {"question": second["question"], "covered": [2, 3]}]
    reviewed = alice_api.post(f"{base}/review/", {"items": marks}, format="json")
    assert reviewed.status_code == 200, reviewed.json()
    graded = reviewed.json()["items"][1]
    assert graded["score"] == 0.5 and not graded["would_pass"] and not graded["verdict_overridden"]
    assert graded["study_rating"] is None
    assert reviewed.json()["score"] == pytest.approx((0.75 + 0.5 + 0.5 * 0.5) / 2.5)


def test_it_answers_400_to_a_review_mark_for_a_follow_up_not_asked(alice_api, interview):
    base = f"/api/interviews/{interview.id}"
    first = alice_api.post(f"{base}/current/").json()["item"]
    alice_api.post(f"{base}/end/")
    response = alice_api.post(f"{base}/review/", {"items": [{"question": first["question"],
                                                             "follow_up": {"covered": [0]}}]},
                              format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "was asked no follow-up" in response.json()["items"][0]
    assert Interview.objects.get().status == Interview.Status.REVIEWING


def test_it_answers_400_to_an_answer_for_a_follow_up_not_asked(alice_api, interview):
    base = f"/api/interviews/{interview.id}"
    first = alice_api.post(f"{base}/current/").json()["item"]
    response = alice_api.patch(f"{base}/answer/", {"question": first["question"], "follow_up": True, "answer": "x"},
                               format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "no follow-up" in response.json()["follow_up"][0]


def test_it_lets_bob_neither_see_nor_answer_alices_follow_up(alice_api, bob_api, interview):
    base = f"/api/interviews/{interview.id}"
    first = alice_api.post(f"{base}/current/").json()["item"]
    alice_api.patch(f"{base}/answer/", {"question": first["question"], "answer": MISSES_A_PROBE, "action": "next"},
                    format="json")
    alice_api.post(f"{base}/current/")
    assert bob_api.get(f"{base}/").status_code == 404
    assert bob_api.post(f"{base}/current/").status_code == 404
    assert bob_api.patch(f"{base}/answer/", {"question": first["question"], "follow_up": True, "answer": "mine"},
                         format="json").status_code == 404
    assert interview.items.get(follow_up_of__isnull=False).answer == ""


def _answer_page_form(client, interview, answer):
    page = client.get(f"/interviews/{interview.id}/").content.decode()
    item = services.interview_advance(interview=interview)
    fields = {"question": item.question.card_id, "answer": answer, "action": "next"}
    if item.is_follow_up:
        fields["follow_up"] = "true"
    assert client.post(f"/interviews/{interview.id}/answer/", fields).status_code == 302
    return page


def test_it_runs_a_follow_up_through_the_pages_and_shows_it_under_its_question(english, interview, alice):
    first_page = _answer_page_form(english, interview, MISSES_A_PROBE)
    assert "Question 1 of 2" in first_page
    follow_up_page = _answer_page_form(english, interview, "The identity path adds one.")
    assert "Follow-up to question 1" in follow_up_page and FOLLOW_UP["question"]["en"] in follow_up_page
    assert 'name="follow_up" value="true"' in follow_up_page and 'data-follow-up="1"' in follow_up_page
    first, second = (item.question for item in interview.items.filter(follow_up_of__isnull=True))
    assert first.question_en in follow_up_page  # what it follows up on
    _answer_page_form(english, interview, "")

    review = english.get(f"/interviews/{interview.id}/review/").content.decode()
    card = first.card_id
    assert f'name="point-{card}.follow-up-0" value="fully" checked' in review  # "identity" is in its answer
    assert f'name="point-{card}.follow-up-1" value="missed" checked' in review
    assert 'data-weight="0.5"' in review and "counts as half a question" in review
    response = english.post(f"/interviews/{interview.id}/review/", {
        f"point-{card}-0": "fully", f"point-{card}-1": "fully", f"point-{card}-2": "fully",
        f"point-{card}-3": "missed", f"point-{card}.follow-up-0": "fully", f"point-{card}.follow-up-1": "partly",
        f"verdict-{card}.follow-up": "derived"})
    assert response.status_code == 302 and response["Location"].endswith("/results/")
    follow_up = interview.items.get(follow_up_of__isnull=False)
    assert follow_up.point_credits == [1.0, 0.5]

    results = english.get(response["Location"]).content.decode()
    # Its row right after its question's, its missed point among what to work on, under its question's.
    assert results.index(first.question_en) < results.index(FOLLOW_UP["question"]["en"]) \
        < results.index(second.question_en)
    assert "rated with its question" in results
    feedback = results[results.index("What to work on"):]
    assert f'data-card="{card}.follow-up"' in feedback and FOLLOW_UP["key_points"][1]["en"] in feedback
    assert feedback.index(f'data-card="{card}"') < feedback.index(f'data-card="{card}.follow-up"')
    # (3 + 0) / 4 for the question, ¾ for the follow-up at half weight, 0 for the blank second answer.
    assert f"{round((0.75 + 0.75 * 0.5 + 0) / 2.5 * 100)}%" in results


def test_it_answers_404_to_bob_for_the_page_of_alices_follow_up(client, bob, english, interview):
    _answer_page_form(english, interview, MISSES_A_PROBE)
    client.force_login(bob)
    assert client.get(f"/interviews/{interview.id}/").status_code == 404
    assert client.post(f"/interviews/{interview.id}/answer/", {
        "question": interview.items.first().question.card_id, "follow_up": "true", "answer": "x"}).status_code == 404
