"""A learner's own cards: writing them, and nobody else ever seeing them."""

from __future__ import annotations

import uuid

import pytest

from questions.models import Question, Topic
from questions.selectors import question_search, topic_list_with_counts
from questions.services import corpus_load
from quizapp.own_cards import services
from quizapp.own_cards.imports import own_cards_import
from quizapp.own_cards.services import OwnCardText, own_card_create, own_cards_create
from quizapp.study.models import StudySettings
from tests.factories import make_topic
from tests.questions.corpus_files import card, write_corpus
from tests.questions.test_apkg_export import notes_in

pytestmark = pytest.mark.usefixtures("english")


def write_card(owner, topic, question="What does a 1×1 convolution do?", answer="Mixes channels: $y = Wx$."):
    text = OwnCardText(question=question, answer=answer, topic=topic, difficulty=2)
    return own_card_create(owner=owner, text=text)


# --- the corpus and other learners ------------------------------------------------------------------

def test_it_leaves_own_cards_alone_and_refuses_their_ids_when_loading_the_corpus(alice, cnn, two_topics, tmp_path):
    mine = write_card(alice, cnn)
    corpus_load(folder=two_topics)
    mine.refresh_from_db()
    assert not mine.retired and mine.owner == alice
    bad = write_corpus(tmp_path / "bad", {"cnn": [card("own-abc")]})
    with pytest.raises(Exception, match="kept for learners' own cards"):
        corpus_load(folder=bad)


def test_it_shows_own_cards_in_search_lists_and_counts_to_their_owner_only(alice, bob, cnn):
    write_card(alice, cnn, question="What does a 1×1 convolution do?")
    assert [q.question_en for q in question_search(query="convolution", viewer=alice)] == [
        "What does a 1×1 convolution do?"]
    assert question_search(query="convolution", viewer=bob) == []
    assert question_search(query="convolution") == []
    counts = {viewer: {t.slug: t.question_count for t in topic_list_with_counts(viewer=viewer)}
              for viewer in (alice, bob)}
    assert counts[alice]["cnn"] == counts[bob]["cnn"] + 1


def test_it_hides_alices_card_from_bob_everywhere(alice, bob, cnn, client):
    mine = write_card(alice, cnn)
    client.force_login(bob)
    for url in (f"/questions/{mine.card_id}/", f"/questions/mine/{mine.card_id}/edit/",
                f"/questions/mine/{mine.card_id}/delete/", f"/api/questions/{mine.card_id}/",
                f"/api/own-cards/{mine.card_id}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/questions/mine/{mine.card_id}/delete/").status_code == 404
    assert mine.card_id not in client.get("/api/questions/?limit=100").content.decode()
    assert client.get("/questions/mine/").context["page"].paginator.count == 0
    client.logout()
    assert client.get(f"/questions/{mine.card_id}/").status_code == 404
    assert client.get("/questions/mine/").status_code == 302  # to the login page
    assert Question.objects.filter(pk=mine.pk).exists()


