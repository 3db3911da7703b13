"""What an own card's image may be, and how cards name it: a PNG, JPEG, GIF or WebP file (known by its first
bytes, whatever its name says: an SVG or HTML file could run script on our origin), at most
OWN_CARD_IMAGE_MAX_BYTES, named in the card's Markdown by a plain file name, `![alt](relu.png)`, which is
also its name in an Anki package's media. The learner's own image page serves it (to them alone)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _

MAX_IMAGES_PER_CARD = 10
MAX_NAME_LENGTH = 100
IMAGE_NAME = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME_LENGTH - 1}}}$")
_FORMATS = ((b"\x89PNG\r\n\x1a\n", "png", "image/png"), (b"\xff\xd8\xff", "jpg", "image/jpeg"),
            (b"GIF87a", "gif", "image/gif"), (b"GIF89a", "gif", "image/gif"))
_REFERENCE = re.compile(r"!\[([^\]\n]*)\]\(\s*([^()\s]+)\s*\)")
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def image_format(content: bytes) -> tuple[str, str] | None:
    """The file's extension and content type by its first bytes; None when it is none of ours."""
    for magic, extension, content_type in _FORMATS:
        if content.startswith(magic):
            return extension, content_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp", "image/webp"
    return None


def image_problem(content: bytes) -> str | None:
    """Why these bytes cannot be a card's image, or None."""
    if len(content) > settings.OWN_CARD_IMAGE_MAX_BYTES:
        return _("larger than %(limit)s.") % {"limit": filesizeformat(settings.OWN_CARD_IMAGE_MAX_BYTES)}
    if image_format(content) is None:
        return _("not a PNG, JPEG, GIF or WebP image.")
    return None


def image_name(file_name: str, *, extension: str, taken: Callable[[str], bool], digest: str) -> str:
    """A name for the file in Markdown and in Anki's media: its own name made safe ("激活 曲线.PNG" is
    "image.png"), with the extension its bytes have, and its digest's start when the learner has another
    image of that name."""
    stem = _NOT_IN_NAME.sub("-", PurePath(file_name).stem).strip("-._")[:MAX_NAME_LENGTH - 30] or "image"
    name = f"{stem}.{extension}"
    return f"{stem}-{digest[:12]}.{extension}" if taken(name) else name


def image_alt(file_name: str) -> str:
    """The alt text an uploaded image starts with: its file name without the extension."""
    return markdown_alt(PurePath(file_name).stem)


def markdown_alt(text: str) -> str:
    """Text as the alt of `![alt](name)`: no bracket or line break that would end it."""
    return re.sub(r"[\[\]\s]+", " ", text).strip()


def own_image_url(name: str) -> str | None:
    """Where the learner's image of this name is served; None for what is no image name (another site's)."""
    return reverse("questions:own-image", args=[name]) if IMAGE_NAME.match(name) else None


def image_names(markdown: str) -> list[str]:
    """The image names a card's Markdown shows, each once, in order."""
    names = [match.group(2) for match in _REFERENCE.finditer(markdown)]
    return list(dict.fromkeys(name for name in names if IMAGE_NAME.match(name)))


def image_reference(*, alt: str, name: str) -> str:
    return f"![{alt}]({name})"


def without_images(markdown: str, names: set[str]) -> str:
    """The Markdown with these images taken out."""
    kept = _REFERENCE.sub(lambda match: "" if match.group(2) in names else match.group(0), markdown)
    return re.sub(r"\n{3,}", "\n\n", kept).strip()


def anki_image_sources(answer_html: str) -> str:
    """A card's HTML as an Anki field: its images named as in the package's media (Anki's <img src="name">)."""
    prefix = reverse("questions:own-image", args=["x"]).removesuffix("x")
    return answer_html.replace(f'src="{prefix}', 'src="')
