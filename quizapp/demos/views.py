from django.contrib.auth.decorators import login_required
from django.shortcuts import render

import engine
from questions.languages import content_language
from questions.selectors import questions_for_demo
from quizapp.demos import selectors, services


def gallery(request):
    language = content_language()
    demos = [{"id": spec.id, "title": spec.title[language], "description": spec.description[language],
              "queue": spec.queue} for spec in engine.all_demos()]
    return render(request, "demos/gallery.html", {"demos": demos})


def detail(request, demo_id: str):
    spec = selectors.demo_spec_get_or_404(demo_id=demo_id)
    language = content_language()
    form = selectors.demo_form_from_link(spec=spec, query=request.GET, language=language)
    params = [{**param, "value": form.values[param["name"]], "error": form.errors.get(param["name"], "")}
              for param in spec.describe()["params"]]
    return render(request, "demos/detail.html", {
        "spec": spec.describe(), "params": params, "title": spec.title[language],
        "description": spec.description[language], "questions": questions_for_demo(demo_id=demo_id),
        "latest": form.run, "linked": form.linked, "compares": form.compares, "compared": form.compared_run},
        status=400 if form.errors else 200)


def run_detail(request, run_id):
    run = services.demo_run_refreshed_or_404(run_id=run_id)
    try:
        title = engine.get_demo(run.demo_id).title[content_language()]
    except KeyError:  # a demo since removed from the engine: its stored run still shows
        title = run.demo_id
    return render(request, "demos/run.html", {"run": run, "title": title})


@login_required
def history(request):
    requests = services.demo_requests_refreshed(user=request.user)[:200]
    return render(request, "demos/history.html", {"requests": requests})
