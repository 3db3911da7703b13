"""Search as you type in Chromium: results under the questions page's box while one types, the matched
words marked, chosen with the arrow keys and opened with Enter; "/" from any page; a slow answer to an
earlier query never replaces a newer one; both languages and a phone."""

import contextlib
import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from questions.services import corpus_load
from quizapp.interviews import services as interview_services
from quizapp.study.models import ReviewLog, StudySettings
from tests.e2e.conftest import log_in
from tests.factories import make_questions, make_topic, make_user
from tests.questions.corpus_files import card, write_corpus

pytestmark = pytest.mark.e2e

TOPICS = [{"slug": "regularization", "en": "Regularization", "zh": "正则化"},
          {"slug": "activations", "en": "Activation functions", "zh": "激活函数"}]
OPTIONS = ".live-results:visible [role=option]"


def _card(card_id: str, en: str, zh: str, **fields) -> dict:
    """A card whose words are its question's alone (no tags, a plain answer)."""
    return card(card_id, question={"en": en, "zh": zh}, answer={"en": "An answer.\n", "zh": "一个答案。\n"},
                tags=[], **fields)


def _corpus(tmp_path) -> None:
    """Two cards on dropout, ReLU, sigmoid's vanishing gradients, and nine on weight decay: more than the
    eight results listed as one types."""
    decay = [_card(f"weight-decay-{number}", f"Weight decay, case {number}: what changes?",
                   f"权重衰减，情形 {number}：有何变化？") for number in range(9)]
    corpus_load(folder=write_corpus(tmp_path / "corpus", {
        "regularization": [
            _card("dropout-why", "Why does dropout reduce overfitting?", "为什么 dropout 能减少过拟合？", difficulty=1),
            _card("dropout-rnn", "How is dropout applied in an RNN?", "RNN 中如何使用 dropout？", difficulty=3),
            *decay],
        "activations": [
            _card("dying-relu", "What is the dying ReLU problem?", "什么是 ReLU 死亡问题？"),
            _card("sigmoid-vanishing", "Why does the sigmoid cause vanishing gradients?",
                  "为什么 sigmoid 会导致梯度消失？"),
        ]}, topics=TOPICS))


def _searches(page) -> list[str]:
    """The queries the page sends to the search API, as they are sent."""
    sent = []
    page.on("request", lambda request: sent.append(request.url) if "/api/questions/?" in request.url else None)
    return sent


