from __future__ import annotations

from datetime import datetime

from quizapp.accounts.models import SignOut


def signed_out_everywhere_at(*, user_id: int) -> datetime | None:
    return SignOut.objects.filter(user_id=user_id).values_list("everywhere_at", flat=True).first()
