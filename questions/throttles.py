"""The Anki download's own rate: a deck is built on every learner's request (theirs holds their own cards
and schedule), so a script asking for it in a loop must not keep the web processes busy."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from quizapp.accounts.throttles import client_address


class AnkiExportThrottle(SimpleRateThrottle):
    """Decks per learner, or per address for visitors (the "anki_export" rate, ANKI_EXPORTS_PER_MINUTE).
    Works on a plain Django request as well as in DRF."""

    scope = "anki_export"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = f"user-{user.pk}" if user is not None and user.is_authenticated else client_address(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
