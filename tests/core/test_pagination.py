"""Every paginated API list caps ?limit= instead of serving a whole table or failing on a huge number."""

import pytest
from django.utils import timezone

from questions.models import Question
from quizapp.core.pagination import BoundedLimitOffsetPagination
from quizapp.study.models import CardState
from tests.factories import make_topic

LARGEST_PAGE = BoundedLimitOffsetPagination.max_limit


@pytest.fixture
def alice_cards(alice):
    topic = make_topic("basics", title_en="Basics", title_zh="基础", position=1)
    questions = Question.objects.bulk_create(
        Question(card_id=f"q-{number}", topic=topic, difficulty=1, position=number, question_en="?", question_zh="?",
                 answer_en=".", answer_zh="。", answer_html_en="", answer_html_zh="")
        for number in range(LARGEST_PAGE + 1))
    return CardState.objects.bulk_create(CardState(user=alice, question=question, due=timezone.now())
                                         for question in questions)


@pytest.mark.parametrize("limit", [LARGEST_PAGE + 1, 10**6, 2**63, 10**30])
def test_it_serves_at_most_the_largest_page_for_any_limit(alice_api, alice_cards, limit):
    response = alice_api.get(f"/api/study/cards/?limit={limit}")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == LARGEST_PAGE + 1 and len(body["results"]) == LARGEST_PAGE
    assert f"offset={LARGEST_PAGE}" in body["next"]


def test_it_serves_the_rest_from_the_next_link(alice_api, alice_cards):
    first = alice_api.get(f"/api/study/cards/?limit={LARGEST_PAGE}").json()
    rest = alice_api.get(first["next"]).json()
    seen = {card["id"] for card in first["results"] + rest["results"]}
    assert seen == {card.id for card in alice_cards} and rest["next"] is None

