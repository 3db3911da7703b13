"""How an interview answer is scored and which study rating it becomes (pure functions).

Score of a question = the share of its key points the learner ticked, halved when the answer was
changed after the deadline (the clock is part of the exercise). A blank answer covers nothing.

Rating fed to the study scheduler (1 Again, 2 Hard, 3 Good, 4 Easy):
    score < 0.5                      → Again (a lapse: the card comes back soon)
    0.5 ≤ score < 0.75               → Hard
    0.75 ≤ score, not "I'd pass"     → Good
    score = 1 and "I'd pass this"    → Easy
    0.75 ≤ score < 1 and "I'd pass"  → Good
"""

from __future__ import annotations

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
LATE_FACTOR = 0.5


def item_score(*, covered: int, total: int, answer: str, late: bool) -> float:
    if not answer.strip() or total == 0:
        return 0.0
    share = min(covered, total) / total
    return share * LATE_FACTOR if late else share


def study_rating(*, score: float, would_pass: bool) -> int:
    if score < 0.5:
        return AGAIN
    if score < 0.75:
        return HARD
    if score >= 1.0 and would_pass:
        return EASY
    return GOOD
