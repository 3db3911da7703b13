from urllib.parse import urlencode

from django import template
from django.utils.html import json_script
from django.utils.translation import gettext as _

from questions.languages import content_language
from quizapp.demos import selectors
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


@register.filter
def params_in_words(run):
    """A run's parameters by their labels in the page's language: "Activation: Tanh" (demos.js writes the same)."""
    words = selectors.params_in_words(demo_id=run.demo_id, params=run.params)
    return [_("%(label)s: %(value)s") % {"label": pick_lang(item["label"]), "value": pick_lang(item["value_label"])
                                         if item["value_label"] else item["value"]} for item in words]


@register.filter
def params_query(params):
    """Parameters as the demo page's URL query, written as demos.js writes it: the page reopens with them."""
    return urlencode({name: str(value).lower() if isinstance(value, bool) else value
                      for name, value in (params or {}).items()})


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
        "param_value": _("%(label)s: %(value)s"), "second_run": _("Second run"),
        "series_of_run": _("%(series)s (%(run)s)"),
        "compare_first": _("Run the demo first: there is no result to compare with yet."),
        "compare_same": _("Change a parameter first: these are the shown run's own."),
        "compare_note": _("Dashed lines: the second run. Heat-maps and tables are the first run's."),
        "hide_comparison": _("Hide the comparison"), "measure": _("Measure"),
        "colour_scale": _("Colour scale"), "no_value": _("no value"),
    }, "demo-strings")
