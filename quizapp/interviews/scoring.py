"""How an interview answer is scored, what verdict it earns and which study rating it becomes (pure functions).

Each key point earns a credit: missed 0, partly ½, fully 1. The score of a question is the mean credit of
its key points, halved when the answer was changed after the deadline (the clock is part of the
exercise). A blank answer covers nothing, unless it was spoken.

The verdict ("I'd pass this") follows the score: a pass from PASS_SCORE up. The learner may override it
either way; the override is recorded as such, so an answer that hit no key point can still be called a
pass, but only by an explicit choice that results and history show.

A follow-up (the card's follow-up question, asked when the answer missed a key point it probes) is scored
the same way against its own key points and counts as half a question in the interview's score: it is one
level deeper into a question already counted, so it can lift or lower that question's result but never
outweigh a question of its own. It feeds no study rating: its card is rated once, by its question's score.

Rating fed to the study scheduler (1 Again, 2 Hard, 3 Good, 4 Easy):
    score < 0.5                      → Again (a lapse: the card comes back soon)
    0.5 ≤ score < 0.75               → Hard
    0.75 ≤ score, not a pass         → Good
    score = 1 and a pass             → Easy
    0.75 ≤ score < 1 and a pass      → Good
"""

from __future__ import annotations

from dataclasses import dataclass

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
LATE_FACTOR = 0.5
PASS_SCORE = 0.75
MISSED, PARTLY, FULLY = "missed", "partly", "fully"
CREDITS = {MISSED: 0.0, PARTLY: 0.5, FULLY: 1.0}
FOLLOW_UP_WEIGHT = 0.5
DERIVED, PASS, FAIL = "derived", "pass", "fail"
VERDICT_CHOICES = (DERIVED, PASS, FAIL)


@dataclass(frozen=True)
class Verdict:
    would_pass: bool
    overridden: bool  # the learner chose the opposite of what the key points give


def item_score(*, credits: list[float], answer: str, late: bool, spoken: bool = False) -> float:
    """`spoken`: the question was answered aloud (a recording counts as an answer, transcribed or not)."""
    if not (answer.strip() or spoken) or not credits:
        return 0.0
    share = sum(credits) / len(credits)
    return share * LATE_FACTOR if late else share


def interview_score(*, scores: list[tuple[float, bool]]) -> float:
    """The weighted mean of (score, is a follow-up) pairs: a question weighs 1, a follow-up FOLLOW_UP_WEIGHT."""
    weights = [FOLLOW_UP_WEIGHT if follow_up else 1.0 for _, follow_up in scores]
    return sum(score * weight for (score, _), weight in zip(scores, weights, strict=True)) / sum(weights)


def derived_pass(*, score: float) -> bool:
    return score >= PASS_SCORE


def verdict(*, score: float, choice: str) -> Verdict:
    """The verdict the key points give, or the learner's choice; choosing what they give is no override."""
    derived = derived_pass(score=score)
    if choice == DERIVED:
        return Verdict(would_pass=derived, overridden=False)
    chosen = choice == PASS
    return Verdict(would_pass=chosen, overridden=chosen != derived)


def study_rating(*, score: float, would_pass: bool) -> int:
    if score < 0.5:
        return AGAIN
    if score < 0.75:
        return HARD
    if score >= 1.0 and would_pass:
        return EASY
    return GOOD
