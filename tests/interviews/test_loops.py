"""Interview loops: the data file, the share of each topic, the draw, each question's own clock."""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from questions.corpus import read_corpus, read_topics
from questions.models import Tag
from quizapp.interviews import loops, selectors, services
from quizapp.interviews.models import Interview
from quizapp.study.models import CardState
from tests.factories import make_question, make_topic

TEST_LOOP = loops.Loop(slug="test-loop", title={"en": "Test loop", "zh": "测试面试"}, difficulty_min=2,
                       difficulty_max=3, count=3, weights={"theory": 2, "design": 1})


@pytest.fixture
def test_loop(monkeypatch, settings):
    settings.INTERVIEW_SECONDS_PER_MINUTE = 60
    monkeypatch.setattr(loops, "read_loops", lambda: {TEST_LOOP.slug: TEST_LOOP})
    monkeypatch.setattr(selectors, "read_loops", lambda: {TEST_LOOP.slug: TEST_LOOP})
    theory = [make_question(topic="theory", difficulty=difficulty) for difficulty in (2, 3, 3)]
    make_question(topic="theory", difficulty=1)  # too easy for the loop
    design_tag, _ = Tag.objects.get_or_create(name=loops.DESIGN_TAG)
    design = make_question(topic="design", difficulty=3)
    design.tags.add(design_tag)
    return theory, design


@pytest.mark.parametrize(("weights", "count", "shares"), [
    ({"a": 2, "b": 1}, 3, {"a": 2, "b": 1}),
    ({"a": 2, "b": 1, "c": 1}, 3, {"a": 1, "b": 1, "c": 1}),  # the largest remainders, not the largest weight
    ({"a": 1, "b": 3}, 2, {"a": 0, "b": 2}),  # equal remainders: the heavier topic
    ({"a": 1, "b": 1, "c": 1}, 7, {"a": 3, "b": 2, "c": 2}),
])
def test_it_shares_a_loops_questions_among_its_topics_by_weight(weights, count, shares):
    assert loops.allocate(weights=weights, count=count) == shares


def test_it_defines_every_loop_on_known_topics_with_enough_cards_of_its_difficulty():
    known = {topic.slug for topic in read_topics()}
    cards = Counter((card.topic, card.difficulty) for card in read_corpus())
    defined = loops.read_loops()
    assert set(defined) == {"ml-engineer", "research-scientist", "llm-engineer", "fundamentals-screen"}
    for loop in defined.values():
        assert loop.title["en"] and loop.title["zh"]
        for topic, share in loops.allocate(weights=loop.weights, count=loop.count).items():
            assert topic in known, (loop.slug, topic)
            available = sum(cards[topic, difficulty] for difficulty in range(loop.difficulty_min,
                                                                             loop.difficulty_max + 1))
            assert available >= share, (loop.slug, topic, available, share)


@pytest.mark.parametrize(("topic", "tags", "difficulty", "minutes"), [
    ("ml-systems", ["design-case", "system-design"], 2, 15), ("coding", [], 2, 20),
    ("activations", [], 1, 3), ("attention", [], 3, 6),
])
def test_it_gives_a_question_the_time_its_kind_needs(topic, tags, difficulty, minutes):
    assert loops.minutes_for(topic=topic, tags=tags, difficulty=difficulty) == minutes


def test_it_draws_what_the_loop_defines_each_question_on_its_own_clock(alice, test_loop):
    theory, design = test_loop
    interview = services.interview_loop_create(user=alice, loop="test-loop", language="en")
    items = list(interview.items.select_related("question__topic"))
    assert Counter(item.question.topic.slug for item in items) == {"theory": 2, "design": 1}
    assert all(2 <= item.question.difficulty <= 3 for item in items)
    allowance = {item.question.topic.slug: item.seconds_allowed for item in items}
    assert allowance["design"] == 15 * 60 and allowance["theory"] in (4 * 60, 6 * 60)
    assert interview.total_seconds == sum(item.seconds_allowed for item in items)
    assert interview.loop == "test-loop" and interview.seconds_per_question is None

    with time_machine.travel(timezone.now(), tick=False):
        shown = services.interview_advance(interview=interview)
        assert shown.deadline - shown.shown_at == timedelta(seconds=shown.seconds_allowed)


def test_it_keeps_each_questions_clock_on_a_retake_of_a_loop(alice, test_loop):
    interview = services.interview_loop_create(user=alice, loop="test-loop", language="en")
    retake = services.interview_retake(user=alice, interview=interview)
    assert retake.loop == "test-loop" and retake.total_seconds == interview.total_seconds
    assert (list(retake.items.values_list("seconds_allowed", flat=True))
            == list(interview.items.values_list("seconds_allowed", flat=True)))


def test_it_refuses_an_unknown_loop_or_one_the_bank_cannot_fill(alice, test_loop):
    with pytest.raises(services.InterviewInputError):
        services.interview_loop_create(user=alice, loop="astronaut")
    make_topic("design").questions.all().delete()
    with pytest.raises(services.InterviewInputError) as refused, translation.override("en"):
        services.interview_loop_create(user=alice, loop="test-loop")
    assert "2 of 3" in str(refused.value.messages())
    assert not Interview.objects.exists()


