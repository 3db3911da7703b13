"""Chinese typography: half-width punctuation where Chinese takes full-width. No Django here.

Chinese text takes full-width punctuation (，。：；？！（）、“”); half-width marks stay inside formulas,
code and English phrases. The rule checked: no half-width `, . : ; ? ! ( ) "` directly after a
Chinese character, and no half-width `, : ; ? ! ( ) "` directly before one, outside `code`,
fenced code, $formulas$ and cloze blanks ({{c1::答案::提示}}, whose colons are the syntax). The corpus
validator, the .po catalogue test and the demo texts test share it.

Spacing: one space between Chinese and Latin letters or digits ("用 LoRA 微调 7B 模型"), none
around full-width marks. The corpus validator checks the first half (`missing_spaces`).
"""

from __future__ import annotations

import re

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HALF_WIDTH_BESIDE_CJK = re.compile(rf"[{CJK}][,.:;?!()\"]|[,:;?!()\"][{CJK}]")
_CJK_TOUCHING_LATIN = re.compile(rf"[{CJK}][A-Za-z0-9]|[A-Za-z0-9][{CJK}]")
# Formulas, code spans, fenced code and cloze blanks keep their half-width marks.
_VERBATIM = re.compile(r"```.*?```|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]*\$|\{\{c\d+::[^}\n]*\}\}", re.S)


def _blank_verbatim(text: str) -> str:
    """The text with formulas and code replaced by spaces, keeping its line breaks (so line numbers hold)."""
    return _VERBATIM.sub(lambda match: re.sub(r"[^\n]", " ", match.group(0)), text)


def halfwidth_punctuation(text: str) -> list[tuple[int, str]]:
    """(line index within `text`, the offending pair) for each half-width mark beside a Chinese character."""
    found = []
    for index, line in enumerate(_blank_verbatim(text).split("\n")):
        found.extend((index, match.group(0)) for match in _HALF_WIDTH_BESIDE_CJK.finditer(line))
    return found


def missing_spaces(text: str) -> list[tuple[int, str]]:
    """(line index, the pair) for each Chinese character written against a Latin letter or digit."""
    found = []
    for index, line in enumerate(_blank_verbatim(text).split("\n")):
        found.extend((index, match.group(0)) for match in _CJK_TOUCHING_LATIN.finditer(line))
    return found


def describe(pair: str) -> str:
    return f"half-width punctuation in Chinese text: {pair!r} (use full-width ，。：；？！（）“”)"
