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
    assert page.get_attribute("[data-show-lang=zh]", "aria-selected") == "true"
    assert page.get_attribute("[data-show-lang=en]", "aria-selected") == "false"
    assert shown.locator(".katex-display").is_visible()


def test_it_scrolls_a_wide_table_in_its_own_box_on_a_phone(page, screenshot, tmp_path, transactional_db):
    # Formulas in the cells too: KaTeX's hidden MathML is placed absolutely and must stay in the box.
    header = "| " + " | ".join(f"initialisation scheme {column} $U(-a, a)$" for column in range(8)) + " |"
    table = "\n".join([header, "|" + "---|" * 8, "| " + " | ".join(["variance 2/fan_in"] * 8) + " |"])
    answer = {language: f"Compare:\n\n{table}\n\n$$\\frac{{2}}{{n_{{in}}}}" + " + \\frac{2}{n_{out}}" * 12 + "$$\n"
              for language in ("en", "zh")}
    corpus_load(folder=write_corpus(tmp_path / "corpus", {"activations": [card("wide-table", answer=answer)]}))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/questions/wide-table/")
    shown = page.locator("article.answer:not([hidden])")
    shown.locator(".katex-display").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    table_box = shown.locator(".table-scroll").evaluate("box => [box.scrollWidth, box.clientWidth]")
    assert table_box[0] > table_box[1], table_box  # the table scrolls inside its box instead
    screenshot("question-wide-table-phone")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_it_colours_code_in_an_answer_and_starts_its_lines_level(page, theme, tmp_path, transactional_db):
    code = "```python\nfor step in range(10):  # train\n    loss = 0.5\n```\n"
    corpus_load(folder=write_corpus(tmp_path / "corpus", {"activations": [card("code", answer={"en": code,
                                                                                              "zh": code})]}))
    page.goto("/questions/code/")
    page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
    block = page.locator("article.answer:not([hidden]) pre code")
    colour = {kind: block.locator(f".{kind}").first.evaluate("token => getComputedStyle(token).color")
              for kind in ("k", "n", "c1", "mf")}  # keyword, name, comment, number
    assert len(set(colour.values())) == 4, colour
    assert block.evaluate("code => getComputedStyle(code).paddingLeft") == "0px"


def test_it_marks_the_words_a_search_found_in_the_result_list(page, screenshot, tmp_path, transactional_db):
    corpus_load(folder=write_corpus(tmp_path / "corpus", {"activations": [
        card("relu-dying", question={"en": "Why do ReLU units die?", "zh": "ReLU 神经元为什么会死亡？"}),
        card("sigmoid-derivative", question={"en": "What is the derivative $\\sigma'(z)$ of sigmoid?",
                                             "zh": "sigmoid 的导数 $\\sigma'(z)$ 是什么？"})]}))
    page.goto("/questions/all/?q=ＲｅＬＵ")
    assert page.locator(".question-list mark").all_inner_texts() == ["ReLU"]  # kept by the page's script
    screenshot("question-search-marks")
    page.goto("/questions/all/?q=derivative")
    link = page.locator(".question-list a").first
    link.locator(".katex").wait_for()  # a question with a formula: typeset first
    assert "derivative" in link.inner_text()
