"""Own cards in study: they join their owner's new cards, and another learner cannot touch them."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from questions.models import Question
from quizapp.own_cards.services import OwnCardText, own_card_create
from quizapp.study.models import StudySettings
from quizapp.study.queue import study_queue
from quizapp.study.stats import study_stats
from tests import factories


def own_copy(question: Question, owner) -> Question:
    """A question like `question`, written by `owner`."""
    return factories.make_question(
        card_id=f"own-{question.pk:010x}", owner=owner, topic=question.topic, difficulty=2, position=0,
        question_en="My own question?", question_zh="My own question?", answer_en="Mine.", answer_zh="Mine.",
        answer_html_en="<p>Mine.</p>", answer_html_zh="<p>Mine.</p>", key_points=[])


def test_it_adds_an_own_card_to_its_owners_new_cards_only(alice, bob, make_question):
    mine = own_copy(make_question(), alice)
    alice_queue = study_queue(user=alice, limit=5)
    assert alice_queue.counts.new == 2 and mine.pk in [card.question_id for card in alice_queue.cards]
    bob_queue = study_queue(user=bob, limit=5)
    assert bob_queue.counts.new == 1 and mine.pk not in [card.question_id for card in bob_queue.cards]


def test_it_lets_alice_study_her_own_card_like_any_other(alice_api, alice, make_question):
    mine = own_copy(make_question(), alice)
    body = {"question": mine.pk, "rating": 1, "client_id": str(uuid.uuid4())}
    rated = alice_api.post("/api/study/reviews/", body, format="json")
    assert rated.status_code == 201 and rated.json()["card"]["question"] == mine.pk
    assert alice_api.post("/api/study/suspend/", {"question": mine.pk}, format="json").json()["suspended"]


def test_it_keeps_bob_from_rating_burying_or_suspending_alices_card(bob_api, alice, bob, make_question):
    mine = own_copy(make_question(), alice)
    rating = {"question": mine.pk, "rating": 3, "client_id": str(uuid.uuid4())}
    for path, body in (("reviews", rating), ("bury", {"question": mine.pk}), ("suspend", {"question": mine.pk})):
        refused = bob_api.post(f"/api/study/{path}/", body, format="json")
        assert refused.status_code == 400 and "question" in refused.json(), path
    assert not bob.card_states.exists() and not mine.card_states.exists()


def test_it_counts_own_cards_as_new_in_the_statistics(alice, bob, make_question):
    own_copy(make_question(), alice)
    now = timezone.now()
    new_cards = {user: study_stats(user=user, now=now)["cards_by_state"]["new"] for user in (alice, bob)}
    assert new_cards[alice] == new_cards[bob] + 1


@pytest.mark.parametrize("order", list(StudySettings.NewCardOrder))
def test_it_puts_own_cards_first_among_new_cards_in_every_order(alice, make_question, order):
    corpus = [make_question(topic="a-first-topic", difficulty=1) for _ in range(3)]
    mine = own_copy(make_question(topic="zz-last-topic", difficulty=3), alice)
    StudySettings.objects.update_or_create(user=alice, defaults={"new_card_order": order})
    queue = study_queue(user=alice, limit=10)
    assert queue.cards[0].question_id == mine.pk
    assert queue.counts.new == len(corpus) + 2  # the corpus cards, the one copied, and mine


def test_it_offers_an_edit_page_in_the_queue_for_own_cards_only(alice_api, alice, alice_client, make_question):
    corpus_card = make_question()
    mine = own_copy(corpus_card, alice)
    cards = {card["question"]: card for card in alice_api.get("/api/study/queue/", {"limit": 5}).json()["cards"]}
    assert cards[corpus_card.pk]["edit_url"] is None
    assert cards[mine.pk]["edit_url"] == f"/questions/mine/{mine.card_id}/edit/?from=study"
    saved = alice_client.post(cards[mine.pk]["edit_url"], {"question": "Better?", "answer": "Yes.",
                                                            "topic": mine.topic.slug, "difficulty": 2})
    assert saved.status_code == 302 and saved.url == "/study/"  # back to studying


def test_it_shows_an_own_card_the_same_in_either_language(alice_api, alice, make_question):
    text = OwnCardText(question="什么是空洞卷积?", answer="在核的元素之间插入间隔：$d$ 为空洞率。",
                       topic=make_question().topic, difficulty=2)
    own_card_create(owner=alice, text=text)
    for language in ("zh-hans", "en"):
        [card] = alice_api.get("/api/study/queue/", HTTP_ACCEPT_LANGUAGE=language).json()["cards"]
        assert card["prompt"] == "什么是空洞卷积?" and 'class="math inline">d<' in card["answer_html"], language
