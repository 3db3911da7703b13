from django import template
from django.utils.html import json_script
from django.utils.translation import gettext as _

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
