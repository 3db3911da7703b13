"""Cloze and reversed notes both ways, with the real Anki (the `anki` package): a cloze note is a card per
cloze number in the app as in Anki, a reversed note both directions, each card with its own reviews; a
cloze written in the app goes to Anki as a real cloze note; and no round trip doubles a note or a card."""

from __future__ import annotations

import pytest
from django.utils import timezone

from questions.apkg_export import CLOZE_MODEL_ID, anki_deck_write, note_guid
from quizapp.own_cards.imports import own_cards_import
from quizapp.own_cards.services import OwnCardText, own_card_create
from quizapp.study import selectors, services
from quizapp.study.models import CardState, ReviewLog
from tests.anki_support import anki_answer, anki_collection, anki_export, anki_import, anki_note

pytestmark = pytest.mark.usefixtures("english")

GOOD, EASY = 3, 4
CLOZE = "{{c1::ReLU::an activation}} keeps the gradient {{c2::1}} for positive inputs"


def import_package(owner, topic, path, **options):
    return own_cards_import(owner=owner, content=path.read_bytes(), file_name=path.name, default_topic=topic,
                            **options)


def by_card(cards) -> dict[int, object]:
    """Cards by which card of their note they are: the app's note_card, Anki's ord."""
    return {card.note_card if hasattr(card, "topic_id") else card.ord: card for card in cards}


@pytest.fixture
def made_in_anki(tmp_path):
    """A collection with a cloze note whose second card was studied, and two reversed notes, of both of
    Anki's kinds, whose reverse cards were studied."""
    with anki_collection(tmp_path / "anki") as collection:
        cloze = anki_note(collection, deck="Interview", fields=[CLOZE, "Nair &amp; Hinton"], note_type="Cloze")
        both = anki_note(collection, deck="Interview", fields=["What is a leech?", "A card you keep forgetting"],
                         note_type="Basic (and reversed card)")
        optional = anki_note(collection, deck="Interview", fields=["Who wrote Adam?", "Kingma and Ba", "y"],
                             note_type="Basic (optional reversed card)")
        studied = [by_card(note.cards()) for note in (cloze, both, optional)]
        for cards in studied:
            anki_answer(collection, cards[1].id, [GOOD, EASY])
        package = anki_export(collection, tmp_path / "made.apkg")
        stability = collection.get_card(studied[0][1].id).memory_state.stability
        return {"package": package, "cloze": cloze.guid, "both": both.guid, "notes": collection.note_count(),
                "cards": collection.card_count(), "stability": stability}


def test_it_makes_a_card_per_cloze_number_and_both_directions_each_with_its_reviews(alice, cnn, made_in_anki):
    report = import_package(alice, cnn, made_in_anki["package"], with_history=True)
    assert len(report.created) == 6 and report.reviews_imported == 6
    cloze = by_card(alice.own_questions.filter(anki_guid=made_in_anki["cloze"]))
    assert cloze[0].question_en == "[an activation] keeps the gradient 1 for positive inputs"
    assert cloze[1].question_en == "ReLU keeps the gradient […] for positive inputs"
    assert "<strong>1</strong>" in cloze[1].answer_html_en and "Nair &amp; Hinton" in cloze[1].answer_html_en
    both = by_card(alice.own_questions.filter(anki_guid=made_in_anki["both"]))
    assert (both[0].question_en, both[1].question_en) == ("What is a leech?", "A card you keep forgetting")
    assert both[1].answer_en == "What is a leech?"
    studied = CardState.objects.filter(user=alice, reps=2).values_list("question__note_card", flat=True)
    assert sorted(studied) == [1, 1, 1]  # the cards studied in Anki, not their siblings
    memory = CardState.objects.get(user=alice, question=cloze[1])
    assert memory.stability == pytest.approx(made_in_anki["stability"], rel=1e-3)
    again = import_package(alice, cnn, made_in_anki["package"], with_history=True)
    assert again.created == [] and again.reviews_imported == 0 and len(again.skipped) == 3
    assert alice.own_questions.count() == 6 and ReviewLog.objects.filter(user=alice).count() == 6


