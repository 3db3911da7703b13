from django import template
from django.urls import reverse
from django.utils.html import json_script
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.simple_tag
def search_strings():
    """What static/js/search.js needs on every page, in the page's language: its words and where to ask."""
    return json_script({
        "api": reverse("question-list"), "topics_api": reverse("topic-list"),
        "card_url": reverse("questions:detail", args=["CARD"]),
        "listbox": _("Search results"),
        "one": ngettext("%(n)s result", "%(n)s results", 1), "other": ngettext("%(n)s result", "%(n)s results", 2),
        "see_all": _("See all %(n)s results"),
        "no_results": _("No results."),
        "failed": _("Search did not answer; press Enter for the full list."),
        "difficulty": _("difficulty"), "mine": _("My card"),
    }, "search-strings")
