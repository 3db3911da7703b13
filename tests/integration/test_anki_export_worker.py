"""A learner's large Anki deck through a real `celery worker` on the exports queue: the request only queues it,
the worker writes the notes with progress, the deck downloads and the real Anki imports it."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from questions.models import AnkiExport, Question
from tests.anki_support import anki_collection, anki_import
from tests.factories import make_topic, make_user
from tests.worker import running_worker

pytestmark = pytest.mark.integration

OWN_CARDS = 5000  # the learner who waited 9 s for the deck built inside the request


@pytest.fixture
def exports_worker(transactional_db):
    with running_worker(name="exports", queues="exports") as worker:
        yield worker


def own_cards(owner, count: int) -> None:
    topic = make_topic("mine")
    Question.objects.bulk_create(Question(
        card_id=f"own-{number}", topic=topic, difficulty=2, owner=owner, question_en=f"Own question {number}?",
        question_zh=f"自己的第 {number} 题？", answer_en=f"Answer {number}.", answer_zh=f"答案 {number}。",
        answer_html_en=f"<p>Answer {number}.</p>", answer_html_zh=f"<p>答案 {number}。</p>")
        for number in range(count))


def timed(call):
    began = time.perf_counter()
    return call(), time.perf_counter() - began


def test_it_builds_a_large_deck_in_the_worker_with_rising_progress(exports_worker, settings, tmp_path):
    alice = make_user("alice")
    own_cards(alice, OWN_CARDS)
    api = APIClient()
    api.force_authenticate(alice)
    assert api.get("/api/questions/export.apkg/?difficulty=1").status_code == 200  # the process warmed up
    settings.ANKI_EXPORT_ASYNC_CARDS = OWN_CARDS  # as before: the whole deck built inside the request
    built_in_request, before = timed(lambda: api.get("/api/questions/export.apkg/?language=en"))
    assert built_in_request.status_code == 200
    settings.ANKI_EXPORT_ASYNC_CARDS = 500
    started, after = timed(lambda: api.get("/api/questions/export.apkg/?language=en"))
    assert started.status_code == 202, started.content
    assert after < before / 3  # the request only counts the cards and queues the build
    export_id = started.json()["id"]
    seen = []
    deadline = time.monotonic() + 120
    while (export := AnkiExport.objects.get(pk=export_id)).status in ("queued", "running"):
        assert time.monotonic() < deadline, f"still {export.status} at {export.progress}"
        seen.append(export.progress)
        time.sleep(0.01)
    assert export.status == AnkiExport.Status.SUCCEEDED, export.error
    assert export.worker == exports_worker.hostname
    between = [fraction for fraction in seen if 0 < fraction < 1]
    assert len(set(between)) >= 3 and between == sorted(between), seen  # it rose, step by step
    polled = api.get(started.json()["url"]).json()
    assert polled["status"] == "succeeded" and polled["progress"] == 1.0
    download = api.get(polled["download_url"])
    (tmp_path / "deck.apkg").write_bytes(b"".join(download.streaming_content))
    with anki_collection(tmp_path / "anki") as collection:
        anki_import(collection, tmp_path / "deck.apkg", scheduling=False)
        assert collection.note_count() == OWN_CARDS
    build_seconds = (export.finished_at - export.started_at).total_seconds()
    print(f"\n{OWN_CARDS} own cards: deck built in the request {before * 1000:.0f} ms, "
          f"start request {after * 1000:.0f} ms, "
          f"queued→built {(export.finished_at - export.created_at).total_seconds():.2f} s, build {build_seconds:.2f} s")
