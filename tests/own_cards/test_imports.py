"""Importing own cards: spreadsheets, Anki's text export and Anki packages; all rows or none."""

from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pytest
import zstandard

from questions.apkg_export import anki_deck_bytes
from questions.models import Question
from quizapp.own_cards import services
from quizapp.own_cards.cloze import cloze_back
from quizapp.own_cards.imports import MAX_IMPORT_BYTES, ImportRefused, anki, own_cards_import
from quizapp.own_cards.services import OwnCardText, own_card_create

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


def test_it_gives_full_width_commas_one_clear_message_not_one_per_line(alice, cnn):
    with pytest.raises(ImportRefused) as refused:
        import_text(alice, cnn, "问题，答案，主题，难度\n什么是空洞卷积？，在核的元素间插入间隔。，cnn，2\n")
    assert refused.value.problems == ["cards.csv: every line is a single column with full-width commas (，) in it. "
                                      "Separate the columns with half-width commas (,) or tabs."]
    # A question with a full-width comma in it, and an answer, is a card like any other.
    [created] = import_text(alice, cnn, "问题,答案\n卷积层，池化层各做什么？,提取特征，缩小尺寸。\n").created
    assert created.question_en == "卷积层，池化层各做什么？"


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


def test_it_adds_nothing_when_the_same_file_is_imported_twice(alice, cnn):
    text = "question,answer,tags\nA?,a.,x\nB?,b.,y\nA?,again.,z\n"
    first = import_text(alice, cnn, text)
    assert len(first.created) == 2 and first.repeated == [4] and first.ignored_columns == ["tags"]
    second = import_text(alice, cnn, text)
    assert second.created == [] and second.skipped == [2, 3] and second.repeated == [4]
    assert Question.objects.filter(owner=alice).count() == 2


@pytest.mark.parametrize("content, message", [
    (b"", "no cards found"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "nor a text file"),  # an image
    (b"\xff\xfeq\x00,", "nor a text file"),  # UTF-16 cut in the middle of a character
    (b"question,answer\n" + b"x" * (MAX_IMPORT_BYTES + 1), "larger than 20 MB"),
])
def test_it_refuses_files_it_cannot_read(alice, cnn, content, message):
    with pytest.raises(ImportRefused) as refused:
        own_cards_import(owner=alice, content=content, file_name="bad.csv", default_topic=cnn)
    assert message in refused.value.problems[0] and refused.value.problems[0].startswith("bad.csv")


def test_it_lets_a_learner_keep_at_most_the_limit(alice, cnn, monkeypatch):
    monkeypatch.setattr(services, "MAX_OWN_CARDS", 2)
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


def test_it_makes_a_card_per_cloze_number_blanking_its_own_and_showing_the_others(alice, cnn):
    report = import_package(alice, cnn, anki_package(
        [["{{c1::Adam::optimizer}} keeps a {{c2::second-moment}} estimate.", "Kingma &amp; Ba"]], cloze=True))
    first, second = sorted(report.created, key=lambda q: q.note_card)
    assert (first.cloze_number, second.cloze_number) == (1, 2) and first.anki_guid == second.anki_guid != ""
    assert first.question_en == "[optimizer] keeps a second-moment estimate."
    assert second.question_en == "Adam keeps a […] estimate."
    assert first.answer_html_en == ("<p><strong>Adam</strong> keeps a second-moment estimate.</p>\n"
                                    "<p>Kingma &amp; Ba</p>\n")
    assert "<strong>second-moment</strong>" in second.answer_html_en and first.answer_en == "Kingma &amp; Ba"


def test_it_reads_the_compressed_collection_of_a_modern_package(alice, cnn):
    report = import_package(alice, cnn, modern_package([["What is a leech?", "A card you keep forgetting."]]))
    assert [q.question_en for q in report.created] == ["What is a leech?"]


