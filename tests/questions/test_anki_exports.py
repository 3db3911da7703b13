"""A learner's large Anki deck, built by a Celery task (eager here; tests/integration builds one in a real
worker): its page and API, owner only, throttled, expiring, and no file left behind when it fails."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

import engine
from questions import apkg_export, services
from questions.models import AnkiExport, Question
from quizapp.accounts.my_data import account_delete
from tests.anki_support import anki_collection, anki_import
from tests.factories import make_question, make_topic

LARGE = 3  # ANKI_EXPORT_ASYNC_CARDS in these tests: a deck of more cards is built by the task


@pytest.fixture
def storage(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ANKI_EXPORT_ASYNC_CARDS = LARGE
    return settings.MEDIA_ROOT


@pytest.fixture
def alices_cards(alice):
    topic = make_topic("mine")
    return [make_question(topic=topic, owner=alice) for _ in range(LARGE + 2)]


def files_in(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def export_id_in(location: str) -> str:
    return re.search(r"exports/([0-9a-f-]{36})/", location).group(1)


def test_it_builds_a_large_deck_in_a_task_and_links_its_download_from_the_page(
        storage, alices_cards, alice_client, eager_celery, tmp_path):
    started = alice_client.get("/questions/export.apkg?language=en", HTTP_ACCEPT_LANGUAGE="en")
    assert started.status_code == 302
    export = AnkiExport.objects.get(pk=export_id_in(started["Location"]))
    assert export.cards == len(alices_cards) and export.status == AnkiExport.Status.SUCCEEDED
    page = alice_client.get(started["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ready" in page and 'http-equiv="refresh"' not in page
    download = alice_client.get(f"/questions/exports/{export.pk}/deck.apkg")
    assert download["Content-Disposition"] == 'attachment; filename="dl-interview-en.apkg"'
    (tmp_path / "deck.apkg").write_bytes(b"".join(download.streaming_content))
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, tmp_path / "deck.apkg", scheduling=False)
        assert collection.note_count() == len(alices_cards)


def test_it_shows_a_refreshing_progress_page_while_the_deck_is_built(storage, alice, alice_client):
    export = AnkiExport.objects.create(owner=alice, language="en", cards=5000, status=AnkiExport.Status.RUNNING,
                                       progress=0.42)
    page = alice_client.get(f"/questions/exports/{export.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<meta http-equiv="refresh" content="1">' in page  # no script needed
    assert 'max="100" value="42">' in page and "5000 cards" in page
    assert f'/questions/exports/{export.pk}/deck.apkg' not in page


def test_it_keeps_a_small_deck_in_the_request(storage, alice, alice_client):
    make_question(topic="mine", owner=alice)
    response = alice_client.get("/questions/export.apkg")
    assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    assert not AnkiExport.objects.exists()


def test_it_answers_the_api_with_an_export_to_poll_and_then_the_deck(storage, alices_cards, alice_api, eager_celery):
    started = alice_api.get("/api/questions/export.apkg/?language=zh&schedule=true")
    assert started.status_code == 202
    body = started.json()
    assert started["Location"] == body["url"] and body["cards"] == len(alices_cards) and body["with_schedule"]
    polled = alice_api.get(body["url"]).json()
    assert polled["status"] == "succeeded" and polled["progress"] == 1.0
    deck = alice_api.get(polled["download_url"])
    assert deck.status_code == 200 and b"".join(deck.streaming_content)[:2] == b"PK"


def test_it_shows_an_export_to_its_owner_only(storage, alices_cards, alice_api, bob_api, client, bob,
                                              eager_celery):
    export_url = alice_api.get("/api/questions/export.apkg/").json()["url"]
    export_id = export_id_in(export_url)
    assert bob_api.get(export_url).status_code == 404
    assert bob_api.get(f"/api/anki-exports/{export_id}/deck.apkg").status_code == 404
    client.force_login(bob)
    assert client.get(f"/questions/exports/{export_id}/").status_code == 404
    assert client.get(f"/questions/exports/{export_id}/deck.apkg").status_code == 404


def test_it_reuses_the_deck_being_built_when_asked_again(storage, alices_cards, alice_client):
    """No worker here: the first export stays queued, and a reload finds it rather than queuing a second."""
    first = alice_client.get("/questions/export.apkg")
    again = alice_client.get("/questions/export.apkg")
    assert first["Location"] == again["Location"] and AnkiExport.objects.count() == 1
    other = alice_client.get("/questions/export.apkg?language=en")
    assert other["Location"] != first["Location"]


class FailingStorage(FileSystemStorage):
    """A disk that fills up halfway through a file: part of it is written, then the write fails."""

    def _save(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.read(100))
        raise OSError(28, "No space left on device")


def test_it_fails_a_build_whose_storage_fails_and_leaves_no_file(storage, settings, alices_cards, alice_client,
                                                                 eager_celery):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.FailingStorage"}}
    started = alice_client.get("/questions/export.apkg", HTTP_ACCEPT_LANGUAGE="en")
    export = AnkiExport.objects.get(pk=export_id_in(started["Location"]))
    assert export.status == AnkiExport.Status.FAILED and not export.file
    assert files_in(storage) == []
    page = alice_client.get(started["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The deck could not be built" in page
    assert alice_client.get(f"/questions/exports/{export.pk}/deck.apkg").status_code == 404


def test_it_deletes_a_deck_kept_past_its_hours(storage, settings, alices_cards, alice, alice_client, eager_celery):
    settings.ANKI_EXPORT_KEEP_HOURS = 24
    export = AnkiExport.objects.get(pk=export_id_in(alice_client.get("/questions/export.apkg")["Location"]))
    assert len(files_in(storage)) == 1
    AnkiExport.objects.filter(pk=export.pk).update(finished_at=timezone.now() - timedelta(hours=25))
    assert services.anki_exports_expire_stale() == 0  # what the reaper calls: no build failed, one file gone
    assert files_in(storage) == []
    page = alice_client.get(f"/questions/exports/{export.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "expired" in page
    assert alice_client.get(f"/questions/exports/{export.pk}/deck.apkg").status_code == 404


def test_it_fails_a_queued_build_when_no_worker_serves_the_exports_queue(storage, settings, alices_cards, alice,
                                                                          alice_api):
    export = alice_api.get("/api/questions/export.apkg/?language=en").json()
    AnkiExport.objects.filter(pk=export["id"]).update(
        created_at=timezone.now() - timedelta(seconds=settings.DEMO_NO_WORKER_GRACE_SECONDS + 1))
    polled = alice_api.get(export["url"], HTTP_ACCEPT_LANGUAGE="en").json()
    assert polled["status"] == "failed" and polled["error"].startswith("No worker builds decks")


def test_it_limits_how_often_a_learner_starts_an_export(storage, alices_cards, alice_client, alice_api,
                                                        throttle_rates):
    throttle_rates["anki_export"] = "2/min"
    assert [alice_client.get(f"/questions/export.apkg?difficulty={n}").status_code for n in (1, 2, 3)] == [
        200, 302, 429]  # difficulty 1 finds no card: a small deck, built at once, counted all the same
    refused = alice_api.get("/api/questions/export.apkg/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert AnkiExport.objects.count() == 1


def test_it_refuses_an_unknown_topic_or_tag_naming_the_field_and_writes_nothing(storage, alices_cards, alice_api,
                                                                                alice_client):
    api = alice_api.get("/api/questions/export.apkg/?topic=no-such-topic&tag=no-such-tag", HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 400
    assert api.json() == {"topic": ["There is no topic “no-such-topic”."], "tag": ["There is no tag “no-such-tag”."]}
    web = alice_client.get("/questions/export.apkg?topic=no-such-topic", HTTP_ACCEPT_LANGUAGE="en")
    assert web.status_code == 400 and "There is no topic “no-such-topic”." in web.content.decode()
    assert not AnkiExport.objects.exists() and files_in(storage) == []


def test_it_keys_the_visitors_deck_by_language_and_engine_version(monkeypatch, db):
    make_question(topic="cnn")
    criteria = {"topic": None, "tag": None, "difficulty": None}
    zh = apkg_export.corpus_deck_key(language="zh", criteria=criteria)
    assert apkg_export.corpus_deck_key(language="en", criteria=criteria) != zh
    monkeypatch.setattr(engine, "ENGINE_VERSION", f"{engine.ENGINE_VERSION}-next")
    assert apkg_export.corpus_deck_key(language="zh", criteria=criteria) != zh
    built = []
    real = apkg_export.anki_deck_bytes
    monkeypatch.setattr(apkg_export, "anki_deck_bytes", lambda **arguments: built.append(1) or real(**arguments))
    for _ in range(2):
        apkg_export.anki_download(viewer=None, filters={}, language="zh", with_schedule=False)
    assert built == [1]


def test_it_leaves_no_file_and_the_old_deck_whole_when_the_command_fails(db, tmp_path, monkeypatch):
    make_question(topic="cnn")
    path = tmp_path / "deck.apkg"
    call_command("export_anki", str(path))
    before = path.read_bytes()

    def half_written(*, path, **arguments):
        path.write_bytes(b"PK half a deck")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("questions.management.commands.export_anki.anki_deck_write", half_written)
    with pytest.raises(OSError):
        call_command("export_anki", str(path))
    assert path.read_bytes() == before and sorted(tmp_path.iterdir()) == [path]
    with pytest.raises(CommandError, match="no questions in topic 'rnn'"):
        call_command("export_anki", str(tmp_path / "rnn.apkg"), "--topic", "rnn")
    assert sorted(tmp_path.iterdir()) == [path]
    assert Question.objects.count() == 1


def test_it_deletes_a_learners_decks_with_their_account(storage, alices_cards, alice, eager_celery,
                                                        django_capture_on_commit_callbacks):
    services.anki_export_request(owner=alice, filters={}, language="en", with_schedule=False, cards=len(alices_cards))
    assert len(files_in(storage)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=alice)
    assert files_in(storage) == [] and not AnkiExport.objects.exists()


def test_it_answers_503_and_records_nothing_while_the_broker_is_down(storage, alices_cards, alice_api,
                                                                    broker_down):
    refused = alice_api.get("/api/questions/export.apkg/")
    assert refused.status_code == 503 and int(refused["Retry-After"]) > 0
    assert not AnkiExport.objects.exists() and files_in(storage) == []


def test_it_builds_a_visitors_deck_in_the_request_however_large(storage, client, db):
    for _ in range(LARGE + 1):
        make_question(topic="cnn")
    response = client.get("/questions/export.apkg")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert not AnkiExport.objects.exists()


def test_it_fails_a_build_redelivered_after_its_worker_process_died(storage, alice):
    """Celery redelivers a task whose pool process was killed (acks late): the export is found building."""
    export = AnkiExport.objects.create(owner=alice, language="en", cards=5000, status=AnkiExport.Status.RUNNING,
                                       started_at=timezone.now(), worker="exports@host")
    (storage / "anki-exports" / str(alice.pk)).mkdir(parents=True)
    (storage / services.anki_export_file_name(export)).write_bytes(b"PK half a deck")
    services.anki_export_build(export_id=str(export.pk), worker="exports@host")
    export.refresh_from_db()
    assert export.status == AnkiExport.Status.FAILED and export.error.startswith("The worker crashed")
    assert files_in(storage) == []


@pytest.mark.parametrize("accept", ["application/octet-stream", "*/*"])
def test_it_answers_a_client_asking_for_a_file_and_not_with_406(alice_api, accept):
    missing = alice_api.get("/api/anki-exports/00000000-0000-0000-0000-000000000000/deck.apkg", HTTP_ACCEPT=accept)
    assert missing.status_code == 404 and "detail" in missing.json()
    deck = alice_api.get("/api/questions/export.apkg/", HTTP_ACCEPT=accept)
    assert deck.status_code == 200 and deck.content[:2] == b"PK"  # an .apkg is a zip
