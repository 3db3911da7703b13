"""Celery tasks of the interviews app: another interface onto its services. Routed to the `speech` queue
(settings.CELERY_TASK_ROUTES), which only a worker with the speech-to-text model serves."""

from __future__ import annotations

from celery import shared_task

from quizapp.interviews import recordings

# A twenty-minute answer on a CPU takes minutes; past the soft limit the recording is marked failed.
TRANSCRIBE_SOFT_TIME_LIMIT = 600
TRANSCRIBE_TIME_LIMIT = 660


@shared_task(acks_late=True, soft_time_limit=TRANSCRIBE_SOFT_TIME_LIMIT, time_limit=TRANSCRIBE_TIME_LIMIT)
def transcribe_recording(recording_id: int) -> None:
    recordings.recording_transcribe(recording_id=recording_id)
