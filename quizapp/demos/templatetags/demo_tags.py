from django import template
from django.utils.html import json_script
from django.utils.translation import gettext as _

from questions.languages import content_language
from quizapp.demos.labels import stored_run_label

register = template.Library()


@register.filter
def pick_lang(text):
    """{"en": ..., "zh": ...} → the string in the active language."""
    if not isinstance(text, dict):
        return text or ""
    return text.get(content_language(), "")


@register.filter
def stored_label(run):
    """A succeeded run's "computed when, on what, in how long"."""
    return stored_run_label(run)


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.simple_tag
def demo_strings():
    """The words demos.js shows, in the page's language: a JSON element it reads with QuizApp.pageData."""
    return json_script({
        "queued": _("Queued — waiting for a worker…"), "running": _("Running"), "failed": _("Failed"),
        "finished": _("Computed just now on %(device)s in %(seconds)s s"),
        "cached": _("From the cache: computed %(when)s on %(device)s in %(seconds)s s (same parameters ran before)"),
        "device": _("Device"), "compute": _("Compute time"), "engine": _("engine"), "params": _("Parameters"),
        "log": _("log scale"), "login": _("Log in to start new runs."),
        "retry": _("Too many runs. Try again in %(n)s s"),
        "lost": _("Lost contact with the server; reload the page to see the run's result."),
    }, "demo-strings")
