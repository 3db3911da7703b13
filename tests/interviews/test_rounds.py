"""System design and coding rounds: one card from the round's own pool, on the round's own clock, and
a card the learner has not had before while there is one."""

import pytest

from questions.models import Tag
from quizapp.interviews import services
from quizapp.interviews.models import Interview
from tests.factories import make_question, make_questions, make_topic


def _design_case(topic, **fields):
    question = make_question(topic=topic, **fields)
    question.tags.add(Tag.objects.get_or_create(name="design-case")[0])
    return question


@pytest.fixture
def rounds_bank(db):
    systems = make_topic("ml-systems")
    cases = [_design_case(systems) for _ in range(3)]
    make_questions(2, topic=systems)  # system cards that are not design cases
    coding = make_questions(2, topic=make_topic("coding"), difficulty=3)
    make_questions(4, topic=make_topic("basics"))
    return {"cases": cases, "coding": coding}


def _card_ids(interview):
    return [item.question.card_id for item in interview.items.all()]


def test_it_asks_one_design_case_for_fifteen_minutes(alice, rounds_bank):
    interview = services.interview_round_create(user=alice, kind=Interview.Kind.SYSTEM_DESIGN, language="en")
    assert interview.kind == "system_design" and interview.items.count() == 1
    assert interview.seconds_per_question == 15 * 60 and interview.total_seconds == 15 * 60
    assert _card_ids(interview)[0] in {case.card_id for case in rounds_bank["cases"]}
    assert [topic.slug for topic in interview.topics.all()] == ["ml-systems"]


def test_it_asks_one_coding_card_for_twenty_minutes(alice, rounds_bank):
    interview = services.interview_round_create(user=alice, kind=Interview.Kind.CODING, language="zh")
    assert interview.items.count() == 1 and interview.seconds_per_question == 20 * 60
    assert _card_ids(interview)[0] in {card.card_id for card in rounds_bank["coding"]}


def test_it_goes_through_every_design_case_before_repeating_one(alice, bob, rounds_bank):
    asked = [_card_ids(services.interview_round_create(user=alice, kind="system_design"))[0] for _ in range(3)]
    assert sorted(asked) == sorted(case.card_id for case in rounds_bank["cases"])
    # The fourth round repeats the case asked longest ago; another learner's rounds do not count.
    assert _card_ids(services.interview_round_create(user=alice, kind="system_design")) == asked[:1]
    assert _card_ids(services.interview_round_create(user=bob, kind="system_design"))[0] in asked


def test_it_retakes_a_round_as_the_same_round(alice, rounds_bank):
    first = services.interview_round_create(user=alice, kind=Interview.Kind.CODING)
    again = services.interview_retake(user=alice, interview=first)
    assert again.kind == "coding" and again.seconds_per_question == 20 * 60 and _card_ids(again) == _card_ids(first)


def test_it_refuses_a_round_without_cards_and_creates_nothing(alice, db):
    make_questions(3, topic=make_topic("ml-systems"))  # no design case among them
    with pytest.raises(services.InterviewInputError) as error:
        services.interview_round_create(user=alice, kind=Interview.Kind.SYSTEM_DESIGN)
    assert "kind" in error.value.fields
    assert not Interview.objects.exists()


def test_it_starts_a_round_from_the_api_without_topics(alice_api, rounds_bank):
    response = alice_api.post("/api/interviews/", {"kind": "coding", "language": "en"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "coding" and body["question_count"] == 1 and body["seconds_per_question"] == 1200
    assert body["topics"] == ["coding"]


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "whiteboard"}, "kind"),
    ({"kind": "questions", "preset": "quick"}, "topics"),
])
def test_it_names_the_bad_field_of_a_round_request(alice_api, rounds_bank, body, field):
    response = alice_api.post("/api/interviews/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Interview.objects.exists()


def test_it_starts_a_round_from_its_button_whatever_the_rest_of_the_form_says(alice_client, rounds_bank):
    alice_client.post("/i18n/setlang/", {"language": "en"})
    page = alice_client.get("/interviews/").content.decode()
    assert "System design · 15 min" in page and "Coding · 20 min" in page
    response = alice_client.post("/interviews/", {"kind": "system_design", "language": "zh", "count": "999"})
    interview = Interview.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/interviews/{interview.id}/"
    assert interview.kind == "system_design" and interview.language == "zh"
    answer_page = alice_client.get(f"/interviews/{interview.id}/").content.decode()
    assert "System design round" in answer_page


def test_it_gives_a_coding_round_a_code_editor_and_shows_the_answer_as_code(alice, alice_client, rounds_bank):
    interview = services.interview_round_create(user=alice, kind=Interview.Kind.CODING, language="en")
    page = alice_client.get(f"/interviews/{interview.id}/").content.decode()
    assert 'class="code-answer"' in page and 'spellcheck="false"' in page
    card = _card_ids(interview)[0]
    alice_client.post(f"/interviews/{interview.id}/answer/",
                      {"question": card, "answer": "def f(x):\n    return x", "action": "next"})
    review = alice_client.get(f"/interviews/{interview.id}/review/").content.decode()
    assert '<pre class="learner-answer code-answer"><code>def f(x):\n    return x</code></pre>' in review


def test_it_explains_a_round_that_cannot_start_on_the_setup_page(alice_client, db):
    alice_client.post("/i18n/setlang/", {"language": "en"})
    make_questions(2, topic=make_topic("basics"))
    response = alice_client.post("/interviews/", {"kind": "coding", "language": "en", "topics": ["1"]})
    assert response.status_code == 400
    assert "No question for this round is in the bank yet." in response.content.decode()
    assert not Interview.objects.exists()
