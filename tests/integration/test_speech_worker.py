"""A worker for the `speech` queue checks, as it starts, that the configured speech-to-text model can run
on its machine, and refuses to start saying what is missing (here: transformers, which the app does not
install). A worker of the other queues starts whatever the variable says."""

from __future__ import annotations

import pytest

from quizapp.interviews import speech
from tests.worker import WorkerProcess

pytestmark = pytest.mark.integration


@pytest.fixture
def model_folder(tmp_path):
    folder = tmp_path / "speech-model"
    folder.mkdir()
    return str(folder)


@pytest.mark.skipif(speech.importlib.util.find_spec("transformers") is not None,
                    reason="transformers is installed here: the missing-package refusal cannot happen")
def test_a_speech_worker_without_transformers_refuses_to_start_and_says_why(transactional_db, model_folder):
    worker = WorkerProcess(name="speech-refused", queues="speech", extra_env={"SPEECH_TO_TEXT_MODEL": model_folder})
    try:
        assert worker.process.wait(timeout=90) != 0
    finally:
        worker.kill()
    log = worker.log_path.read_text()
    assert "SPEECH_TO_TEXT_MODEL is set but transformers is not installed: pip install transformers" in log


def test_a_speech_worker_needs_the_model_variable(transactional_db):
    worker = WorkerProcess(name="speech-unset", queues="speech", extra_env={"SPEECH_TO_TEXT_MODEL": ""})
    try:
        assert worker.process.wait(timeout=90) != 0
    finally:
        worker.kill()
    assert "SPEECH_TO_TEXT_MODEL is not set" in worker.log_path.read_text()


def test_a_demo_worker_starts_whatever_the_speech_model_says(transactional_db, model_folder):
    worker = WorkerProcess(name="demos-with-speech-set", queues="demos",
                           extra_env={"SPEECH_TO_TEXT_MODEL": model_folder})
    try:
        worker.wait_ready()
    finally:
        worker.stop()
