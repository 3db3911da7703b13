"""Grading that can't be gamed by accident: pre-ticks by terms and the card's names, partial credit, a
verdict derived from the key points (overridable, and the override shown), and the feedback on the
results page: missed points with their demos, time used against time given, "study these now", the
trend per topic and per round kind, and the score history feeding the readiness view."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from questions import search
from questions.models import QuestionDemo
from quizapp.interviews import selectors, services
from quizapp.interviews.models import Interview
from quizapp.study.models import CustomSession
from quizapp.study.readiness import readiness_for
from quizapp.study.selectors import study_settings_get
from tests.factories import KEY_POINTS, make_question, make_questions, make_topic

GQA_POINT = {"en": "Grouped-query attention shares keys between heads", "zh": "分组查询注意力在头之间共享键",
             "terms": ["grouped-query attention", "分组查询"]}


@pytest.fixture
def english(alice_client):
    alice_client.post("/i18n/setlang/", {"language": "en"})
    return alice_client


def _answered(user, answers: list[str], *, topic="basics", count: int | None = None) -> Interview:
    """An interview whose questions got these answers, in order; answering is over."""
    topic = make_topic(topic)
    if count is None:
        make_questions(len(answers), topic=topic)
    interview = services.interview_create(user=user, topics=[topic], count=count or len(answers),
                                          minutes_per_question=3, language="en")
    for answer in answers:
        item = services.interview_advance(interview=interview)
        services.interview_answer_save(interview=interview, question_id=item.question.card_id, answer=answer,
                                       action="next")
    services.interview_end(interview=interview)
    interview.refresh_from_db()
    return interview


@pytest.mark.parametrize(("one", "other", "same"), [
    ("GQA", "grouped-query attention", True), ("out-of-bag", "OOB", True), ("Batch-Norm", "ｂａｔｃｈｎｏｒｍ", True),
    ("batch norm", "Bayesian network", False),  # initials are never compared with initials
    ("ReLU", "tanh", False),
])
def test_it_reads_two_names_as_one_thing_only_when_they_are(one, other, same):
    assert search.same_name(one, other) is same


def test_it_pre_ticks_a_key_point_written_as_one_of_the_cards_other_names():
    answer = "Llama 2 uses GQA to shrink the KV cache."
    assert selectors.key_points_suggested(key_points=[GQA_POINT], answer=answer, names=["GQA", "MQA"]) == [True]
    # Without the card's names the abbreviation is not the term, and another name of the card is not either.
    assert selectors.key_points_suggested(key_points=[GQA_POINT], answer=answer, names=[]) == [False]
    assert selectors.key_points_suggested(key_points=[GQA_POINT], answer="MQA only", names=["GQA", "MQA"]) == [False]


@pytest.mark.parametrize(("answer", "term", "found"), [
    ("ReLU is fine", "elu", False),  # a Latin term starts a word
    ("we tried ELU", "elu", True),
    ("outputs are not zero centered", "zero-centered", True),
    ("ＳＡＴＵＲＡＴＥＤ units", "saturat", True),
    ("用残差连接", "残差", True),
])
def test_it_finds_a_term_as_search_compares_text(answer, term, found):
    points = [{"en": "p", "zh": "p", "terms": [term]}]
    assert selectors.key_points_suggested(key_points=points, answer=answer) == [found]


def test_it_pre_ticks_through_an_alias_on_the_review_page(english, alice):
    make_question(topic="llm", key_points=[GQA_POINT, *KEY_POINTS[:2]], aliases=["GQA"])
    interview = _answered(alice, ["GQA keeps a few key heads."], topic="llm", count=1)
    card = interview.items.get().question.card_id
    review = english.get(f"/interviews/{interview.id}/review/").content.decode()
    assert f'name="point-{card}-0" value="fully" checked' in review
    assert f'name="point-{card}-1" value="missed" checked' in review


def test_it_gives_partial_credit_per_key_point(alice):
    interview = _answered(alice, ["saturation and the chain rule, roughly"])
    item = interview.items.select_related("question").get()
    services.interview_review_finish(interview=interview, marks={
        item.question.card_id: {"covered": [0], "partly": [1, 2]}})
    item.refresh_from_db()
    assert item.point_credits == [1.0, 0.5, 0.5, 0.0]
    assert item.covered_points == [0, 1, 2] and item.score == 0.5
    assert not item.would_pass and not item.verdict_overridden
    assert item.missed_points == [1, 2, 3]  # partly covered is still something to work on


def test_it_refuses_a_key_point_marked_both_fully_and_partly(alice):
    interview = _answered(alice, ["text"])
    card = interview.items.get().question.card_id
    with pytest.raises(services.InterviewInputError):
        services.interview_review_finish(interview=interview, marks={card: {"covered": [1], "partly": [1]}})
    interview.refresh_from_db()
    assert interview.status == Interview.Status.REVIEWING


def test_it_lets_no_pass_stand_on_an_answer_that_hit_no_key_point_without_a_recorded_override(alice_api, alice):
    interview = _answered(alice, ["I am not sure", "no idea either"])
    first, second = interview.items.select_related("question")
    # An old client's "would_pass" is not a verdict any more; only an explicit override is.
    response = alice_api.post(f"/api/interviews/{interview.id}/review/", {"items": [
        {"question": first.question.card_id, "covered": [], "would_pass": True},
        {"question": second.question.card_id, "covered": [], "verdict": "pass"}]}, format="json")
    assert response.status_code == 200, response.content
    by_card = {item["question"]: item for item in response.json()["items"]}
    assert (by_card[first.question.card_id]["would_pass"], by_card[first.question.card_id]["verdict_overridden"]) \
        == (False, False)
    assert (by_card[second.question.card_id]["would_pass"], by_card[second.question.card_id]["verdict_overridden"]) \
        == (True, True)


def test_it_shows_an_override_on_the_results_and_in_the_history(english, alice):
    interview = _answered(alice, ["nothing useful"])
    card = interview.items.get().question.card_id
    services.interview_review_finish(interview=interview, marks={card: {"verdict": "pass"}})
    results = english.get(f"/interviews/{interview.id}/results/").content.decode()
    history = english.get("/interviews/history/").content.decode()
    assert "your override" in results
    assert "1 verdict overridden" in history


def test_it_lists_the_missed_points_with_the_cards_sentence_its_demo_and_the_time(english, alice):
    interview = _answered(alice, ["the chain rule", "saturation, chain rule, relu, initialisation"])
    weak, strong = interview.items.select_related("question")
    QuestionDemo.objects.create(question=weak.question, demo_id="D1", position=1)
    services.interview_review_finish(interview=interview, marks={
        weak.question.card_id: {"covered": [1], "partly": [0]},
        strong.question.card_id: {"covered": [0, 1, 2, 3]}})
    response = english.get(f"/interviews/{interview.id}/results/")
    html = response.content.decode()
    feedback = html.split('class="feedback"')[1].split("</div>")[0]
    assert f'data-card="{weak.question.card_id}"' in feedback
    assert f'data-card="{strong.question.card_id}"' not in feedback  # nothing missed there
    points = weak.question.key_points
    assert points[0]["en"] in feedback and points[2]["en"] in feedback and points[3]["en"] in feedback
    assert points[1]["en"] not in feedback  # covered fully
    assert 'href="/demos/D1/"' in feedback
    weak.refresh_from_db()
    assert f"/ {weak.seconds_given // 60}:{weak.seconds_given % 60:02d}" in feedback and weak.seconds_given == 180


def test_it_starts_a_custom_study_of_the_missed_cards_that_leaves_the_schedule_alone(english, alice):
    interview = _answered(alice, ["saturation, chain rule, relu, initialisation", "chain rule", "nothing"])
    full, half, blank = interview.items.select_related("question").order_by("position")
    services.interview_review_finish(interview=interview, marks={
        full.question.card_id: {"covered": [0, 1, 2, 3]}, half.question.card_id: {"covered": [1]}})
    response = english.post(f"/interviews/{interview.id}/study-missed/")
    session = CustomSession.objects.get(user=alice)
    assert session.kind == CustomSession.Kind.INTERVIEW
    assert session.question_ids == [half.question_id, blank.question_id]
    assert response["Location"] == f"/study/?custom=interview&session={session.pk}"
    page = english.get(response["Location"])
    assert page.status_code == 200 and "the cards your mock interview found missing" in page.content.decode()


def test_it_refuses_study_these_now_before_the_review_when_nothing_was_missed_and_for_another_learner(
        english, alice, bob):
    interview = _answered(alice, ["saturation, chain rule, relu, initialisation"])
    assert english.post(f"/interviews/{interview.id}/study-missed/").status_code == 409
    card = interview.items.get().question.card_id
    services.interview_review_finish(interview=interview, marks={card: {"covered": [0, 1, 2, 3]}})
    assert english.post(f"/interviews/{interview.id}/study-missed/").status_code == 400
    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.post(f"/interviews/{interview.id}/study-missed/").status_code == 404
    assert not CustomSession.objects.exists()


def _reviewed(user, *, topic: str, covered: list[int], at) -> Interview:
    interview = _answered(user, ["saturation, chain rule, relu, initialisation"], topic=topic)
    card = interview.items.get().question.card_id
    services.interview_review_finish(interview=interview, marks={card: {"covered": covered}})
    Interview.objects.filter(pk=interview.pk).update(reviewed_at=at)
    return interview


def test_it_keeps_a_score_history_per_topic_and_per_round_kind(english, alice):
    now = timezone.now()
    _reviewed(alice, topic="basics", covered=[0], at=now - timedelta(days=2))
    _reviewed(alice, topic="basics", covered=[0, 1, 2], at=now - timedelta(days=1))
    _reviewed(alice, topic="optim", covered=[0, 1], at=now)
    history = selectors.topic_score_history(user=alice)
    basics, optim = make_topic("basics"), make_topic("optim")
    assert [point.score for point in history[basics.pk]] == [0.25, 0.75]
    assert [point.score for point in history[optim.pk]] == [0.5]
    assert [point.score for point in selectors.kind_score_history(user=alice)["questions"]] == [0.25, 0.75, 0.5]

    page = english.get("/interviews/history/")
    rows = {row["name"]: row for _, rows in page.context["trend_tables"] for row in rows}
    assert (rows["Basics"]["first"], rows["Basics"]["latest"], rows["Basics"]["change"]) == (0.25, 0.75, 50)
    assert rows["Question round"]["count"] == 3
    assert [series["name"] for series in page.context["trend"]["topics"]] == ["Basics", "Optim"]


def test_it_feeds_the_topic_score_history_to_the_readiness_view(english, alice):
    now = timezone.now()
    _reviewed(alice, topic="basics", covered=[0], at=now - timedelta(days=1))
    _reviewed(alice, topic="basics", covered=[0, 1, 2, 3], at=now)
    readiness = readiness_for(user=alice, study_settings=study_settings_get(user=alice), now=now)
    row = next(row for row in readiness.topics if row.topic.slug == "basics")
    assert row.interview_scores == (0.25, 1.0) and row.interview_score == 1.0
    plan = english.get("/study/plan/").content.decode()
    assert "25% → 100%" in plan
