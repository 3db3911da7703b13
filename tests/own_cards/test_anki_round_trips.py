"""Anki both ways, with the real Anki (the `anki` package): a collection made and studied in Anki comes
into the app with its reviews, memory states, decks and GUIDs; the app's own deck comes back as the
cards it holds; nothing doubles, and one learner's import never touches another's cards."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from fsrs import Scheduler

from questions.apkg_export import anki_deck_write, note_guid
from questions.models import Question, Topic
from quizapp.own_cards.imports import ImportRefused, own_cards_import
from quizapp.own_cards.services import OwnCardText, own_card_create
from quizapp.study import selectors, services
from quizapp.study.models import CardState, ReviewLog
from tests.anki_support import (
    anki_answer,
    anki_collection,
    anki_export,
    anki_fsrs_preset,
    anki_import,
    anki_note,
    card_by_guid,
)

pytestmark = pytest.mark.usefixtures("english")

GOOD, EASY = 3, 4
ANKI_WEIGHTS = [round(weight * 0.95, 4) for weight in Scheduler().parameters]


def import_package(owner, topic, path, **options):
    return own_cards_import(owner=owner, content=path.read_bytes(), file_name=path.name, default_topic=topic,
                            **options)


@pytest.fixture
def studied_in_anki(tmp_path):
    """A collection studied in Anki: a note in the sub-deck "Interview::cnn" rated Good, Good, Easy (a review
    card with an FSRS memory state), and a new one tagged with a topic; FSRS weights of its own."""
    def make(folder="anki"):
        with anki_collection(tmp_path / folder) as collection:
            anki_fsrs_preset(collection, deck="Interview::cnn", weights=ANKI_WEIGHTS, retention=0.88)
            pooling = anki_note(collection, deck="Interview::cnn", fields=["Why pooling?", "<b>Invariance</b> to "
                                                                           "small shifts: \\(y = \\max_i x_i\\)"])
            anki_answer(collection, pooling.cards()[0].id, [GOOD, GOOD, EASY])
            relu = anki_note(collection, deck="Interview", fields=["Why ReLU?", 'No saturation <img src="relu.png">'],
                             tags=["DLIT::topic::activations"])
            card = collection.get_card(pooling.cards()[0].id)
            return {"collection_folder": tmp_path / folder, "pooling": pooling.guid, "relu": relu.guid,
                    "stability": card.memory_state.stability, "difficulty": card.memory_state.difficulty,
                    "interval": card.ivl}
    return make


@pytest.mark.parametrize("legacy", [False, True], ids=["anki21b", "anki21"])
def test_it_brings_ankis_reviews_memory_states_decks_and_guids(alice, cnn, studied_in_anki, tmp_path, legacy):
    made = studied_in_anki()
    with anki_collection(made["collection_folder"]) as collection:
        package = anki_export(collection, tmp_path / "studied.apkg", legacy=legacy)
    report = import_package(alice, Topic.objects.get(slug="activations"), package, with_history=True)
    cards = {card.question_en: card for card in report.created}
    pooling, relu = cards["Why pooling?"], cards["Why ReLU?"]
    assert (pooling.topic.slug, pooling.anki_guid) == ("cnn", made["pooling"])  # the sub-deck named it
    assert (relu.topic.slug, relu.anki_guid) == ("activations", made["relu"])  # its tag named it
    assert pooling.answer_en == "<b>Invariance</b> to small shifts: $y = \\max_i x_i$"  # Anki's MathJax as ours
    logs = ReviewLog.objects.filter(user=alice, card__question=pooling).order_by("reviewed_at")
    assert [log.rating for log in logs] == [GOOD, GOOD, EASY] and {log.source for log in logs} == {"anki"}
    assert report.reviews_imported == 3
    state = CardState.objects.get(user=alice, question=pooling)
    assert state.state == "review" and (state.reps, state.lapses) == (3, 0)
    # Anki's memory state wins over the replay: it is what the learner's Anki scheduled with.
    assert state.stability == pytest.approx(made["stability"], abs=1e-3)
    assert state.difficulty == pytest.approx(made["difficulty"], abs=1e-3)
    assert (state.due - state.last_review).days == made["interval"]
    assert not CardState.objects.filter(user=alice, question=relu).exists()  # new in Anki: new here


def test_it_imports_twice_without_doubling_cards_or_reviews(alice, cnn, studied_in_anki, tmp_path):
    made = studied_in_anki()
    with anki_collection(made["collection_folder"]) as collection:
        package = anki_export(collection, tmp_path / "studied.apkg")
    import_package(alice, cnn, package, with_history=True)
    again = import_package(alice, cnn, package, with_history=True, update_existing=True)
    assert again.created == [] and again.reviews_imported == 0
    assert alice.own_questions.count() == 2 and ReviewLog.objects.filter(user=alice).count() == 3


@pytest.mark.parametrize("legacy", [False, True], ids=["anki21b", "anki21"])
def test_it_takes_ankis_fsrs_weights_and_retention_only_when_asked(alice, cnn, studied_in_anki, tmp_path, legacy):
    made = studied_in_anki()
    with anki_collection(made["collection_folder"]) as collection:
        package = anki_export(collection, tmp_path / "studied.apkg", legacy=legacy)
    assert import_package(alice, cnn, package).fsrs_taken is False
    assert selectors.study_settings_get(user=alice).fsrs_parameters == []
    assert import_package(alice, cnn, package, take_fsrs_parameters=True).fsrs_taken is True
    study_settings = selectors.study_settings_get(user=alice)
    assert study_settings.fsrs_parameters == pytest.approx(ANKI_WEIGHTS, abs=1e-4)
    assert study_settings.desired_retention == pytest.approx(0.88)


def test_it_never_touches_another_learners_cards(alice, bob, cnn, studied_in_anki, tmp_path):
    bobs = own_card_create(owner=bob, text=OwnCardText(question="Why pooling?", answer="Bob's words", topic=cnn,
                                                       difficulty=1))
    services.card_review(user=bob, question=bobs, rating=GOOD)
    made = studied_in_anki()
    with anki_collection(made["collection_folder"]) as collection:
        package = anki_export(collection, tmp_path / "studied.apkg")
    report = import_package(alice, cnn, package, with_history=True, update_existing=True)
    assert len(report.created) == 2
    bobs.refresh_from_db()
    assert (bobs.answer_en, bobs.owner, bobs.anki_guid) == ("Bob's words", bob, "")
    assert ReviewLog.objects.filter(user=bob).count() == 1 and ReviewLog.objects.filter(user=alice).count() == 3


def test_it_keeps_a_cards_topic_and_says_so_when_the_deck_names_another(alice, cnn, studied_in_anki, tmp_path):
    made = studied_in_anki()
    with anki_collection(made["collection_folder"]) as collection:
        package = anki_export(collection, tmp_path / "studied.apkg")
    report = import_package(alice, cnn, package)
    pooling = next(card for card in report.created if card.question_en == "Why pooling?")
    Question.objects.filter(pk=pooling.pk).update(topic=Topic.objects.get(slug="activations"))  # the learner moved it
    again = import_package(alice, cnn, package, update_existing=True)
    pooling.refresh_from_db()
    assert pooling.topic.slug == "activations" and again.topics_kept == [1]


def test_it_takes_our_own_deck_back_from_anki_as_the_cards_it_holds(alice, cnn, tmp_path):
    """App → Anki → app: the learner's schedule goes to Anki, one more review is made there, and the
    deck comes back: no card copied, no review doubled, the new one added."""
    corpus = list(Question.objects.corpus())
    own = own_card_create(owner=alice, text=OwnCardText(question="My question?", answer="Mine", topic=cnn,
                                                        difficulty=2))
    for question in [*corpus, own]:
        services.card_review(user=alice, question=question, rating=GOOD, reviewed_at=timezone.now()
                             - timezone.timedelta(days=3))
    questions = [*corpus, own]
    schedule = selectors.anki_schedule(user=alice, question_ids=[q.pk for q in questions], now=timezone.now())
    anki_deck_write(questions=questions, language="en", path=tmp_path / "mine.apkg", schedule=schedule)
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, tmp_path / "mine.apkg")
        anki_answer(collection, card_by_guid(collection, note_guid(corpus[0], "en")).id, [GOOD])
        package = anki_export(collection, tmp_path / "back.apkg")
    before = ReviewLog.objects.filter(user=alice).count()
    report = import_package(alice, cnn, package, with_history=True, update_existing=True)
    assert report.created == [] and len(report.recognised) == len(questions)
    assert alice.own_questions.count() == 1 and ReviewLog.objects.filter(user=alice).count() == before + 1
    assert CardState.objects.get(user=alice, question=corpus[0]).reps == 2
    own.refresh_from_db()
    assert own.answer_en == "Mine"  # its Markdown never replaced by the note's HTML


def test_it_sends_an_imported_note_back_to_anki_as_the_same_note(alice, cnn, studied_in_anki, tmp_path):
    """Anki → app → Anki: the GUID kept, so Anki updates its note instead of adding a second one."""
    made = studied_in_anki()
    with anki_collection(made["collection_folder"]) as collection:
        package = anki_export(collection, tmp_path / "studied.apkg")
    report = import_package(alice, cnn, package, with_history=True)
    for language in ("en", "zh"):  # one note whatever the language of the download
        anki_deck_write(questions=report.created, language=language, path=tmp_path / f"{language}.apkg")
    with anki_collection(made["collection_folder"]) as collection:
        notes_before = collection.note_count()
        for language in ("en", "zh"):
            anki_import(collection, tmp_path / f"{language}.apkg", scheduling=False)
        assert collection.note_count() == notes_before


def test_it_takes_the_history_and_the_preset_through_the_page_and_the_api(alice, alice_client, alice_api, cnn,
                                                                         studied_in_anki, tmp_path):
    made = studied_in_anki()
    with anki_collection(made["collection_folder"]) as collection:
        package = anki_export(collection, tmp_path / "studied.apkg")
    with package.open("rb") as upload:
        preview = alice_client.post("/questions/mine/import/", {"file": upload, "topic": "cnn", "with_history": "on"},
                                    HTTP_ACCEPT_LANGUAGE="en")
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview.content.decode()).group(1)
    page = alice_client.post("/questions/mine/import/confirm/", {"token": token, "file_name": package.name,
                                                                 "topic": "cnn", "with_history": "on"},
                             follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Added 3 reviews from Anki to your history." in page.content.decode()
    assert ("1 note shows an image that was not imported: note 2: relu.png: not in the package&#x27;s media."
            in page.content.decode())
    assert ("Topics from Anki&#x27;s decks and tags: DLIT::topic::activations → Activation functions, "
            "Interview::cnn → Convolutional networks.") in page.content.decode()
    with package.open("rb") as upload:
        answer = alice_api.post("/api/own-cards/import/", {"file": upload, "topic": "cnn", "with_history": True,
                                                           "take_fsrs_parameters": True}, format="multipart")
    assert answer.status_code == 201
    assert (answer.json()["reviews_imported"], answer.json()["fsrs_taken"]) == (0, True)  # nothing twice
    assert ReviewLog.objects.filter(user=alice).count() == 3


@pytest.mark.parametrize("with_html", [True, False], ids=["html", "text"])
def test_it_refuses_ankis_cards_export_naming_the_notes_export_it_takes(alice, cnn, tmp_path, with_html):
    with anki_collection(tmp_path / "anki") as collection:
        anki_note(collection, deck="Interview", fields=["What is ReLU?", "max(0, x)"])
        anki_note(collection, deck="Interview", fields=["{{c1::ReLU}} is {{c2::max(0, x)}}"], note_type="Cloze")
        collection.export_card_csv(out_path=str(tmp_path / "cards.txt"), limit=None, with_html=with_html)
        collection.export_note_csv(out_path=str(tmp_path / "notes.txt"), limit=None, with_html=with_html,
                                   with_tags=True, with_deck=True, with_notetype=True, with_guid=True)
    with pytest.raises(ImportRefused, match="“Notes in Plain Text”"):
        import_package(alice, cnn, tmp_path / "cards.txt")
    assert len(import_package(alice, cnn, tmp_path / "notes.txt").created) == 3  # the cloze note: a card per number


def test_it_gives_alice_her_own_copy_of_a_card_from_bobs_download(alice, bob, cnn, tmp_path):
    bobs = own_card_create(owner=bob, text=OwnCardText(question="Bob's question?", answer="Bob's answer", topic=cnn,
                                                       difficulty=2))
    services.card_review(user=bob, question=bobs, rating=GOOD)
    schedule = selectors.anki_schedule(user=bob, question_ids=[bobs.pk], now=timezone.now())
    anki_deck_write(questions=[bobs], language="en", path=tmp_path / "bob.apkg", schedule=schedule)
    report = import_package(alice, cnn, tmp_path / "bob.apkg", with_history=True, update_existing=True)
    assert report.recognised == [] and [card.question_en for card in report.created] == ["Bob's question?"]
    bobs.refresh_from_db()
    assert bobs.owner == bob and ReviewLog.objects.filter(user=bob).count() == 1
    assert ReviewLog.objects.filter(user=alice, card__question=report.created[0]).count() == 1  # her copy's


def test_it_keeps_the_apps_schedule_when_its_own_review_is_newer_than_ankis(alice, cnn, studied_in_anki, tmp_path):
    made = studied_in_anki()
    with anki_collection(made["collection_folder"]) as collection:
        package = anki_export(collection, tmp_path / "studied.apkg")
    pooling = next(card for card in import_package(alice, cnn, package).created if card.question_en == "Why pooling?")
    services.card_review(user=alice, question=pooling, rating=GOOD)  # after Anki's three
    before = CardState.objects.get(user=alice, question=pooling)
    assert import_package(alice, cnn, package, with_history=True).reviews_imported == 3
    after = CardState.objects.get(user=alice, question=pooling)
    assert (after.due, after.stability, after.difficulty) == (before.due, before.stability, before.difficulty)
    assert after.reps == ReviewLog.objects.filter(user=alice, card=after).count() == 4
