"""Every page a learner can reach, with the rows that fill it: the end-to-end accessibility and phone
tests visit each one, and tests/core/test_pages_covered.py holds that a new page is added here.

The content is long on purpose (a long English word, a long Chinese sentence, a wide formula and
table): what fits on a phone with it fits with the corpus."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

import engine
from questions.models import AnkiExport
from questions.services import anki_export_file_name
from quizapp.demos.models import DemoRun
from quizapp.demos.services import params_key
from quizapp.interviews import services as interviews
from quizapp.interviews.recordings import recording_save
from quizapp.own_cards.images import ImageFile
from quizapp.own_cards.services import OwnCardText, own_card_create
from quizapp.study.services import card_review
from tests.factories import make_question, make_topic, make_user
from tests.interviews.test_follow_ups import FOLLOW_UP, MISSES_A_PROBE
from tests.interviews.test_recordings import WEBM
from tests.own_cards.images import png

LONG_EN = ("Why does backpropagation through a deep stack of saturated sigmoid units make the gradients that "
           "reach the first layers vanish (see Glorot–Bengio's analysis of "
           "fan_in_plus_fan_out_weight_initialisation_without_breaks)?")
LONG_ZH = ("为什么在由大量饱和的 sigmoid 单元堆叠而成的深层网络中，通过反向传播传到前几层的梯度会逐层变小，"
           "直到几乎消失，从而使前几层的参数几乎无法更新？请结合链式法则与导数的上界说明。")
WIDE_FORMULA = (r"\frac{\partial \mathcal{L}}{\partial W_1} = \frac{\partial \mathcal{L}}{\partial a_L}"
                r"\prod_{l=2}^{L} \sigma'(z_l) W_l \quad\text{with}\quad \sigma'(z) = \sigma(z)(1-\sigma(z))"
                r" \le \tfrac14 \;\Rightarrow\; \left\|\frac{\partial \mathcal{L}}{\partial W_1}\right\|"
                r" \le \left(\tfrac14\right)^{L-1} \prod_{l=2}^{L} \|W_l\|")
WIDE_TABLE = "".join(["<div class=\"table-scroll\"><table><thead><tr>",
                      *(f"<th>activation function {n}</th>" for n in range(1, 7)),
                      "</tr></thead><tbody><tr>", *(f"<td>0.{n}2345678</td>" for n in range(1, 7)),
                      "</tr></tbody></table></div>"])


def _answer_html(words: str) -> str:
    return (f"<p>{words}</p><div class=\"math display\">{WIDE_FORMULA}</div>{WIDE_TABLE}"
            "<pre><code>loss.backward()  # the gradient of every parameter, layer by layer</code></pre>")


@dataclass
class Site:
    """The rows behind the pages: one learner, alice, with study history, her own card, an
    interview in each state (with a follow-up and a spoken answer past answering) and a finished demo run."""

    question: str  # a corpus card's ID
    own_card: str
    answering: str  # interviews' IDs
    reviewing: str
    done: str
    run: str  # a demo run's ID
    demo: str
    anki_export: str  # a large Anki deck's ID, built


@dataclass(frozen=True)
class Page:
    """A page to visit: its URL pattern's name, a group for the report, how to build its path, and
    what to do on it before it is checked (reveal an answer, open the search dialog)."""

    name: str
    group: str
    path: object  # Site -> str
    ready: str = "main"  # a selector present once the page has drawn what it shows
    action: str = ""
    anonymous: bool = False
    label: str = field(default="")

    @property
    def title(self) -> str:
        return self.label or self.name


PAGES = [
    Page("home", "home and accounts", lambda site: "/", anonymous=True, label="home (visitor)"),
    Page("signup", "home and accounts", lambda site: "/accounts/signup/", anonymous=True),
    Page("login", "home and accounts", lambda site: "/accounts/login/", anonymous=True),
    Page("password_reset", "home and accounts", lambda site: "/accounts/password/reset/", anonymous=True),
    Page("password_reset_done", "home and accounts", lambda site: "/accounts/password/reset/sent/", anonymous=True),
    Page("password_reset_confirm", "home and accounts", lambda site: "/accounts/password/reset/MQ/bad-token/",
         anonymous=True, label="password reset (link expired)"),
    Page("password_reset_complete", "home and accounts", lambda site: "/accounts/password/reset/done/",
         anonymous=True),
    Page("study:try", "study", lambda site: "/study/try/", anonymous=True, ready=".study-card"),
    Page("home", "home and accounts", lambda site: "/", label="home (learner)"),
    Page("password_change", "home and accounts", lambda site: "/accounts/password/"),
    Page("password_change_done", "home and accounts", lambda site: "/accounts/password/done/"),
    Page("account_delete", "home and accounts", lambda site: "/accounts/delete/"),
    Page("study:session", "study", lambda site: "/study/", ready=".study-card .prompt", label="study (front)"),
    Page("study:session", "study", lambda site: "/study/", ready=".study-card .prompt", action="reveal",
         label="study (answer)"),
    Page("study:stats", "study", lambda site: "/study/stats/", ready=".calendar-months span"),
    Page("study:settings", "study", lambda site: "/study/settings/"),
    Page("study:plan", "study", lambda site: "/study/plan/"),
    Page("study:leeches", "study", lambda site: "/study/leeches/"),
    Page("study:browse", "study", lambda site: "/study/browse/"),
    Page("study:optimize", "study", lambda site: "/study/optimize/"),
    Page("study:custom", "study", lambda site: "/study/custom/"),
    Page("questions:topics", "questions and own cards", lambda site: "/questions/"),
    Page("questions:index", "questions and own cards", lambda site: "/questions/all/"),
    Page("questions:index", "questions and own cards", lambda site: "/questions/all/?q=sigmoid",
         label="search results"),
    Page("questions:index", "questions and own cards", lambda site: "/questions/all/", action="search",
         label="search dialog"),
    Page("questions:detail", "questions and own cards", lambda site: f"/questions/{site.question}/",
         ready=".katex-display"),
    Page("questions:anki-export-status", "questions and own cards",
         lambda site: f"/questions/exports/{site.anki_export}/"),
    Page("questions:own", "questions and own cards", lambda site: "/questions/mine/"),
    Page("questions:own-new", "questions and own cards", lambda site: "/questions/mine/new/"),
    Page("questions:own-edit", "questions and own cards", lambda site: f"/questions/mine/{site.own_card}/edit/"),
    Page("questions:own-delete", "questions and own cards",
         lambda site: f"/questions/mine/{site.own_card}/delete/"),
    Page("demos:gallery", "demos", lambda site: "/demos/"),
    Page("demos:detail", "demos", lambda site: f"/demos/{site.demo}/", ready=".demo-output .result canvas"),
    Page("demos:run", "demos", lambda site: f"/demos/runs/{site.run}/", ready=".demo-output .result canvas"),
    Page("demos:history", "demos", lambda site: "/demos/history/"),
    Page("interviews:index", "interviews", lambda site: "/interviews/"),
    Page("interviews:answer", "interviews", lambda site: f"/interviews/{site.answering}/", ready="#answer"),
    Page("interviews:review", "interviews", lambda site: f"/interviews/{site.reviewing}/review/"),
    Page("interviews:results", "interviews", lambda site: f"/interviews/{site.done}/results/"),
    Page("interviews:history", "interviews", lambda site: "/interviews/history/", ready="#interview-trend"),
    Page("", "errors", lambda site: "/no-such-page/", label="not found (404)"),
]

# Named URLs that are not pages a learner looks at, and why the tests above leave them out.
NOT_PAGES = {
    "healthz": "JSON for the proxy and the container's check",
    "logout": "POST only: it redirects",
    "sign_out_everywhere": "POST only: it redirects",
    "my_data": "a JSON download",
    "set_language": "POST only: it redirects",
    "study:first-day": "POST only: it redirects",
    "study:use-optimal-retention": "POST only: it redirects",
    "study:leech-action": "POST only: it redirects",
    "study:browse-bulk": "POST only: it redirects",
    "study:custom-new-cards": "POST only: it redirects",
    "study:custom-ahead": "POST only: it redirects",
    "study:custom-forgotten": "POST only: it redirects",
    "study:custom-cram": "POST only: it redirects",
    "study:custom-mock": "POST only: it redirects",
    "questions:own-import": "POST only: its page is My cards' import section",
    "questions:own-import-confirm": "POST only: it redirects",
    "questions:own-template": "a CSV download",
    "questions:own-export": "a CSV download",
    "questions:own-image": "an image of an own card, for its owner alone (the card pages show it)",
    "questions:own-delete-many": "POST only: it redirects",
    "questions:anki-export": "an .apkg download, or a redirect to the page of a large deck's build",
    "questions:anki-export-download": "an .apkg download",
    "interviews:answer-submit": "POST only: it redirects",
    "interviews:end": "POST only: it redirects",
    "interviews:retake": "POST only: it redirects",
    "interviews:study-missed": "POST only: it redirects to the custom study session",
}


def build_site() -> Site:
    alice = make_user("alice")
    topic = make_topic("long", title_en="Backpropagation and vanishing gradients in deep networks",
                       title_zh="深层网络中的反向传播与梯度消失", position=1)
    card = make_question(topic=topic, card_id="long-card", question_en=LONG_EN, question_zh=LONG_ZH,
                         answer_html_en=_answer_html(LONG_EN), answer_html_zh=_answer_html(LONG_ZH))
    others = [make_question(topic=topic, follow_up=FOLLOW_UP)] + [make_question(topic=topic) for _ in range(3)]
    for question, rating in zip(others[:2], (1, 3), strict=True):  # some history for the statistics
        card_review(user=alice, question=question, rating=rating)
    mine = own_card_create(owner=alice, text=OwnCardText(question=LONG_EN, answer=LONG_ZH, topic=topic,
                                                         difficulty=2),
                           images=[ImageFile(file_name="wide diagram.png", content=png(width=900, height=120))])
    asked = [others[0], card, others[1]]
    return Site(question=card.card_id, own_card=mine.card_id, answering=str(_interview(alice, asked, "answering")),
                reviewing=str(_interview(alice, asked, "reviewing")), done=str(_interview(alice, asked, "done")),
                run=str(_demo_run("D10").id), demo="D10", anki_export=str(_anki_export(alice).pk))


def _anki_export(owner) -> AnkiExport:
    """A large deck the worker has built, its download linked from the page."""
    export = AnkiExport.objects.create(owner=owner, language="en", cards=5000, progress=1.0,
                                       status=AnkiExport.Status.SUCCEEDED, finished_at=timezone.now())
    export.file = default_storage.save(anki_export_file_name(export), ContentFile(b"PK"))
    export.save(update_fields=["file"])
    return export


def _interview(user, questions, state: str):
    """An interview on `questions` in `state`; past answering, the first question (which has a follow-up)
    was answered out loud as well as typed, missing a key point its follow-up probes, so the follow-up was
    asked, reviewed and graded beside it."""
    interview = interviews.interview_create_on_questions(user=user, questions=questions, language="en")
    if state == "answering":
        return interview.id
    while (item := interviews.interview_advance(interview=interview)) is not None:
        follow_up = item.follow_up_of_id is not None
        if item.position == 1 and not follow_up:
            recording_save(interview=interview, question_id=item.question.card_id, audio=WEBM, seconds=20.0,
                           received_at=timezone.now())
        interviews.interview_answer_save(interview=interview, question_id=item.question.card_id,
                                         answer="The identity path adds one." if follow_up else MISSES_A_PROBE,
                                         action="next", follow_up=follow_up)
    if state == "done":
        marks = {question.card_id: {"covered": [0, 1]} for question in questions}
        marks[questions[0].card_id]["follow_up"] = {"covered": [0], "partly": [1]}
        interviews.interview_review_finish(interview=interview, marks=marks)
    return interview.id


def _demo_run(demo_id: str) -> DemoRun:
    """A finished run of the demo's defaults, as a worker would have stored it."""
    params = engine.get_demo(demo_id).validate({})
    return DemoRun.objects.create(demo_id=demo_id, params=params, params_key=params_key(params),
                                  engine_version=engine.ENGINE_VERSION, status=DemoRun.Status.SUCCEEDED,
                                  result=_computed(demo_id))


@functools.cache
def _computed(demo_id: str) -> dict:
    """The demo's defaults computed for real, once per test session (about a second on a CPU)."""
    return engine.execute(demo_id, {})
