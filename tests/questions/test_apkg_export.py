"""Anki export: a real .apkg that Anki can import, formulas in MathJax form, stable note GUIDs."""

import io
import sqlite3
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from questions import apkg_export
from questions.apkg_export import anki_math, anki_question
from questions.models import Question
from questions.services import corpus_load
from tests.questions.corpus_files import card, write_corpus


@pytest.fixture
def corpus(tmp_path, db):
    corpus_load(folder=write_corpus(tmp_path / "corpus", {
        "activations": [card("sigmoid-derivative", tags=["sigmoid"]), card("relu-pros-cons", tags=["relu"])],
        "cnn": [card("pooling-purpose", tags=["pooling"])],
    }))


def notes_in(apkg_path) -> list[tuple[str, str, str]]:
    with zipfile.ZipFile(apkg_path) as package:
        package.extract("collection.anki2", apkg_path.parent)
    with sqlite3.connect(apkg_path.parent / "collection.anki2") as collection:
        return collection.execute("select guid, flds, tags from notes order by sfld").fetchall()


def test_it_rewrites_katex_placeholders_as_mathjax_for_anki():
    html = '<p>a <span class="math inline">x&lt;y</span></p>\n<div class="math display">\\frac{1}{2}</div>'
    assert anki_math(html) == '<p>a \\(x&lt;y\\)</p>\n\\[\\frac{1}{2}\\]'


def test_it_writes_one_note_per_question_with_answer_key_points_and_tags(corpus, tmp_path, settings):
    settings.SITE_URL = "http://testserver.example"
    call_command("export_anki", str(tmp_path / "deck.apkg"), "--language", "en", "--topic", "activations")
    notes = notes_in(tmp_path / "deck.apkg")
    assert len(notes) == 2
    guid, fields, tags = notes[1]
    question, answer, key_points, card_id, source = fields.split("\x1f")
    assert card_id == "sigmoid-derivative" and question == "Question sigmoid-derivative?"
    assert "\\(\\sigma(z)(1-\\sigma(z))\\)" in answer
    assert "<li>point 0</li>" in key_points
    assert source == "http://testserver.example/questions/sigmoid-derivative/"
    assert sorted(tags.split()) == ["DLIT::difficulty::standard", "DLIT::tag::sigmoid", "DLIT::topic::activations"]


def test_it_keeps_note_guids_stable_across_exports_so_reimport_updates(corpus, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    call_command("export_anki", str(tmp_path / "a" / "deck.apkg"))
    call_command("export_anki", str(tmp_path / "b" / "deck.apkg"))
    first, second = notes_in(tmp_path / "a" / "deck.apkg"), notes_in(tmp_path / "b" / "deck.apkg")
    assert [note[0] for note in first] == [note[0] for note in second]


def test_it_keeps_the_chinese_and_english_decks_from_sharing_notes(corpus, tmp_path):
    (tmp_path / "zh").mkdir()
    (tmp_path / "en").mkdir()
    call_command("export_anki", str(tmp_path / "zh" / "deck.apkg"), "--language", "zh")
    call_command("export_anki", str(tmp_path / "en" / "deck.apkg"), "--language", "en")
    zh_guids = {note[0] for note in notes_in(tmp_path / "zh" / "deck.apkg")}
    en_guids = {note[0] for note in notes_in(tmp_path / "en" / "deck.apkg")}
    assert len(zh_guids) == len(en_guids) == 3
    assert not zh_guids & en_guids  # importing one deck must not overwrite the other's notes


def test_it_names_the_problem_when_nothing_matches_and_leaves_no_file(corpus, tmp_path):
    with pytest.raises(CommandError, match="no questions in topic 'rnn'"):
        call_command("export_anki", str(tmp_path / "deck.apkg"), "--topic", "rnn")
    assert not (tmp_path / "deck.apkg").exists()


def test_it_downloads_the_filtered_deck_from_the_question_list(client, corpus, tmp_path):
    response = client.get("/questions/export.apkg?topic=cnn", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dl-interview-zh.apkg"'
    (tmp_path / "download.apkg").write_bytes(response.content)
    [(_, fields, _)] = notes_in(tmp_path / "download.apkg")
    assert fields.startswith("问题 pooling-purpose？")
    assert client.get("/questions/export.apkg?difficulty=7").status_code == 400


def test_it_turns_a_formula_in_a_question_into_mathjax_and_keeps_money_as_text():
    assert anki_question("Why $\\frac{1}{\\sqrt{d}}$ in <attention>?") == (
        "Why \\(\\frac{1}{\\sqrt{d}}\\) in &lt;attention&gt;?")
    assert anki_question("It costs $5 and $6.") == "It costs $5 and $6."
    assert anki_question("A dollar: \\$x$ is no formula") == "A dollar: \\$x$ is no formula"
    assert anki_question("$a<b$ 与 $c$") == "\\(a&lt;b\\) 与 \\(c\\)"


def test_it_builds_a_visitors_deck_once_until_the_corpus_changes(corpus, monkeypatch):
    built = []

    def counted(**arguments):
        built.append(arguments["language"])
        return real(**arguments)

    real = apkg_export.anki_deck_bytes
    monkeypatch.setattr(apkg_export, "anki_deck_bytes", counted)
    first = apkg_export.anki_download(viewer=None, filters={"topic": "cnn"}, language="en", with_schedule=False)
    again = apkg_export.anki_download(viewer=None, filters={"topic": "cnn"}, language="en", with_schedule=False)
    assert first == again and built == ["en"]
    apkg_export.anki_download(viewer=None, filters={"topic": "cnn"}, language="zh", with_schedule=False)
    Question.objects.filter(card_id="pooling-purpose").update(question_en="Changed?", updated_at=timezone.now())
    changed = apkg_export.anki_download(viewer=None, filters={"topic": "cnn"}, language="en", with_schedule=False)
    assert built == ["en", "zh", "en"] and b"Changed?" in zipfile.ZipFile(io.BytesIO(changed)).read("collection.anki2")


def test_it_limits_how_often_one_caller_downloads_a_deck(corpus, client, alice_api, throttle_rates):
    throttle_rates["anki_export"] = "2/min"
    assert [client.get("/questions/export.apkg").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/questions/export.apkg")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert [alice_api.get("/api/questions/export.apkg/").status_code for _ in range(3)] == [200, 200, 429]
