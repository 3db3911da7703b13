import zoneinfo
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

import engine
from questions.languages import content_language
from questions.selectors import topic_list_with_counts
from quizapp.core.errors import AppError
from quizapp.interviews import loops, scoring, selectors, services
from quizapp.interviews.forms import HistoryFilterForm, InterviewSetupForm, LoopStartForm, RoundStartForm
from quizapp.interviews.models import Interview, InterviewItem
from quizapp.interviews.serializers import AnswerSerializer
from quizapp.study.selectors import study_settings_get

CREDIT_LEVELS = [(scoring.MISSED, gettext_lazy("missed")), (scoring.PARTLY, gettext_lazy("partly")),
                 (scoring.FULLY, gettext_lazy("fully"))]


def _page_for(interview: Interview):
    name = {Interview.Status.ANSWERING: "interviews:answer", Interview.Status.REVIEWING: "interviews:review",
            Interview.Status.DONE: "interviews:results"}[interview.status]
    return redirect(name, interview_id=interview.id)


def _problem(request, interview: Interview, messages: list[str], status: int):
    return render(request, "interviews/problem.html", {"interview": interview, "problems": messages}, status=status)


def _flat(errors: dict[str, list[str]]) -> list[str]:
    """A serializer's field → messages mapping, in one list."""
    return [str(message) for messages in errors.values() for message in messages]


def _demos(item: InterviewItem, language: str) -> list[dict]:
    demos = []
    for demo_id in item.question.demo_ids:
        try:
            demos.append({"id": demo_id, "title": engine.get_demo(demo_id).title[language]})
        except KeyError:
            continue  # linked in the corpus, not written yet
    return demos


def _item_view(item: InterviewItem, language: str) -> dict:
    key_points = selectors.key_points_for_review(item=item, language=language)
    missed = set(item.missed_points)
    return {"item": item, "card_id": item.question.card_id, "form_key": item.form_key, "text": item.text(language),
            "answer_html": "" if item.is_follow_up else getattr(item.question, f"answer_html_{language}"),
            "key_points": key_points,
            "missed_points": [point for point in key_points if point["index"] in missed],
            "demos": _demos(item, content_language())}


@login_required
def index(request):
    """Set-up: topics, difficulty, count and time, or one of the presets."""
    if request.method == "POST" and "kind" in request.POST:
        return _start_round(request)
    if request.method == "POST" and "loop" in request.POST:
        return _start_loop(request)
    if request.method == "POST":
        form = InterviewSetupForm(request.POST, preset=request.POST.get("preset"))
        if form.is_valid():
            try:
                interview = services.interview_create(user=request.user, **form.service_arguments())
            except AppError as error:
                error.on_form(form)
            else:
                return redirect("interviews:answer", interview_id=interview.id)
        status = 400
    else:
        form = InterviewSetupForm(initial={"language": content_language(),
                                           "topics": list(topic_list_with_counts())})
        status = 200
    return _setup_page(request, form, status=status)


def _setup_page(request, form: InterviewSetupForm, *, status: int, round_problems: list[str] = ()):
    recent = selectors.interview_history(user=request.user)[:5]
    language = content_language()
    offered = [{"slug": loop.slug, "title": loop.title[language], "count": loop.count}
               for loop in loops.read_loops().values()]
    return render(request, "interviews/index.html", {
        "form": form, "rounds": services.ROUNDS, "round_problems": round_problems, "recent": recent,
        "loops": offered,
        "learner_timezone": study_settings_get(user=request.user).timezone}, status=status)


def _start_round(request):
    """A round's button was pressed: the rest of the set-up form is not needed, nor checked."""
    form = RoundStartForm(request.POST)
    try:
        if not form.is_valid():
            raise services.InterviewInputError(fields=form.errors)
        interview = services.interview_round_create(user=request.user, **form.cleaned_data)
    except AppError as error:
        # The set-up as the learner left it, unbound: its own fields were not the problem.
        kept = InterviewSetupForm(initial={**request.POST.dict(), "topics": request.POST.getlist("topics")})
        return _setup_page(request, kept, round_problems=error.messages(), status=400)
    return redirect("interviews:answer", interview_id=interview.id)


