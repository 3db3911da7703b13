from questions.rendering import render_markdown


def test_formulas_survive_markdown():
    html = render_markdown("Since $a_i * b_j$ and $x_1 < x_2$:\n\n$$\\frac{\\partial L}{\\partial z} = \\hat y - y$$")
    # Markdown would otherwise read * and _ as emphasis and eat the backslashes.
    assert '<span class="math inline">a_i * b_j</span>' in html
    assert '<span class="math inline">x_1 &lt; x_2</span>' in html
    assert '<div class="math display">\\frac{\\partial L}{\\partial z} = \\hat y - y</div>' in html


def test_script_in_a_card_is_removed():
    html = render_markdown('Hi <script>alert("x")</script> <img src=x onerror=alert(1)> [a](javascript:alert(1))')
    assert "<script" not in html and 'alert("x")' not in html  # the element and its content are gone
    assert "onerror" not in html and 'href="javascript' not in html
    assert "<p>Hi" in html


def test_code_is_highlighted():
    html = render_markdown("```python\nloss = criterion(logits, y)\n```")
    assert '<span class="n">loss</span>' in html


def test_escaped_dollars_are_money_not_math():
    html = render_markdown("It costs \\$5 and \\$6.")
    assert "math" not in html and "$5" in html


def test_table_cells_keep_only_text_align_styles():
    html = render_markdown('<table><tr><td style="position:fixed;inset:0;text-align:right">x</td></tr></table>')
    assert "position" not in html and "inset" not in html
    assert 'style="text-align:right"' in html


def test_a_table_comes_in_a_box_that_scrolls_on_a_phone():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert html.startswith('<div class="table-scroll"><table>') and html.rstrip().endswith("</table>\n</div>")
