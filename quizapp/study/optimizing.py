"""Fitting a learner's own FSRS weights with fsrs's Optimizer, scoring old against new, and finding the
desired retention that costs them the least review time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from fsrs import Rating, ReviewLog

from quizapp.study import scheduling
from quizapp.study.models import ReviewLog as ReviewLogRow

# fsrs's Optimizer trains on reviews that come a day or more after the card's previous one, among the
# first 64 reviews of each card, and returns the defaults unless it has a full mini-batch of them.
REVIEWS_NEEDED = 512
REVIEWS_PER_CARD_USED = 64
# compute_optimal_retention refuses a history shorter than this (any reviews, not only trainable ones).
RETENTION_REVIEWS_NEEDED = 512


@dataclass(frozen=True)
class Fit:
    old_parameters: list[float]
    new_parameters: list[float]
    old_log_loss: float
    new_log_loss: float
    optimal_retention: float | None  # for the weights in use after the fit; None: the history cannot tell

    @property
    def improves(self) -> bool:
        return self.new_log_loss < self.old_log_loss


def history_for_user(*, user) -> list[ReviewLog]:
    rows = ReviewLogRow.objects.filter(user=user).order_by("reviewed_at", "id").values_list(
        "card_id", "rating", "reviewed_at", "duration_ms")
    return [ReviewLog(card_id=card_id, rating=Rating(rating), review_datetime=scheduling.as_utc(reviewed_at),
                      review_duration=duration_ms) for card_id, rating, reviewed_at, duration_ms in rows]


def trainable_review_count(history: list[ReviewLog]) -> int:
    """How many of these reviews the optimizer learns from (the same rule as fsrs uses)."""
    by_card: dict[int, list] = defaultdict(list)
    for log in history:
        by_card[log.card_id].append(log.review_datetime)
    count = 0
    for times in by_card.values():
        times = sorted(times)[:REVIEWS_PER_CARD_USED]
        count += sum(1 for before, after in zip(times, times[1:], strict=False) if (after - before).days > 0)
    return count


def fit(history: list[ReviewLog], *, current_parameters) -> Fit:
    from fsrs import Optimizer

    optimizer = Optimizer(history)
    new_parameters = [float(value) for value in optimizer.compute_optimal_parameters()]
    old_parameters = [float(value) for value in current_parameters]
    # The optimizer's own loss (mean binary cross-entropy of predicted recall on this history).
    old_log_loss = optimizer._compute_batch_loss(parameters=old_parameters)
    new_log_loss = optimizer._compute_batch_loss(parameters=new_parameters)
    in_use = new_parameters if new_log_loss < old_log_loss else old_parameters
    return Fit(old_parameters=old_parameters, new_parameters=new_parameters, old_log_loss=old_log_loss,
               new_log_loss=new_log_loss, optimal_retention=optimal_retention(optimizer, history, parameters=in_use))


def can_tell_optimal_retention(history: list[ReviewLog]) -> bool:
    """fsrs's simulation draws ratings and answer times from the history: it needs 512 reviews, a repeat
    review that was recalled (it divides by their count), and some answer time (with none, every
    retention costs nothing and the lowest would win by a tie)."""
    seen: set[int] = set()
    recalled_again = False
    for log in history:
        recalled_again = recalled_again or (log.card_id in seen and log.rating != Rating.Again)
        seen.add(log.card_id)
    return (len(history) >= RETENTION_REVIEWS_NEEDED and recalled_again
            and any(log.review_duration for log in history))


def optimal_retention(optimizer, history: list[ReviewLog], *, parameters) -> float | None:
    """The desired retention (0.70-0.95 in steps of 0.05) that fsrs's year-long simulation of 1,000 cards
    finds cheapest in review time per card remembered, with these weights and the learner's own ratings
    and answer times; a few seconds of CPU. None when the history cannot tell."""
    if not can_tell_optimal_retention(history):
        return None
    return float(optimizer.compute_optimal_retention(list(parameters)))
