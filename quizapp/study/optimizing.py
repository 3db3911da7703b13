"""Fitting a learner's own FSRS weights with fsrs's Optimizer, and scoring old against new."""

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


@dataclass(frozen=True)
class Fit:
    old_parameters: list[float]
    new_parameters: list[float]
    old_log_loss: float
    new_log_loss: float

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
    return Fit(old_parameters=old_parameters, new_parameters=new_parameters,
               old_log_loss=optimizer._compute_batch_loss(parameters=old_parameters),
               new_log_loss=optimizer._compute_batch_loss(parameters=new_parameters))
