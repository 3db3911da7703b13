"""A label before its value, written as the page's language writes it."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def label(text: str) -> str:
    """`text` and the colon after it: "Score: " in English, "得分：" in Chinese (a full-width colon, no space).
    The separator is the translation of "%(label)s: %(value)s", the one the demos' parameters use."""
    return _("%(label)s: %(value)s") % {"label": text, "value": ""}
