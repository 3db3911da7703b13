"""An Anki package waiting for the learner to confirm its import preview, kept through Django's storage API
(a deployment may put it in object storage). One per learner: a newer preview replaces it, the import
takes it away."""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

_FOLDER = "import-previews"


def _folder(owner) -> str:
    return f"{_FOLDER}/{owner.pk}"


def pending_import_keep(*, owner, content: bytes) -> str:
    """Keep the package for `owner` in place of any earlier one; the token that names it."""
    _forget(owner)
    token = uuid.uuid4().hex
    default_storage.save(f"{_folder(owner)}/{token}", ContentFile(content))
    return token


def pending_import_take(*, owner, token: str) -> bytes | None:
    """The package kept under `token` for `owner`, now removed; None when there is none."""
    path = f"{_folder(owner)}/{token}"
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as kept:
        content = kept.read()
    default_storage.delete(path)
    return content


def _forget(owner) -> None:
    if default_storage.exists(_folder(owner)):
        for name in default_storage.listdir(_folder(owner))[1]:
            default_storage.delete(f"{_folder(owner)}/{name}")
