"""The Chinese catalogue is complete, compiled, and actually used by the pages."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

MESSAGES = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    return re.sub(r'\\(.)', lambda match: _ESCAPES.get(match.group(1), match.group(0)), text[1:-1])


def po_entries(path: Path) -> list[dict]:
    """Each entry as {"flags", "msgctxt", "msgid", "msgid_plural", "msgstr" or "msgstr[n]": text}."""
    entries, entry, field = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line or line.startswith("#~"):  # a blank line ends an entry; obsolete ones are ignored
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry if entry is not None else {"flags": set()}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith('"'):
            entry[field] += _unquote(line)
        elif not line.startswith("#"):
            field, _, value = line.partition(" ")
            entry[field] = _unquote(value)
    return entries


ENTRIES = [entry for entry in po_entries(MESSAGES / "django.po") if entry["msgid"]]  # header excepted


def _key(entry: dict) -> str:
    return f'{entry.get("msgctxt", "")}|{entry["msgid"]}'


def test_it_reads_the_catalogue():
    assert len(ENTRIES) > 200
    assert {"msgid": "Study", "msgstr": "学习", "flags": set()} in ENTRIES


def test_it_translates_every_chinese_entry_and_leaves_none_fuzzy():
    fuzzy = [_key(entry) for entry in ENTRIES if "fuzzy" in entry["flags"]]
    empty = [_key(entry) for entry in ENTRIES
             if any(not value for field, value in entry.items() if field.startswith("msgstr"))]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not empty, f"untranslated entries: {empty}"


def test_it_keeps_the_compiled_catalogue_in_step_with_the_po_file():
    """Fails when someone edited the .po file and forgot `manage.py compilemessages`."""
    with (MESSAGES / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog
    stale = []
    for entry in ENTRIES:
        msgid = f'{entry["msgctxt"]}\x04{entry["msgid"]}' if "msgctxt" in entry else entry["msgid"]
        if "msgid_plural" in entry:
            compiled, wanted = catalog.get((msgid, 0)), entry["msgstr[0]"]
        else:
            compiled, wanted = catalog.get(msgid), entry["msgstr"]
        if compiled != wanted:
            stale.append(_key(entry))
    assert not stale, f"missing or out of date in django.mo: {stale}"


# (page, English text, its Chinese translation)
PAGES = [
    ("/study/", "Show answer", "显示答案"),
    ("/study/", "Bury until tomorrow", "搁置到明天"),
    ("/study/", "Leeches & set aside", "难记卡、暂停与搁置"),
    ("/study/stats/", "True retention", "真实记忆保持率"),
    ("/interviews/", "Mock interview", "模拟面试"),
    ("/interviews/", "Weak spots first", "薄弱点优先"),
    ("/interviews/", "Start interview", "开始面试"),
    ("/demos/", "My runs", "我的运行记录"),
    ("/questions/", "All questions", "全部题目"),
    # A label before its value takes the language's colon: full-width in Chinese, with no space after it.
    ("/study/optimize/", "Desired retention: <b", "目标记忆保持率：<b"),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_speaks_the_chosen_language_on_the_pages(alice_client, language):
    alice_client.post("/i18n/setlang/", {"language": language, "next": "/"})
    pages = {url: alice_client.get(url) for url, _, _ in PAGES}
    for url, english, chinese in PAGES:
        assert pages[url].status_code == 200
        html = pages[url].content.decode()
        if language == "en":
            assert english in html and chinese not in html, (url, english)
        else:
            assert chinese in html and english not in html, (url, english)
