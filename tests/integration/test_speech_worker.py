"""A worker for the `speech` queue checks, as it starts, that the configured speech-to-text model can run
on its machine, and refuses to start saying what is missing (transformers, which the app does not install).
A worker of the other queues starts whatever the variable says. Where transformers and ffmpeg are there, a
recording is transcribed by a real worker with a real (tiny, made-up) model, and its words pre-tick the
review's key points."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.utils import timezone

from quizapp.interviews import recordings, selectors, services
from quizapp.interviews.models import AnswerRecording
from tests.factories import make_questions, make_topic
from tests.worker import WorkerProcess, running_worker

pytestmark = pytest.mark.integration
CAN_TRANSCRIBE = importlib.util.find_spec("transformers") is not None and shutil.which("ffmpeg") is not None


@pytest.fixture
def model_folder(tmp_path):
    folder = tmp_path / "speech-model"
    folder.mkdir()
    return str(folder)


@pytest.mark.skipif(importlib.util.find_spec("transformers") is not None,
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
    with running_worker(name="demos-with-speech-set", queues="demos", extra_env={"SPEECH_TO_TEXT_MODEL": model_folder}):
        pass  # it reported in


def _tiny_model(folder) -> None:
    """A randomly initialised Wav2Vec2 CTC model whose output layer always picks the token "relu": whatever
    it hears, it says "relu" (CTC folds the repeats), so the test knows the words to expect."""
    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    vocab = {"<pad>": 0, "<unk>": 1, "|": 2, "relu": 3}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    model = Wav2Vec2ForCTC(Wav2Vec2Config(
        vocab_size=len(vocab), hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
        conv_dim=(8,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, pad_token_id=0))
    with torch.no_grad():
        model.lm_head.weight.zero_()
        model.lm_head.bias.zero_()
        model.lm_head.bias[vocab["relu"]] = 1.0
    model.save_pretrained(folder)
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), unk_token="<unk>", pad_token="<pad>",
                                     word_delimiter_token="|")
    features = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                                        return_attention_mask=False)
    Wav2Vec2Processor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(folder)


def _webm_tone(path) -> bytes:
    """Two seconds of a tone as Opus in WebM, what Chromium's MediaRecorder writes."""
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                    "-c:a", "libopus", str(path)], check=True)
    return path.read_bytes()


@pytest.mark.skipif(not CAN_TRANSCRIBE, reason="transformers and ffmpeg are needed to transcribe (pip install "
                                               "transformers; ffmpeg on the PATH)")
def test_a_speech_worker_transcribes_a_recording_and_its_words_pre_tick_the_key_points(
        transactional_db, tmp_path, model_folder, settings, alice, django_capture_on_commit_callbacks):
    _tiny_model(Path(model_folder))
    settings.SPEECH_TO_TEXT_MODEL = model_folder
    with running_worker(name="speech", queues="speech", extra_env={"SPEECH_TO_TEXT_MODEL": model_folder}) as worker:
        make_questions(1, topic=make_topic("basics"))
        interview = services.interview_create(user=alice, topics=[make_topic("basics")], count=1,
                                              minutes_per_question=3, language="en")
        item = services.interview_advance(interview=interview)
        recording = recordings.recording_save(interview=interview, question_id=item.question.card_id,
                                              audio=_webm_tone(tmp_path / "tone.webm"), seconds=2.0,
                                              received_at=timezone.now())
        assert recording.transcript_status == AnswerRecording.Transcript.PENDING
        deadline = time.monotonic() + 120
        while (recording := AnswerRecording.objects.get(pk=recording.pk)).transcript_status == "pending":
            assert time.monotonic() < deadline, worker.log_path.read_text()
            time.sleep(0.5)
    assert (recording.transcript_status, recording.transcript) == ("done", "relu"), worker.log_path.read_text()
    services.interview_end(interview=interview)
    points = selectors.key_points_for_review(item=recording.item, language="en")
    assert [point["suggested"] for point in points] == [False, False, True, False]  # "ReLU or residual …"
    with django_capture_on_commit_callbacks(execute=True):
        recording.delete()  # its file, in the media folder the worker shares
