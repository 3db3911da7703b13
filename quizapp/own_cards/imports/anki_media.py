"""An Anki package's media: the images its notes show (`<img src="name">`), which become the imported cards'
images.

The package lists its media in the member `media`: the old formats as JSON, {"0": "relu.png"}, each file
stored as it is under its number; Anki since 2.1.50 as a zstd-compressed protobuf (MediaEntries: a name,
size and SHA-1 per entry, numbered by their order), each file zstd-compressed too. Only the files a note
names are read, each no further than one byte past the image limit, all together no further than
MAX_MEDIA_BYTES: the package is the learner's upload, and a small zip may unpack to gigabytes."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from urllib.parse import unquote

import zstandard
from django.conf import settings
from django.utils.translation import gettext as _

from questions.images import MAX_IMAGES_PER_CARD
from quizapp.own_cards.images import ImageFile, image_files_problems
from quizapp.own_cards.imports.anki_collection import protobuf_varint
from quizapp.own_cards.imports.source import ImportRefused, Source

MAX_MEDIA_BYTES = 200 * 1024 * 1024
MAX_MEDIA_ENTRIES = 100_000
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
IMAGE_TAG = re.compile(r"<img\b[^>]*>", re.I)
_SOURCE = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
# The protobuf's wire types this reader meets: a varint, and a length-delimited field.
_VARINT, _LENGTH = 0, 2


def image_source(tag: str) -> str:
    """The file an <img> tag names, as Anki's media names it (the field escapes it as HTML)."""
    match = _SOURCE.search(tag)
    return html.unescape(next(filter(None, match.groups()), "")) if match else ""


def tag_alt(tag: str) -> str:
    match = _ALT.search(tag)
    return html.unescape(next(filter(None, match.groups()), "")) if match else ""


class AnkiMedia:
    """The package's media files by name, read when asked for."""

    def __init__(self, content: bytes, *, file_name: str):
        self._content, self._file_name, self._read = content, file_name, 0
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            self._members = _media_members(package) if "media" in package.namelist() else {}

    def read(self, name: str) -> bytes | None:
        """The file's bytes (at most one past the image limit), or None when the package has no such file."""
        member = self._members.get(name) or self._members.get(unquote(name))
        if member is None:
            return None
        limit = settings.OWN_CARD_IMAGE_MAX_BYTES + 1
        try:
            with zipfile.ZipFile(io.BytesIO(self._content)) as package:
                with package.open(member) as stored:
                    compressed = stored.read(len(_ZSTD_MAGIC)) == _ZSTD_MAGIC  # as Anki's newer packages keep them
                with package.open(member) as stored:
                    reader = zstandard.ZstdDecompressor().stream_reader(stored) if compressed else stored
                    head = reader.read(limit)
        except (KeyError, zipfile.BadZipFile, NotImplementedError, OSError, RuntimeError, ValueError,
                zstandard.ZstdError):
            return None
        self._read += len(head)
        if self._read > MAX_MEDIA_BYTES:
            raise ImportRefused([_("%(file)s: its notes' images take more than %(limit)d MB.") % {
                "file": self._file_name, "limit": MAX_MEDIA_BYTES // (1024 * 1024)}])
        return head


def _media_members(package: zipfile.ZipFile) -> dict[str, str]:
    """Each media file's name → the zip member holding it."""
    listing = package.open("media").read(MAX_MEDIA_BYTES)
    if listing.startswith(_ZSTD_MAGIC):
        try:
            entries = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(listing)).read(MAX_MEDIA_BYTES)
        except zstandard.ZstdError:
            return {}
        return _media_entries(entries)
    try:
        names = json.loads(listing or b"{}")
    except ValueError:
        return {}
    return {str(name): str(number) for number, name in names.items()} if isinstance(names, dict) else {}


def _media_entries(message: bytes) -> dict[str, str]:
    """Anki's MediaEntries message: entry i (field 1) is member "i" unless its field 255 names another."""
    members, position, number = {}, 0, 0
    try:
        while position < len(message) and number < MAX_MEDIA_ENTRIES:
            key, position = protobuf_varint(message, position)
            if key & 7 != _LENGTH:
                return members
            length, position = protobuf_varint(message, position)
            if key >> 3 == 1:
                name, member = _media_entry(message[position:position + length])
                members[name] = member if member is not None else str(number)
                number += 1
            position += length
    except (IndexError, UnicodeDecodeError):
        return members
    return members


def _media_entry(entry: bytes) -> tuple[str, str | None]:
    name, member, position = "", None, 0
    while position < len(entry):
        key, position = protobuf_varint(entry, position)
        if key & 7 == _VARINT:
            value, position = protobuf_varint(entry, position)
            if key >> 3 == 255:
                member = str(value)
        elif key & 7 == _LENGTH:
            length, position = protobuf_varint(entry, position)
            if key >> 3 == 1:
                name = entry[position:position + length].decode()
            position += length
        else:
            raise IndexError("an unknown wire type")
    return name, member


def note_images(source: Source, media: AnkiMedia | None, *, problems: list[str],
                left_out: list[int]) -> dict[int, dict[str, ImageFile]]:
    """The images each note shows that can be a card's (row number → Anki's name → file); each one that
    cannot (not in the package, no image, too large, past a card's limit) is said in `problems` ("note 2:
    relu.svg: not a PNG, JPEG, GIF or WebP image.") and its note's number in `left_out`."""
    found: dict[int, dict[str, ImageFile]] = {}
    for row in source.rows:
        names = [image_source(tag) for field in ("question", "answer")
                 for tag in IMAGE_TAG.findall(row.values.get(field, ""))]
        images, said = {}, []
        for name in dict.fromkeys(filter(None, names)):
            content = media.read(name) if media is not None else None
            file = ImageFile(file_name=name, content=content or b"")
            problem = (_missing(name, media) if content is None else next(iter(image_files_problems([file])), None))
            if problem is None and len(images) == MAX_IMAGES_PER_CARD:
                problem = _("%(name)s: past the %(limit)d images a card shows.") % {
                    "name": name, "limit": MAX_IMAGES_PER_CARD}
            if problem is None:
                images[name] = file
            else:
                said.append(problem)
        if images:
            found[row.number] = images
        if said:
            left_out.append(row.number)
            problems += [_("note %(number)d: %(problem)s") % {"number": row.number, "problem": each} for each in said]
    return found


def _missing(name: str, media: AnkiMedia | None) -> str:
    if media is None:
        return _("%(name)s: a text file brings no images (export an Anki package, .apkg, with its media).") % {
            "name": name}
    return _("%(name)s: not in the package's media.") % {"name": name}
