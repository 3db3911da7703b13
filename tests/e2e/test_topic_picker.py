"""Two dozen topics on a phone: the pickers show them in their groups, a group's own button ticks
just that group, and the coding round opens a code editor."""

import pytest
from playwright.sync_api import expect

from questions.corpus import read_topics
from questions.models import Tag, Topic, TopicGroup
from tests.e2e.conftest import log_in
from tests.factories import make_question, make_user

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def _real_shelves() -> dict[str, list[str]]:
    """The topics and groups of the real topics.yaml, one card in each topic; {group zh title: slugs}."""
    shelves: dict[str, list[str]] = {}
    for entry in read_topics():
        group, _ = TopicGroup.objects.get_or_create(slug=entry.group.slug, defaults={
            "title_en": entry.group.title["en"], "title_zh": entry.group.title["zh"], "position": entry.group.position})
        topic = Topic.objects.create(slug=entry.slug, title_en=entry.title["en"], title_zh=entry.title["zh"],
                                     position=entry.position, group=group)
        question = make_question(topic=topic)
        if entry.slug == "ml-systems":
            question.tags.add(Tag.objects.get_or_create(name="design-case")[0])
        shelves.setdefault(entry.group.title["zh"], []).append(entry.slug)
    return shelves


def _fits_the_phone(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} scrolls sideways on a phone ({width}px)"


def test_it_picks_a_whole_group_of_topics_on_a_phone_in_chinese(page, screenshot, transactional_db):
    shelves = _real_shelves()
    alice = make_user("alice")
    log_in(page, "alice")
    page.click(".lang-switch button[value=zh-hans]")
    page.set_viewport_size(PHONE)
    page.goto("/study/settings/")
    legends = page.locator(".topic-group legend")
    expect(legends).to_have_text(list(shelves))
    _fits_the_phone(page, "the study settings")
    screenshot("topic-picker-phone-zh")

    page.get_by_role("button", name="全选 · 经典机器学习与统计").click()
    checked = page.locator(".topic-picker input[type=checkbox]:checked")
    expect(checked).to_have_count(len(shelves["经典机器学习与统计"]))
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert sorted(alice.study_settings.topics.values_list("slug", flat=True)) == sorted(shelves["经典机器学习与统计"])

    page.goto("/interviews/")
    expect(page.locator(".topic-group legend")).to_have_count(len(shelves))
    page.get_by_role("button", name="全不选 · 深度学习").click()
    expect(page.locator(".topic-picker input[type=checkbox]:checked")).to_have_count(
        sum(len(slugs) for slugs in shelves.values()) - len(shelves["深度学习"]))
    _fits_the_phone(page, "the interview set-up")
    screenshot("interview-setup-phone-zh")

    page.get_by_role("button", name="编程 · 20 分钟").click()
    editor = page.locator("textarea.code-answer")
    expect(editor).to_be_focused()
    assert "monospace" in editor.evaluate("box => getComputedStyle(box).fontFamily")
    page.keyboard.type("def softmax(z):\n    z = z - z.max()")
    assert editor.input_value() == "def softmax(z):\n    z = z - z.max()"
    expect(page.locator(".position")).to_have_text("编程轮")
    _fits_the_phone(page, "the coding round")
