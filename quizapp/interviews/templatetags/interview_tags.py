from django import template
from django.conf import settings
from django.utils.html import json_script
from django.utils.translation import gettext as _

from quizapp.interviews import recordings

register = template.Library()


@register.filter
def clock(seconds: int | None) -> str:
    """Seconds as m:ss (or h:mm:ss), the way a countdown shows them."""
    if seconds is None:
        return "—"
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@register.filter
def percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


@register.filter
def rating_name(rating: int | None) -> str:
    names = {1: _("Again"), 2: _("Hard"), 3: _("Good"), 4: _("Easy")}
    return names.get(rating, "—")


@register.simple_tag
def answer_strings(warn_seconds: int, minute_seconds: int):
    """The words interviews.js shows on the answer page: a JSON element it reads with QuizApp.pageData."""
    warning = (_("Under a minute left") if warn_seconds == minute_seconds
               else _("Under %(seconds)s seconds left") % {"seconds": warn_seconds})
    return json_script({"saving": _("Saving…"), "saved": _("Saved"), "failed": _("Not saved yet; retrying."),
                        "warning": warning, "time_up": _("Time is up: moving on.")}, "answer-strings")


@register.simple_tag
def trend_strings():
    """The history chart's words, read by interviews.js like the answer page's."""
    return json_script({"score": _("Score (%)")}, "trend-strings")


@register.filter
def spoken_any(rows: list[dict]) -> bool:
    """Whether any of the page's questions was answered aloud."""
    return any(row["item"].spoken_answer is not None for row in rows)


@register.inclusion_tag("interviews/_recorder.html")
def spoken_answer_recorder(item):
    """The answer page's recorder: record, stop, listen, delete; what the site does with a recording."""
    return {"item": item, "recording": item.spoken_answer, "transcription": recordings.transcription_status(),
            "max_bytes": settings.ANSWER_RECORDING_MAX_BYTES,
            "recording_api": recordings.recording_url(item)}


@register.inclusion_tag("interviews/_recording.html")
def spoken_answer_player(item):
    """A question's spoken answer on the review and results pages: the player, its transcript or why
    there is none, and a button that deletes it."""
    recording = item.spoken_answer
    return {"recording": recording, "transcription": recordings.transcription_status(),
            "recording_api": recording and recordings.recording_url(item)}


@register.simple_tag
def recorder_strings():
    """The words spoken-answers.js shows, read like the answer page's."""
    return json_script({
        "record": _("Record"), "record_again": _("Record again"), "recording": _("Recording… %(time)s"),
        "saving": _("Saving the recording…"),
        "saved": _("Recording saved: %(time)s"), "failed": _("The recording was not saved: %(reason)s"),
        "deleted": _("Recording deleted."), "no_microphone": _("No microphone could be used: %(reason)s"),
        "full": _("The recording reached the size this site keeps and stopped."),
        "unsupported": _("This browser cannot record audio: type your answer instead."),
    }, "recorder-strings")