def test_it_starts_a_loop_from_the_setup_page_and_groups_its_history_under_its_name(alice_client, alice, test_loop):
    alice_client.post("/i18n/setlang/", {"language": "en"})
    page = alice_client.get("/interviews/").content.decode()
    assert 'name="loop" value="test-loop"' in page and "Test loop · 3 questions" in page
    response = alice_client.post("/interviews/", {"loop": "test-loop", "language": "en"})
    interview = Interview.objects.get()
    assert response["Location"] == f"/interviews/{interview.id}/"
    assert alice_client.post("/interviews/", {"loop": "nope", "language": "en"}).status_code == 400

    services.interview_end(interview=interview)
    services.interview_review_finish(interview=interview, marks={})
    history = alice_client.get("/interviews/history/")
    names = [row["name"] for caption, rows in history.context["trend_tables"] for row in rows]
    assert "Test loop" in names


def _studied(user, question, *, lapses: int, stability: float):
    now = timezone.now()
    CardState.objects.create(user=user, question=question, state=CardState.State.REVIEW, stability=stability,
                             difficulty=5.0, due=now + timedelta(days=1), last_review=now - timedelta(days=2),
                             reps=4, lapses=lapses)


def test_it_asks_the_most_lapsed_cards_then_the_least_ready_topics_in_a_weak_spots_round(alice):
    most_lapsed, *forgetful = [make_question(topic="shaky") for _ in range(3)]
    lapsed_once, steady = [make_question(topic="middling") for _ in range(2)]
    solid = [make_question(topic="solid") for _ in range(3)]
    unseen = [make_question(topic="unseen") for _ in range(3)]
    _studied(alice, most_lapsed, lapses=3, stability=1.0)
    _studied(alice, lapsed_once, lapses=1, stability=2.0)
    _studied(alice, steady, lapses=0, stability=400.0)
    for question in solid:
        _studied(alice, question, lapses=0, stability=500.0)

    interview = services.interview_loop_create(user=alice, loop=loops.WEAK_SPOTS, language="en")
    questions = [item.question for item in interview.items.select_related("question__topic")]
    assert questions[:2] == [most_lapsed, lapsed_once]  # weakest first
    assert len(questions) == services.WEAK_SPOTS_QUESTIONS and len(set(questions)) == len(questions)
    assert not set(questions) & set(unseen)  # nothing is known of a topic never studied
    assert interview.weak_spots and interview.loop == loops.WEAK_SPOTS
    assert all(item.seconds_allowed for item in interview.items.all())


def test_it_refuses_a_weak_spots_round_before_any_study(alice):
    make_question(topic="shaky")
    with pytest.raises(services.InterviewInputError):
        services.interview_loop_create(user=alice, loop=loops.WEAK_SPOTS)
    assert not Interview.objects.exists()


def test_it_lists_the_loops_of_the_file_through_the_api(alice_api):
    listed = alice_api.get("/api/interviews/loops/").json()
    defined = loops.read_loops()
    assert [loop["slug"] for loop in listed] == list(defined)
    for loop in listed:
        assert loop["title"] == defined[loop["slug"]].title and loop["title"]["zh"]
        assert 1 <= loop["difficulty_min"] <= loop["difficulty_max"] <= 3
        assert sum(topic["questions"] for topic in loop["topics"]) == loop["question_count"]


def test_it_lists_a_loops_topics_with_their_titles_weights_and_shares(alice_api, test_loop):
    [loop] = alice_api.get("/api/interviews/loops/").json()
    assert loop == {"slug": "test-loop", "title": {"en": "Test loop", "zh": "测试面试"}, "difficulty_min": 2,
                    "difficulty_max": 3, "question_count": 3, "topics": [
                        {"slug": "theory", "title": {"en": "Theory", "zh": "theory题"}, "weight": 2, "questions": 2},
                        {"slug": "design", "title": {"en": "Design", "zh": "design题"}, "weight": 1, "questions": 1}]}


def test_it_starts_a_loop_through_the_api(alice_api, test_loop):
    response = alice_api.post("/api/interviews/", {"loop": "test-loop", "language": "en"}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["loop"] == "test-loop" and data["question_count"] == 3 and data["language"] == "en"
    assert data["total_seconds"] == Interview.objects.get().total_seconds >= 15 * 60 + 2 * 4 * 60


@pytest.mark.parametrize(("body", "message"), [
    ({"loop": "astronaut"}, "Choose one of the loops."),
    ({"loop": "test-loop", "kind": "coding"}, "A loop sets its own rounds: leave kind out."),
    ({"loop": loops.WEAK_SPOTS}, "Study some cards first"),  # nothing studied: no weak spot is known
])
def test_it_answers_400_with_the_loops_field_to_a_loop_it_cannot_start(alice_api, test_loop, body, message):
    response = alice_api.post("/api/interviews/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.json()["loop"][0]
    assert not Interview.objects.exists()


def test_it_starts_the_weak_spots_round_through_the_api(alice_api, alice):
    lapsed = make_question(topic="shaky")
    _studied(alice, lapsed, lapses=2, stability=1.0)
    response = alice_api.post("/api/interviews/", {"loop": loops.WEAK_SPOTS, "language": "en"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["weak_spots"] and response.json()["loop"] == loops.WEAK_SPOTS
    assert Interview.objects.get().items.first().question == lapsed
