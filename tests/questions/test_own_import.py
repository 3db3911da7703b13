"""Importing own cards: spreadsheets, Anki's text export and Anki packages; all rows or none."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
import zstandard

from questions import own_cards
from questions.anki import anki_deck_bytes
from questions.models import Question
from questions.own_cards import OwnCardText, own_card_create
from questions.own_import import MAX_IMPORT_BYTES, ImportRefused, own_cards_import

pytestmark = pytest.mark.usefixtures("english")


def import_text(owner, topic, text: str, *, encoding="utf-8", name="cards.csv"):
    return own_cards_import(owner=owner, content=text.encode(encoding), file_name=name, default_topic=topic)


def test_it_imports_a_csv_with_a_header_in_either_language(alice, cnn):
    report = import_text(alice, cnn, "问题,答案,主题,难度\n"
                                     "什么是空洞卷积?,在核的元素间插入间隔，扩大感受野。,activations,3\n"
                                     "\"Why ReLU?\",\"No saturation for $x>0$.\nCheap.\",,\n")
    first, second = sorted(report.created, key=lambda q: q.id)
    assert (first.question_en, first.question_zh, first.topic.slug, first.difficulty) == (
        "什么是空洞卷积?", "什么是空洞卷积?", "activations", 3)
    assert (second.topic, second.difficulty) == (cnn, 2)  # the form's topic; blank difficulty = standard
    assert 'class="math inline"' in second.answer_html_en and second.owner == alice
    assert second.card_id.startswith("own-")


def test_it_imports_ankis_plain_text_export_without_a_header(alice, cnn):
    text = ("#separator:tab\n#html:true\n#tags column:3\n"
            "What is dropout?\tRandomly zeroes units<br>in training\tregularization\n")
    [created] = import_text(alice, cnn, text, name="Deck.txt").created
    assert created.question_en == "What is dropout?"
    assert "<br>" in created.answer_html_en  # Anki's HTML line break survives the sanitiser


def test_it_reads_gb18030_files_from_chinese_excel(alice, cnn):
    [created] = import_text(alice, cnn, "问题,答案\n批归一化的作用?,稳定各层输入的分布。\n", encoding="gb18030").created
    assert created.question_en == "批归一化的作用?"


def test_it_imports_nothing_and_names_every_bad_row_with_its_line(alice, cnn):
    text = ("question,answer,topic,difficulty\n"
            "Fine question?,Fine answer.,cnn,1\n"
            "\"A long\nanswer follows?\",,cnn,2\n"  # starts on line 3, no answer
            "Bad topic?,Answer.,quantum-computing,2\n"
            "Bad math?,Costs $O(n^2) time.,cnn,9\n")
    with pytest.raises(ImportRefused) as refused:
        import_text(alice, cnn, text)
    problems = refused.value.problems
    assert problems[0].startswith("cards.csv, line 3: Answer:")
    assert any(p.startswith("cards.csv, line 5: Topic:") and "quantum-computing" in p for p in problems)
    assert any(p.startswith("cards.csv, line 6: Answer:") and "$" in p for p in problems)
    assert any(p.startswith("cards.csv, line 6: Difficulty:") for p in problems)
    assert not Question.objects.filter(owner=alice).exists()


def test_it_finds_topics_by_title_in_either_language(alice, cnn):
    report = import_text(alice, cnn, "question,answer,topic\nA?,a.,激活函数\nB?,b.,Convolutional networks\n")
    assert sorted(q.topic.slug for q in report.created) == ["activations", "cnn"]


def test_importing_the_same_file_twice_adds_nothing(alice, cnn):
    text = "question,answer,tags\nA?,a.,x\nB?,b.,y\nA?,again.,z\n"
    first = import_text(alice, cnn, text)
    assert len(first.created) == 2 and first.skipped == [4] and first.ignored_columns == ["tags"]
    second = import_text(alice, cnn, text)
    assert second.created == [] and second.skipped == [2, 3, 4]
    assert Question.objects.filter(owner=alice).count() == 2


@pytest.mark.parametrize("content, message", [
    (b"", "no cards found"),
    (b"\xff\xfe\xfa\x00garbage\xc3", "nor a text file"),
    (b"question,answer\n" + b"x" * (MAX_IMPORT_BYTES + 1), "larger than 20 MB"),
])
def test_it_refuses_files_it_cannot_read(alice, cnn, content, message):
    with pytest.raises(ImportRefused) as refused:
        own_cards_import(owner=alice, content=content, file_name="bad.csv", default_topic=cnn)
    assert message in refused.value.problems[0] and refused.value.problems[0].startswith("bad.csv")


def test_a_learner_keeps_at_most_the_limit(alice, cnn, monkeypatch):
    monkeypatch.setattr(own_cards, "MAX_OWN_CARDS", 2)
    own_card_create(owner=alice, text=OwnCardText(question="Mine?", answer="Yes.", topic=cnn, difficulty=2))
    with pytest.raises(ImportRefused) as refused:
        import_text(alice, cnn, "question,answer\nA?,a.\nB?,b.\n")
    assert "at most 2" in refused.value.problems[0]
    assert Question.objects.filter(owner=alice).count() == 1


def test_it_reads_ankis_export_with_its_guid_notetype_and_deck_columns(alice, cnn):
    text = ("#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\n"
            "f6Xq\tBasic\tML\tWhat is <b>ReLU</b>?\t\\(\\max(0, x)\\)\tactivations\n")
    [created] = import_text(alice, cnn, text, name="ML.txt").created
    assert created.question_en == "What is ReLU?"  # a question is text: Anki's tags dropped
    assert created.answer_en == "$\\max(0, x)$"  # MathJax delimiters become ours


# --- Anki packages ----------------------------------------------------------------------------------

def anki_package(notes: list[list[str]], *, cloze: bool = False) -> bytes:
    """An .apkg as Anki before 2.1.50 wrote it (genanki writes that format)."""
    import genanki

    model = genanki.CLOZE_MODEL if cloze else genanki.BASIC_MODEL
    deck = genanki.Deck(2_059_400_110, "Interview")
    for fields in notes:
        deck.add_note(genanki.Note(model=model, fields=fields))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deck.apkg"
        genanki.Package(deck).write_to_file(str(path))
        return path.read_bytes()


def modern_package(notes: list[list[str]]) -> bytes:
    """An .apkg as Anki writes it since 2.1.50: the collection zstd-compressed as collection.anki21b,
    beside an old-format collection whose one note asks to update Anki."""
    legacy = zipfile.ZipFile(io.BytesIO(anki_package(notes)))
    stub = zipfile.ZipFile(io.BytesIO(anki_package([["Please update to the latest Anki version", ""]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("collection.anki2", stub.read("collection.anki2"))
        package.writestr("collection.anki21b", zstandard.ZstdCompressor().compress(legacy.read("collection.anki2")))
        package.writestr("media", b"")
    return out.getvalue()


def import_package(owner, topic, content: bytes, name="Interview.apkg"):
    return own_cards_import(owner=owner, content=content, file_name=name, default_topic=topic)


def test_it_imports_an_anki_package_turning_html_and_mathjax_into_text_and_formulas(alice, cnn):
    report = import_package(alice, cnn, anki_package([
        ["Why does <i>sigmoid</i> saturate?", "<div>Its slope is \\(\\sigma(1-\\sigma) &lt; 0.25\\)</div>"
                                              "<div>\\[\\sigma'(0) = \\tfrac14\\]</div>"],
        ["Pros of ReLU?", "No saturation for x&nbsp;&gt; 0<br>cheap"],
    ]))
    sigmoid, relu = sorted(report.created, key=lambda q: q.id)
    assert sigmoid.question_en == "Why does sigmoid saturate?" and sigmoid.topic == cnn and report.unit == "note"
    assert sigmoid.answer_en == "Its slope is $\\sigma(1-\\sigma) < 0.25$<br>\n$$\\sigma'(0) = \\tfrac14$$"
    assert sigmoid.answer_html_en.count('class="math inline"') == 1
    assert sigmoid.answer_html_en.count('class="math display"') == 1
    assert relu.answer_html_en == "<p>No saturation for x &gt; 0<br>\ncheap</p>\n"


def test_a_cloze_note_asks_for_its_blanks(alice, cnn):
    [created] = import_package(alice, cnn, anki_package(
        [["{{c1::Adam::optimizer}} keeps a {{c2::second-moment}} estimate.", "Kingma &amp; Ba"]], cloze=True)).created
    assert created.question_en == "[optimizer] keeps a […] estimate."
    assert created.answer_en == "**Adam** keeps a **second-moment** estimate.<br>\n<br>\nKingma &amp; Ba"


def test_it_reads_the_compressed_collection_of_a_modern_package(alice, cnn):
    report = import_package(alice, cnn, modern_package([["What is a leech?", "A card you keep forgetting."]]))
    assert [q.question_en for q in report.created] == ["What is a leech?"]


def test_our_own_anki_download_imports_back_with_its_formulas(alice, cnn, two_topics):
    corpus = list(Question.objects.corpus())
    deck = anki_deck_bytes(questions=corpus, language="en")
    report = import_package(alice, cnn, deck, name="dl-interview-en.apkg")
    imported = {q.question_en: q for q in report.created}
    for question in corpus:
        mine = imported[question.question_en]
        assert mine.answer_html_en.count('class="math') == question.answer_html_en.count('class="math'), mine.answer_en
    assert import_package(alice, cnn, deck).skipped == [1, 2]  # already there: nothing added twice


@pytest.mark.parametrize("content", [
    b"PK\x03\x04 not really a zip",
    b"",  # replaced below by a zip without a collection
])
def test_it_refuses_a_package_without_notes(alice, cnn, content):
    if not content:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as package:
            package.writestr("media", b"{}")
        content = out.getvalue()
    with pytest.raises(ImportRefused) as refused:
        import_package(alice, cnn, content)
    assert refused.value.problems[0].startswith("Interview.apkg: not ")