def test_it_sends_cloze_and_reversed_notes_back_to_anki_as_the_same_notes(alice, cnn, made_in_anki, tmp_path):
    """Anki → app → Anki: each note keeps its GUID and its cards, so nothing is added in Anki."""
    report = import_package(alice, cnn, made_in_anki["package"], with_history=True)
    schedule = selectors.anki_schedule(user=alice, question_ids=[card.pk for card in report.created],
                                       now=timezone.now())
    assert anki_deck_write(questions=report.created, language="en", path=tmp_path / "back.apkg",
                           schedule=schedule) == 3
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, tmp_path / "back.apkg")
        assert (collection.note_count(), collection.card_count()) == (made_in_anki["notes"], made_in_anki["cards"])


def test_it_exports_a_cloze_written_here_as_an_anki_cloze_note_with_its_schedule(alice, cnn, tmp_path):
    """App → Anki → app: Anki makes a card per number from the note's text and continues each card's
    schedule; the deck comes back as the same cards."""
    first = own_card_create(owner=alice, text=OwnCardText(question=CLOZE, answer="", topic=cnn, difficulty=2))
    cards = by_card(alice.own_questions.all())
    assert first == cards[0] and cards[0].anki_guid == cards[1].anki_guid
    services.card_review(user=alice, question=cards[1], rating=GOOD, reviewed_at=timezone.now()
                         - timezone.timedelta(days=2))
    schedule = selectors.anki_schedule(user=alice, question_ids=[card.pk for card in cards.values()],
                                       now=timezone.now())
    anki_deck_write(questions=list(cards.values()), language="en", path=tmp_path / "mine.apkg", schedule=schedule)
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, tmp_path / "mine.apkg")
        note = collection.get_note(collection.db.scalar("SELECT id FROM notes WHERE guid = ?",
                                                        note_guid(cards[0], "en")))
        assert note.note_type()["id"] == CLOZE_MODEL_ID and note.note_type()["type"] == 1  # Anki's cloze kind
        in_anki = by_card(note.cards())
        assert sorted(in_anki) == [0, 1] and "[an activation]" in in_anki[0].question()
        assert '<span class="cloze"' in in_anki[1].answer() and ">1</span>" in in_anki[1].answer()
        assert (in_anki[0].reps, in_anki[1].reps) == (0, 1) and in_anki[1].memory_state is not None
        package = anki_export(collection, tmp_path / "back.apkg")
    report = import_package(alice, cnn, package, with_history=True)
    assert report.created == [] and alice.own_questions.count() == 2
    assert ReviewLog.objects.filter(user=alice).count() == 1  # the review that went to Anki, not doubled


def test_it_keeps_a_notes_later_fields_under_their_names_and_not_the_reverse_flag(alice, cnn, tmp_path):
    with anki_collection(tmp_path / "anki") as collection:
        models = collection.models
        with_extra = models.copy(models.by_name("Basic"))
        for name in ("Extra", "Source"):
            models.add_field(with_extra, models.new_field(name))
        models.update_dict(with_extra)
        anki_note(collection, deck="Interview", note_type=with_extra["name"],
                  fields=["Why warm up the learning rate?", "Adam's early steps are noisy", "See Goyal et al. 2017",
                          ""])
        anki_note(collection, deck="Interview", fields=["Who wrote Adam?", "Kingma and Ba", "y"],
                  note_type="Basic (optional reversed card)")
        package = anki_export(collection, tmp_path / "extra.apkg")
    import_package(alice, cnn, package)
    warm_up = alice.own_questions.get(question_en="Why warm up the learning rate?")
    assert "Adam's early steps are noisy" in warm_up.answer_en and "Extra: See Goyal et al. 2017" in warm_up.answer_en
    assert "Source" not in warm_up.answer_en  # an empty field adds nothing
    adam = alice.own_questions.get(question_en="Who wrote Adam?", note_card=0)
    assert adam.answer_en.strip() == "Kingma and Ba"  # "Add Reverse: y" says which cards to make, not what they say
