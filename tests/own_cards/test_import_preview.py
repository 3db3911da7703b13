"""The import preview: before an Anki package is imported the learner sees what the import will do and the
topic each deck or tag picks, and confirms or changes it; nothing is written before they confirm."""

from __future__ import annotations

import json
import re

import pytest

from questions.models import Question
from quizapp.study.models import ReviewLog
from tests.anki_support import anki_answer, anki_collection, anki_export, anki_note

pytestmark = pytest.mark.usefixtures("english")

GOOD = 3


@pytest.fixture
def package(tmp_path):
    """A deck with a studied note in "Interview::cnn" (whose last part names a topic), and a note showing an
    image in "Misc" (which names none)."""
    with anki_collection(tmp_path / "anki") as collection:
        pooling = anki_note(collection, deck="Interview::cnn", fields=["Why pooling?", "Invariance"])
        anki_answer(collection, pooling.cards()[0].id, [GOOD, GOOD])
        anki_note(collection, deck="Misc", fields=["Why ReLU?", 'No saturation <img src="relu.png">'])
        return anki_export(collection, tmp_path / "deck.apkg")


def preview_page(client, package, **options):
    with package.open("rb") as upload:
        return client.post("/questions/mine/import/", {"file": upload, "topic": "cnn", **options},
                           HTTP_ACCEPT_LANGUAGE="en")


def hidden(page, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]*)"', page.content.decode())


def test_it_shows_the_counts_and_topics_of_a_package_and_writes_nothing(alice, alice_client, cnn, package):
    page = preview_page(alice_client, package, with_history="on")
    text = page.content.decode()
    assert page.status_code == 200 and "Import preview" in text
    for line in ("2 new cards", "2 reviews to bring from Anki",
                 "0 notes are cards of this site", "1 note shows an image that cannot be imported",
                 "note 2: relu.png: not in the package&#x27;s media."):
        assert line in text
    assert hidden(page, "deck_name") == ["Interview::cnn", "Misc"]
    assert not Question.objects.filter(owner=alice).exists() and not ReviewLog.objects.filter(user=alice).exists()


def test_it_imports_with_the_topics_the_learner_confirmed_and_only_once(alice, alice_client, cnn, package):
    page = preview_page(alice_client, package, with_history="on")
    form = {"token": hidden(page, "token")[0], "file_name": "deck.apkg", "topic": "cnn", "with_history": "on",
            "deck_name": ["Interview::cnn", "Misc"], "deck_topic": ["activations", "cnn"]}
    done = alice_client.post("/questions/mine/import/confirm/", form, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Imported 2 cards." in done.content.decode()
    topics = dict(Question.objects.filter(owner=alice).values_list("question_en", "topic__slug"))
    assert topics == {"Why pooling?": "activations", "Why ReLU?": "cnn"}
    assert ReviewLog.objects.filter(user=alice).count() == 2
    again = alice_client.post("/questions/mine/import/confirm/", form, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "That preview is gone" in again.content.decode() and Question.objects.filter(owner=alice).count() == 2


def test_it_keeps_one_learners_preview_from_another(alice, bob, alice_client, client, cnn, package):
    token = hidden(preview_page(alice_client, package), "token")[0]
    client.force_login(bob)
    client.post("/questions/mine/import/confirm/", {"token": token, "file_name": "deck.apkg", "topic": "cnn"})
    assert not Question.objects.filter(owner=bob).exists()


def test_it_previews_and_maps_topics_through_the_api(alice, alice_api, cnn, package):
    with package.open("rb") as upload:
        preview = alice_api.post("/api/own-cards/import/", {"file": upload, "topic": "cnn", "with_history": True,
                                                            "preview": True}, format="multipart")
    assert preview.status_code == 200
    assert {key: preview.json()[key] for key in ("new", "updated", "recognised", "reviews", "images_skipped")} == {
        "new": 2, "updated": 0, "recognised": 0, "reviews": 2, "images_skipped": 1}
    assert (preview.json()["topics"], preview.json()["decks_without_topic"]) == ({"Interview::cnn": "cnn"}, ["Misc"])
    assert not Question.objects.filter(owner=alice).exists()
    with package.open("rb") as upload:
        bad = alice_api.post("/api/own-cards/import/", {"file": upload, "topic": "cnn",
                                                        "topics": json.dumps({"Misc": "nope"})}, format="multipart")
    assert bad.status_code == 400 and "topics" in bad.json() and not Question.objects.filter(owner=alice).exists()
    with package.open("rb") as upload:
        done = alice_api.post("/api/own-cards/import/", {"file": upload, "topic": "cnn",
                                                         "topics": json.dumps({"Misc": "activations"})},
                              format="multipart")
    assert done.status_code == 201
    topics = dict(Question.objects.filter(owner=alice).values_list("question_en", "topic__slug"))
    assert topics == {"Why pooling?": "cnn", "Why ReLU?": "activations"}
