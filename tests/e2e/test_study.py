"""A learner studies five cards with the keyboard only, undoes one, and sees counters and statistics follow."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from questions.models import Question
from quizapp.study.models import CardState, ReviewLog, StudySettings
from tests.e2e.conftest import RATINGS_SENT, log_in
from tests.factories import KEY_POINTS, make_question, make_topic, make_user

pytestmark = pytest.mark.e2e


def _five_questions() -> list[Question]:
    topic = make_topic("e2e", title_en="E2E", title_zh="端到端", position=1)
    return [make_question(
        card_id=f"e2e-{number}", topic=topic, difficulty=1, position=number,
        question_en=f"What is card {number}?", question_zh=f"卡片 {number} 是什么?",
        answer_en="Math.", answer_zh="数学。",
        answer_html_en='<p>It is <span class="math inline">e^{i\\pi}+1=0</span>.</p>',
        answer_html_zh="<p>数学。</p>") for number in range(1, 6)]


def _alice_opens_the_study_page(page) -> list[Question]:
    """Alice logs in with five new cards and sees the first one. Her study day starts twelve hours
    from now: a learning step due in ten minutes stays today's whatever the clock says (run just
    before her 4 am, it would count for tomorrow, and the counters with it)."""
    alice = make_user("alice")
    zone = "Asia/Shanghai"
    StudySettings.objects.create(user=alice, timezone=zone,
                                 day_start_hour=(datetime.now(ZoneInfo(zone)).hour + 12) % 24)
    questions = _five_questions()
    log_in(page, "alice")
    page.goto("/study/")
    expect(page.locator(".study-card .prompt")).to_have_text(questions[0].question_en)
    return questions


def _expect_counts(page, new: int, learning: int, review: int) -> None:
    for kind, value in (("new", new), ("learning", learning), ("review", review)):
        expect(page.locator(f".count-{kind} b")).to_have_text(str(value))


def _ratings_sent(page) -> None:
    """Wait until the page holds no rating the server has not acknowledged."""
    page.wait_for_function(RATINGS_SENT)


def _study(page, key: str) -> None:
    """Reveal with Space, then rate with `key` (Space again means Good)."""
    expect(page.locator(".show-answer")).to_be_visible()  # a card on screen, not one on its way
    prompt = page.locator(".study-card .prompt").inner_text()
    page.keyboard.press("Space")
    expect(page.locator(".ratings")).to_be_visible()
    expect(page.locator(".show-answer")).to_be_hidden()
    expect(page.locator(".study-card .answer .katex").first).to_be_visible()  # formulas rendered
    page.keyboard.press(key)
    expect(page.locator(".study-card .prompt")).not_to_have_text(prompt)


def test_it_studies_five_cards_with_the_keyboard_and_undoes_one(page, screenshot, transactional_db):
    questions = _alice_opens_the_study_page(page)
    _expect_counts(page, new=5, learning=0, review=0)
    screenshot("study-question")

    page.keyboard.press("Space")
    expect(page.locator(".rate-4 .interval")).not_to_be_empty()
    screenshot("study-answer")
    page.keyboard.press("4")  # Easy: straight to review
    _expect_counts(page, new=4, learning=0, review=0)
    _study(page, "4")
    _study(page, "4")
    _study(page, "Space")  # Good: a learning step, due again in 10 minutes
    _expect_counts(page, new=1, learning=1, review=0)
    expect(page.locator(".study-card .prompt")).to_have_text(questions[4].question_en)
    _study(page, "4")
    # Only the learning card is left: shown early, as Anki does within its learn-ahead window.
    _expect_counts(page, new=0, learning=1, review=0)
    expect(page.locator(".study-card .prompt")).to_have_text(questions[3].question_en)
    expect(page.locator(".study-card .retrievability")).to_have_text("")  # "100%" minutes after a rating says nothing
    assert ReviewLog.objects.count() == 5

    page.keyboard.press("u")
    expect(page.locator(".study-status")).to_have_text("Rating undone.")
    _expect_counts(page, new=1, learning=1, review=0)
    expect(page.locator(".study-card .prompt")).to_have_text(questions[4].question_en)
    assert ReviewLog.objects.count() == 4
    screenshot("study-after-undo")

    _study(page, "4")
    _expect_counts(page, new=0, learning=1, review=0)
    _ratings_sent(page)

    page.goto("/study/stats/")
    expect(page.locator('[data-stat="reviews-today"]')).to_have_text("5")
    expect(page.locator(".calendar-grid span[data-level='4']")).to_have_count(1)
    expect(page.locator("#chart-forecast")).to_be_visible()
    # Sunday to Saturday, every other row named; the y-axes named level above their plots.
    expect(page.locator(".calendar-weekdays span")).to_have_text(["", "Mon", "", "Wed", "", "Fri", ""])
    assert _y_axis_names(page) == {"chart-forecast": "Cards", "chart-retention": "True retention (%)",
                                   "chart-retrievability": "Cards", "chart-time": "Minutes"}
    screenshot("study-stats")


def _y_axis_names(page) -> dict[str, str]:
    """Each bar chart's y-axis name, which must be the horizontal title above it, not a title on the
    axis (which Chart.js would draw on its side)."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll("canvas")]
        .map((canvas) => [canvas.id, Chart.getChart(canvas)]).filter(([, chart]) => chart && chart.scales.y)
        .map(([id, chart]) => [id, chart.options.scales.y.title.display ? "(on its side)"
                                                                        : chart.options.plugins.title.text]))""")


def test_it_undoes_a_bury_and_a_suspend_then_the_rating_before_them_on_u(page, screenshot, transactional_db):
    questions = _alice_opens_the_study_page(page)
    _study(page, "4")
    expect(page.locator(".study-card .prompt")).to_have_text(questions[1].question_en)
    page.keyboard.press("-")  # bury card 2
    expect(page.locator(".study-card .prompt")).to_have_text(questions[2].question_en)
    page.keyboard.press("@")  # suspend card 3: "@" is Shift+2, one key from Hard
    expect(page.locator(".study-card .prompt")).to_have_text(questions[3].question_en)
    _expect_counts(page, new=2, learning=0, review=0)

    page.keyboard.press("u")
    expect(page.locator(".study-status")).to_have_text("Unsuspended: the card is back in your reviews.")
    _expect_counts(page, new=3, learning=0, review=0)
    page.keyboard.press("u")
    expect(page.locator(".study-status")).to_have_text("Unburied: the card is back in today's queue.")
    _expect_counts(page, new=4, learning=0, review=0)
    page.keyboard.press("u")
    expect(page.locator(".study-status")).to_have_text("Rating undone.")
    _expect_counts(page, new=5, learning=0, review=0)
    assert not ReviewLog.objects.exists()
    assert not CardState.objects.filter(suspended=True).exists()
    assert not CardState.objects.filter(buried_until__isnull=False).exists()
    screenshot("study-undo-set-aside")


def test_it_retries_a_failed_undo_on_u_instead_of_undoing_the_action_before(page, transactional_db):
    questions = _alice_opens_the_study_page(page)
    _study(page, "4")
    page.keyboard.press("-")
    expect(page.locator(".study-card .prompt")).to_have_text(questions[2].question_en)
    page.route("**/unbury/", lambda route: route.fulfill(status=503, json={"detail": "down"}))
    page.keyboard.press("u")
    expect(page.locator(".study-status")).to_have_text("Could not reach the server; please try again.")
    page.locator("section.study:not([aria-busy])").wait_for()  # the page has reloaded its queue
    page.unroute("**/unbury/")
    page.keyboard.press("u")
    expect(page.locator(".study-status")).to_have_text("Unburied: the card is back in today's queue.")
    assert ReviewLog.objects.count() == 1  # the rating before the bury is still there


def test_it_presses_a_button_reached_with_tab_on_space_but_not_one_clicked(page, transactional_db):
    questions = _alice_opens_the_study_page(page)
    page.focus(".bury")  # as Tab would
    page.keyboard.press("Space")
    expect(page.locator(".study-card .prompt")).to_have_text(questions[1].question_en)
    page.click(".bury")  # with the mouse: Space then goes back to revealing
    expect(page.locator(".study-card .prompt")).to_have_text(questions[2].question_en)
    page.keyboard.press("Space")
    expect(page.locator(".ratings")).to_be_visible()
    expect(page.locator(".study-card .prompt")).to_have_text(questions[2].question_en)


def test_it_fits_the_study_page_to_a_phone(page, screenshot, transactional_db):
    make_user("alice")
    _five_questions()
    log_in(page, "alice")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/study/")
    expect(page.locator(".study-card .prompt")).to_have_text("What is card 1?")
    page.keyboard.press("Space")
    expect(page.locator(".ratings")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the study page scrolls sideways on a phone ({width}px)"
    screenshot("study-phone")

    page.goto("/study/stats/")
    expect(page.locator(".calendar-months span")).not_to_have_count(0)
    assert page.locator(".calendar-months span").count() >= 12  # a year of month names above the weeks
    scroller = page.locator(".calendar-scroll").evaluate("box => [box.scrollLeft, box.clientWidth, box.scrollWidth]")
    assert scroller[1] < scroller[2] and scroller[0] + scroller[1] >= scroller[2] - 1, scroller  # today in view
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the statistics page scrolls sideways on a phone ({width}px)"
    screenshot("study-stats-phone")


def test_it_shows_the_key_points_first_folds_a_long_answer_and_keeps_the_ratings_in_view(page, screenshot,
                                                                                          transactional_db):
    make_user("alice")
    long_answer = "".join(f"<p>Paragraph {number} of a long answer, the kind a corpus card has.</p>"
                          for number in range(1, 41))
    make_question(card_id="long-one", topic=make_topic("e2e", title_en="E2E", title_zh="端到端"),
                  question_en="Why a long answer?", answer_html_en=long_answer)
    log_in(page, "alice")
    for viewport, name in (({"width": 390, "height": 844}, "phone"), ({"width": 1280, "height": 800}, "laptop")):
        page.set_viewport_size(viewport)
        page.goto("/study/")
        expect(page.locator(".study-card .prompt")).to_have_text("Why a long answer?")
        page.keyboard.press("Space")
        points = page.locator(".key-points li")
        expect(points).to_have_text([point["en"] for point in KEY_POINTS])
        assert points.first.bounding_box()["y"] < page.locator(".answer").bounding_box()["y"]
        expect(page.locator(".answer")).to_have_class(re.compile(r"\bfolded\b"))
        again = page.locator(".rate-1").bounding_box()
        assert again["y"] + again["height"] <= viewport["height"], f"the ratings are below the fold on a {name}"
        if name == "phone":
            assert again["height"] >= 44, "rating buttons are not thumb-sized on a phone"
        screenshot(f"study-folded-{name}")
        page.get_by_role("button", name="Show the whole answer").click()
        expect(page.locator(".answer")).not_to_have_class(re.compile(r"\bfolded\b"))
        page.locator(".answer p").last.scroll_into_view_if_needed()
        expect(page.locator(".answer p").last).to_have_text(
            "Paragraph 40 of a long answer, the kind a corpus card has.")
        again = page.locator(".rate-1").bounding_box()
        assert again["y"] + again["height"] <= viewport["height"], f"the ratings scrolled away on a {name}"


def test_it_puts_a_demos_conclusion_and_main_chart_under_the_answer(page, screenshot, transactional_db):
    import engine
    from questions.models import QuestionDemo
    from quizapp.demos.models import DemoRun
    from quizapp.demos.services import params_key

    make_user("alice")
    question = make_question(card_id="with-demo", topic=make_topic("e2e", title_en="E2E", title_zh="端到端"),
                             question_en="Why does sigmoid vanish?")
    QuestionDemo.objects.create(question=question, demo_id="D1", position=1)
    defaults = engine.get_demo("D1").validate({})
    chart = {"kind": "line", "title": {"en": "Gradient norm by layer", "zh": "各层梯度范数"},
             "x_label": {"en": "layer", "zh": "层"}, "y_label": {"en": "norm", "zh": "范数"}, "x_scale": "linear",
             "y_scale": "log", "series": [{"name": {"en": "sigmoid", "zh": "sigmoid"},
                                           "points": [[1, 1e-1], [2, 1e-3], [3, 1e-5]]}]}
    DemoRun.objects.create(demo_id="D1", params=defaults, params_key=params_key(defaults),
                           engine_version=engine.ENGINE_VERSION, status=DemoRun.Status.SUCCEEDED,
                           finished_at=timezone.now(),  # the card says when, on what and in how long
                           result={"conclusion": {"en": "The gradient vanished.", "zh": "梯度消失了。"},
                                   "charts": [chart], "device_name": "CPU", "compute_seconds": 0.5})
    log_in(page, "alice")
    page.emulate_media(color_scheme="dark")
    page.goto("/study/")
    expect(page.locator(".study-card .prompt")).to_have_text("Why does sigmoid vanish?")
    page.keyboard.press("Space")
    demo = page.locator(".demo-list li")
    expect(demo.locator("a")).to_have_text(f"D1 · {engine.get_demo('D1').title['en']}")
    expect(demo.locator("a")).to_have_attribute("target", "_blank")  # the card stays as it is
    expect(demo.locator(".demo-conclusion")).to_have_text("The gradient vanished.")
    expect(demo.locator(".demo-chart canvas")).to_be_visible()
    assert page.evaluate("Chart.getChart(document.querySelector('.demo-chart canvas')).options.plugins.title.text") \
        == "Gradient norm by layer"
    # Drawn in the dark theme's colours, not Chart.js's grey meant for white.
    muted = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--muted').trim()")
    assert muted == "#9aa5b1"
    assert page.evaluate("Chart.getChart(document.querySelector('.demo-chart canvas')).options.color") == muted
    screenshot("study-demo-evidence-dark")


CONTRAST = """(selector) => {
  // WCAG 2 contrast of an element's text against the first opaque background behind it.
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => [r, g, b].map((v) => v / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const node = document.querySelector(selector);
  let behind = node;
  while (behind && rgb(getComputedStyle(behind).backgroundColor)[3] === 0) behind = behind.parentElement;
  const [fg, bg] = [rgb(getComputedStyle(node).color), rgb(getComputedStyle(behind || document.body).backgroundColor)];
  const [high, low] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
  return (high + 0.05) / (low + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_it_keeps_the_ratings_and_counters_readable_in_both_themes(page, transactional_db, scheme):
    _alice_opens_the_study_page(page)
    page.emulate_media(color_scheme=scheme)
    page.keyboard.press("Space")
    expect(page.locator(".ratings")).to_be_visible()
    readable = {selector: round(page.evaluate(CONTRAST, selector), 2)
                for selector in (".rate-1", ".rate-2", ".rate-3", ".rate-4", ".count-new b", ".count-learning b",
                                 ".count-review b")}
    assert all(ratio >= 4.5 for ratio in readable.values()), readable  # WCAG AA for text
