"""A stored file served whole or as the one byte range a media element asks for (RFC 9110 section 14).

An <audio> element asks for `bytes=N-` to seek; Django's FileResponse sends whole files only. Several
ranges in one request (multipart/byteranges) are answered with the whole file, as the RFC allows."""

from __future__ import annotations

import re

from django.http import HttpResponse

_ONE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def ranged_response(*, request, read, size: int, content_type: str) -> HttpResponse:
    """`read(start, length)` returns those bytes of the file; the response holds the range asked for, or all."""
    wanted = _wanted_range(request.headers.get("Range", ""), size)
    if wanted is None:
        response = HttpResponse(read(0, size), content_type=content_type)
    elif wanted == ():
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    else:
        start, end = wanted
        response = HttpResponse(read(start, end - start + 1), content_type=content_type, status=206)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


def _wanted_range(header: str, size: int) -> tuple[int, int] | tuple[()] | None:
    """(first, last byte) of a satisfiable single range; () when it cannot be satisfied; None for the whole."""
    match = _ONE_RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = int(last)
        return (max(0, size - length), size - 1) if length and size else ()
    start = int(first)
    if last and int(last) < start:  # not a range at all: ignored, as the RFC says
        return None
    if start >= size:
        return ()
    return start, min(int(last), size - 1) if last else size - 1
