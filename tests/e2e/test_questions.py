"""A learner opens a question page and reads a formula rendered by KaTeX, in either language."""

import pytest

from questions.services import corpus_load
from tests.questions.corpus_files import card, write_corpus

pytestmark = pytest.mark.e2e


def test_it_renders_formulas_with_katex_on_the_question_page(page, screenshot, tmp_path, transactional_db):
    answer = {"en": "The derivative is $\\sigma(z)(1-\\sigma(z))$:\n\n$$\\sigma'(0) = \\frac{1}{4}$$\n",
              "zh": "导数为 $\\sigma(z)(1-\\sigma(z))$:\n\n$$\\sigma'(0) = \\frac{1}{4}$$\n"}
    corpus_load(folder=write_corpus(tmp_path / "corpus", {"activations": [card("sigmoid-derivative",
                                                                               answer=answer)]}))
    page.goto("/questions/sigmoid-derivative/")
    shown = page.locator("article.answer:not([hidden])")
    shown.locator(".katex").first.wait_for()
    assert shown.locator(".katex-display").count() == 1  # the display formula
    assert shown.locator("span.math .katex").count() == 1  # and the inline one
    assert "frac" not in shown.locator(".katex-display").inner_text()  # typeset, not raw TeX
    screenshot("question-katex")
    page.click("[data-show-lang=zh]")  # the other language is one click away, formulas included
    assert shown.get_attribute("data-lang") == "zh"
    assert shown.locator(".katex-display").is_visible()
