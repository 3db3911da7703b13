"""Markdown → safe HTML for answers: math kept intact for KaTeX, code highlighted, HTML sanitised."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True)

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "span", "div", "a", "ul", "ol", "li",
    "blockquote", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {"span": {"class"}, "div": {"class"}, "code": {"class"}, "pre": {"class"},
                      "a": {"href", "title"}, "th": {"style"}, "td": {"style"},
                      "ol": {"start"}}  # a list that a display formula interrupts goes on counting

# Chinese (and Japanese) script and its full-width punctuation: no spaces between words.
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


def _highlight(code: str, language: str, _attrs) -> str:
    try:
        lexer = get_lexer_by_name(language or "text")
    except ClassNotFound:
        return html.escape(code)
    return highlight(code, lexer, _FORMATTER)


def _math_inline(self, tokens, idx, options, env) -> str:
    return f'<span class="math inline">{html.escape(tokens[idx].content)}</span>'


def _math_block(self, tokens, idx, options, env) -> str:
    return f'<div class="math display">{html.escape(tokens[idx].content)}</div>\n'


def _soft_break(self, tokens, idx, options, env) -> str:
    """A line break inside a paragraph is a space, except between two Chinese characters, where
    the browser would show a space that Chinese does not have ("作用在 自己"). A half-width comma or
    full stop right after a Chinese character counts as Chinese punctuation typed the quick way."""
    before = tokens[idx - 1].content if idx > 0 and tokens[idx - 1].type == "text" else ""
    after = tokens[idx + 1].content if idx + 1 < len(tokens) and tokens[idx + 1].type == "text" else ""
    if before and after and _CJK.match(after[0]) and (
            _CJK.match(before[-1]) or (before[-1] in ",.;:!?" and len(before) > 1 and _CJK.match(before[-2]))):
        return ""
    return "\n"


def _table_open(self, tokens, idx, options, env) -> str:
    # A wide table scrolls in this box on a phone; the table itself stays a table for screen readers.
    return '<div class="table-scroll">' + self.renderToken(tokens, idx, options, env)


def _table_close(self, tokens, idx, options, env) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"highlight": _highlight, "html": True}).enable("table").enable(
        "strikethrough")
    md.use(dollarmath_plugin, allow_space=True, double_inline=True)
    md.add_render_rule("math_inline", _math_inline)
    md.add_render_rule("math_inline_double", _math_block)
    md.add_render_rule("math_block", _math_block)
    md.add_render_rule("math_block_label", _math_block)
    md.add_render_rule("softbreak", _soft_break)
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    return md


_MARKDOWN = _build()


def render_markdown(text: str) -> str:
    """Render Markdown to sanitised HTML; `$..$` and `$$..$$` become spans/divs KaTeX renders."""
    raw = _MARKDOWN.render(text)
    # `style` on table cells is for column alignment only: any other property could overlay the page.
    return nh3.clean(raw, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, filter_style_properties={"text-align"},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
