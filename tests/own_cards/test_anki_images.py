"""Images both ways with the real Anki (the `anki` package): a note's image in Anki's media becomes the imported
card's image, an own card's image goes into the package's media, and round trips keep each image once."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from questions.apkg_export import anki_deck_write, note_guid
from questions.models import OwnCardImage
from quizapp.own_cards.images import ImageFile
from quizapp.own_cards.imports import own_cards_import, own_cards_import_preview
from quizapp.own_cards.services import OwnCardText, own_card_create
from tests.anki_support import anki_collection, anki_export, anki_import, anki_note, card_by_guid
from tests.own_cards.images import png

pytestmark = pytest.mark.usefixtures("english")

RELU = png(width=3, height=2, colour=(250, 120, 0))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()]


def import_package(owner, topic, path, **options):
    return own_cards_import(owner=owner, content=path.read_bytes(), file_name=path.name, default_topic=topic,
                            **options)


@pytest.fixture
def with_images(tmp_path):
    """An Anki collection whose notes show images from its media: a plot in an answer, a picture on a question's
    side, an SVG drawing (which an own card may not hold) and a file the collection does not have."""
    def make(folder="anki", legacy=False):
        with anki_collection(tmp_path / folder) as collection:
            plot = collection.media.write_data("relu curve.png", RELU)
            face = collection.media.write_data("face.png", png(colour=(5, 5, 5)))
            drawing = collection.media.write_data("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
            relu = anki_note(collection, deck="Interview::cnn", fields=[
                "Why ReLU?", f'No saturation:<br><img src="{plot}" alt="ReLU, flat then rising">'])
            who = anki_note(collection, deck="Interview::cnn", fields=[f'Who is this? <img src="{face}">', "LeCun"])
            anki_note(collection, deck="Interview::cnn", fields=[
                "What does a kernel look like?", f'<img src="{drawing}"> and <img src="gone.png">'])
            package = anki_export(collection, tmp_path / f"{folder}.apkg", legacy=legacy)
            return {"package": package, "folder": tmp_path / folder, "relu": relu.guid, "who": who.guid}
    return make


@pytest.mark.parametrize("legacy", [False, True], ids=["anki21b", "anki21"])
def test_it_brings_a_notes_image_from_ankis_media_and_serves_its_bytes(alice, alice_client, cnn, with_images,
                                                                       legacy):
    made = with_images(legacy=legacy)
    report = import_package(alice, cnn, made["package"])
    cards = {card.question_en: card for card in report.created}
    relu = cards["Why ReLU?"]
    assert relu.answer_en == "No saturation:<br>\n![ReLU, flat then rising](relu-curve.png)"
    assert '<img src="/questions/mine/images/relu-curve.png" alt="ReLU, flat then rising">' in relu.answer_html_en
    served = alice_client.get("/questions/mine/images/relu-curve.png")
    assert served.status_code == 200 and b"".join(served.streaming_content) == RELU
    # The question is plain text: its image shows at the top of the answer.
    assert cards["Who is this?"].answer_en == "![face](face.png)\n\nLeCun"
    assert report.images == 2 and report.images_left_out == [3]
    assert report.image_problems == ["note 3: drawing.svg: not a PNG, JPEG, GIF or WebP image.",
                                     "note 3: gone.png: not in the package's media."]
    assert cards["What does a kernel look like?"].answer_en == "and"


def test_it_says_in_the_preview_which_images_come_and_keeps_no_file(alice, alice_client, cnn, with_images, media):
    made = with_images()
    report = own_cards_import_preview(owner=alice, content=made["package"].read_bytes(), file_name="deck.apkg",
                                      default_topic=cnn)
    assert (report.images, report.images_left_out) == (2, [3])
    assert stored_files(media) == [] and not OwnCardImage.objects.exists()
    with made["package"].open("rb") as upload:
        page = alice_client.post("/questions/mine/import/", {"file": upload, "topic": "cnn"},
                                 HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 images to bring from Anki" in page and "1 note shows an image that cannot be imported" in page
    assert "note 3: drawing.svg: not a PNG, JPEG, GIF or WebP image." in page
    assert [path.parent.name for path in stored_files(media)] == [str(alice.pk)]  # the package kept, no image


def test_it_refuses_an_image_in_the_package_past_the_size_limit(alice, cnn, tmp_path, settings):
    settings.OWN_CARD_IMAGE_MAX_BYTES = 1000
    with anki_collection(tmp_path / "anki") as collection:
        big = collection.media.write_data("big.png", png(padding=5000))
        anki_note(collection, deck="Default", fields=["Big?", f'<img src="{big}">Yes'])
        package = anki_export(collection, tmp_path / "big.apkg")
    report = import_package(alice, cnn, package)
    assert report.image_problems == ["note 1: big.png: larger than 1000\xa0bytes."]
    assert report.created[0].answer_en == "Yes" and not OwnCardImage.objects.exists()


def test_it_imports_twice_without_a_second_image(alice, cnn, with_images, media):
    made = with_images()
    import_package(alice, cnn, made["package"])
    again = import_package(alice, cnn, made["package"], update_existing=True)
    assert again.created == [] and again.images == 2
    assert OwnCardImage.objects.count() == 2 and len(stored_files(media)) == 2


def test_it_puts_an_own_cards_image_into_the_packages_media_for_anki(alice, alice_client, cnn, tmp_path):
    alice_client.post("/questions/mine/new/", {"question": "What does ReLU look like?", "answer": "Like this:",
                                               "topic": "cnn", "difficulty": 2,
                                               "images": [SimpleUploadedFile("relu.png", RELU)]})
    card = alice.own_questions.get()
    anki_deck_write(questions=[card], language="en", path=tmp_path / "mine.apkg")
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, tmp_path / "mine.apkg", scheduling=False)
        note = card_by_guid(collection, note_guid(card, "en")).note()
        assert '<img src="relu.png" alt="relu">' in note["Answer"]
        assert (tmp_path / "anki" / "collection.media" / "relu.png").read_bytes() == RELU


def test_it_takes_an_own_card_with_its_image_to_anki_and_back_once(alice, cnn, tmp_path, media):
    """App → Anki → app: the note comes back as the card it is; no second card, no second image."""
    own_card = own_card_create(owner=alice, text=OwnCardText(question="Shape?", answer="Hm.", topic=cnn, difficulty=2),
                               images=[ImageFile(file_name="shape.png", content=RELU)])
    anki_deck_write(questions=[own_card], language="en", path=tmp_path / "mine.apkg")
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, tmp_path / "mine.apkg", scheduling=False)
        package = anki_export(collection, tmp_path / "back.apkg")
    report = import_package(alice, cnn, package, update_existing=True)
    assert report.created == [] and report.recognised == [1]
    assert alice.own_questions.count() == 1 and OwnCardImage.objects.count() == 1 and len(stored_files(media)) == 1


def test_it_sends_an_imported_notes_image_back_to_anki_once(alice, cnn, with_images, tmp_path):
    """Anki → app → Anki: still one note, showing its image once, the image in Anki's media."""
    made = with_images()
    report = import_package(alice, cnn, made["package"])
    anki_deck_write(questions=report.created, language="en", path=tmp_path / "back.apkg")
    with anki_collection(made["folder"]) as collection:
        notes_before = collection.note_count()
        anki_import(collection, tmp_path / "back.apkg", scheduling=False)
        assert collection.note_count() == notes_before
        answer = card_by_guid(collection, made["relu"]).note().fields[1]
        assert answer.count("<img") == 1
        shown = re.search(r'<img src="([^"]+)"', answer).group(1)
        assert (made["folder"] / "collection.media" / shown).read_bytes() == RELU