def test_it_recognises_our_own_download_as_the_cards_it_holds_and_copies_none(alice, cnn, two_topics):
    corpus = list(Question.objects.corpus())
    deck = anki_deck_bytes(questions=corpus, language="en")
    report = import_package(alice, cnn, deck, name="dl-interview-en.apkg")
    assert report.created == [] and report.recognised == [1, 2]
    assert not alice.own_questions.exists()


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


# --- what the review of the importer found ------------------------------------------------------------

def sqlite_package(statements: list[str]) -> bytes:
    """An .apkg whose collection is whatever database these statements build."""
    database = sqlite3.connect(":memory:")
    for statement in statements:
        database.execute(statement)
    database.commit()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("collection.anki2", database.serialize())
    return out.getvalue()


def test_it_refuses_unread_a_package_that_unpacks_past_the_cap(alice, cnn, monkeypatch):
    monkeypatch.setattr(anki, "MAX_COLLECTION_BYTES", 1024 * 1024)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w") as package:  # a few kB that claim and unpack to 2 MB
        package.writestr("collection.anki21b", zstandard.ZstdCompressor().compress(b"\0" * 2 * 1024 * 1024))
    with pytest.raises(ImportRefused, match="more than 1 MB"):
        import_package(alice, cnn, bomb.getvalue())


def test_it_requires_notes_to_be_a_table_not_an_endless_view(alice, cnn):
    endless = sqlite_package(["CREATE VIEW notes AS WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n) "
                              "SELECT id, 'q' || id || char(31) || 'a' AS flds FROM n"])
    with pytest.raises(ImportRefused, match="not an Anki package"):
        import_package(alice, cnn, endless)


def test_it_names_fields_that_are_not_text_instead_of_crashing_on_them(alice, cnn):
    odd = sqlite_package(["CREATE TABLE notes (id INTEGER PRIMARY KEY, flds)",
                          "INSERT INTO notes VALUES (1, NULL), (2, 5), (3, X'00ff')"])
    with pytest.raises(ImportRefused) as refused:
        import_package(alice, cnn, odd)
    assert {problem.split(":")[0] for problem in refused.value.problems} == {
        "Interview.apkg, note 1", "Interview.apkg, note 2", "Interview.apkg, note 3"}


def test_it_refuses_a_file_with_more_rows_than_a_learner_may_keep_before_checking(alice, cnn, monkeypatch):
    monkeypatch.setattr(services, "MAX_OWN_CARDS", 3)
    with pytest.raises(ImportRefused, match="more than 3 rows"):
        import_text(alice, cnn, "".join(f"Q{n}?,a\n" for n in range(5)))


def test_it_takes_only_ankis_own_header_lines_as_directives(alice, cnn):
    report = import_text(alice, cnn, "#1 Why ReLU?,No saturation.\n#2 Why GELU?,Smooth.\nWhy BN?,Normalizes.\n")
    assert [q.question_en for q in report.created] == ["#1 Why ReLU?", "#2 Why GELU?", "Why BN?"]


def test_it_reads_western_excel_files_as_windows_1252(alice, cnn):
    [created] = import_text(alice, cnn, "Why is naïve Bayes naïve?,It’s simple.\n", encoding="cp1252").created
    assert (created.question_en, created.answer_en) == ("Why is naïve Bayes naïve?", "It’s simple.")


def test_it_reads_excels_unicode_text_as_utf16(alice, cnn):
    [created] = import_text(alice, cnn, "问题\t答案\n什么是残差连接?\t把输入加到输出上。\n", encoding="utf-16").created
    assert created.question_en == "什么是残差连接?"


def test_it_names_the_columns_from_ankis_columns_line(alice, cnn):
    [created] = import_text(alice, cnn, "#separator:tab\n#columns:Back\tFront\nAn answer.\tA question?\n").created
    assert (created.question_en, created.answer_en) == ("A question?", "An answer.")


