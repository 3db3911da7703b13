"""A learner's own cards: writing and importing them, and nobody else ever seeing them."""

from __future__ import annotations

import uuid

import pytest
from django.utils import translation

from questions import own_cards
from questions.models import Question, Topic
from questions.own_cards import ImportRefused, OwnCardText, own_card_create, own_cards_import
from questions.selectors import question_search, topic_list_with_counts
from questions.services import corpus_load
from tests.questions.corpus_files import card, write_corpus
from tests.questions.test_anki_export import notes_in


@pytest.fixture(autouse=True)
def english():
    """Messages read in English here; the pages' tests pick their language by header."""
    with translation.override("en"):
        yield


@pytest.fixture
def corpus(tmp_path, db):
    corpus_load(folder=write_corpus(tmp_path / "corpus", {
        "activations": [card("sigmoid-vanishing", question={"en": "Why does sigmoid vanish?", "zh": "sigmoid 为何消失?"})],
        "cnn": [card("pooling-purpose", demos=[])],
    }))
    return tmp_path / "corpus"


@pytest.fixture
def cnn(corpus):
    return Topic.objects.get(slug="cnn")


def write_card(owner, topic, question="What does a 1×1 convolution do?", answer="Mixes channels: $y = Wx$."):
    return own_card_create(owner=owner, text=OwnCardText(question=question, answer=answer, topic=topic, difficulty=2))


def import_text(owner, topic, text: str, *, encoding="utf-8", name="cards.csv"):
    return own_cards_import(owner=owner, content=text.encode(encoding), file_name=name, default_topic=topic)


# --- import ---------------------------------------------------------------------------------------

def test_it_imports_a_csv_with_a_header_in_either_language(alice, cnn):
    report = import_text(alice, cnn, "问题,答案,主题,难度\n"
                                     "什么是空洞卷积?,在核的元素间插入间隔，扩大感受野。,activations,3\n"
                                     "\"Why ReLU?\",\"No saturation for $x>0$.\nCheap.\",,\n")
    first, second = sorted(report.created, key=lambda q: q.id)
    assert (first.question_en, first.question_zh, first.topic.slug, first.difficulty) == (
        "什么是空洞卷积?", "什么是空洞卷积?", "activations", 3)
    assert (second.topic, second.difficulty) == (cnn, 2)  # the form's topic; blank difficulty = standard
    assert 'class="math inline"' in second.answer_html_en and second.owner == alice
    assert second.card_id.startswith("own-")


def test_it_imports_ankis_plain_text_export_without_a_header(alice, cnn):
    text = "#separator:tab\n#html:true\n#tags column:3\nWhat is dropout?\tRandomly zeroes units<br>in training\tregularization\n"
    [created] = import_text(alice, cnn, text, name="Deck.txt").created
    assert created.question_en == "What is dropout?"
    assert "<br>" in created.answer_html_en  # Anki's HTML line break survives the sanitiser


def test_it_reads_gb18030_files_from_chinese_excel(alice, cnn):
    [created] = import_text(alice, cnn, "问题,答案\n批归一化的作用?,稳定各层输入的分布。\n", encoding="gb18030").created
    assert created.question_en == "批归一化的作用?"


def test_it_imports_nothing_and_names_every_bad_row_with_its_line(alice, cnn):
    text = ("question,answer,topic,difficulty\n"
            "Fine question?,Fine answer.,cnn,1\n"
            "\"A long\nanswer follows?\",,cnn,2\n"  # starts on line 3, no answer
            "Bad topic?,Answer.,quantum-computing,2\n"
            "Bad math?,Costs $O(n^2) time.,cnn,9\n")
    with pytest.raises(ImportRefused) as refused:
        import_text(alice, cnn, text)
    problems = refused.value.problems
    assert problems[0].startswith("cards.csv, line 3: Answer:")
    assert any(p.startswith("cards.csv, line 5: Topic:") and "quantum-computing" in p for p in problems)
    assert any(p.startswith("cards.csv, line 6: Answer:") and "$" in p for p in problems)
    assert any(p.startswith("cards.csv, line 6: Difficulty:") for p in problems)
    assert not Question.objects.filter(owner=alice).exists()


def test_it_finds_topics_by_title_in_either_language(alice, cnn):
    report = import_text(alice, cnn, "question,answer,topic\nA?,a.,激活函数\nB?,b.,Convolutional networks\n")
    assert sorted(q.topic.slug for q in report.created) == ["activations", "cnn"]


def test_importing_the_same_file_twice_adds_nothing(alice, cnn):
    text = "question,answer,tags\nA?,a.,x\nB?,b.,y\nA?,again.,z\n"
    first = import_text(alice, cnn, text)
    assert len(first.created) == 2 and first.duplicate_lines == [4] and first.ignored_columns == ["tags"]
    second = import_text(alice, cnn, text)
    assert second.created == [] and second.duplicate_lines == [2, 3, 4]
    assert Question.objects.filter(owner=alice).count() == 2


@pytest.mark.parametrize("content, message", [
    (b"", "no cards found"),
    (b"\xff\xfe\xfa\x00garbage\xc3", "not a text file"),
    (b"question,answer\n" + b"x" * (own_cards.MAX_IMPORT_BYTES + 1), "larger than 2 MB"),
])
def test_it_refuses_files_it_cannot_read(alice, cnn, content, message):
    with pytest.raises(ImportRefused) as refused:
        own_cards_import(owner=alice, content=content, file_name="bad.csv", default_topic=cnn)
    assert message in refused.value.problems[0] and refused.value.problems[0].startswith("bad.csv")


