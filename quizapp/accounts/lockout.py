"""What a locked-out login gets (axes' AXES_LOCKOUT_CALLABLE): 429 with Retry-After, as JSON for the
API's token login and as a page in the site's layout otherwise."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext


def lockout_response(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = ngettext("Too many failed logins for this account or from this address. "
                       "Try again in %(minutes)d minute, or reset your password.",
                       "Too many failed logins for this account or from this address. "
                       "Try again in %(minutes)d minutes, or reset your password.", minutes) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
