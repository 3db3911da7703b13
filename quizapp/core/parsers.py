"""DRF's parsers with the limits a public server needs. JSON: a body past JSON_BODY_MAX_BYTES answers 413
before it is read whole, nesting past MAX_JSON_DEPTH answers 400 before the (recursive) decoder sees it,
and a string holding a NUL or a lone surrogate answers 400 naming its field. Forms (urlencoded or
multipart) answer 413 past the same size: DRF's own parsers read the stream, where Django's
DATA_UPLOAD_MAX_MEMORY_SIZE never applies, and spool multipart files of any size to disk."""

from __future__ import annotations

import io
import re

import numpy
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.settings import api_settings

from quizapp.core.text import bad_character_message, printable_name

MAX_JSON_DEPTH = 32  # the API's deepest body nests 4 levels; Python's decoder recurses ~1000 deep
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes
# A NUL or a surrogate reaches a decoded string only through a \u escape (raw ones are not valid UTF-8 JSON).
_BAD_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = _read_at_most(stream, (parser_context or {}).get("request"), settings.JSON_BODY_MAX_BYTES)
        _refuse_deep_nesting(body)
        data = super().parse(io.BytesIO(body), media_type, parser_context)
        if _BAD_ESCAPE.search(body):
            _refuse_bad_characters(data)
        return data


class BoundedFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = _read_at_most(stream, (parser_context or {}).get("request"), settings.JSON_BODY_MAX_BYTES)
        return super().parse(io.BytesIO(body), media_type, parser_context)


class BoundedMultiPartParser(MultiPartParser):
    """Django's multipart parser reads no further than the declared length (nothing without one), so a
    declared length within the limit bounds what is read, files included."""

    def parse(self, stream, media_type=None, parser_context=None):
        self.refuse_too_large(parser_context["request"])
        return super().parse(stream, media_type, parser_context)

    def refuse_too_large(self, request) -> None:
        """Raises when the body is past this parser's limit; an upload's parser has its own."""
        if declared_length(request) > settings.JSON_BODY_MAX_BYTES:
            raise _too_large(settings.JSON_BODY_MAX_BYTES)


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