def _start_loop(request):
    """A loop's button was pressed: like a round, only the language of the set-up form applies."""
    form = LoopStartForm(request.POST)
    try:
        if not form.is_valid():
            raise services.InterviewInputError(fields=form.errors)
        interview = services.interview_loop_create(user=request.user, **form.cleaned_data)
    except AppError as error:
        kept = InterviewSetupForm(initial={**request.POST.dict(), "topics": request.POST.getlist("topics")})
        return _setup_page(request, kept, round_problems=error.messages(), status=400)
    return redirect("interviews:answer", interview_id=interview.id)


@never_cache
@login_required
def answer(request, interview_id):
    """The current question. Opening it starts its clock once; a reload shows the same deadline."""
    interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
    item = services.interview_advance(interview=interview)
    if item is None:
        interview.refresh_from_db()
        return _page_for(interview)
    interview.refresh_from_db()
    language = interview.language
    return render(request, "interviews/answer.html", {
        "interview": interview, "item": item, "text": item.text(language),
        "asked_before": item.follow_up_of.text(language) if item.is_follow_up else None,
        "count": interview.items.filter(follow_up_of__isnull=True).count(), "server_time": timezone.now(),
        "warn_seconds": services.warning_seconds(item), "minute_seconds": services.seconds_per_minute(),
        "answer_api": reverse("api-interview-answer", kwargs={"interview_id": interview.id})})


@require_POST
@login_required
def answer_submit(request, interview_id):
    """Save the answer and move on (or only save, without JavaScript's autosave)."""
    interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
    action = request.POST.get("action", "next")
    if action not in ("save", "next", "skip"):
        return _problem(request, interview, [_("unknown action %(action)s") % {"action": repr(action)}], 400)
    # The API's checks (length, no NUL character) hold for the form too: one answer, one set of rules.
    submitted = AnswerSerializer(data={"question": request.POST.get("question", ""),
                                       "follow_up": request.POST.get("follow_up", "false"),
                                       "answer": request.POST.get("answer", ""), "action": action})
    if not submitted.is_valid():
        return _problem(request, interview, _flat(submitted.errors), 400)
    try:
        services.interview_answer_save(interview=interview, question_id=submitted.validated_data["question"],
                                       answer=submitted.validated_data["answer"], action=action,
                                       follow_up=submitted.validated_data["follow_up"])
    except AppError as error:
        return _problem(request, interview, error.messages(), error.status)
    return redirect("interviews:answer", interview_id=interview.id)


@require_POST
@login_required
def end(request, interview_id):
    interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
    interview = services.interview_end(interview=interview)
    return _page_for(interview)


def _marks(request, items: list[InterviewItem]) -> dict[str, dict]:
    """Each key point's radio (missed, partly, fully; missed when none is sent) and each verdict as
    posted, a follow-up's under its question's; a value that is none of these is a 400 naming the item."""
    marks: dict[str, dict] = {}
    for item in items:  # a question before its follow-up
        key = item.form_key
        levels = [request.POST.get(f"point-{key}-{index}", scoring.MISSED) for index in range(len(item.key_points))]
        if any(level not in scoring.CREDITS for level in levels):
            raise services.InterviewInputError(fields={"items": [
                _("“%(question)s”: each key point is missed, partly or fully covered.") % {"question": key}]})
        mark = {"covered": [index for index, level in enumerate(levels) if level == scoring.FULLY],
                "partly": [index for index, level in enumerate(levels) if level == scoring.PARTLY],
                "verdict": request.POST.get(f"verdict-{key}", scoring.DERIVED)}
        if item.is_follow_up:
            marks[item.question.card_id]["follow_up"] = mark
        else:
            marks[item.question.card_id] = mark
    return marks


