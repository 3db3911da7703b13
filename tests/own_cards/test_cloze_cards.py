"""Cloze cards written in the app: `{{c1::…}}` in an own card's question makes a card per number, studied
with its own blank on the front and the filled text marked on the back; the note's cards change together."""

from __future__ import annotations

import uuid

import pytest

from questions.models import Question

pytestmark = pytest.mark.usefixtures("english")

NOTE = "{{c1::Adam::an optimizer}} divides by the root of the {{c2::second moment}}."


def cards_of(owner) -> dict[int, Question]:
    return {card.cloze_number: card for card in Question.objects.filter(owner=owner)}


def test_it_makes_a_card_per_cloze_number_from_the_form_and_studies_each_with_its_blank(alice, cnn, alice_client,
                                                                                       alice_api):
    added = alice_client.post("/questions/mine/new/", {"question": NOTE, "answer": "", "topic": "cnn",
                                                       "difficulty": 2})
    cards = cards_of(alice)
    assert added.status_code == 302 and sorted(cards) == [1, 2] and cards[1].anki_guid == cards[2].anki_guid
    shown = {card["card_id"]: card for card in alice_api.get("/api/study/queue/?limit=10").json()["cards"]}
    first, second = shown[cards[1].card_id], shown[cards[2].card_id]
    assert first["prompt"] == "[an optimizer] divides by the root of the second moment."
    assert second["prompt"] == "Adam divides by the root of the […]."
    assert first["answer_html"].count("<strong>") == 1 and "<strong>Adam</strong>" in first["answer_html"]
    assert "the <strong>second moment</strong>" in second["answer_html"]


def test_it_refuses_a_card_with_neither_answer_nor_blank_and_a_cloze_note_written_twice(alice, cnn, alice_client):
    refused = alice_client.post("/questions/mine/new/", {"question": "Q?", "answer": "", "topic": "cnn",
                                                         "difficulty": 2}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    alice_client.post("/questions/mine/new/", {"question": NOTE, "answer": "", "topic": "cnn", "difficulty": 2})
    twice = alice_client.post("/questions/mine/new/", {"question": NOTE, "answer": "", "topic": "cnn",
                                                       "difficulty": 2}, HTTP_ACCEPT_LANGUAGE="en")
    assert twice.status_code == 400 and "You already have a card with this question." in twice.content.decode()
    assert Question.objects.filter(owner=alice).count() == 2


def test_it_edits_the_whole_note_keeping_the_study_of_the_numbers_it_keeps(alice, cnn, alice_client, alice_api):
    alice_client.post("/questions/mine/new/", {"question": NOTE, "answer": "", "topic": "cnn", "difficulty": 2})
    second = cards_of(alice)[2]
    alice_api.post("/api/study/reviews/", {"question": second.pk, "rating": 3, "client_id": str(uuid.uuid4())},
                   format="json")
    page = alice_client.get(f"/questions/mine/{second.card_id}/edit/")
    assert NOTE in page.content.decode()  # the note as written, not one card's blanked front
    edited = "Adam divides by the root of the {{c2::second moment}}, plus {{c3::ε}}."
    saved = alice_client.post(f"/questions/mine/{second.card_id}/edit/", {
        "question": edited, "answer": "Kingma and Ba", "topic": "cnn", "difficulty": 3})
    cards = cards_of(alice)
    assert saved.status_code == 302 and sorted(cards) == [2, 3]  # c1 gone with its card, c3 added
    assert cards[2].pk == second.pk and cards[2].card_states.get().reps == 1 and cards[3].difficulty == 3
    assert cards[3].question_en == "Adam divides by the root of the second moment, plus […]."
    assert "Kingma and Ba" in cards[2].answer_html_en


def test_it_writes_and_reads_cloze_cards_through_the_api(alice_api, cnn):
    created = alice_api.post("/api/own-cards/", {"question": NOTE, "answer": "", "topic": "cnn"}, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["question"], created.json()["cloze_number"]) == (NOTE, 1)
    listed = alice_api.get("/api/own-cards/").json()
    assert sorted(card["cloze_number"] for card in listed["results"]) == [1, 2]
    plain = alice_api.post("/api/own-cards/", {"question": "Q?", "answer": "", "topic": "cnn"}, format="json")
    assert plain.status_code == 400 and set(plain.json()) == {"answer"}
