"""Who a caller is for rate limits and lockouts, and the sign-up limit."""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_address(request) -> str:
    """The caller's address as DRF's throttles see it: REMOTE_ADDR, or X-Forwarded-For's entry added
    by the outermost of REST_FRAMEWORK's NUM_PROXIES trusted proxies (TRUSTED_PROXIES). Axes locks
    out by the same address (AXES_CLIENT_IP_CALLABLE)."""
    return BaseThrottle().get_ident(request)


class SignupThrottle(SimpleRateThrottle):
    """New accounts per address (the "signup" rate, SIGNUPS_PER_HOUR): a script must not create
    thousands. Works on a plain Django request, outside DRF."""

    scope = "signup"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class PasswordResetThrottle(SignupThrottle):
    """Reset mails asked for per address (PASSWORD_RESETS_PER_HOUR): the form must not become a way to
    flood a learner's inbox."""

    scope = "password_reset"
