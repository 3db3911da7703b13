"""Refuse an address whose path or query string holds text no view could look up: a NUL, or bytes that are
not UTF-8 (an encoded lone surrogate such as %ED%A0%80 among them). Without this each view would hand the
value to the database, where PostgreSQL fails on a NUL (a 500)."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_to_bytes

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from quizapp.core.text import bad_character_message, printable_name


class RefuseBadAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = _path_problem(request) or _query_problem(request)
        if problem is None:
            return self.get_response(request)
        name, message = problem
        if request.path_info.startswith("/api/"):
            return JsonResponse({name: [message]} if name else {"detail": message}, status=400)
        text = f"{name}: {message}" if name else message
        return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


def _path_problem(request) -> tuple[None, str] | None:
    # Django decodes the path and writes each byte that is not UTF-8 back as %XX (an encoded surrogate
    # such as %ED%A0%80 among them), so those show as escapes that still do not decode.
    path = request.path_info
    if "%" in path:
        try:
            unquote_to_bytes(path).decode("utf-8")
        except UnicodeDecodeError:
            return None, _("The address is not valid UTF-8 text.")
    message = bad_character_message(path)
    return (None, _("The address: %(problem)s") % {"problem": message}) if message else None


def _query_problem(request) -> tuple[str, str] | None:
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True, errors="surrogateescape"):
        for text in (name, value):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # undecodable bytes, escaped as surrogates, or an encoded surrogate
                return printable_name(name), _("Not valid UTF-8 text.")
            message = bad_character_message(text)
            if message:
                return printable_name(name), message
    return None

