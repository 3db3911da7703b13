from django import template

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
