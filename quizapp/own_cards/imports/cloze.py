"""Anki's cloze deletions, `{{c1::answer::hint}}`, read with their nesting: a cloze may hold another
(`{{c1::Batch {{c2::normalization}}}}`, since Anki 2.1.56) and LaTeX braces (`{{c1::e^{x_i}}}`),
so the closing `}}` is the first one outside any brace the cloze opened."""

from __future__ import annotations

import re
from dataclasses import dataclass

_START = re.compile(r"\{\{c\d+::")
_MATH_DELIMITER = re.compile(r"\\[()\[\]]")  # MathJax's \( \) \[ \]


@dataclass(frozen=True)
class Cloze:
    parts: list[str | Cloze]
    hint: str | None


def has_cloze(text: str) -> bool:
    return bool(_START.search(text))


def cloze_question(text: str) -> str:
    """The text with each outermost cloze blanked: "[hint]", or "[…]" without one."""
    return "".join(part if isinstance(part, str) else f"[{part.hint or '…'}]" for part in _parse(text, 0)[0])


def cloze_answer(text: str) -> str:
    """The text whole, each outermost cloze marked: in bold, or boxed inside a MathJax formula
    (Markdown's ** would show there as asterisks)."""
    out, in_math = [], False
    for part in _parse(text, 0)[0]:
        if isinstance(part, str):
            out.append(part)
            for delimiter in _MATH_DELIMITER.findall(part):
                in_math = delimiter in ("\\(", "\\[")
        else:
            content = _content(part)
            out.append(f"\\boxed{{{content}}}" if in_math else f"**{content}**")
    return "".join(out)


def _content(cloze: Cloze) -> str:
    return "".join(part if isinstance(part, str) else _content(part) for part in cloze.parts)


def _parse(text: str, i: int, *, in_cloze: bool = False) -> tuple[list[str | Cloze], int, str]:
    """Text and clozes from `i` to the end, or, inside a cloze, to its `::` or `}}`; returns the
    parts, where reading stopped, and what stopped it ("", "::" or "}}")."""
    parts: list[str | Cloze] = []
    buffer, depth = [], 0
    while i < len(text):
        start = _START.match(text, i)
        if start:
            cloze, end = _cloze_at(text, start.end())
            if cloze is not None:
                parts.extend(["".join(buffer), cloze] if buffer else [cloze])
                buffer, i = [], end
                continue
        if in_cloze and depth == 0 and text.startswith(("}}", "::"), i):
            return parts + (["".join(buffer)] if buffer else []), i + 2, text[i:i + 2]
        char = text[i]
        depth += char == "{"
        depth -= char == "}" and depth > 0
        buffer.append(char)
        i += 1
    return parts + (["".join(buffer)] if buffer else []), i, ""


def _cloze_at(text: str, i: int) -> tuple[Cloze | None, int]:
    """The cloze whose content starts at `i`; None when it never closes (then it is plain text)."""
    parts, i, stop = _parse(text, i, in_cloze=True)
    if stop == "}}":
        return Cloze(parts, None), i
    if stop == "::":
        end = text.find("}}", i)
        if end >= 0:
            return Cloze(parts, text[i:end]), end + 2
    return None, i
