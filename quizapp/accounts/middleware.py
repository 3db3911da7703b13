from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth import SESSION_KEY, logout
from django.db import DatabaseError

from quizapp.accounts.selectors import signed_out_everywhere_at

SIGNED_IN_AT = "signed_in_at"  # the session's key for when it logged in (set by accounts.signals)


class SignedOutEverywhereMiddleware:
    """Ends a session that logged in before its learner signed out everywhere.

    Django ends other sessions only when the password changes (the session keeps a hash of it); this
    compares the session's login time with the learner's last "sign out everywhere" instead. A
    session from before this middleware has no login time and counts as older."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _signed_out_since_login(request):
            logout(request)
        return self.get_response(request)


def _signed_out_since_login(request) -> bool:
    try:
        user_id = request.session.get(SESSION_KEY)
        signed_out_at = signed_out_everywhere_at(user_id=user_id) if user_id is not None else None
    except DatabaseError:
        # Sessions live in the database: while it is down, let the view answer (/healthz says 503; a
        # page that needs the session fails there as it would anyway).
        return False
    return signed_out_at is not None and _signed_in_at(request.session) < signed_out_at


def _signed_in_at(session) -> datetime:
    stamp = session.get(SIGNED_IN_AT)
    return datetime.fromisoformat(stamp) if stamp else datetime.min.replace(tzinfo=UTC)