@never_cache
@login_required
def review(request, interview_id):
    """Each answer beside the reference answer; key points found in the answer come pre-ticked."""
    interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
    services.interview_advance(interview=interview)  # closes the interview if its time is up
    interview.refresh_from_db()
    if interview.status != Interview.Status.REVIEWING:
        return _page_for(interview)
    items = list(selectors.interview_items(interview=interview))
    problems, status = [], 200
    if request.method == "POST":
        try:
            services.interview_review_finish(interview=interview, marks=_marks(request, items))
        except services.InterviewConflict:
            return redirect("interviews:results", interview_id=interview.id)  # reviewed meanwhile in another tab
        except AppError as error:
            problems, status = error.messages(), error.status
        else:
            return redirect("interviews:results", interview_id=interview.id)
    return render(request, "interviews/review.html", {
        "interview": interview, "rows": [_item_view(item, interview.language) for item in items],
        "problems": problems, "late_factor": scoring.LATE_FACTOR, "pass_score": scoring.PASS_SCORE,
        "follow_up_weight": scoring.FOLLOW_UP_WEIGHT, "follow_ups": any(item.is_follow_up for item in items),
        "credit_levels": CREDIT_LEVELS}, status=status)


@login_required
def results(request, interview_id):
    interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
    if interview.status != Interview.Status.DONE:
        return _page_for(interview)
    items = list(selectors.interview_items(interview=interview))
    rows = [_item_view(item, interview.language) for item in items]
    return render(request, "interviews/results.html", {
        "interview": interview, "rows": rows, "missed_any": any(row["missed_points"] for row in rows),
        "question_count": sum(not item.is_follow_up for item in items),
        "total_seconds_used": interview.seconds_taken,  # as the history counts it: first question shown to end
        "learner_timezone": study_settings_get(user=request.user).timezone})


@require_POST
@login_required
def study_missed(request, interview_id):
    """"Study these now": a custom study session of the cards with a key point missed."""
    interview = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
    try:
        session = services.interview_study_missed(interview=interview)
    except AppError as error:
        return _problem(request, interview, error.messages(), error.status)
    return redirect(f"{reverse('study:session')}?{urlencode({'custom': session.kind, 'session': session.pk})}")


@login_required
def history(request):
    """Every interview with its score and time, a trend chart, a topic filter and re-takes."""
    form = HistoryFilterForm(request.GET or None)
    topic = form.cleaned_data["topic"] if form.is_valid() else None
    interviews = list(selectors.interview_history(user=request.user, topic=topic or None)[:200])
    # Each point dated as the table dates its row: when the interview began.
    scored = sorted((interview for interview in interviews if interview.score is not None),
                    key=lambda interview: interview.created_at)
    zone = zoneinfo.ZoneInfo(study_settings_get(user=request.user).timezone)
    by_topic, by_kind = selectors.score_trends(user=request.user)
    trend = {"labels": [interview.created_at.astimezone(zone).strftime("%m-%d %H:%M") for interview in scored],
             "scores": [round(interview.score * 100) for interview in scored],
             "topics": [_series(name, points, scored) for name, points in sorted(by_topic.items())]}
    return render(request, "interviews/history.html", {
        "interviews": interviews, "trend": trend, "topic": topic, "topics": topic_list_with_counts(),
        "learner_timezone": zone.key, "topic_trends": by_topic,
        "trend_tables": [(_("Trend by topic"), _trend_rows(by_topic)),
                         (_("Trend by loop and round kind"), _trend_rows(by_kind))]})


def _series(name: str, points: list, scored: list[Interview]) -> dict:
    """A topic's scores on the chart's axis (one place per scored interview; none where it was not asked)."""
    score_of = {point.interview_id: round(point.score * 100) for point in points}
    return {"name": name, "scores": [score_of.get(interview.id) for interview in scored]}


def _trend_rows(history: dict[str, list]) -> list[dict]:
    """Per topic or round kind: how often, the first and latest score and the change between them."""
    return [{"name": name, "count": len(points), "first": points[0].score, "latest": points[-1].score,
             "change": round((points[-1].score - points[0].score) * 100) if len(points) > 1 else None}
            for name, points in sorted(history.items())]


@require_POST
@login_required
def retake(request, interview_id):
    original = selectors.interview_get_or_404(user=request.user, interview_id=interview_id)
    try:
        retaken = services.interview_retake(user=request.user, interview=original)
    except AppError as error:
        return _problem(request, None, error.messages(), error.status)
    return redirect("interviews:answer", interview_id=retaken.id)