def test_it_lists_results_as_one_types_and_opens_one_with_the_keyboard(page, screenshot, tmp_path,
                                                                         transactional_db):
    _corpus(tmp_path)
    sent = _searches(page)
    page.goto("/questions/")
    box = page.get_by_role("combobox", name="Search")
    box.press_sequentially("dropout", delay=20)  # faster than the pause that sends a query

    options = page.locator(OPTIONS)
    expect(options).to_have_count(2)
    expect(page.get_by_role("status")).to_have_text("2 results")
    assert len(sent) < len("dropout"), sent  # not one query per key
    for option in options.all():
        expect(option.locator("mark").first).to_have_text(re.compile("^dropout$", re.IGNORECASE))
        expect(option.locator(".pill").first).to_have_text("Regularization")  # the topic's title, not its slug
    expect(box).to_have_attribute("aria-expanded", "true")

    box.press("ArrowDown")
    first = options.nth(0)
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    box.press("ArrowDown")
    box.press("ArrowDown")  # past the last: round to the first
    expect(first).to_have_attribute("aria-selected", "true")
    screenshot("search-live-questions")
    href = first.get_attribute("data-href")
    assert re.fullmatch(r"/questions/dropout-(why|rnn)/", href), href
    box.press("Enter")
    page.wait_for_url(f"**{href}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("dropout")


def test_it_submits_the_full_search_on_enter_and_offers_the_full_list_past_eight(page, tmp_path,
                                                                                  transactional_db):
    _corpus(tmp_path)
    page.goto("/questions/all/")
    box = page.get_by_role("combobox", name="Search")
    box.fill("weight decay")
    options = page.locator(OPTIONS)
    expect(options).to_have_count(9)  # eight cards and "See all"
    expect(options.last).to_have_text("See all 9 results")
    expect(page.get_by_role("status")).to_have_text("9 results")
    box.press("Escape")  # the list closes, the text stays
    expect(page.locator("main .live-results")).to_be_hidden()
    expect(box).to_have_value("weight decay")
    box.press("Enter")  # nothing chosen: the form's own search, the page that works without scripts
    page.wait_for_url(re.compile(r"/questions/all/\?q=weight\+decay"))
    expect(page.locator(".question-list li")).to_have_count(9)

    box = page.get_by_role("combobox", name="Search")
    box.fill("qqzzx")
    expect(page.locator(".live-results:visible")).to_contain_text("No results.")
    expect(page.get_by_role("status")).to_have_text("No results.")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("Escape")
    box.press("Escape")  # the list is closed: Escape clears the box
    expect(box).to_have_value("")

    page.select_option("select[name=topic]", "activations")  # the filters beside the box narrow it too
    box.fill("dropout")
    expect(page.get_by_role("status")).to_have_text("No results.")
    page.select_option("select[name=topic]", "regularization")
    box.fill("")
    box.fill("dropout")
    expect(page.locator(OPTIONS)).to_have_count(2)


def test_it_opens_the_search_with_a_slash_from_any_page_and_picks_a_result(page, tmp_path, transactional_db):
    _corpus(tmp_path)
    page.goto("/demos/")
    opener = page.locator("[data-search-open]")
    opener.focus()
    page.keyboard.press("/")
    dialog = page.get_by_role("dialog", name="Search questions")
    expect(dialog).to_be_visible()
    box = dialog.get_by_role("combobox", name="Search")
    expect(box).to_be_focused()
    page.keyboard.press("Escape")  # closes, and the focus goes back where it was
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    expect(box).to_be_focused()
    page.keyboard.type("relu")
    option = dialog.locator("[role=option]")
    expect(option).to_have_count(1)
    expect(option.locator("mark")).to_have_text("ReLU")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/questions/dying-relu/")

    # On the questions pages "/" goes to the page's own box; in a field being typed in, it is a slash.
    page.goto("/questions/")
    page.keyboard.press("/")
    expect(page.locator("main [data-live-search]")).to_be_focused()
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.keyboard.type("/")
    expect(page.locator("main [data-live-search]")).to_have_value("/")
    page.goto("/accounts/signup/")
    page.locator("#id_username").click()
    page.keyboard.press("/")
    expect(page.locator("#id_username")).to_have_value("/")
    expect(page.get_by_role("dialog")).to_be_hidden()
    # The mouse and touch: the header's Search button opens the dialog, a click picks a result.
    page.locator("[data-search-open]").click()
    page.get_by_role("dialog").get_by_role("combobox").fill("sigmoid")
    page.get_by_role("dialog").locator("[role=option]").first.click()
    page.wait_for_url("**/questions/sigmoid-vanishing/")


def test_it_opens_the_search_over_a_study_card_and_keeps_its_keys_from_the_card(page, tmp_path,
                                                                                 transactional_db):
    _corpus(tmp_path)
    alice = make_user("alice")
    StudySettings.objects.create(user=alice, timezone="UTC", day_start_hour=(timezone.now().hour + 12) % 24)
    log_in(page, "alice")
    page.goto("/study/")
    prompt = page.locator(".study-card .prompt")
    expect(prompt).not_to_be_empty()
    shown = prompt.inner_text()
    page.keyboard.press("Space")  # the answer: a digit would rate the card now
    expect(page.locator(".ratings")).to_be_visible()

    page.keyboard.press("/")
    dialog = page.get_by_role("dialog", name="Search questions")
    expect(dialog.get_by_role("combobox")).to_be_focused()
    page.keyboard.type("relu")
    expect(dialog.locator("[role=option]")).to_have_count(1)
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("3")  # on the dialog's button: not a rating
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(prompt).to_have_text(shown)
    assert not ReviewLog.objects.exists()
    page.locator("body").press("3")  # the dialog closed, the keys are the card's again (typed on the page itself)
    expect(prompt).not_to_have_text(shown)


def test_it_leaves_a_slash_to_an_interview_answer(page, transactional_db):
    alice = make_user("alice")
    topic = make_topic("basics")
    make_questions(3, topic=topic)
    interview = interview_services.interview_create(user=alice, topics=[topic], count=3, minutes_per_question=3,
                                                    language="en")
    log_in(page, "alice")
    page.goto(f"/interviews/{interview.id}/")
    answer = page.locator("#answer")
    expect(answer).to_be_focused()
    page.keyboard.type("a/b")
    page.locator("h1, h2").first.click()  # a click beside the box, then the answer goes on
    page.keyboard.press("/")
    expect(page.get_by_role("dialog")).to_be_hidden()
    answer.click()
    answer.press("End")
    page.keyboard.type("/c")
    expect(answer).to_have_value("a/b/c")


def test_it_never_lets_a_slow_answer_to_an_earlier_query_replace_a_newer_one(page, tmp_path, transactional_db):
    _corpus(tmp_path)
    held = []
    page.route(lambda url: "/api/questions/?" in url and "q=dropout" in url, lambda route: held.append(route))
    page.goto("/questions/")
    box = page.get_by_role("combobox", name="Search")
    box.fill("dropout")
    for _ in range(100):  # the route holds the first query's request unanswered
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the first query was never sent"

    box.fill("relu")  # a newer query, answered at once
    options = page.locator(OPTIONS)
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("dying ReLU")

    with contextlib.suppress(PlaywrightError):  # the page may have aborted it: then nothing comes back
        held[0].continue_()
    page.wait_for_timeout(800)
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("dying ReLU")
    expect(page.get_by_role("status")).to_have_text("1 result")


def test_it_takes_the_servers_marks_only_when_they_hold_nothing_else(page, tmp_path, transactional_db):
    """The API's highlights are used when they are text with <mark> alone; anything else is ignored and
    the page marks the words itself, also in full-width letters."""
    _corpus(tmp_path)
    results = [
        {"id": "dying-relu", "topic": "activations", "difficulty": 2, "own": False,
         "question_en": "What is the dying ReLU problem?", "question_zh": "什么是 ReLU 死亡问题？",
         "highlights": {"question": "What is the dying <mark>ReLU</mark> problem &amp; why?"}},
        {"id": "sigmoid-vanishing", "topic": "activations", "difficulty": 3, "own": True,
         "question_en": "Why does ＲｅＬＵ beat the sigmoid?", "question_zh": "",
         "highlights": {"question": "Why does <img src=x data-evil=1><mark>ＲｅＬＵ</mark> beat the sigmoid?"}},
    ]
    page.route(lambda url: "/api/questions/?" in url, lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"count": 2, "next": None, "previous": None, "results": results})))
    page.goto("/questions/")
    page.get_by_role("combobox", name="Search").fill("relu")
    options = page.locator(OPTIONS)
    expect(options).to_have_count(2)
    expect(options.nth(0).locator(".live-question")).to_have_text("What is the dying ReLU problem & why?")
    expect(options.nth(0).locator("mark")).to_have_text("ReLU")
    expect(options.nth(1).locator(".live-question")).to_have_text("Why does ＲｅＬＵ beat the sigmoid?")
    expect(options.nth(1).locator("mark")).to_have_text("ＲｅＬＵ")  # found by "relu", marked here
    assert page.locator(".live-results img").count() == 0
    expect(options.nth(1)).to_contain_text("My card")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_it_fits_a_phone_in_both_languages(page, screenshot, language, tmp_path, transactional_db):
    _corpus(tmp_path)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/questions/")
    page.click(f".lang-switch button[value={language}]")
    box = page.locator("main [data-live-search]")
    box.fill("梯度消失" if language == "zh-hans" else "vanishing gradients")
    options = page.locator(OPTIONS)
    expect(options).to_have_count(1)
    expect(options.first.locator("mark").first).to_have_text(
        "梯度消失" if language == "zh-hans" else re.compile("vanishing", re.IGNORECASE))
    expect(page.get_by_role("status")).to_have_text("1 个结果" if language == "zh-hans" else "1 result")
    expect(options.first.locator(".pill").first).to_have_text("激活函数" if language == "zh-hans"
                                                              else "Activation functions")
    box_right = page.locator("main .live-results").evaluate("panel => panel.getBoundingClientRect().right")
    assert box_right <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(f"search-live-phone-{language}")

    page.goto("/accounts/login/")
    page.locator("[data-search-open]").click()  # a tap on the phone's Search button
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox").fill("dropout")
    expect(dialog.locator("[role=option]")).to_have_count(2)
    assert dialog.evaluate("d => d.getBoundingClientRect().right") <= 390
    screenshot(f"search-dialog-phone-{language}")


def test_it_searches_without_scripts_through_the_form(browser, live_server, tmp_path, transactional_db):
    """No script: no Search button that would do nothing, and the questions page's box still searches."""
    _corpus(tmp_path)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto("/questions/")
    expect(page.locator("[data-search-open]")).to_be_hidden()
    page.fill("main input[name=q]", "dropout")
    page.press("main input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"/questions/all/\?q=dropout"))
    expect(page.locator(".question-list li")).to_have_count(2)
    context.close()
