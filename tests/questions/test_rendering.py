import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from questions.rendering import render_markdown


def test_it_keeps_formulas_through_markdown():
    html = render_markdown("Since $a_i * b_j$ and $x_1 < x_2$:\n\n$$\\frac{\\partial L}{\\partial z} = \\hat y - y$$")
    # Markdown would otherwise read * and _ as emphasis and eat the backslashes.
    assert '<span class="math inline">a_i * b_j</span>' in html
    assert '<span class="math inline">x_1 &lt; x_2</span>' in html
    assert '<div class="math display">\\frac{\\partial L}{\\partial z} = \\hat y - y</div>' in html


def test_it_removes_script_from_a_card():
    html = render_markdown('Hi <script>alert("x")</script> <img src=x onerror=alert(1)> [a](javascript:alert(1))')
    assert "<script" not in html and 'alert("x")' not in html  # the element and its content are gone
    assert "onerror" not in html and 'href="javascript' not in html
    assert "<p>Hi" in html


def test_it_highlights_code():
    html = render_markdown("```python\nloss = criterion(logits, y)\n```")
    assert '<span class="n">loss</span>' in html


def test_it_renders_escaped_dollars_as_money_not_math():
    html = render_markdown("It costs \\$5 and \\$6.")
    assert "math" not in html and "$5" in html


def test_it_aligns_table_columns_with_classes_and_keeps_no_style_attribute():
    # The Content-Security-Policy refuses inline style: a style attribute would be a violation.
    html = render_markdown("| a | b |\n|:-|-:|\n| 1 | 2 |\n\n"
                           '<table><tr><td style="position:fixed;inset:0;text-align:right">x</td></tr></table>')
    assert '<th class="align-left">a</th>' in html and '<td class="align-right">2</td>' in html
    assert "style" not in html and "position" not in html


def test_it_puts_a_table_in_a_box_that_scrolls_on_a_phone():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert html.startswith('<div class="table-scroll"><table>') and html.rstrip().endswith("</table>\n</div>")


def test_it_shows_no_space_where_a_line_wraps_inside_chinese():
    html = render_markdown("梯度反复作用在\n自己的输出上。既然没有环,\n网络就是前馈的。"
                           "用 ReLU\n激活, 或 use\nReLU here.")
    assert "作用在自己的输出上" in html and "没有环,网络" in html  # no space where Chinese has none
    assert "ReLU\n激活" in html and "use\nReLU" in html  # next to a Latin word the break stays a space


def test_it_goes_on_counting_a_numbered_list_that_a_formula_interrupts():
    html = render_markdown("1. Forward.\n2. Loss:\n\n$$L = \\ell(y, \\hat y)$$\n\n3. Backward.\n")
    assert '<ol start="3">\n<li>Backward.</li>' in html


@pytest.fixture
def migrated_back_then_forward():
    """An executor for a test that moves the schema back in time; the latest schema is restored after,
    for the tests that follow."""
    executor = MigrationExecutor(connection)
    yield executor
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_it_renders_stored_answers_afresh_in_the_migration(migrated_back_then_forward):
    # A card stored with the old rendering (a space between two Chinese lines) comes out as it now renders.
    executor = migrated_back_then_forward
    before, after = [("questions", "0003_question_ordering_by_id")], [("questions", "0004_rerender_answers")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    topic = old.get_model("questions", "Topic").objects.create(slug="basics", title_en="Basics", title_zh="基础")
    old.get_model("questions", "Question").objects.create(
        card_id="own-0123456789", topic=topic, difficulty=1, position=0, question_en="Q?", question_zh="Q?",
        answer_en="A.", answer_zh="作用在\n自己上。", answer_html_en="<p>A.</p>",
        answer_html_zh="<p>作用在\n自己上。</p>")
    executor.loader.build_graph()
    executor.migrate(after)
    # Read as the migration left it: the current model may have columns a later migration adds.
    new = executor.loader.project_state(after).apps.get_model("questions", "Question")
    assert new.objects.get(card_id="own-0123456789").answer_html_zh == "<p>作用在自己上。</p>\n"


@pytest.mark.django_db(transaction=True)
def test_it_rewrites_the_alignment_of_stored_tables_as_classes(migrated_back_then_forward):
    # An own card saved before the Content-Security-Policy keeps its aligned column, without a style.
    executor = migrated_back_then_forward
    before, after = [("questions", "0004_rerender_answers")], [("questions", "0005_table_alignment_classes")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    topic = old.get_model("questions", "Topic").objects.create(slug="basics", title_en="Basics", title_zh="基础")
    table = "| n | loss |\n|---|---:|\n| 1 | 0.5 |\n"
    old.get_model("questions", "Question").objects.create(
        card_id="own-0123456789", topic=topic, difficulty=1, position=0, question_en="Q?", question_zh="Q?",
        answer_en=table, answer_zh=table, answer_html_en='<td style="text-align:right">0.5</td>',
        answer_html_zh='<td style="text-align:right">0.5</td>')
    executor.loader.build_graph()
    executor.migrate(after)
    html = executor.loader.project_state(after).apps.get_model("questions", "Question").objects.get(
        card_id="own-0123456789").answer_html_en
    assert '<td class="align-right">0.5</td>' in html and "style" not in html


def test_it_closes_line_breaks_up_around_full_width_punctuation_but_not_in_english():
    html = render_markdown("激活函数，\nReLU 很快。“双引号”\n——破折号\n和 English\nwords “quoted”\nhere.")
    assert "激活函数，ReLU 很快。“双引号”——破折号和 English" in html.replace("\n", "")
    assert "words “quoted”\nhere." in html  # English keeps its space (the line break)
