"""Every page a learner can reach keeps to the Content-Security-Policy (no inline script or style,
nothing from elsewhere), and what needs scripts still works under it: KaTeX typesets, charts draw."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

import engine
from questions.models import Question
from questions.services import corpus_load
from quizapp.demos import services as demo_services
from quizapp.demos.models import DemoRequest, DemoRun
from quizapp.interviews import services as interview_services
from tests.e2e.conftest import log_in
from tests.factories import make_questions, make_topic
from tests.questions.corpus_files import card, write_corpus

pytestmark = pytest.mark.e2e

# An aligned table column too: Markdown would write it as a style attribute.
ANSWER = "The derivative is $\\sigma(z)(1-\\sigma(z))$:\n\n| z | σ'(z) |\n|:--|--:|\n| 0 | 0.25 |\n"

# The browser fires securitypolicyviolation at the document for whatever the policy refused.
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => window.reportViolation(
  `${event.violatedDirective} refused ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`));"""


@pytest.fixture
def violations(page):
    """What the policy refused, page by page: the events and the console's own complaints."""
    found = []
    page.expose_binding("reportViolation", lambda source, text: found.append(f"{source['page'].url}: {text}"))
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda message: found.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    return found


def _learner_data(alice, corpus: Path) -> dict:
    """A card with a formula and a demo, a finished D2 run (what a question and a demo page show),
    an interview under way and one reviewed, and alice as staff for the admin pages."""
    corpus_load(folder=write_corpus(corpus, {"activations": [
        card("sigmoid-derivative", demos=["D2"], answer={"en": ANSWER, "zh": ANSWER})]}))
    spec = engine.get_demo("D2")
    result = engine.execute("D2", {})  # a fraction of a second with its defaults
    run = DemoRun.objects.create(
        demo_id="D2", params=result["params"], params_key=demo_services.params_key(spec.validate({})),
        engine_version=engine.ENGINE_VERSION, status=DemoRun.Status.SUCCEEDED, progress=1.0, result=result,
        created_by=alice, started_at=timezone.now(), finished_at=timezone.now())
    DemoRequest.objects.create(user=alice, run=run)
    topic = make_topic("basics")
    make_questions(3, topic=topic)
    reviewed = interview_services.interview_create(user=alice, topics=[topic], count=3, minutes_per_question=3,
                                                   language="en")
    while (item := interview_services.interview_advance(interview=reviewed)) is not None:
        interview_services.interview_answer_save(interview=reviewed, question_id=item.question.card_id,
                                                 answer="an answer", action="next")
    interview_services.interview_review_finish(interview=reviewed, marks={
        item.question.card_id: {"covered": [0]} for item in reviewed.items.select_related("question")})
    under_way = interview_services.interview_create(user=alice, topics=[topic], count=3, minutes_per_question=3,
                                                    language="en")
    alice.is_staff = alice.is_superuser = True
    alice.save()
    return {"run": run, "reviewed": reviewed, "under_way": under_way,
            "question": Question.objects.get(card_id="sigmoid-derivative")}


def _a_chart_drew(page, scope: str) -> None:
    """A canvas under `scope` that Chart.js owns has coloured pixels."""
    page.locator(f"{scope} canvas").first.wait_for()
    page.wait_for_function("""(scope) => [...document.querySelectorAll(`${scope} canvas`)].some((canvas) => {
        if (!window.Chart || !Chart.getChart(canvas) || !canvas.width) return false;
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        return pixels.some((value, index) => index % 4 === 3 && value > 0);
    })""", arg=scope)


def test_it_keeps_every_page_to_the_content_security_policy(page, violations, alice, tmp_path,
                                                               transactional_db):
    data = _learner_data(alice, tmp_path / "corpus")
    for path in ("/", "/accounts/signup/", "/accounts/password/reset/"):
        page.goto(path)
    log_in(page, "alice")  # the login page, and its form posting
    page.click(".lang-switch button[value=en]")

    page.goto("/study/")  # the card with the formula is the one due (the interview's are learning)
    expect(page.locator(".study-card .prompt")).to_have_text("Question sigmoid-derivative?")
    page.keyboard.press("Space")
    expect(page.locator(".study-card .answer .katex").first).to_be_visible()  # typeset under the policy
    for path in ("/accounts/password/", "/study/stats/", "/study/settings/", "/study/leeches/", "/study/optimize/",
                 "/study/plan/", "/study/custom/", "/study/?custom=ahead&days=7", "/study/try/", "/study/browse/",
                 "/questions/",
                 "/questions/all/", "/questions/all/?q=sigmoid", "/questions/mine/", "/questions/mine/new/", "/demos/",
                 "/demos/history/", f"/demos/runs/{data['run'].id}/", "/interviews/",
                 f"/interviews/{data['under_way'].id}/", f"/interviews/{data['reviewed'].id}/results/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")  # the scripts' own requests (a run, a chart's data) done

    page.goto("/questions/")  # search as you type: in the page's box, and in the dialog "/" opens elsewhere
    page.locator("main [data-live-search]").fill("sigmoid")
    expect(page.locator("main .live-results [role=option] mark").first).to_be_visible()
    page.goto("/demos/")
    page.keyboard.press("/")
    page.get_by_role("dialog").get_by_role("combobox").fill("sigmoid")
    expect(page.get_by_role("dialog").locator("[role=option] mark").first).to_be_visible()

    page.goto("/questions/sigmoid-derivative/")
    shown = page.locator("article.answer:not([hidden])")
    expect(shown.locator(".katex").first).to_be_visible()
    expect(shown.locator("td.align-right")).to_have_css("text-align", "right")  # the class the policy allows
    _a_chart_drew(page, ".demo-output")
    page.goto("/demos/D2/")
    _a_chart_drew(page, ".demo-output .result")
    page.goto("/interviews/history/")
    _a_chart_drew(page, "main")
    page.goto("/study/plan/")  # the reviewed interview rated its cards: there is readiness to draw
    _a_chart_drew(page, ".readiness")

    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()  # Swagger UI started from its file
    page.goto("/admin/")
    page.goto(f"/admin/questions/question/{data['question'].pk}/change/")
    expect(page.locator("#question_form")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert violations == []
