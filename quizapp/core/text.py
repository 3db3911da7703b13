"""Characters no text the app stores or looks up may hold: NUL (PostgreSQL refuses it in text, so a lookup
or a write with one fails inside the database) and lone surrogates (half of a UTF-16 pair, which no UTF-8
encoder accepts, so the driver fails before the database sees it)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")

NULL_CHARACTER = _("Null characters are not allowed.")
LONE_SURROGATE = _("Lone surrogate characters (half of a UTF-16 pair) are not allowed.")


def bad_character_message(text: str) -> str | None:
    """Why `text` cannot be stored or looked up, or None when it can."""
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    return str(NULL_CHARACTER if found.group() == "\x00" else LONE_SURROGATE)


def printable_name(name: str) -> str:
    """A field's or parameter's name as an answer can carry it (the name may itself be the bad part)."""
    return name.encode("utf-8", errors="backslashreplace").decode("utf-8").replace("\x00", "\\x00")
