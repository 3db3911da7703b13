"""Bilingual strings: every learner-facing text in the engine is a {"en": ..., "zh": ...} dict."""

import math


def T(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def both(text: str) -> dict[str, str]:
    """A text written the same in both languages: names and numbers such as "tanh + he" or "K = 100"."""
    return T(text, text)


def join(*parts: dict[str, str]) -> dict[str, str]:
    """Sentences or clauses into one text: English with a space between parts, Chinese without (its
    full-width punctuation already separates them). Empty parts are left out, so a part may be T("", "")."""
    return T(" ".join(part["en"] for part in parts if part["en"]), "".join(part["zh"] for part in parts if part["zh"]))


DONE = T("done", "完成")  # the last progress report of every demo
STEPS = T("steps", "步")  # the unit of a count of optimiser steps


def step_of(step: int, total: int) -> dict[str, str]:
    return T(f"step {step}/{total}", f"第 {step}/{total} 步")


def training_step(step: int) -> dict[str, str]:
    return T(f"training, step {step}", f"训练中，第 {step} 步")


def number(value: float, *, decimals: int | None = None, digits: int = 3) -> str:
    """A measured number for a sentence: `decimals` places when given, else `digits` significant digits.

    Never rounds a nonzero number to zero: 1.2e-4 with two decimals would read "0.00", a claim the
    measurement does not make, so a number too small for its decimals is written with `digits`
    significant digits instead, and so is one of a million or more (a diverged loss of 5.8e13 is no
    "57923413737472.000"). Non-finite values read "∞", "−∞" or "NaN"."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if decimals is not None and abs(value) < 1e6:
        fixed = f"{value:.{decimals}f}"
        if value == 0 or float(fixed) != 0:
            return fixed
    return f"{value:.{digits}g}"


def percent(fraction: float, *, decimals: int = 1) -> str:
    """A fraction as a percentage ("12.5%"), by `number`'s rule: a nonzero share never reads "0.0%"."""
    return f"{number(100 * fraction, decimals=decimals, digits=2)}%"