def test_it_shows_the_owner_their_card_marked_as_theirs(alice, cnn, alice_client):
    mine = write_card(alice, cnn)
    page = alice_client.get(f"/questions/{mine.card_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My card" in page and f"/questions/mine/{mine.card_id}/edit/" in page
    assert alice_client.get("/api/questions/", {"q": "convolution"}).json()["results"][0]["own"] is True


def test_it_puts_own_cards_in_their_owners_anki_download_and_in_nobody_elses(alice, cnn, client, tmp_path):
    write_card(alice, cnn, question="What does a 1×1 convolution do?")
    anonymous = tmp_path / "anonymous" / "deck.apkg"
    anonymous.parent.mkdir()
    anonymous.write_bytes(client.get("/questions/export.apkg").content)
    client.force_login(alice)
    owners = tmp_path / "alice" / "deck.apkg"
    owners.parent.mkdir()
    owners.write_bytes(client.get("/questions/export.apkg").content)
    assert len(notes_in(owners)) == len(notes_in(anonymous)) + 1
    assert any("1×1 convolution" in fields for _, fields, _ in notes_in(owners))


def test_it_draws_interviews_from_the_corpus_only(alice, cnn):
    from quizapp.interviews.selectors import interview_question_pool

    write_card(alice, cnn)
    pool = interview_question_pool(topics=[cnn], difficulty_min=1, difficulty_max=3)
    assert [q.card_id for q in pool] == ["pooling-purpose"]


# --- pages ---------------------------------------------------------------------------------------------

def test_it_adds_a_card_from_the_form_and_refuses_bad_input(alice, cnn, alice_client):
    refused = alice_client.post("/questions/mine/new/", {"question": "Q?", "answer": "Costs $O(n)", "topic": "cnn",
                                                         "difficulty": 2}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "unbalanced $ inline-math" in refused.content.decode()
    assert not Question.objects.filter(owner=alice).exists()
    added = alice_client.post("/questions/mine/new/", {"question": "  Q?  ", "answer": "Costs $O(n)$.",
                                                       "topic": "cnn", "difficulty": 3})
    card = Question.objects.get(owner=alice)
    assert added.status_code == 302 and added.url == f"/questions/{card.card_id}/"
    assert (card.question_en, card.difficulty) == ("Q?", 3)


def test_it_keeps_the_study_state_on_editing_and_takes_it_on_deleting(alice, cnn, alice_client, alice_api):
    mine = write_card(alice, cnn)
    alice_api.post("/api/study/reviews/", {"question": mine.pk, "rating": 3, "client_id": str(uuid.uuid4())},
                   format="json")
    edited = alice_client.post(f"/questions/mine/{mine.card_id}/edit/", {
        "question": "Edited?", "answer": "Edited.", "topic": "activations", "difficulty": 1})
    assert edited.status_code == 302
    mine.refresh_from_db()
    assert (mine.question_en, mine.topic.slug, mine.card_states.get().reps) == ("Edited?", "activations", 1)
    alice_api.post("/api/study/reviews/", {"question": mine.pk, "rating": 1, "client_id": str(uuid.uuid4())},
                   format="json")
    alice_api.post(f"/api/study/cards/{mine.card_states.get().pk}/reset/")  # a reset keeps the history
    confirm = alice_client.get(f"/questions/mine/{mine.card_id}/delete/", HTTP_ACCEPT_LANGUAGE="en")
    assert "2 reviews" in confirm.content.decode()
    assert alice_client.post(f"/questions/mine/{mine.card_id}/delete/").status_code == 302
    assert not Question.objects.filter(pk=mine.pk).exists()
    assert not alice.card_states.exists() and not alice.review_logs.exists()


def test_it_reports_what_the_import_did_or_every_problem_on_the_import_page(alice, cnn, alice_client, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("question,answer\nA?,a.\nA?,a.\n")
    with good.open("rb") as upload:
        done = alice_client.post("/questions/mine/import/", {"file": upload, "topic": "cnn"}, follow=True,
                                 HTTP_ACCEPT_LANGUAGE="en")
    assert "Imported 1 card. Skipped 1 row repeating an earlier row&#x27;s question (line 3)." in done.content.decode()
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer\nB?,\n")
    with bad.open("rb") as upload:
        refused = alice_client.post("/questions/mine/import/", {"file": upload, "topic": "cnn"},
                                    HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "bad.csv, line 2: Answer: This field is required." in refused.content.decode()
    with bad.open("rb") as upload:
        chinese = alice_client.post("/questions/mine/import/", {"file": upload, "topic": "cnn"},
                                    HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "bad.csv，第 2 行：答案：这个字段是必填项。" in chinese.content.decode()
    assert Question.objects.filter(owner=alice).count() == 1


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_it_imports_the_template_as_it_is(alice, cnn, alice_client, language):
    make_topic("optimization", title_en="Optimization", title_zh="优化", position=5)
    template = alice_client.get("/questions/mine/template.csv", HTTP_ACCEPT_LANGUAGE=language)
    assert template["Content-Disposition"] == 'attachment; filename="my-cards.csv"'
    report = own_cards_import(owner=alice, content=template.content, file_name="my-cards.csv", default_topic=cnn)
    assert sorted((q.topic.slug, q.difficulty) for q in report.created) == [("cnn", 1), ("optimization", 2)]


# --- API -----------------------------------------------------------------------------------------------

def test_it_writes_reads_edits_and_deletes_own_cards_through_the_api(alice_api, bob_api, cnn):
    created = alice_api.post("/api/own-cards/", {"question": "Why warm-up?", "answer": "Adam's early steps.",
                                                 "topic": "cnn"}, format="json")
    assert created.status_code == 201, created.json()
    card_id = created.json()["id"]
    assert created.json()["difficulty"] == 2 and "<p>Adam" in created.json()["answer_html"]
    patched = alice_api.patch(f"/api/own-cards/{card_id}/", {"difficulty": 3}, format="json")
    assert (patched.json()["difficulty"], patched.json()["question"]) == (3, "Why warm-up?")
    assert bob_api.patch(f"/api/own-cards/{card_id}/", {"difficulty": 1}, format="json").status_code == 404
    assert bob_api.get("/api/own-cards/").json()["count"] == 0
    assert alice_api.get("/api/own-cards/").json()["count"] == 1
    bad = alice_api.post("/api/own-cards/", {"question": "", "answer": "$x", "topic": "nope"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"question", "answer", "topic"}
    assert bob_api.delete(f"/api/own-cards/{card_id}/").status_code == 404
    assert alice_api.delete(f"/api/own-cards/{card_id}/").status_code == 204
    assert not Question.objects.filter(card_id=card_id).exists()


def test_it_imports_a_file_through_the_api(alice_api, cnn, tmp_path):
    path = tmp_path / "cards.tsv"
    path.write_text("question\tanswer\nA?\ta.\n")
    with path.open("rb") as upload:
        imported = alice_api.post("/api/own-cards/import/", {"file": upload, "topic": "cnn"}, format="multipart")
    assert imported.status_code == 201 and [c["question"] for c in imported.json()["created"]] == ["A?"]
    path.write_text("question\tanswer\nB?\t\n")
    with path.open("rb") as upload:
        refused = alice_api.post("/api/own-cards/import/", {"file": upload, "topic": "cnn"}, format="multipart",
                                 HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert refused.json() == {"file": ["cards.tsv, line 2: Answer: This field is required."]}


def test_it_puts_own_cards_in_the_schema(alice_api):
    paths = alice_api.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"/api/own-cards/", "/api/own-cards/{id}/", "/api/own-cards/import/"} <= set(paths)


def test_it_keeps_the_topic_and_difficulty_on_save_and_add_another(alice, cnn, alice_client):
    added = alice_client.post("/questions/mine/new/", {"question": "Q?", "answer": "A.", "topic": "cnn",
                                                       "difficulty": 3, "add_another": "1"}, follow=True)
    form = added.context["form"]
    assert (form["topic"].value(), str(form["difficulty"].value())) == ("cnn", "3")


def test_it_warns_when_the_study_settings_leave_the_topic_out(alice, cnn, alice_client):
    settings = StudySettings.objects.create(user=alice)
    settings.topics.set([Topic.objects.get(slug="activations")])
    added = alice_client.post("/questions/mine/new/", {"question": "Q?", "answer": "A.", "topic": "cnn",
                                                       "difficulty": 2}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Your study settings leave out Convolutional networks" in added.content.decode()


@pytest.mark.parametrize("answer", ['Line one, with "quotes".\n\nLine $x^2$.',
                                    "```c\nint a = 1;\nint b = 2;\nreturn a + b;\n```",
                                    "Code:\n\n\tindented;\n\tcode, with a tab"])
def test_it_imports_the_my_cards_download_as_the_same_cards(alice, bob, cnn, alice_client, answer):
    write_card(alice, cnn, question="Why “warm-up”, really?", answer=answer)
    download = alice_client.get("/questions/mine/export.csv")
    assert download["Content-Disposition"].startswith('attachment; filename="my-cards-')
    [copy] = own_cards_import(owner=bob, content=download.content, file_name="my-cards.csv",
                              default_topic=Topic.objects.get(slug="activations")).created
    original = alice.own_questions.get()
    assert (copy.question_en, copy.answer_en, copy.topic, copy.difficulty) == (
        original.question_en, original.answer_en, original.topic, original.difficulty)


def test_it_refuses_an_upload_past_the_limit_before_reading_it(alice, cnn, alice_client):
    refused = alice_client.post("/questions/mine/import/", {"topic": "cnn"}, HTTP_ACCEPT_LANGUAGE="en",
                                CONTENT_LENGTH=str(30 * 1024 * 1024))
    assert refused.status_code == 400 and "larger than 20 MB" in refused.content.decode()


def test_it_warns_when_a_card_is_edited_into_a_topic_left_out_of_study(alice, cnn, alice_client):
    mine = write_card(alice, cnn)
    StudySettings.objects.create(user=alice).topics.set([cnn])
    edited = alice_client.post(f"/questions/mine/{mine.card_id}/edit/", {
        "question": "Q?", "answer": "A.", "topic": "activations", "difficulty": 2}, follow=True,
        HTTP_ACCEPT_LANGUAGE="en")
    assert "Your study settings leave out Activation functions" in edited.content.decode()


def test_it_updates_cards_from_an_edited_download_when_asked_and_keeps_their_study(alice, cnn, alice_client, alice_api,
                                                                               tmp_path):
    mine = write_card(alice, cnn, question="Why warm-up?", answer="Old answer.")
    alice_api.post("/api/study/reviews/", {"question": mine.pk, "rating": 3, "client_id": str(uuid.uuid4())},
                   format="json")
    edited = tmp_path / "my-cards.csv"
    edited.write_bytes(alice_client.get("/questions/mine/export.csv").content.replace(b"Old answer.", b"New answer."))
    with edited.open("rb") as upload:
        kept = alice_client.post("/questions/mine/import/", {"file": upload, "topic": "cnn"}, follow=True,
                                 HTTP_ACCEPT_LANGUAGE="en")
    assert "Skipped 1 row you already have (line 2)." in kept.content.decode()
    mine.refresh_from_db()
    assert mine.answer_en == "Old answer."
    with edited.open("rb") as upload:
        updated = alice_client.post("/questions/mine/import/", {"file": upload, "topic": "cnn",
                                                                "update_existing": "on"}, follow=True,
                                    HTTP_ACCEPT_LANGUAGE="en")
    assert "Imported 0 cards. Updated 1 card you already had (line 2)." in updated.content.decode()
    mine.refresh_from_db()
    assert (mine.answer_en, "New answer." in mine.answer_html_en, mine.card_states.get().reps) == (
        "New answer.", True, 1)


def test_it_refuses_a_second_card_with_the_same_question_by_form_and_api(alice, cnn, alice_client, alice_api):
    first = write_card(alice, cnn, question="Why warm-up?")
    other = write_card(alice, cnn, question="Why clip gradients?")
    again = alice_client.post("/questions/mine/new/", {"question": "Why warm-up?", "answer": "A.", "topic": "cnn",
                                                       "difficulty": 2}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400 and "You already have a card with this question." in again.content.decode()
    renamed = alice_client.post(f"/questions/mine/{other.card_id}/edit/", {
        "question": "Why warm-up?", "answer": "A.", "topic": "cnn", "difficulty": 2}, HTTP_ACCEPT_LANGUAGE="en")
    assert renamed.status_code == 400
    kept = alice_client.post(f"/questions/mine/{first.card_id}/edit/", {
        "question": "Why warm-up?", "answer": "New.", "topic": "cnn", "difficulty": 2})
    assert kept.status_code == 302  # its own question is no clash
    refused = alice_api.post("/api/own-cards/", {"question": "Why warm-up?", "answer": "A.", "topic": "cnn"},
                             format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert refused.json() == {"question": ["You already have a card with this question."]}
    assert alice.own_questions.count() == 2


def test_it_refuses_a_card_past_the_limit_by_form_and_api(alice, cnn, alice_client, alice_api, monkeypatch):
    monkeypatch.setattr(services, "MAX_OWN_CARDS", 1)
    write_card(alice, cnn)
    page = alice_client.post("/questions/mine/new/", {"question": "Q?", "answer": "A.", "topic": "cnn",
                                                      "difficulty": 2}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400 and "A learner keeps at most 1 own cards." in page.content.decode()
    refused = alice_api.post("/api/own-cards/", {"question": "Q?", "answer": "A.", "topic": "cnn"}, format="json",
                             HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert refused.json() == {"non_field_errors": ["A learner keeps at most 1 own cards."]}
    assert alice.own_questions.count() == 1


# --- finding and deleting many ------------------------------------------------------------------

def write_cards(owner, topic, count: int, question="Pooling card {n}?") -> list[Question]:
    return own_cards_create(owner=owner, texts=[OwnCardText(question=question.format(n=n), answer="An answer.",
                                                            topic=topic, difficulty=1) for n in range(count)])


def test_it_searches_filters_and_pages_my_cards(alice, cnn, alice_client):
    write_cards(alice, cnn, 60)
    activations = Topic.objects.get(slug="activations")
    write_card(alice, activations, question="梯度消失的原因是什么？", answer="连乘的导数小于 1。")
    write_card(alice, activations, question="What makes ReLU die?", answer="A large negative bias.")

    first = alice_client.get("/questions/mine/", HTTP_ACCEPT_LANGUAGE="en")
    newest = [card.question_en for card in first.context["page"]][:2]
    assert newest == ["What makes ReLU die?", "梯度消失的原因是什么？"]
    assert len(first.context["page"]) == 50 and "62 cards" in first.content.decode()
    assert len(alice_client.get("/questions/mine/?page=2").context["page"]) == 12
    assert len(alice_client.get("/questions/mine/?page=99").context["page"]) == 12  # past the end: the last page

    chinese = alice_client.get("/questions/mine/", {"q": "梯度消失"}).context["page"]
    assert [card.question_en for card in chinese] == ["梯度消失的原因是什么？"]
    assert [card.question_en for card in alice_client.get("/questions/mine/", {"q": "导数"}).context["page"]] == [
        "梯度消失的原因是什么？"]  # the answer counts too
    in_topic = alice_client.get("/questions/mine/", {"q": "pooling", "topic": "cnn"}, HTTP_ACCEPT_LANGUAGE="en")
    assert in_topic.context["page"].paginator.count == 60 and "60 cards match." in in_topic.content.decode()
    assert "?q=pooling&amp;topic=cnn&amp;page=2" in in_topic.content.decode()  # the next page keeps the filter
    assert alice_client.get("/questions/mine/", {"topic": "activations"}).context["page"].paginator.count == 2

    unknown = alice_client.get("/questions/mine/", {"topic": "no-such-topic"}, HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 400 and "Select a valid choice" in unknown.content.decode()
    assert unknown.context["page"].paginator.count == 62  # every card still listed


def test_it_asks_before_deleting_ticked_cards_then_takes_only_learners_own(alice, bob, cnn, alice_client, alice_api):
    first, second, kept = (write_card(alice, cnn, question=f"Q{n}?") for n in range(3))
    bobs = write_card(bob, cnn, question="Bob's?")
    alice_api.post("/api/study/reviews/", {"question": first.pk, "rating": 3, "client_id": str(uuid.uuid4())},
                   format="json")
    chosen = {"card": [first.card_id, second.card_id, bobs.card_id]}

    asked = alice_client.post("/questions/mine/delete/", chosen, HTTP_ACCEPT_LANGUAGE="en")
    page = asked.content.decode()
    assert asked.status_code == 200 and "Delete these 2 cards?" in page and "1 review" in page
    assert "Bob" not in page and Question.objects.filter(owner=alice).count() == 3  # nothing deleted yet

    done = alice_client.post("/questions/mine/delete/", {**chosen, "confirm": "1"}, HTTP_ACCEPT_LANGUAGE="en",
                             follow=True)
    assert "Deleted 2 cards and their study history." in done.content.decode()
    assert list(Question.objects.filter(owner=alice)) == [kept]
    assert Question.objects.filter(pk=bobs.pk).exists()
    assert not alice.card_states.exists() and not alice.review_logs.exists()


def test_it_deletes_every_card_a_search_shows_past_the_page(alice, cnn, alice_client):
    write_cards(alice, cnn, 60)
    other = write_card(alice, cnn, question="Why warm up the learning rate?")
    search = {"q": "pooling", "topic": "cnn", "all_matching": "1"}
    asked = alice_client.post("/questions/mine/delete/", search, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Delete these 60 cards?" in asked and "and 40 more" in asked
    alice_client.post("/questions/mine/delete/", {**search, "confirm": "1"})
    assert list(Question.objects.filter(owner=alice)) == [other]


def test_it_says_so_when_deleting_with_nothing_ticked(alice, cnn, alice_client):
    write_card(alice, cnn)
    nothing = alice_client.post("/questions/mine/delete/", {}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Tick the cards to delete first." in nothing.content.decode()
    assert alice_client.get("/questions/mine/delete/").status_code == 405
    assert Question.objects.filter(owner=alice).count() == 1
