from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

import engine
from questions import selectors
from questions.apkg_export import anki_download
from questions.forms import AnkiExportForm, QuestionFilterForm
from questions.languages import content_language
from questions.models import Question, Tag
from questions.throttles import AnkiExportThrottle
from quizapp.demos.selectors import default_params_run


def topic_list(request):
    return render(request, "questions/topic_list.html",
                  {"topics": selectors.topic_list_with_counts(viewer=request.user)})


def question_index(request):
    """Filtered list or search results; bad filters re-show the form with their messages (400)."""
    form = QuestionFilterForm(request.GET or None)
    if request.GET and not form.is_valid():  # the page around the form stays as it was: topics, the query
        return render(request, "questions/question_list.html", {
            "form": form, "questions": [], "query": request.GET.get("q", "").strip(), "tags": Tag.objects.all(),
            "topics": selectors.topic_list_with_counts(viewer=request.user)}, status=400)
    filters = form.cleaned_data if request.GET else {}
    query = (filters.get("q") or "").strip()
    criteria = {"viewer": request.user, "topic": filters.get("topic") or None,
                "tag": filters.get("tag") or None, "difficulty": filters.get("difficulty")}
    questions = (selectors.question_search(query=query, **criteria) if query
                 else selectors.question_list(**criteria))
    return render(request, "questions/question_list.html", {
        "form": form, "questions": questions, "query": query, "tags": Tag.objects.all(),
        "topics": selectors.topic_list_with_counts(viewer=request.user)})


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
    page's language; with `schedule`, the learner's reviews and scheduling travel with it."""
    form = AnkiExportForm(request.GET or None, learner=request.user)
    if request.GET and not form.is_valid():
        return HttpResponse("; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
                            status=400, content_type="text/plain; charset=utf-8")
    filters = form.cleaned_data if request.GET else {}
    throttle = AnkiExportThrottle()
    if not throttle.allow_request(request, None):
        response = HttpResponse(_("Too many deck downloads; try again in a minute."), status=429,
                                content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(int(throttle.wait() or 1))
        return response
    language = filters.get("language") or content_language()
    deck = anki_download(viewer=request.user, filters=filters, language=language,
                         with_schedule=filters.get("schedule", False))
    response = HttpResponse(deck, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="dl-interview-{language}.apkg"'
    return response
