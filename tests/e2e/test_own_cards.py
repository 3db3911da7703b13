"""A learner imports cards from a spreadsheet file, writes one more, and studies them; another learner sees none."""

import pytest
from playwright.sync_api import expect

from questions.models import Question
from quizapp.own_cards.services import OwnCardText, own_cards_create
from tests.e2e.conftest import log_in
from tests.factories import make_topic, make_user
from tests.own_cards.images import png

pytestmark = pytest.mark.e2e

SPREADSHEET = ("问题,答案,难度\n"
               "为什么要做 warm-up? 步长 $\\eta$ 太大吗?,"
               "Adam 初期的二阶矩估计不准，步长 $\\eta/\\sqrt{\\hat v}$ 可能过大。,2\n"
               "What does a 1×1 convolution do?,It mixes channels: $y = Wx$ at every pixel.,1\n")


def test_it_imports_writes_and_studies_own_cards(page, screenshot, transactional_db):
    make_user("alice")
    make_user("bob")
    make_topic("optimization", title_en="Optimization", title_zh="优化", position=1)
    log_in(page, "alice")

    page.goto("/questions/mine/")
    page.set_input_files("#id_file", files=[{"name": "interview-notes.csv", "mimeType": "text/csv",
                                             "buffer": SPREADSHEET.encode("gb18030")}])
    page.select_option("#id_topic", "optimization")
    page.click("button:text-is('Import')")
    expect(page.locator(".messages")).to_contain_text("Imported 2 cards.")
    expect(page.locator(".question-list li")).to_have_count(2)
    screenshot("own-cards-imported")

    page.click("text=Add a card")
    page.fill("#id_question", "When does label smoothing (costs $5, not $6) hurt $p_{max}$?")
    page.fill("#id_answer", "When the model must be calibrated: it caps confidence at $1-\\epsilon$.")
    page.select_option("#id_topic", "optimization")
    page.click("button:text-is('Save')")
    heading = page.locator("article.answer h1")
    expect(heading.locator(".katex")).to_have_count(1)  # $p_{max}$ typeset; the dollars of money left alone
    expect(heading).to_contain_text("When does label smoothing (costs $5, not $6) hurt")
    expect(page.locator("article.answer .katex").first).to_be_visible()
    expect(page.locator(".own-card-tools")).to_contain_text("My card")

    page.goto("/study/")  # all three are new cards of Alice's, in their topic's order
    expect(page.locator(".count-new b")).to_have_text("3")
    expect(page.locator(".study-card .prompt .katex")).to_have_count(1)  # the imported question's $\eta$
    page.keyboard.press("Space")
    expect(page.locator(".study-card .answer .katex").first).to_be_visible()
    page.keyboard.press("3")
    expect(page.locator(".count-new b")).to_have_text("2")
    page.keyboard.press("e")  # Anki's key: edit the card on screen, then come back to studying
    page.wait_for_url("**/edit/?from=study")
    page.fill("#id_answer", "Edited while studying: $\\beta_2 = 0.999$.")
    page.click("form.own-card-form button[type=submit]:not([name])")
    page.wait_for_url("**/study/")
    expect(page.locator(".messages")).to_contain_text("Card saved")
    expect(page.locator(".count-new b")).to_have_text("2")

    page.context.clear_cookies()  # Bob on the same browser
    log_in(page, "bob")
    page.goto("/questions/all/?q=convolution")
    expect(page.locator(".question-list")).to_contain_text("Nothing matches")
    mine = Question.objects.filter(owner__username="alice").first()
    assert page.goto(f"/questions/{mine.card_id}/").status == 404
    page.goto("/study/")
    expect(page.locator(".count-new b")).to_have_text("0")


def test_it_finds_and_deletes_many_of_my_cards(page, screenshot, transactional_db):
    alice = make_user("alice")
    topic = make_topic("optimization", title_en="Optimization", title_zh="优化", position=1)
    texts = [f"Pooling question {n}?" for n in range(55)] + ["Why warm up the learning rate?"]
    own_cards_create(owner=alice, texts=[OwnCardText(question=text, answer="An answer.", topic=topic, difficulty=1)
                                         for text in texts])
    log_in(page, "alice")
    page.goto("/questions/mine/")
    expect(page.locator(".own-card-list li")).to_have_count(50)  # a page at a time
    assert page.locator("details#import").get_attribute("open") is None  # closed once there are cards
    page.fill("#filter-q", "warm up")
    page.keyboard.press("Enter")
    expect(page.locator(".own-card-list li")).to_have_count(1)
    page.click("text=Show all")

    page.check("[data-select-all]")  # this page's 50 cards
    expect(page.locator(".own-card-list input[name=card]:checked")).to_have_count(50)
    page.uncheck(".own-card-list li:has-text('Why warm up') input")
    page.click("button:text-is('Delete selected…')")
    expect(page.locator("h1")).to_have_text("Delete these 49 cards?")
    page.click("button:text-is('Delete')")
    expect(page.locator(".messages")).to_contain_text("Deleted 49 cards")
    expect(page.locator("#cards")).to_contain_text("7 cards")
    screenshot("own-cards-after-deleting")

    page.fill("#filter-q", "pooling")
    page.keyboard.press("Enter")
    page.click("button:has-text('matching')")  # every card the search shows, on any page
    page.click("button:text-is('Delete')")
    expect(page.locator(".own-card-list li")).to_have_count(1)
    expect(page.locator(".own-card-list")).to_contain_text("Why warm up the learning rate?")


def test_it_shows_an_uploaded_image_on_the_card_and_in_study_to_its_owner_only(page, settings, tmp_path,
                                                                               transactional_db):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_user("alice")
    make_user("bob")
    make_topic("optimization", title_en="Optimization", title_zh="优化", position=1)
    log_in(page, "alice")
    page.goto("/questions/mine/new/")
    page.fill("#id_question", "What does ReLU look like?")
    page.fill("#id_answer", "Flat, then rising:")
    page.select_option("#id_topic", "optimization")
    page.set_input_files("#id_images", files=[{"name": "relu plot.png", "mimeType": "image/png",
                                               "buffer": png(width=40, height=20)}])
    page.click("button:text-is('Save')")
    shown = page.locator(".answer-body img[alt='relu plot']").first
    expect(shown).to_be_visible()
    expect(shown).to_have_js_property("naturalWidth", 40)  # loaded: the CSP and the owner check let it through

    page.goto("/study/")
    expect(page.locator(".study-card .prompt")).to_have_text("What does ReLU look like?")
    page.keyboard.press("Space")
    studied = page.locator(".study-card .answer img[alt='relu plot']")
    expect(studied).to_be_visible()
    expect(studied).to_have_js_property("naturalWidth", 40)

    page.context.clear_cookies()
    log_in(page, "bob")
    assert page.goto("/questions/mine/images/relu-plot.png").status == 404
