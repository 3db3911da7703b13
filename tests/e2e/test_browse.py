"""The card browser in Chromium: filter with the keyboard, tick two cards, postpone them, see their due
dates move; the history of a card; both languages and a phone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quizapp.study import services
from quizapp.study.models import CardState, ReviewLog, StudySettings
from tests.e2e.conftest import log_in
from tests.factories import make_question, make_topic, make_user

pytestmark = pytest.mark.e2e
ZONE = "Asia/Shanghai"


def _alices_cards() -> list[CardState]:
    """Three review cards of topic "Graphs" due within the hour, one reviewed card of another topic.
    Alice's study day starts twelve hours from now, so "due within the hour" is today's whatever the clock."""
    alice = make_user("alice")
    StudySettings.objects.create(user=alice, timezone=ZONE,
                                 day_start_hour=(datetime.now(ZoneInfo(ZONE)).hour + 12) % 24)
    graphs = make_topic("graphs", title_en="Graphs", title_zh="图论", position=1)
    other = make_topic("nets", title_en="Networks", title_zh="神经网络", position=2)
    cards = []
    for number, (topic, text_en, text_zh) in enumerate([
            (graphs, "What is a spanning tree?", "什么是生成树？"), (graphs, "What is a cut?", "什么是割？"),
            (graphs, "What is a matching?", "什么是匹配？"), (other, "Why dropout?", "为什么用随机失活？")]):
        question = make_question(topic=topic, question_en=text_en, question_zh=text_zh)
        services.card_review(user=alice, question=question, rating=4, duration_ms=6000,
                             reviewed_at=timezone.now() - timedelta(days=10 + number))
        card = CardState.objects.get(user=alice, question=question)
        CardState.objects.filter(pk=card.pk).update(due=timezone.now() + timedelta(minutes=30 + number))
        cards.append(CardState.objects.get(pk=card.pk))
    return cards


def _shown_due(card: CardState) -> str:
    return card.due.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%d %H:%M")


def test_it_filters_ticks_two_cards_and_postpones_them(page, screenshot, transactional_db):
    cards = _alices_cards()
    logs_before = list(ReviewLog.objects.order_by("id").values_list("id", "card_id", "rating", "reviewed_at"))
    log_in(page, "alice")
    page.click(".lang-switch button[value=en]")
    page.goto("/study/")
    page.click(".study-subnav a:text('Browse')")
    expect(page.locator("h1")).to_have_text("Browse my cards")
    expect(page.locator("tbody tr")).to_have_count(4)

    # Filter by topic and search, with the keyboard; the filter is in the address.
    page.select_option("#id_topic", "graphs")
    page.fill("#id_q", "what is")
    page.press("#id_q", "Enter")
    page.wait_for_url("**/study/browse/?*topic=graphs*")
    expect(page.locator("tbody tr")).to_have_count(3)
    expect(page.locator("tbody")).not_to_contain_text("Why dropout?")

    # A card's history, on demand.
    row = page.locator(f"tr[data-card='{cards[0].pk}']")
    history = row.locator("details.history")
    expect(history.locator(".history-list")).to_be_hidden()
    history.locator("summary").click()
    expect(history.locator(".history-list li")).to_have_count(1)
    expect(history.locator(".history-list li")).to_contain_text("Easy")
    expect(history.locator(".history-list li")).to_contain_text("6 s")
    screenshot("browse-en")

    # Tick two, postpone them by five days, confirming the count.
    expect(row.locator("td.due")).to_have_text(_shown_due(cards[0]))
    row.locator("input[name=card]").check()
    page.locator(f"tr[data-card='{cards[1].pk}'] input[name=card]").check()
    page.select_option("#bulk-action", "postpone")
    page.fill("#bulk-days", "5")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("#bulk-selected")
    expect(page.get_by_text("Postponed 2 of the 2 selected cards by 5 days")).to_be_visible()
    assert asked and "2" in asked[0] and "5" in asked[0]

    moved = [CardState.objects.get(pk=card.pk) for card in cards]
    assert [card.due for card in moved[:2]] == [cards[0].due + timedelta(days=5), cards[1].due + timedelta(days=5)]
    assert [card.due for card in moved[2:]] == [card.due for card in cards[2:]]
    expect(page.locator(f"tr[data-card='{cards[0].pk}'] td.due")).to_have_text(_shown_due(moved[0]))
    expect(page.locator(f"tr[data-card='{cards[1].pk}'] td.due")).to_have_text(_shown_due(moved[1]))
    expect(page.locator(f"tr[data-card='{cards[2].pk}'] td.due")).to_have_text(_shown_due(cards[2]))
    assert "topic=graphs" in page.url  # back on the same filter
    assert list(ReviewLog.objects.order_by("id").values_list("id", "card_id", "rating", "reviewed_at")) == logs_before

    # Sort by a column: the header link keeps the filter, and Back returns to the order before.
    page.click("th a:text('Due')")
    page.wait_for_url("**sort=-due*")
    assert "topic=graphs" in page.url
    expect(page.locator("tbody tr").first).to_have_attribute("data-card", str(cards[1].pk))
    page.go_back()
    expect(page.locator("tbody tr").first).to_have_attribute("data-card", str(cards[2].pk))


def test_it_shows_the_browser_in_chinese_and_on_a_phone(page, screenshot, transactional_db):
    _alices_cards()
    log_in(page, "alice")
    page.click(".lang-switch button[value=zh-hans]")
    page.goto("/study/browse/")
    expect(page.locator("tbody")).to_contain_text("什么是生成树？")
    expect(page.locator("h1")).not_to_have_text("Browse my cards")
    screenshot("browse-zh")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the browser page scrolls sideways on a phone ({width}px)"
    box = page.locator(".table-box").evaluate("box => [box.clientWidth, box.scrollWidth]")
    assert box[0] < box[1]  # the table scrolls in its own box
    screenshot("browse-phone-zh")
    page.click(".lang-switch button[value=en]")
    expect(page.locator("h1")).to_have_text("Browse my cards")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("browse-phone")
