from django import template
from django.utils.html import json_script
from django.utils.translation import gettext as _

from questions.languages import content_language

register = template.Library()


@register.filter
def pick_lang(text):
    """{"en": ..., "zh": ...} → the string in the active language."""
    if not isinstance(text, dict):
        return text or ""
    return text.get(content_language(), "")


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.simple_tag
def demo_strings():
    """The words demos.js shows, in the page's language: a JSON element it reads with QuizApp.pageData."""
    return json_script({
        "queued": _("Queued — waiting for a worker…"), "running": _("Running"), "failed": _("Failed"),
        "finished": _("Finished"), "cached": _("From the cache (same parameters ran before)"),
        "device": _("Device"), "compute": _("Compute time"), "engine": _("engine"), "params": _("Parameters"),
        "log": _("log scale"), "login": _("Log in to start new runs."),
        "retry": _("Too many runs. Try again in %(n)s s"),
        "lost": _("Lost contact with the server; reload the page to see the run's result."),
    }, "demo-strings")
