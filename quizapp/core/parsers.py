"""DRF's parsers with the limits a public server needs. JSON: a body past JSON_BODY_MAX_BYTES answers 413
before it is read whole, nesting past MAX_JSON_DEPTH answers 400 before the (recursive) decoder sees it,
and a string holding a NUL or a lone surrogate answers 400 naming its field. Forms (urlencoded or
multipart) answer 413 past the same size: DRF's own parsers read the stream, where Django's
DATA_UPLOAD_MAX_MEMORY_SIZE never applies, and spool multipart files of any size to disk.

A body's declared charset is checked before it is read: JSON is read as UTF-8 only (RFC 8259 section 8.1;
ASCII is a subset), forms in UTF-8 or DEFAULT_CHARSET only; any other answers 415. Python decodes with
any codec it knows (cp037, UTF-16, rot13, zlib), and the checks above read the bytes as UTF-8 would."""

from __future__ import annotations

import codecs
import io
import re

import numpy
from django.conf import settings
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, UnsupportedMediaType, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.settings import api_settings

from quizapp.core.text import bad_character_message, printable_name

MAX_JSON_DEPTH = 32  # the API's deepest body nests 4 levels; Python's decoder recurses ~1000 deep
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes
# A NUL or a surrogate reaches a decoded string only through a \u escape (raw ones are not valid UTF-8 JSON).
_BAD_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
JSON_CHARSETS = frozenset({"utf-8", "ascii"})  # codec names, as codecs.lookup gives them


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        charset = unsupported_charset(media_type, JSON_CHARSETS)
        if charset is not None:
            raise UnsupportedMediaType(media_type, _('Charset "%(charset)s" is not supported: send JSON as UTF-8.')
                                       % {"charset": charset})
        body = _read_at_most(stream, parser_context.get("request"), settings.JSON_BODY_MAX_BYTES)
        _refuse_deep_nesting(body)
        # Decoded as UTF-8 whatever the request says, so the text parsed is the one the checks read.
        data = super().parse(io.BytesIO(body), media_type, {**parser_context, "encoding": "utf-8"})
        if _BAD_ESCAPE.search(body):
            _refuse_bad_characters(data)
        return data


class BoundedFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        refuse_unsupported_form_charset(media_type)
        body = _read_at_most(stream, (parser_context or {}).get("request"), settings.JSON_BODY_MAX_BYTES)
        return super().parse(io.BytesIO(body), media_type, parser_context)


class BoundedMultiPartParser(MultiPartParser):
    """Django's multipart parser reads no further than the declared length (nothing without one), so a
    declared length within the limit bounds what is read, files included."""

    def parse(self, stream, media_type=None, parser_context=None):
        refuse_unsupported_form_charset(media_type)
        self.refuse_too_large(parser_context["request"])
        return super().parse(stream, media_type, parser_context)

    def refuse_too_large(self, request) -> None:
        """Raises when the body is past this parser's limit; an upload's parser has its own."""
        if declared_length(request) > settings.JSON_BODY_MAX_BYTES:
            raise _too_large(settings.JSON_BODY_MAX_BYTES)


def form_charsets() -> frozenset[str]:
    """The codecs a form body may declare: UTF-8 (what browsers send) and DEFAULT_CHARSET (the pages')."""
    return frozenset({"utf-8", codec_name(settings.DEFAULT_CHARSET)})


def unsupported_charset(media_type: str | None, allowed: frozenset[str]) -> str | None:
    """The charset `media_type` declares when it is not one of the codecs `allowed` (unknown names too)."""
    _, params = parse_header_parameters(media_type or "")
    declared = params.get("charset")
    if declared is None or codec_name(declared) in allowed:
        return None
    return printable_name(declared)[:40]


def unsupported_form_charset_message(charset: str) -> str:
    return _('Charset "%(charset)s" is not supported: send forms as %(charsets)s.') % {
        "charset": charset, "charsets": ", ".join(sorted(name.upper() for name in form_charsets()))}


def refuse_unsupported_form_charset(media_type: str | None) -> None:
    charset = unsupported_charset(media_type, form_charsets())
    if charset is not None:
        raise UnsupportedMediaType(media_type, unsupported_form_charset_message(charset))


def codec_name(charset: str) -> str | None:
    try:
        return codecs.lookup(charset).name
    except (LookupError, ValueError):  # unknown, or not a name at all (a NUL in it)
        return None


def declared_length(request) -> int:
    """The body's length as the request's Content-Length states it (0 when it states none or nonsense)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
    except ValueError:
        return 0


def _too_large(limit: int) -> RequestBodyTooLarge:
    return RequestBodyTooLarge(_("The request body is larger than %(limit)d bytes.") % {"limit": limit})


def _read_at_most(stream, request, limit: int) -> bytes:
    """The body, read only when its declared length is within `limit`; a body with no length (chunked) is
    read one byte past the limit, never further."""
    if declared_length(request) > limit:
        raise _too_large(limit)
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise _too_large(limit)
    return body


def _refuse_deep_nesting(body: bytes) -> None:
    """Without recursion, in linear time: drop escaped backslashes and quotes (so every quote left opens or
    closes a string), the strings and everything that is not a bracket; the depth is then the running sum
    of +1 per opening and -1 per closing bracket. numpy sums in C: a Python loop over a 1 MB body of
    brackets takes ~200 ms, this ~6 ms (a normal body: microseconds, as long as decoding it). Brackets
    that do not match are the decoder's to refuse."""
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")  # left to right, as a decoder reads them
    outside_strings = b"".join(unescaped.split(b'"')[0::2])
    steps = outside_strings.translate(_STEP, _NOT_A_BRACKET)
    if len(steps) <= MAX_JSON_DEPTH:  # too few brackets to nest too deep: most bodies end here
        return
    if numpy.frombuffer(steps, dtype=numpy.int8).cumsum(dtype=numpy.int64).max() > MAX_JSON_DEPTH:
        raise ParseError(_("JSON nested more than %(depth)d levels deep.") % {"depth": MAX_JSON_DEPTH})


def _refuse_bad_characters(data) -> None:
    """A 400 naming the top-level field (or the body) whose text holds a NUL or a lone surrogate."""
    if isinstance(data, dict):
        for key, value in data.items():
            message = bad_character_message(key) or _first_bad_character(value)
            if message:
                raise ValidationError({printable_name(key): [message]})
        return
    message = _first_bad_character(data)
    if message:
        raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]})


def _first_bad_character(value) -> str | None:
    if isinstance(value, str):
        return bad_character_message(value)
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        for item in value:  # depth is at most MAX_JSON_DEPTH here
            message = _first_bad_character(item)
            if message:
                return message
    return None

