"""Images in a learner's own cards: uploaded on the page and through the API, checked by their bytes and size,
kept through Django's storage, shown to their owner alone, and gone with the last card that shows them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from questions.models import OwnCardImage, Question
from quizapp.accounts.my_data import account_delete
from tests.own_cards.images import png

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Each test's own storage folder, so the files a test leaves (or not) are its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def english_pages(request, client, api_client):
    """The pages' and the API's language, as a browser or a client asks for it."""
    clients = [client, api_client] + ([request.getfixturevalue("alice_api")] if "alice_api" in request.fixturenames
                                      else [])
    for each in clients:
        each.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def stored_files(media) -> list[str]:
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def add_card(client, *, answer="A plot of ReLU:", images=(), question="What does ReLU look like?"):
    return client.post("/questions/mine/new/", {"question": question, "answer": answer, "topic": "cnn",
                                                "difficulty": 2, "images": list(images)})


def test_it_shows_an_uploaded_image_in_the_answer_and_serves_its_bytes_to_its_owner(alice_client, cnn, media):
    picture = png(colour=(10, 200, 10))
    response = add_card(alice_client, images=[upload("relu curve.png", picture)])
    assert response.status_code == 302
    card = Question.objects.get(owner__username="alice")
    assert card.answer_en == "A plot of ReLU:\n\n![relu curve](relu-curve.png)"  # to move where it belongs
    assert '<img src="/questions/mine/images/relu-curve.png" alt="relu curve">' in card.answer_html_en
    page = alice_client.get(f"/questions/{card.card_id}/").content.decode()
    assert '<img src="/questions/mine/images/relu-curve.png" alt="relu curve">' in page
    served = alice_client.get("/questions/mine/images/relu-curve.png")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == picture
    assert len(stored_files(media)) == 1


def test_it_answers_404_for_alices_image_to_bob_and_to_a_visitor(alice_client, client, bob, cnn, api_client):
    add_card(alice_client, images=[upload("relu.png", png())])
    alice_client.logout()
    assert client.get("/questions/mine/images/relu.png").status_code == 404
    client.force_login(bob)
    assert client.get("/questions/mine/images/relu.png").status_code == 404
    api_client.force_authenticate(bob)
    assert api_client.get("/api/own-cards/images/relu.png/").status_code == 404


@pytest.mark.parametrize(("name", "content", "message"), [
    ("big.png", png(padding=2 * 1024 * 1024), "big.png: larger than 2.0\xa0MB."),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "drawing.svg: not a PNG, JPEG, GIF or WebP image."),
    ("fake.png", b"<html>not a picture</html>", "fake.png: not a PNG, JPEG, GIF or WebP image."),
])
def test_it_refuses_an_upload_that_is_too_large_or_no_image_and_keeps_nothing(alice_client, alice_api, cnn, media,
                                                                              name, content, message):
    response = add_card(alice_client, images=[upload(name, content)])
    assert response.status_code == 400
    assert response.context["form"].errors["images"] == [message]
    answer = alice_api.post("/api/own-cards/", {"question": "Q?", "answer": "A.", "topic": "cnn",
                                                "new_images": [upload(name, content)]}, format="multipart")
    assert answer.status_code == 400 and answer.json() == {"new_images": [message]}
    assert not Question.objects.filter(owner__username="alice").exists()
    assert stored_files(media) == [] and not OwnCardImage.objects.exists()


def test_it_takes_the_size_limit_from_its_setting(alice_client, cnn, settings):
    settings.OWN_CARD_IMAGE_MAX_BYTES = 100
    response = add_card(alice_client, images=[upload("small.png", png(padding=200))])
    assert response.context["form"].errors["images"] == ["small.png: larger than 100\xa0bytes."]


def test_it_refuses_more_images_than_a_card_may_show(alice_client, alice_api, cnn):
    def pictures():  # an upload is read once: each request sends its own
        return [upload(f"p{number}.png", png(colour=(number, 0, 0))) for number in range(11)]
    response = add_card(alice_client, images=pictures())
    assert response.context["form"].errors["images"] == ["A card shows at most 10 images."]
    answer = alice_api.post("/api/own-cards/", {"question": "Q?", "answer": "A.", "topic": "cnn",
                                                "new_images": pictures()[:10]}, format="multipart")
    assert answer.status_code == 201
    card_id = answer.json()["id"]
    again = alice_api.patch(f"/api/own-cards/{card_id}/", {"new_images": pictures()[10:]}, format="multipart")
    assert again.status_code == 400 and again.json() == {"new_images": ["A card shows at most 10 images."]}


def test_it_takes_images_through_the_api_and_lists_them_on_the_card(alice_api, cnn, media):
    picture = png(colour=(1, 2, 3))
    response = alice_api.post("/api/own-cards/", {"question": "Sigmoid's shape?", "answer": "An S:", "topic": "cnn",
                                                  "new_images": [upload("sigmoid.png", picture)]}, format="multipart")
    assert response.status_code == 201
    body = response.json()
    assert body["answer"] == "An S:\n\n![sigmoid](sigmoid.png)"
    assert body["images"] == [{"name": "sigmoid.png", "url": "/api/own-cards/images/sigmoid.png/",
                               "content_type": "image/png", "size": len(picture)}]
    served = alice_api.get(body["images"][0]["url"], HTTP_ACCEPT="image/png")  # as an <img> may ask
    assert served.status_code == 200 and b"".join(served.streaming_content) == picture


def test_it_keeps_one_image_for_the_same_bytes_and_renames_another_of_the_same_name(alice_client, cnn, media):
    add_card(alice_client, images=[upload("plot.png", png(colour=(1, 1, 1)))], question="One?")
    add_card(alice_client, images=[upload("same.png", png(colour=(1, 1, 1)))], question="Two?")
    add_card(alice_client, images=[upload("plot.png", png(colour=(9, 9, 9)))], question="Three?")
    answers = dict(Question.objects.filter(owner__username="alice").values_list("question_en", "answer_en"))
    assert answers["Two?"].endswith("![same](plot.png)")  # the same bytes: the image there already
    third = OwnCardImage.objects.exclude(name="plot.png").get()
    assert answers["Three?"].endswith(f"![plot]({third.name})") and third.name.startswith("plot-")
    assert len(stored_files(media)) == 2


def test_it_deletes_the_file_with_the_last_card_that_shows_it(alice_client, cnn, media,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        add_card(alice_client, images=[upload("relu.png", png())], question="One?")
        add_card(alice_client, answer="The same plot: ![again](relu.png)", question="Two?")
    one, two = (Question.objects.get(question_en=question) for question in ("One?", "Two?"))
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_client.post(f"/questions/mine/{one.card_id}/delete/").status_code == 302
    assert len(stored_files(media)) == 1  # the second card still shows it
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_client.post(f"/questions/mine/{two.card_id}/delete/").status_code == 302
    assert stored_files(media) == [] and not OwnCardImage.objects.exists()
    assert alice_client.get("/questions/mine/images/relu.png").status_code == 404


def test_it_removes_an_image_the_learner_takes_out_on_the_edit_page(alice_client, cnn, media,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        add_card(alice_client, images=[upload("a.png", png(colour=(1, 0, 0))), upload("b.png", png(colour=(2, 0, 0)))])
    card = Question.objects.get(owner__username="alice")
    page = alice_client.get(f"/questions/mine/{card.card_id}/edit/").content.decode()
    assert 'src="/questions/mine/images/a.png"' in page and 'value="b.png"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/questions/mine/{card.card_id}/edit/", {
            "question": card.question_en, "answer": card.answer_en, "topic": "cnn", "difficulty": 2,
            "remove_images": ["a.png"]})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.answer_en == "A plot of ReLU:\n\n![b](b.png)"
    assert list(OwnCardImage.objects.values_list("name", flat=True)) == ["b.png"]
    assert len(stored_files(media)) == 1


def test_it_leaves_no_file_behind_when_the_card_cannot_be_saved(alice_client, cnn, media, monkeypatch):
    monkeypatch.setattr("quizapp.own_cards.services.MAX_OWN_CARDS", 0)  # the learner is at their card limit
    response = add_card(alice_client, images=[upload("relu.png", png())])
    assert response.status_code == 400 and "at most 0 own cards" in response.content.decode()
    assert stored_files(media) == [] and not OwnCardImage.objects.exists()


def test_it_shows_no_image_of_another_site(alice_client, cnn):
    add_card(alice_client, answer="Look: ![tracker](https://example.com/pixel.png)")
    card = Question.objects.get(owner__username="alice")
    assert "example.com" not in card.answer_html_en and '<img alt="tracker">' in card.answer_html_en


def test_it_deletes_a_learners_images_with_their_account(alice, alice_client, cnn, media,
                                                         django_capture_on_commit_callbacks):
    add_card(alice_client, images=[upload("relu.png", png())])
    assert len(stored_files(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=alice)
    assert stored_files(media) == [] and not OwnCardImage.objects.exists()


def test_it_refuses_a_body_past_ten_images_at_their_largest_before_reading_it(alice_client, alice_api, cnn, media,
                                                                             settings):
    settings.OWN_CARD_IMAGE_MAX_BYTES, settings.JSON_BODY_MAX_BYTES = 1000, 10_000  # a body of 20,000 bytes at most
    huge = png(padding=50_000)
    page = add_card(alice_client, images=[upload("huge.png", huge)])
    assert page.status_code == 413 and "The images together are larger than 19.5\xa0KB." in page.content.decode()
    answer = alice_api.post("/api/own-cards/", {"question": "Q?", "answer": "A.", "topic": "cnn",
                                                "new_images": [upload("huge.png", huge)]}, format="multipart")
    assert answer.status_code == 400
    assert answer.json() == {"new_images": ["The images together are larger than 19.5\xa0KB."]}
    assert stored_files(media) == [] and not Question.objects.filter(owner__username="alice").exists()
