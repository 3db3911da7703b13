"""The search index follows every change to the cards, in the change's own transaction, on SQLite
(the FTS5 table, kept by triggers) and on PostgreSQL (the GIN index); and a learner's search never
shows another learner's cards, through their text, their other names or the highlights."""

import pytest
from django.db import connection, transaction

from questions import search
from questions.models import Question
from questions.selectors import question_search
from questions.services import corpus_load
from quizapp.own_cards.imports import own_cards_import
from quizapp.own_cards.services import OwnCardText, own_card_create, own_card_delete, own_card_update, own_cards_delete
from tests.questions.corpus_files import card, write_corpus

pytestmark = pytest.mark.usefixtures("english")


def indexed(term: str) -> set[str]:
    """The cards the database's index finds for a term; on SQLite, the FTS5 table checked against its rows."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # raises when the index and the table disagree
            cursor.execute("INSERT INTO question_search(question_search, rank) VALUES ('integrity-check', 1)")
    return set(search.matching(Question.objects.all(), [term]).values_list("card_id", flat=True))


def text(question: str, topic, answer: str = "An answer.") -> OwnCardText:
    return OwnCardText(question=question, answer=answer, topic=topic, difficulty=2)


def test_it_indexes_an_own_card_when_added_edited_and_deleted(alice, cnn):
    mine = own_card_create(owner=alice, text=text("Why does the zebrafish dataset drift?", cnn))
    assert indexed("zebrafish") == {mine.card_id}
    own_card_update(card=mine, text=text("Why does the platypus dataset drift?", cnn))
    assert indexed("zebrafish") == set() and indexed("platypus") == {mine.card_id}
    own_card_delete(card=mine)
    assert indexed("platypus") == set()


def test_it_indexes_imported_cards_and_forgets_those_deleted_in_bulk(alice, cnn):
    own_cards_import(owner=alice, content="Quokka question one?\tanswer\nQuokka question two?\t答案\n".encode(),
                     file_name="mine.txt", default_topic=cnn)
    assert len(indexed("quokka")) == 2
    own_cards_delete(owner=alice, cards=Question.objects.filter(owner=alice))
    assert indexed("quokka") == set()


def test_it_leaves_nothing_indexed_from_a_failed_transaction(alice, cnn):
    mine = own_card_create(owner=alice, text=text("What is a narwhal layer?", cnn))
    with pytest.raises(RuntimeError), transaction.atomic():
        own_card_create(owner=alice, text=text("What is a wombat layer?", cnn))
        own_card_update(card=mine, text=text("What is an axolotl layer?", cnn))
        assert indexed("wombat") and indexed("axolotl")  # seen inside the transaction
        raise RuntimeError("the request failed")
    assert indexed("wombat") == set() and indexed("axolotl") == set()
    assert indexed("narwhal") == {mine.card_id}


def test_it_reindexes_the_corpus_on_load_with_aliases_and_full_width_text(tmp_path, db):
    folder = write_corpus(tmp_path / "corpus", {"cnn": [card(
        "pooling-purpose", aliases=["池化层", "subsampling"],
        question={"en": "What is ＰＯＯＬＩＮＧ for?", "zh": "池化有什么作用？"})]})
    corpus_load(folder=folder)
    assert indexed("pooling") == indexed("subsampling") == indexed("池化") == {"pooling-purpose"}
    write_corpus(folder, {"cnn": [card("pooling-purpose", question={"en": "What is striding for?",
                                                                   "zh": "步幅有什么作用？"})]})
    corpus_load(folder=folder)
    assert indexed("pooling") == indexed("subsampling") == set() and indexed("striding") == {"pooling-purpose"}


def test_it_finds_through_the_index_exactly_the_cards_whose_tokens_hold_a_term(db):
    corpus_load()
    for term in ("relu", "norm", "梯度", "池", "c++", "u-net", "l2"):
        holders = {card_id for card_id, tokens in Question.objects.values_list("card_id", "search_tokens")
                   if search.uses(term, " " + tokens)}
        assert indexed(term) == holders, term


def test_it_never_shows_bobs_cards_to_alice_through_text_typos_or_highlights(alice, bob, cnn, alice_api):
    own_card_create(owner=bob, text=text("Why does the zygomorphic convolution help?", cnn))
    mine = own_card_create(owner=alice, text=text("What is a <b>dilated</b> convolution?", cnn))
    for query in ("zygomorphic", "zygomorphik", "convolution"):
        assert bob.own_questions.get().card_id not in {q.card_id for q in question_search(query=query, viewer=alice)}
    found = alice_api.get("/api/questions/", {"q": "ＣＯＮＶＯＬＵＴＩＯＮ zygomorphic"}).json()["results"]
    assert [(result["id"], result["highlights"]) for result in found] == [
        (mine.card_id, {"question": "What is a &lt;b&gt;dilated&lt;/b&gt; <mark>convolution</mark>?"})]
    assert "zygomorphic" not in str(found)


def test_it_highlights_the_words_found_in_the_readers_language(api_client, db):
    corpus_load()
    first = api_client.get("/api/questions/", {"q": "dropout 为什么有效"}).json()["results"][0]
    assert first["id"] == "dropout-inverted-scaling"
    assert "<mark>" in first["highlights"]["question"].lower() and "dropout</mark>" in first["highlights"][
        "question"].lower()
    chinese = api_client.get("/api/questions/", {"q": "多头注意力"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert "<mark>多头注意力</mark>" in chinese["results"][0]["highlights"]["question"]
    assert api_client.get("/api/questions/").json()["results"][0]["highlights"] is None  # no search, no marks


def test_it_marks_the_words_found_on_the_questions_page_and_reads_only_long_words_as_typos(client, db):
    corpus_load()
    html = client.get("/questions/all/", {"q": "dropuot"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/questions/dropout-inverted-scaling/" in html and "<mark>dropout</mark>" in html.lower()
    assert question_search(query="dropuot")[0].card_id == "dropout-inverted-scaling"  # 7 letters: a typo
    assert question_search(query="rleu") == []  # 4 letters: too short to guess at