def test_it_takes_a_literal_separator_character_as_it_is(alice, cnn):
    [created] = import_text(alice, cnn, "#separator:\t\nWhat, really, is dropout?\tZeroing units.\n").created
    assert created.question_en == "What, really, is dropout?"


def test_it_reads_each_row_at_its_own_width(alice, cnn):
    with pytest.raises(ImportRefused) as refused:
        import_text(alice, cnn, "Why ReLU?\nWhy BN?,Normalizes.\nWhy LN?,Per token.\n")
    assert refused.value.problems == ["cards.csv, line 1: Answer: This field is required."]


def test_it_picks_the_delimiter_that_splits_the_rows(alice, cnn):
    report = import_text(alice, cnn, '"Why, ReLU?";"No saturation"\nWhy BN?;Normalizes\n')
    assert [(q.question_en, q.answer_en) for q in report.created] == [
        ("Why, ReLU?", "No saturation"), ("Why BN?", "Normalizes")]


def test_it_counts_only_line_breaks_in_line_numbers(alice, cnn):
    with pytest.raises(ImportRefused) as refused:
        import_text(alice, cnn, "A?,a\u2028still line 1\nB?,\x0bz\nC?,\n")
    assert refused.value.problems == ["cards.csv, line 3: Answer: This field is required."]


def test_it_reports_broken_quotes_with_their_line(alice, cnn):
    with pytest.raises(ImportRefused) as refused:
        import_text(alice, cnn, 'A?,a\n"B?,b\nC?,c\n')
    assert refused.value.problems[0].startswith("cards.csv, line 2:")  # where the unclosed quote opens


@pytest.mark.parametrize("written, difficulty", [("3.0", 3), ("hard", 3), ("困难", 3), ("basic", 1), ("", 2)])
def test_it_reads_difficulty_as_spreadsheets_write_it(alice, cnn, written, difficulty):
    [created] = import_text(alice, cnn, f"question,answer,difficulty\nQ?,A.,{written}\n").created
    assert created.difficulty == difficulty


def test_it_reports_columns_past_the_answer_as_not_kept(alice, cnn):
    report = import_text(alice, cnn, "Q?,A.,cnn,3\n")
    assert report.ignored_columns == ["column 3", "column 4"]


def test_it_keeps_a_computed_column_from_building_huge_values(alice, cnn):
    bomb = sqlite_package(["CREATE TABLE notes (id INTEGER PRIMARY KEY, "
                           "flds TEXT GENERATED ALWAYS AS (printf('%.*c', 5000000, 'x')) VIRTUAL)",
                           "INSERT INTO notes (id) VALUES (1)"])
    with pytest.raises(ImportRefused, match="not an Anki package"):
        import_package(alice, cnn, bomb)


def test_it_names_an_encrypted_or_office_zip_for_what_it_is(alice, cnn):
    encrypted = io.BytesIO()
    with zipfile.ZipFile(encrypted, "w") as package:
        entry = zipfile.ZipInfo("collection.anki2")
        entry.flag_bits |= 0x1  # "encrypted": zipfile asks for a password to read it
        package.writestr(entry, b"SQLite format 3\0")
    with pytest.raises(ImportRefused, match="not an Anki package"):
        import_package(alice, cnn, encrypted.getvalue())
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ImportRefused, match="an Excel or Word file"):
        import_package(alice, cnn, workbook.getvalue(), name="cards.xlsx")


def test_it_reads_a_collection_saved_in_wal_mode(alice, cnn):
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, flds TEXT)")
    database.execute("INSERT INTO notes VALUES (1, 'Q?' || char(31) || 'A.')")
    database.commit()
    wal = bytearray(database.serialize())
    wal[18:20] = b"\x02\x02"  # what Anki's collection says while it is open
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("collection.anki21", bytes(wal))
    [created] = import_package(alice, cnn, out.getvalue()).created
    assert (created.question_en, created.answer_en) == ("Q?", "A.")


