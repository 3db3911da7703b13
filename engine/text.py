"""Bilingual strings: every learner-facing text in the engine is a {"en": ..., "zh": ...} dict."""


def T(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}
