"""The Anki deck as the real Anki shows it: a sub-deck per topic, tags under one root, a readable sort
field, a link back, code in colour by day and by night, no empty key-points box; the note type pinned."""

from __future__ import annotations

import pytest

from questions import apkg_export
from questions.apkg_export import anki_deck_write, note_guid
from questions.models import Question, Topic
from questions.services import corpus_load
from quizapp.own_cards.services import OwnCardText, own_card_create
from tests.anki_support import anki_collection, anki_import, card_by_guid
from tests.questions.corpus_files import card, write_corpus

CODE_ANSWER = {"en": "Like this:\n\n```python\ndef relu(x):\n    return max(0, x)\n```\n", "zh": "如下：\n\n```python\n"
               "def relu(x):\n    return max(0, x)\n```\n"}


@pytest.fixture
def corpus(tmp_path, alice):
    corpus_load(folder=write_corpus(tmp_path / "corpus", {
        "activations": [card("relu-code", answer=CODE_ANSWER, difficulty=3)],
        "cnn": [card("pooling-purpose", tags=["pooling"])],
    }))
    own_card_create(owner=alice, text=OwnCardText(question="Question no-points?", answer="Mine.", difficulty=1,
                                                  topic=Topic.objects.get(slug="cnn")))  # own cards have none
    return {question.question_en.removeprefix("Question ").removesuffix("?"): question
            for question in Question.objects.all()}


@pytest.fixture
def in_anki(corpus, tmp_path):
    anki_deck_write(questions=list(corpus.values()), language="en", path=tmp_path / "deck.apkg")
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, tmp_path / "deck.apkg", scheduling=False)
        yield collection


def test_it_files_each_topic_in_its_own_sub_deck_with_tags_under_one_root(corpus, in_anki):
    pooling = card_by_guid(in_anki, note_guid(corpus["pooling-purpose"], "en"))
    assert in_anki.decks.name(pooling.did) == "DL Interview Trainer::Convolutional networks"
    relu = card_by_guid(in_anki, note_guid(corpus["relu-code"], "en"))
    assert in_anki.decks.name(relu.did) == "DL Interview Trainer::Activation functions"
    assert sorted(pooling.note().tags) == ["DLIT::difficulty::standard", "DLIT::tag::pooling", "DLIT::topic::cnn"]
    assert "DLIT::difficulty::hard" in relu.note().tags
    assert in_anki.db.list("SELECT sfld FROM notes ORDER BY sfld") == [
        "Question no-points?", "Question pooling-purpose?", "Question relu-code?"]  # the question, not an ID


def test_it_hides_the_key_points_box_of_a_card_without_any_and_links_back(corpus, in_anki, settings):
    bare = card_by_guid(in_anki, note_guid(corpus["no-points"], "en"))
    full = card_by_guid(in_anki, note_guid(corpus["pooling-purpose"], "en"))
    assert 'class="key-points"' not in bare.answer() and 'class="key-points"' in full.answer()
    assert f'href="{settings.SITE_URL}/questions/pooling-purpose/"' in full.answer()


def test_it_colours_code_by_day_and_gives_night_mode_a_dark_code_box(corpus, in_anki):
    relu = card_by_guid(in_anki, note_guid(corpus["relu-code"], "en"))
    assert '<span class="k">def</span>' in relu.answer()  # Pygments' token classes reach Anki
    css = relu.note_type()["css"]
    assert "pre .k {" in css and ".nightMode pre .k {" in css
    night_box = next(line for line in css.splitlines() if line.startswith(".nightMode pre {"))
    assert "background" in night_box and "#f8f8f8" not in night_box


def test_it_pins_the_note_types_id_and_fields_learners_decks_depend_on():
    """Changing these breaks every learner's deck in Anki: read questions/corpus/ANKI.md first."""
    assert apkg_export.MODEL_ID == 1_724_886_301
    assert apkg_export.MODEL_FIELDS == ["Question", "Answer", "KeyPoints", "CardId", "Source"]
    assert (apkg_export.CLOZE_MODEL_ID, apkg_export.REVERSED_MODEL_ID) == (1_724_886_302, 1_724_886_303)
    assert apkg_export.CLOZE_MODEL_FIELDS == ["Text", "Extra", "Source"]
    assert apkg_export.DECK_IDS == {"zh": 1_724_886_311, "en": 1_724_886_312}
