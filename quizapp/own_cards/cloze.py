"""Cloze deletions, `{{c1::answer::hint}}`, as Anki writes them and as a learner writes them in an own card,
read with their nesting: a cloze may hold another (`{{c1::Batch {{c2::normalization}}}}`, since Anki
2.1.56) and LaTeX braces (`{{c1::e^{x_i}}}`), so the closing `}}` is the first one outside any brace the
cloze opened. Like Anki, a note makes one card per cloze number: its front blanks that number's clozes
and shows the others' text, its back shows the text whole with that number's clozes marked. The text
here is ours (formulas between $…$), after the import has turned Anki's MathJax into it."""

from __future__ import annotations

import re
from dataclasses import dataclass

_START = re.compile(r"\{\{c(\d+)::")
_MATH_DELIMITER = re.compile(r"(?<!\\)\$\$?")  # $ or $$, not an escaped dollar \$
MAX_CLOZE_NUMBER = 20  # Anki's cards of one note; a higher number is text, not a card


@dataclass(frozen=True)
class Cloze:
    number: int
    parts: list[str | Cloze]
    hint: str | None


def has_cloze(text: str) -> bool:
    return bool(cloze_numbers(text))


def cloze_numbers(text: str) -> list[int]:
    """The cloze numbers the text holds, nested ones too, each once, in order: one card each."""
    found: set[int] = set()
    pending = list(_parse(text, 0)[0])
    while pending:
        part = pending.pop()
        if isinstance(part, Cloze):
            found.add(part.number)
            pending.extend(part.parts)
    return sorted(number for number in found if 1 <= number <= MAX_CLOZE_NUMBER)


def cloze_front(text: str, number: int) -> str:
    """The front of cloze `number`'s card: its clozes blanked ("[hint]", or "[…]" without one), the
    others showing their text."""
    return _joined(_parse(text, 0)[0], lambda cloze, _in_math: f"[{cloze.hint or '…'}]", number)


def cloze_back(text: str, number: int) -> str:
    """The back of cloze `number`'s card: the text whole, that number's clozes marked in bold, or boxed
    inside a formula (Markdown's ** would show there as asterisks)."""
    def marked(cloze: Cloze, in_math: bool) -> str:
        content = _joined(cloze.parts, marked, number)
        return f"\\boxed{{{content}}}" if in_math else f"**{content}**"
    return _joined(_parse(text, 0)[0], marked, number)


def _joined(parts: list[str | Cloze], shown, number: int, in_math: bool = False) -> str:
    """The parts as text, a cloze of `number` as `shown` makes it, any other cloze as its own text."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            in_math = in_math != (len(_MATH_DELIMITER.findall(part)) % 2 == 1)
        elif part.number == number:
            out.append(shown(part, in_math))
        else:
            out.append(_joined(part.parts, shown, number, in_math))
    return "".join(out)


def _parse(text: str, i: int, *, in_cloze: bool = False) -> tuple[list[str | Cloze], int, str]:
    """Text and clozes from `i` to the end, or, inside a cloze, to its `::` or `}}`; returns the
    parts, where reading stopped, and what stopped it ("", "::" or "}}")."""
    parts: list[str | Cloze] = []
    buffer, depth = [], 0
    while i < len(text):
        start = _START.match(text, i)
        if start:
            cloze, end = _cloze_at(text, start.end(), int(start.group(1)))
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


def _cloze_at(text: str, i: int, number: int) -> tuple[Cloze | None, int]:
    """The cloze whose content starts at `i`; None when it never closes (then it is plain text)."""
    parts, i, stop = _parse(text, i, in_cloze=True)
    if stop == "}}":
        return Cloze(number, parts, None), i
    if stop == "::":
        end = text.find("}}", i)
        if end >= 0:
            return Cloze(number, parts, text[i:end]), end + 2
    return None, i
