"""Refuse an address whose path or query string holds text no view could look up: a NUL, or bytes that are
not UTF-8 (an encoded lone surrogate such as %ED%A0%80 among them), and a page's form whose field holds a NUL
or a lone surrogate or whose charset no page reads. Without this each view would hand the value to the
database, where PostgreSQL fails on a NUL (a 500). API bodies are the parsers' to check
(quizapp.core.parsers)."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import parse_qsl, unquote_to_bytes

from django.conf import settings
from django.http import HttpResponse, JsonResponse, UnreadablePostError
from django.utils.translation import gettext as _

from quizapp.core.parsers import declared_length, form_charsets, unsupported_charset, unsupported_form_charset_message
from quizapp.core.text import bad_character_message, printable_name

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Problem(NamedTuple):
    name: str | None  # the parameter or field, None for the whole address or body
    message: str
    status: int = 400


class RefuseBadAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path_info.startswith("/api/")
        problem = _path_problem(request) or _query_problem(request)
        if problem is None and not api and request.method == "POST" and request.content_type in FORM_TYPES:
            problem = _form_problem(request)
        if problem is None:
            return self.get_response(request)
        name, message, status = problem
        if api:
            return JsonResponse({name: [message]} if name else {"detail": message}, status=status)
        text = f"{name}: {message}" if name else message
        return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _path_problem(request) -> Problem | None:
    # Django decodes the path and writes each byte that is not UTF-8 back as %XX (an encoded surrogate
    # such as %ED%A0%80 among them), so those show as escapes that still do not decode.
    path = request.path_info
    if "%" in path:
        try:
            unquote_to_bytes(path).decode("utf-8")
        except UnicodeDecodeError:
            return Problem(None, _("The address is not valid UTF-8 text."))
    message = bad_character_message(path)
    return Problem(None, _("The address: %(problem)s") % {"problem": message}) if message else None


def _query_problem(request) -> Problem | None:
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True, errors="surrogateescape"):
        for text in (name, value):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # undecodable bytes, escaped as surrogates, or an encoded surrogate
                return Problem(printable_name(name), _("Not valid UTF-8 text."))
            message = bad_character_message(text)
            if message:
                return Problem(printable_name(name), message)
    return None


def _form_problem(request) -> Problem | None:
    """A page's form body: its field names and values (a multipart body's files are not read as text)."""
    charset = unsupported_charset(request.META.get("CONTENT_TYPE"), form_charsets())
    if charset is not None:  # Django would decode the fields with it (rot13, zlib: a 500)
        return Problem(None, unsupported_form_charset_message(charset), status=415)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if request.content_type == "multipart/form-data" and limit is not None and declared_length(request) > limit:
        return None  # past what fields alone may hold, so it carries a file: its view may refuse it unread
    try:
        fields = request.POST.lists()
    except UnreadablePostError:  # the client went away: nothing to answer
        return None
    for name, values in fields:
        for text in (name, *values):
            message = bad_character_message(text)
            if message:
                return Problem(printable_name(name), message)
    return None

