"""The per-learner lock: one learner's count-then-write requests go one at a time."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction


def lock_learner(user) -> None:
    """Lock the learner's user row until the surrounding transaction ends.

    For writes that check a count or a limit before they add (own cards under their cap, demo runs
    under the rate limit, one scheduler fit at a time, one settings row): two requests at once would
    both pass the check. On SQLite, whose writes already go one at a time, this is a plain read.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_learner() outside a transaction would release the lock at once")
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