def test_a_learner_keeps_at_most_the_limit(alice, cnn, monkeypatch):
    monkeypatch.setattr(own_cards, "MAX_OWN_CARDS", 2)
    write_card(alice, cnn)
    with pytest.raises(ImportRefused) as refused:
        import_text(alice, cnn, "question,answer\nA?,a.\nB?,b.\n")
    assert "at most 2" in refused.value.problems[0]
    assert Question.objects.filter(owner=alice).count() == 1


# --- the corpus and other learners ------------------------------------------------------------------

def test_loading_the_corpus_leaves_own_cards_alone_and_refuses_their_ids(alice, cnn, corpus, tmp_path):
    mine = write_card(alice, cnn)
    corpus_load(folder=corpus)
    mine.refresh_from_db()
    assert not mine.retired and mine.owner == alice
    bad = write_corpus(tmp_path / "bad", {"cnn": [card("own-abc")]})
    with pytest.raises(Exception, match="kept for learners' own cards"):
        corpus_load(folder=bad)


def test_search_lists_and_counts_show_own_cards_to_their_owner_only(alice, bob, cnn):
    write_card(alice, cnn, question="What does a 1×1 convolution do?")
    assert [q.question_en for q in question_search(query="convolution", viewer=alice)] == [
        "What does a 1×1 convolution do?"]
    assert question_search(query="convolution", viewer=bob) == []
    assert question_search(query="convolution") == []
    counts = {viewer: {t.slug: t.question_count for t in topic_list_with_counts(viewer=viewer)}
              for viewer in (alice, bob)}
    assert counts[alice]["cnn"] == counts[bob]["cnn"] + 1


def test_bob_cannot_read_alices_card_anywhere(alice, bob, cnn, client):
    mine = write_card(alice, cnn)
    client.force_login(bob)
    for url in (f"/questions/{mine.card_id}/", f"/questions/mine/{mine.card_id}/edit/",
                f"/questions/mine/{mine.card_id}/delete/", f"/api/questions/{mine.card_id}/",
                f"/api/own-cards/{mine.card_id}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/questions/mine/{mine.card_id}/delete/").status_code == 404
    assert mine.card_id not in client.get("/api/questions/?limit=100").content.decode()
    assert client.get("/questions/mine/").context["cards"].count() == 0
    client.logout()
    assert client.get(f"/questions/{mine.card_id}/").status_code == 404
    assert client.get("/questions/mine/").status_code == 302  # to the login page
    assert Question.objects.filter(pk=mine.pk).exists()


def test_the_owner_sees_it_marked_as_theirs(alice, cnn, alice_client):
    mine = write_card(alice, cnn)
    page = alice_client.get(f"/questions/{mine.card_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My card" in page and f"/questions/mine/{mine.card_id}/edit/" in page
    assert alice_client.get("/api/questions/", {"q": "convolution"}).json()["results"][0]["own"] is True


def test_the_owners_anki_download_holds_their_cards_and_nobody_elses_does(alice, cnn, client, tmp_path):
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


def test_interviews_draw_on_the_corpus_only(alice, cnn):
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


def test_editing_keeps_the_study_state_and_deleting_takes_it(alice, cnn, alice_client, alice_api):
    mine = write_card(alice, cnn)
    alice_api.post("/api/study/reviews/", {"question": mine.pk, "rating": 3, "client_id": str(uuid.uuid4())},
                   format="json")
    edited = alice_client.post(f"/questions/mine/{mine.card_id}/edit/", {
        "question": "Edited?", "answer": "Edited.", "topic": "activations", "difficulty": 1})
    assert edited.status_code == 302
    mine.refresh_from_db()
    assert (mine.question_en, mine.topic.slug, mine.card_states.get().reps) == ("Edited?", "activations", 1)
    confirm = alice_client.get(f"/questions/mine/{mine.card_id}/delete/", HTTP_ACCEPT_LANGUAGE="en")
    assert "1 review" in confirm.content.decode()
    assert alice_client.post(f"/questions/mine/{mine.card_id}/delete/").status_code == 302
    assert not Question.objects.filter(pk=mine.pk).exists()
    assert not alice.card_states.exists() and not alice.review_logs.exists()


def test_the_import_page_reports_what_it_did_or_every_problem(alice, cnn, alice_client, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("question,answer\nA?,a.\nA?,a.\n")
    with good.open("rb") as upload:
        done = alice_client.post("/questions/mine/import/", {"file": upload, "topic": "cnn"}, follow=True,
                                 HTTP_ACCEPT_LANGUAGE="en")
    assert "Imported 1 card. Skipped 1 row you already have (line 3)." in done.content.decode()
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


# --- API -----------------------------------------------------------------------------------------------

def test_the_api_writes_reads_edits_and_deletes_own_cards(alice_api, bob_api, cnn):
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


def test_the_api_imports_a_file(alice_api, cnn, tmp_path):
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


def test_own_cards_are_in_the_schema(alice_api):
    paths = alice_api.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"/api/own-cards/", "/api/own-cards/{id}/", "/api/own-cards/import/"} <= set(paths)