@pytest.mark.parametrize("front, questions, backs", [
    ("{{c1::Batch {{c2::normalization}} layer}} helps", ["[…] helps", "Batch […] layer helps"],
     ["**Batch normalization layer** helps", "Batch **normalization** layer helps"]),
    ("Softmax: \\(p_i = {{c1::e^{x_i}}} / Z\\)", ["Softmax: $p_i = […] / Z$"],
     ["Softmax: $p_i = \\boxed{e^{x_i}} / Z$"]),
    ("{{c1::Adam::optimizer}} and {{c2::never closed", ["[optimizer] and {{c2::never closed"],
     ["**Adam** and {{c2::never closed"]),
])
def test_it_lets_clozes_nest_hold_latex_braces_and_stay_valid_inside_formulas(alice, cnn, front, questions, backs):
    created = sorted(import_package(alice, cnn, anki_package([[front, ""]], cloze=True)).created,
                     key=lambda q: q.note_card)
    assert [q.question_en for q in created] == questions
    assert [cloze_back(q.cloze_text, q.cloze_number) for q in created] == backs


def test_it_takes_a_dollar_in_anki_as_money_not_math(alice, cnn):
    [created] = import_package(alice, cnn, anki_package([["Price?", "It costs $5, \\(x^2\\) more than $3"]])).created
    assert created.answer_html_en.count('class="math inline"') == 1
    assert "$5" in created.answer_html_en and "$3" in created.answer_html_en


def test_it_names_a_cell_past_the_csv_limit_instead_of_crashing(alice, cnn):
    with pytest.raises(ImportRefused) as refused:
        import_text(alice, cnn, "question,answer\nQ," + "x" * 200_000 + "\n")
    assert refused.value.problems == ["cards.csv, line 2: a cell longer than 131072 characters"]


def test_it_does_not_mistake_traditional_characters_from_gbk_for_western_text(alice, cnn):
    [created] = import_text(alice, cnn, "问题,答案\n什麼是捲積?,權重共享\n", encoding="gbk").created
    assert (created.question_en, created.answer_en) == ("什麼是捲積?", "權重共享")


def test_it_names_a_header_without_a_question_column(alice, cnn):
    with pytest.raises(ImportRefused) as refused:
        import_text(alice, cnn, "answer,topic\nfoo,cnn\n")
    assert refused.value.problems == ["cards.csv, line 1: the header row names no question column "
                                      "(question, 问题 or Front)."]


def test_it_reads_full_width_digits_as_digits(alice, cnn):
    [created] = import_text(alice, cnn, "question,answer,difficulty\nQ?,A.,３\n").created
    assert created.difficulty == 3


def test_it_compares_an_answer_typed_in_a_browser_equal_to_its_spreadsheet_copy(alice, cnn, alice_client):
    alice_client.post("/questions/mine/new/", {"question": "Q?", "answer": "Line one.\r\nLine two.", "topic": "cnn",
                                               "difficulty": 2})
    report = own_cards_import(owner=alice, content=b'question,answer\nQ?,"Line one.\nLine two."\n',
                              file_name="cards.csv", default_topic=cnn, update_existing=True)
    assert (report.updated, report.skipped, report.differing) == ([], [2], 0)


def test_it_counts_skipped_rows_that_differ_for_the_update_hint(alice, cnn):
    own_card_create(owner=alice, text=OwnCardText(question="Q?", answer="Old.", topic=cnn, difficulty=2))
    report = import_text(alice, cnn, "question,answer\nQ?,New.\n")
    assert (report.skipped, report.differing) == ([2], 1)


def test_it_names_the_known_topics_for_an_unknown_one(alice, cnn):
    with pytest.raises(ImportRefused) as refused:
        import_text(alice, cnn, "question,answer,topic\nQ?,A.,quantum\n")
    assert refused.value.problems == ["cards.csv, line 2: Topic: unknown topic “quantum”; a topic's code or title "
                                      "in either language, such as activations, cnn."]
