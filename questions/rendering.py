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

from questions.images import own_image_url

_FORMATTER = HtmlFormatter(nowrap=True)

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "span", "div", "a", "ul", "ol", "li",
    "blockquote", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {"span": {"class"}, "div": {"class"}, "code": {"class"}, "pre": {"class"},
                      "a": {"href", "title"}, "th": {"class"}, "td": {"class"},
                      "ol": {"start"}}  # a list that a display formula interrupts goes on counting

# Chinese (and Japanese) script and its full-width punctuation: no spaces between words.
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
# Full-width punctuation alone (the ASCII-like block's letters and digits are not punctuation).
_FULL_WIDTH_PUNCTUATION = re.compile(
    r"[\u3000-\u303f\ufe30-\ufe4f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")
_QUOTES_AND_DASHES = "“”‘’—…"


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


def _chinese_or_mark(char: str) -> bool:
    return bool(_CJK.match(char)) or char in _QUOTES_AND_DASHES


def _soft_break(self, tokens, idx, options, env) -> str:
    """A line break inside a paragraph is a space, except between two Chinese characters, where
    the browser would show a space that Chinese does not have ("作用在 自己"). A half-width comma or
    full stop right after a Chinese character counts as Chinese punctuation typed the quick way."""
    before = tokens[idx - 1].content if idx > 0 and tokens[idx - 1].type == "text" else ""
    after = tokens[idx + 1].content if idx + 1 < len(tokens) and tokens[idx + 1].type == "text" else ""
    if not (before and after):
        return "\n"
    if _FULL_WIDTH_PUNCTUATION.match(before[-1]) or _FULL_WIDTH_PUNCTUATION.match(after[0]):
        return ""  # full-width marks carry their own spacing, also next to Latin text ("，\nReLU")
    if _CJK.match(after[0]) and (
            _CJK.match(before[-1]) or (before[-1] in ",.;:!?" and len(before) > 1 and _CJK.match(before[-2]))):
        return ""
    if (before[-1] in _QUOTES_AND_DASHES and _chinese_or_mark(after[0])) or (
            after[0] in _QUOTES_AND_DASHES and _chinese_or_mark(before[-1])):
        return ""  # “引号”、——破折号、……省略号 between Chinese characters
    return "\n"


def _table_open(self, tokens, idx, options, env) -> str:
    # A wide table scrolls in this box on a phone; the table itself stays a table for screen readers.
    return '<div class="table-scroll">' + self.renderToken(tokens, idx, options, env)


def _table_close(self, tokens, idx, options, env) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def _table_cell_open(self, tokens, idx, options, env) -> str:
    # A column's alignment as a class (align-left/-center/-right): a style attribute would break
    # the Content-Security-Policy, which allows no inline style.
    token = tokens[idx]
    alignment = token.attrs.pop("style", "").removeprefix("text-align:")
    if alignment:
        token.attrSet("class", f"align-{alignment}")
    return self.renderToken(tokens, idx, options, env)


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
    md.add_render_rule("th_open", _table_cell_open)
    md.add_render_rule("td_open", _table_cell_open)
    return md


_MARKDOWN = _build()


def render_markdown(text: str, *, own_images: bool = False) -> str:
    """Render Markdown to sanitised HTML; `$..$` and `$$..$$` become spans/divs KaTeX renders. With
    `own_images` (an own card's text) an image named by its file name, `![alt](name.png)`, shows the
    learner's image of that name; any other image (another site's, which would tell it who reads the card)
    is left out."""
    raw = _MARKDOWN.render(text)
    if not own_images:
        return nh3.clean(raw, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                         url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
    return nh3.clean(raw, tags=ALLOWED_TAGS | {"img"}, attributes={**ALLOWED_ATTRIBUTES, "img": {"src", "alt"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer",
                     attribute_filter=_own_image_source)


def _own_image_source(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return own_image_url(value)
    return value
