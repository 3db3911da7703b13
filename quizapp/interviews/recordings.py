"""Spoken answers: writes and reads of AnswerRecording, kept beside services.py and selectors.py.

A recording is taken on its question's clock, as a typed answer is: it is accepted while the question is on
screen, until its deadline (with the same grace for the network), and its length may not pass the time the
question gives. Its container is read from its bytes, not from what the browser calls it. The file lives in
Django's default storage; deleting the row, by the learner or through the interview's or the account's
cascade, removes the file once the deletion is committed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _

from quizapp.core.errors import NotYours
from quizapp.core.queueing import QueueUnavailable, publish
from quizapp.interviews import speech
from quizapp.interviews.models import AnswerRecording, Interview, InterviewItem
from quizapp.interviews.services import GRACE, InterviewConflict, InterviewInputError

logger = logging.getLogger(__name__)

# What MediaRecorder writes: WebM in Chromium, Ogg in Firefox, MP4 in Safari.
EXTENSIONS = {"audio/webm": ".webm", "audio/ogg": ".ogg", "audio/mp4": ".m4a"}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"


def recording_container(content: bytes) -> str | None:
    """The audio content type the bytes are (the container's magic numbers), or None for anything else."""
    if content.startswith(_EBML_MAGIC) and b"webm" in content[:64]:  # the EBML header's DocType
        return "audio/webm"
    if content.startswith(b"OggS"):
        return "audio/ogg"
    if content[4:8] == b"ftyp":
        return "audio/mp4"
    return None


def transcription_status() -> dict:
    """What the pages and the API say about speech-to-text here."""
    if speech.configured():
        return {"configured": True, "detail": _("Spoken answers are transcribed, and the key points your words "
                                                "hold are ticked for you, as for a typed answer.")}
    return {"configured": False, "detail": _("Speech-to-text is not configured on this site: your recording is "
                                             "kept and played back at the review, but not transcribed, so no "
                                             "key point is ticked for it.")}


def recording_url(item: InterviewItem, *, audio: bool = False) -> str:
    """The API address of the item's recording (its audio with `audio`): a follow-up shares its question's
    card, so its recordings live under the card's `follow-up/`."""
    name = "api-interview-follow-up-recording" if item.is_follow_up else "api-interview-recording"
    return reverse(name + ("-audio" if audio else ""),
                   kwargs={"interview_id": item.interview_id, "question_id": item.question.card_id})


def _item(interview: Interview, question_id: str, follow_up: bool) -> InterviewItem:
    item = interview.items.filter(question__card_id=question_id, follow_up_of__isnull=not follow_up).first()
    if item is None:
        raise InterviewInputError(fields={"question": [_("This question is not part of this interview.")]})
    return item


def _check_on_the_clock(interview: Interview, item: InterviewItem, received_at) -> None:
    """The answer's own timing rules (services.interview_answer_save), with no late recordings."""
    if item.shown_at is None:
        raise InterviewInputError(fields={"question": [_("This question has not been shown yet.")]})
    if interview.status == Interview.Status.DONE:
        raise InterviewConflict(_("This interview has been reviewed; its answers can no longer change."))
    if interview.status == Interview.Status.REVIEWING and received_at > interview.answering_ended_at + GRACE:
        raise InterviewConflict(_("Answering has ended and the reference answers are shown: "
                                  "the answers can no longer change."))
    if item.closed_at is not None and not item.timed_out:
        raise InterviewConflict(_("You have already moved on from this question."))
    if received_at > item.deadline + GRACE:
        raise InterviewConflict(_("This question's time is up: a recording is taken only on its clock."))


def too_large_message(limit: int) -> str:
    return _("The recording is larger than %(limit)s bytes, the most this site keeps.") % {"limit": f"{limit:,}"}


def _check_audio(item: InterviewItem, audio: bytes, seconds: float) -> str:
    limit = settings.ANSWER_RECORDING_MAX_BYTES
    if len(audio) > limit:
        raise InterviewInputError(fields={"audio": [too_large_message(limit)]})
    content_type = recording_container(audio)
    if content_type is None:
        raise InterviewInputError(fields={"audio": [_("This is not a WebM, Ogg or MP4 audio recording.")]})
    allowed = (item.deadline - item.shown_at + GRACE).total_seconds()
    if not 0 < seconds <= allowed:
        raise InterviewInputError(fields={"seconds": [
            _("A recording of this question lasts at most its time, %(seconds)d seconds.")
            % {"seconds": allowed - GRACE.total_seconds()}]})
    return content_type


@transaction.atomic
def recording_save(*, interview: Interview, question_id: str, audio: bytes, seconds: float,
                   received_at, follow_up: bool = False) -> AnswerRecording:
    """Keep the recording as the question's spoken answer, in place of an earlier one, and queue its
    transcription where speech-to-text is configured. `received_at` is when the upload began: a long
    upload that started on the clock is on time."""
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    item = _item(interview, question_id, follow_up)
    _check_on_the_clock(interview, item, received_at)
    content_type = _check_audio(item, audio, seconds)
    AnswerRecording.objects.filter(item=item).delete()
    recording = AnswerRecording(item=item, content_type=content_type, size=len(audio), seconds=seconds,
                                recorded_at=received_at)
    if speech.configured():
        recording.transcript_status = AnswerRecording.Transcript.PENDING
        transaction.on_commit(lambda: _queue_transcription(recording.pk))
    recording.audio.save(f"answer{EXTENSIONS[content_type]}", ContentFile(audio), save=False)
    recording.save()
    return recording


def _queue_transcription(recording_id: int) -> None:
    """After the commit, so the task finds its row. A broker that is down costs the transcript, never the
    recording: the learner still hears it at the review."""
    from quizapp.interviews.tasks import transcribe_recording

    try:
        publish(transcribe_recording, args=[recording_id])
    except QueueUnavailable:
        AnswerRecording.objects.filter(pk=recording_id).update(transcript_status=AnswerRecording.Transcript.FAILED)


@transaction.atomic
def recording_delete(*, interview: Interview, question_id: str, follow_up: bool = False) -> None:
    """Delete the question's (or its follow-up's) recording and its file, whenever the learner asks.
    NotYours when there is none."""
    deleted, _counts = AnswerRecording.objects.filter(item__interview=interview, item__question__card_id=question_id,
                                                      item__follow_up_of__isnull=not follow_up).delete()
    if not deleted:
        raise NotYours


def recording_transcribe(*, recording_id: int) -> None:
    """Fill the transcript of a recording waiting for one. A recording deleted or replaced meanwhile, or
    transcribed by an earlier delivery of the task, is left alone."""
    recording = AnswerRecording.objects.filter(pk=recording_id, transcript_status=AnswerRecording.Transcript.PENDING
                                               ).first()
    if recording is None:
        return
    try:
        with recording.audio.open("rb") as stored:
            audio = stored.read()
    except FileNotFoundError:  # deleted between the query and the read
        return
    try:
        text, status = speech.transcribe(audio), AnswerRecording.Transcript.DONE
    except Exception:  # a recording the model cannot read fails alone; the worker goes on
        logger.exception("transcribing recording %s failed", recording_id)
        text, status = "", AnswerRecording.Transcript.FAILED
    AnswerRecording.objects.filter(pk=recording_id, transcript_status=AnswerRecording.Transcript.PENDING).update(
        transcript=text, transcript_status=status)


def recording_get_or_404(*, user, interview_id, question_id: str, follow_up: bool = False) -> AnswerRecording:
    """The learner's own recording; anyone else's, like a missing one, is NotYours."""
    recording = (AnswerRecording.objects.select_related("item__question")
                 .filter(item__interview_id=interview_id, item__interview__user=user,
                         item__question__card_id=question_id, item__follow_up_of__isnull=not follow_up).first())
    if recording is None:
        raise NotYours
    return recording


def recordings_of(*, interview: Interview) -> list[AnswerRecording]:
    return list(AnswerRecording.objects.filter(item__interview=interview).select_related("item__question")
                .order_by("item__position"))


def recording_read(recording: AnswerRecording, start: int, length: int) -> bytes:
    with recording.audio.open("rb") as stored:
        stored.seek(start)
        return stored.read(length)


@receiver(post_delete, sender=AnswerRecording)
def _remove_file(sender, instance: AnswerRecording, **kwargs) -> None:
    # After the commit: a deletion rolled back must find its file still there.
    name, storage = instance.audio.name, instance.audio.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
