from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

import engine
from questions import selectors, services
from questions.apkg_export import anki_download
from questions.forms import AnkiExportForm, QuestionFilterForm
from questions.languages import content_language
from questions.models import Question, Tag
from questions.throttles import AnkiExportThrottle
from quizapp.core.errors import AppError
from quizapp.demos.selectors import default_params_run

# How often a deck's page asks again while a worker builds it: a 5,000-card deck takes a few seconds.
STATUS_REFRESH_SECONDS = 1


def topic_list(request):
    return render(request, "questions/topic_list.html",
                  {"topics": selectors.topic_list_with_counts(viewer=request.user)})


def question_index(request):
    """Filtered list or search results; bad filters re-show the form with their messages (400)."""
    form = QuestionFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return _list_with_errors(request, form)
    filters = form.cleaned_data if request.GET else {}
    query = (filters.get("q") or "").strip()
    criteria = {"viewer": request.user, "topic": filters.get("topic") or None,
                "tag": filters.get("tag") or None, "difficulty": filters.get("difficulty")}
    questions = (selectors.question_search(query=query, **criteria) if query
                 else selectors.question_list(**criteria))
    return render(request, "questions/question_list.html", {
        "form": form, "questions": questions, "query": query, "tags": Tag.objects.all(),
        "topics": selectors.topic_list_with_counts(viewer=request.user)})


def _list_with_errors(request, form):
    """The question list showing the form's messages (400); the page around the form stays as it was: topics,
    the query."""
    return render(request, "questions/question_list.html", {
        "form": form, "questions": [], "query": request.GET.get("q", "").strip(), "tags": Tag.objects.all(),
        "topics": selectors.topic_list_with_counts(viewer=request.user)}, status=400)


def question_detail(request, card_id: str):
    try:
        question = selectors.question_get(card_id=card_id, viewer=request.user)
    except Question.DoesNotExist:
        raise Http404 from None
    language = content_language()
    demos = []
    for demo_id in question.demo_ids:
        try:
            spec = engine.get_demo(demo_id)
        except KeyError:
            continue  # linked in the corpus, not written yet
        demos.append({"id": demo_id, "title": spec.title[language],
                      "latest": default_params_run(demo_id=demo_id)})
    return render(request, "questions/question_detail.html", {"question": question, "demos": demos})


def anki_export(request):
    """The questions matching the list's filters (the learner's own cards too) as an Anki deck, in the
    page's language; with `schedule`, the learner's reviews and scheduling travel with it. A learner's deck
    past ANKI_EXPORT_ASYNC_CARDS cards is built by a worker: this redirects to its page."""
    form = AnkiExportForm(request.GET or None, learner=request.user)
    if request.GET and not form.is_valid():
        return _list_with_errors(request, form)
    filters = form.cleaned_data if request.GET else {}
    throttle = AnkiExportThrottle()
    if not throttle.allow_request(request, None):
        response = HttpResponse(_("Too many deck downloads; try again in a minute."), status=429,
                                content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(int(throttle.wait() or 1))
        return response
    language = filters.get("language") or content_language()
    with_schedule = filters.get("schedule", False)
    cards = selectors.anki_deck_size(viewer=request.user, filters=filters) if request.user.is_authenticated else 0
    if cards > settings.ANKI_EXPORT_ASYNC_CARDS:  # a visitor's deck is the corpus's, cached: always built here
        try:
            export = services.anki_export_request(owner=request.user, filters=selectors.anki_criteria(filters),
                                                  language=language, with_schedule=with_schedule, cards=cards)
        except AppError as error:
            return HttpResponse(str(error), status=error.status, headers=error.headers(),
                                content_type="text/plain; charset=utf-8")
        return redirect("questions:anki-export-status", export_id=export.pk)
    deck = anki_download(viewer=request.user, filters=filters, language=language, with_schedule=with_schedule)
    response = HttpResponse(deck, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="dl-interview-{language}.apkg"'
    return response


def anki_export_file_response(export) -> FileResponse:
    """A built deck's file as a download (the page's and the API's); an expired or failed one is gone (404)."""
    if export.status != export.Status.SUCCEEDED or not export.file:
        raise Http404
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=export.filename,
                        content_type="application/octet-stream")


@login_required
def anki_export_status(request, export_id):
    """A deck being built: its progress (the page refreshes itself until it is done), then its download."""
    export = services.anki_export_get(owner=request.user, export_id=export_id)
    return render(request, "questions/anki_export.html", {
        "export": export, "refresh_seconds": STATUS_REFRESH_SECONDS, "keep_hours": settings.ANKI_EXPORT_KEEP_HOURS})


@login_required
def anki_export_download(request, export_id):
    return anki_export_file_response(services.anki_export_get(owner=request.user, export_id=export_id))
