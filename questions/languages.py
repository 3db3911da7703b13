"""Which half of the bilingual content the active Django language shows."""

from django.utils.translation import get_language


def content_language() -> str:
    """"zh" for Chinese (also when no language is active: Chinese is the default), "en" otherwise."""
    return "zh" if (get_language() or "zh").lower().startswith("zh") else "en"
