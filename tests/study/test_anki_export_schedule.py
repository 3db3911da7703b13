"""A learner's schedule taken to the real Anki: with "include scheduling", Anki shows their reviews, due
days, memory states and FSRS preset as the app has them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from fsrs import Scheduler
from rest_framework.test import APIClient

from questions.apkg_export import anki_deck_write, note_guid
from quizapp.study import days, selectors, services
from quizapp.study.models import CardState, ReviewLog
from tests.anki_support import anki_collection, anki_import, card_by_guid

AGAIN, GOOD, EASY = 1, 3, 4
OWN_WEIGHTS = [round(weight * 1.05, 4) for weight in Scheduler().parameters[:20]] + [0.2]


@pytest.fixture
def studied(alice, make_question):
    """Alice's history: a card learnt, forgotten and relearnt; one still in a learning step; one new card
    suspended; one never seen. Her own FSRS weights and retention."""
    # Her days as Anki's on this machine count them (the suite runs in UTC; Anki's day starts at 4), so
    # that a due day means the same day to both.
    services.study_settings_update(user=alice, fields={"fsrs_parameters": OWN_WEIGHTS, "desired_retention": 0.85,
                                                       "timezone": "UTC", "day_start_hour": 4})
    relearnt, learning, suspended, unseen = (make_question() for _ in range(4))
    now = timezone.now()
    for days_ago, minutes, rating in [(30, 0, GOOD), (30, 10, GOOD), (25, 0, GOOD), (12, 0, AGAIN), (12, 10, GOOD),
                                      (4, 0, EASY)]:
        services.card_review(user=alice, question=relearnt, rating=rating, duration_ms=4000,
                             reviewed_at=now - timedelta(days=days_ago) + timedelta(minutes=minutes))
    services.card_review(user=alice, question=learning, rating=GOOD, reviewed_at=now - timedelta(hours=3))
    services.card_set_suspended(user=alice, question=suspended, suspended=True)
    return {"relearnt": relearnt, "learning": learning, "suspended": suspended, "unseen": unseen}


def exported(alice, questions, tmp_path):
    path = tmp_path / "deck.apkg"
    schedule = selectors.anki_schedule(user=alice, question_ids=[q.pk for q in questions], now=timezone.now())
    anki_deck_write(questions=questions, language="en", path=path, schedule=schedule)
    return path


def test_it_gives_anki_the_same_reviews_due_days_and_memory_states(alice, studied, tmp_path):
    path = exported(alice, list(studied.values()), tmp_path)
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, path)
        assert collection.db.scalar("SELECT count() FROM revlog") == ReviewLog.objects.filter(user=alice).count() == 7
        ratings = collection.db.list("SELECT ease FROM revlog ORDER BY id")
        assert ratings == list(ReviewLog.objects.filter(user=alice).order_by("reviewed_at").values_list("rating",
                                                                                                      flat=True))
        state = CardState.objects.get(user=alice, question=studied["relearnt"])
        card = card_by_guid(collection, note_guid(studied["relearnt"], "en"))
        study_settings = selectors.study_settings_get(user=alice)
        today = days.study_day_for(study_settings=study_settings, now=timezone.now()).day
        due_day = days.study_day_at(moment=state.due, timezone_name=study_settings.timezone,
                                    day_start_hour=study_settings.day_start_hour).day
        assert (card.type, card.queue) == (2, 2)  # a review card in Anki's review queue
        assert card.due - collection.sched.today == (due_day - today).days
        assert (card.reps, card.lapses) == (state.reps, state.lapses) == (6, 1)
        assert card.memory_state.stability == pytest.approx(state.stability, abs=1e-3)
        assert card.memory_state.difficulty == pytest.approx(state.difficulty, abs=1e-3)


def test_it_keeps_a_learning_step_at_its_moment_and_a_suspended_card_suspended(alice, studied, tmp_path):
    path = exported(alice, list(studied.values()), tmp_path)
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, path)
        learning = card_by_guid(collection, note_guid(studied["learning"], "en"))
        state = CardState.objects.get(user=alice, question=studied["learning"])
        assert (learning.type, learning.queue) == (1, 1)
        assert learning.due == int(state.due.timestamp())
        assert card_by_guid(collection, note_guid(studied["suspended"], "en")).queue == -1
        unseen = card_by_guid(collection, note_guid(studied["unseen"], "en"))
        assert (unseen.type, unseen.queue, unseen.reps) == (0, 0, 0)


def test_it_puts_the_learners_fsrs_weights_and_retention_in_the_decks_preset(alice, studied, tmp_path):
    path = exported(alice, list(studied.values()), tmp_path)
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, path)
        deck_id = card_by_guid(collection, note_guid(studied["unseen"], "en")).did
        preset = collection.decks.config_dict_for_deck_id(deck_id)
        assert preset["fsrsParams6"] == pytest.approx(OWN_WEIGHTS)
        assert preset["desiredRetention"] == pytest.approx(0.85)


def test_it_leaves_the_schedule_out_unless_asked(alice, studied, tmp_path):
    path = tmp_path / "deck.apkg"
    anki_deck_write(questions=list(studied.values()), language="en", path=path)
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, path)
        assert collection.db.scalar("SELECT count() FROM revlog") == 0
        assert card_by_guid(collection, note_guid(studied["relearnt"], "en")).type == 0


def test_it_exports_only_the_named_learners_schedule_from_the_command(alice, bob, studied, tmp_path):
    services.card_review(user=bob, question=studied["unseen"], rating=GOOD)
    path = tmp_path / "alice.apkg"
    call_command("export_anki", str(path), "--language", "en", "--user", "alice")
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, path)
        assert collection.db.scalar("SELECT count() FROM revlog") == 7  # alice's, not bob's
        assert card_by_guid(collection, note_guid(studied["unseen"], "en")).type == 0


def test_it_downloads_the_schedule_from_the_page_and_the_api_for_the_signed_in_learner(alice, studied, client,
                                                                                   alice_api, tmp_path):
    client.force_login(alice)
    page = client.get("/questions/all/", HTTP_ACCEPT_LANGUAGE="en")
    assert "schedule=on" in page.content.decode()
    downloads = {"web": client.get("/questions/export.apkg?schedule=on&language=en").content,
                 "api": alice_api.get("/api/questions/export.apkg/?schedule=true&language=en").content}
    for source, deck in downloads.items():
        (tmp_path / f"{source}.apkg").write_bytes(deck)
        with anki_collection(tmp_path / source) as collection:
            anki_import(collection, tmp_path / f"{source}.apkg")
            assert collection.db.scalar("SELECT count() FROM revlog") == 7, source


def test_it_refuses_a_schedule_to_an_anonymous_visitor_naming_the_field(studied, client):
    web = client.get("/questions/export.apkg?schedule=on", HTTP_ACCEPT_LANGUAGE="en")
    assert web.status_code == 400 and "Include my schedule: Sign in to download your schedule." in web.content.decode()
    api = APIClient().get("/api/questions/export.apkg/?schedule=true")
    assert api.status_code == 400 and "schedule" in api.json()
    assert APIClient().get("/api/questions/export.apkg/?language=fr").status_code == 400
