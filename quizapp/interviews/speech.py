"""Speech-to-text for spoken answers, where the deployment configures it.

SPEECH_TO_TEXT_MODEL names a local model folder; a worker on the `speech` queue loads it with Hugging Face
transformers' automatic-speech-recognition pipeline. transformers is no dependency of the app: install it
(`pip install transformers`) on the speech worker's machine only, with ffmpeg on its PATH, which the pipeline
runs to decode the browser's WebM, Ogg or MP4. A speech worker that lacks either refuses to start, saying which
(quizapp.celery.SpeechModelCheck). Without the variable, recordings are kept untranscribed and the pages and
the API say transcription is not configured.
"""

from __future__ import annotations

import functools
import importlib.util
import shutil
from pathlib import Path

from django.conf import settings

QUEUE = "speech"
# Long answers are read in windows of this many seconds (the pipeline's chunking; Whisper's own window).
CHUNK_SECONDS = 30


def configured() -> bool:
    return bool(settings.SPEECH_TO_TEXT_MODEL)


def problem() -> str | None:
    """Why the configured model cannot run on this machine; None when it can, or when none is configured."""
    path = settings.SPEECH_TO_TEXT_MODEL
    if not path:
        return None
    if importlib.util.find_spec("transformers") is None:
        return "SPEECH_TO_TEXT_MODEL is set but transformers is not installed: pip install transformers"
    if not Path(path).is_dir():
        return f"SPEECH_TO_TEXT_MODEL={path!r} is not a folder holding a speech-to-text model"
    if shutil.which("ffmpeg") is None:
        return "SPEECH_TO_TEXT_MODEL is set but ffmpeg is not on the PATH: transformers needs it to decode recordings"
    return None


@functools.cache
def _recogniser():
    from transformers import pipeline  # imported here: only a speech worker has it

    return pipeline("automatic-speech-recognition", model=settings.SPEECH_TO_TEXT_MODEL)


def transcribe(audio: bytes) -> str:
    """The words of one recording, as the configured model hears them."""
    return _recogniser()(audio, chunk_length_s=CHUNK_SECONDS)["text"].strip()
