from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def pick_lang(text):
    """{"en": ..., "zh": ...} → the string in the active language."""
    if not isinstance(text, dict):
        return text or ""
    return text.get("zh" if (get_language() or "zh").startswith("zh") else "en", "")


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
