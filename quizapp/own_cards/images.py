"""Writes of own cards' images (questions.images says what an image may be): saving uploads and an Anki
package's media through Django's storage API, and tying each card to the images its Markdown shows.

An image lives as long as one of the learner's cards shows it: a card that stops showing it (edited,
deleted) releases it, and a released image no other card shows is deleted, its bytes with it (the row's
post_delete in questions.models). The bytes are saved before the transaction that makes the rows commits;
StoredFiles removes them again when anything in its block fails, so a refused upload or import leaves
nothing behind."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from questions.images import MAX_IMAGES_PER_CARD, image_format, image_name, image_names, image_problem
from questions.models import OwnCardImage, Question
from quizapp.core.errors import InvalidInput
from quizapp.core.parsers import declared_length

_FOLDER = "own-card-images"


@dataclass(frozen=True)
class ImageFile:
    file_name: str  # as the learner's computer or the Anki package named it
    content: bytes


class ImagesRefused(InvalidInput):
    """400: a card would show more images than it may; blamed on the `images` field."""

    def __init__(self, problems: list[str]):
        super().__init__(fields={"images": problems})
        self.problems = problems


def image_files_problems(files: Iterable[ImageFile]) -> list[str]:
    """"relu.svg: not a PNG, JPEG, GIF or WebP image." for each file that cannot be an image."""
    return [f"{file.file_name}: {problem}" for file in files if (problem := image_problem(file.content))]


def card_upload_limit() -> int:
    """The largest body a card's page or API request may send: its text and its images at their largest."""
    return MAX_IMAGES_PER_CARD * settings.OWN_CARD_IMAGE_MAX_BYTES + settings.JSON_BODY_MAX_BYTES


def card_upload_too_large(request) -> str | None:
    """Why the request's body is refused before it is read (its stated length is past the limit), or None."""
    if declared_length(request) <= card_upload_limit():
        return None
    return _("The images together are larger than %(limit)s.") % {"limit": filesizeformat(card_upload_limit())}


class StoredFiles:
    """The bytes saved in its block, deleted from storage again when the block raises."""

    def __init__(self):
        self.paths: list[str] = []

    def save(self, path: str, content: bytes) -> str:
        saved = default_storage.save(path, ContentFile(content))
        self.paths.append(saved)
        return saved

    def __enter__(self) -> StoredFiles:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is not None:
            for path in self.paths:
                default_storage.delete(path)


def own_card_images_save(*, owner, files: list[ImageFile], stored: StoredFiles | None) -> list[OwnCardImage]:
    """The learner's image of each file (checked by the caller: image_files_problems): the one they have with
    the same bytes, or a new one, its bytes saved through `stored`. With no `stored` (an import's preview,
    rolled back) the rows are made and no bytes saved. The caller holds the learner's lock (lock_learner), so
    two uploads of the same bytes at once make one image."""
    images = {image.sha256: image for image in OwnCardImage.objects.filter(owner=owner)}
    names = {image.name for image in images.values()}
    result = []
    for file in files:
        digest = hashlib.sha256(file.content).hexdigest()
        if digest not in images:
            extension, content_type = image_format(file.content)
            name = image_name(file.file_name, extension=extension, taken=names.__contains__, digest=digest)
            path = f"{_FOLDER}/{owner.pk}/{uuid.uuid4().hex}.{extension}"
            if stored is not None:
                path = stored.save(path, file.content)
            images[digest] = OwnCardImage.objects.create(owner=owner, name=name, path=path, content_type=content_type,
                                                         size=len(file.content), sha256=digest)
            names.add(name)
        result.append(images[digest])
    return result


def own_card_images_link(*, owner, cards: list[Question]) -> None:
    """Each card shows the learner's images its answer names (an unknown name shows nothing)."""
    if not cards:
        return
    wanted = {card.pk: image_names(card.answer_en) for card in cards}
    names = {name for card_names in wanted.values() for name in card_names}
    by_name = {image.name: image for image in OwnCardImage.objects.filter(owner=owner, name__in=names)} if names else {}
    links = OwnCardImage.cards.through
    links.objects.filter(question_id__in=list(wanted)).delete()
    links.objects.bulk_create([links(question_id=card_id, owncardimage_id=by_name[name].pk)
                               for card_id, card_names in wanted.items() for name in card_names if name in by_name])


def card_images(cards) -> list[int]:
    """The ids of the images these cards show, to release once they show them no more."""
    return list(OwnCardImage.objects.filter(cards__in=cards).values_list("pk", flat=True).distinct())


def own_card_images_release(image_ids: list[int]) -> None:
    """Delete those of the images that no card shows any more."""
    if image_ids:
        for image in OwnCardImage.objects.filter(pk__in=image_ids, cards__isnull=True):
            image.delete()


def own_image_response(*, owner, name: str) -> FileResponse:
    """The learner's own image by the name their cards use; anyone else's, or a file the storage lost, is 404."""
    image = get_object_or_404(OwnCardImage, owner=owner, name=name)
    try:
        content = default_storage.open(image.path, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(content, content_type=image.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
