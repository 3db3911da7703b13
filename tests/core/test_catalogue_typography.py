"""The Chinese catalogue reads like Chinese: full-width punctuation in every translation."""

from __future__ import annotations

import ast
from pathlib import Path

from questions.typography import describe, halfwidth_punctuation

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def translations(lines: list[str]):
    """(line number, text) for each line of every msgstr (a msgstr may continue on following lines)."""
    in_msgstr = False
    for number, line in enumerate(lines, start=1):
        if line.startswith("msgstr"):
            in_msgstr = True
            line = line.split(" ", 1)[1]
        elif not line.startswith('"'):
            in_msgstr = False
        if in_msgstr and line.strip():
            yield number, ast.literal_eval(line.strip())


def test_it_reads_each_line_of_a_translation():
    lines = ['msgid "Hello, %(name)s"', 'msgstr ""', '"你好，"', '"%(name)s"', "", 'msgid "x"', 'msgstr "叉"']
    assert list(translations(lines)) == [(2, ""), (3, "你好，"), (4, "%(name)s"), (7, "叉")]


def test_it_writes_every_translation_with_full_width_punctuation():
    lines = CATALOGUE.read_text(encoding="utf-8").splitlines()
    problems = [f"django.po:{number}: {describe(pair)}"
                for number, text in translations(lines) for _, pair in halfwidth_punctuation(text)]
    assert problems == []


def test_it_leaves_the_colons_of_a_cloze_blank_alone_but_not_the_text_around_it():
    assert halfwidth_punctuation("要填的空：{{c1::答案::提示}}，每个编号一张卡片。") == []
    assert halfwidth_punctuation("要填的空:{{c1::答案}}") == [(0, "空:")]
