"""Reads of demo runs (reading a run that may be stale first fails it: services.demo_run_refreshed_or_404)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

import engine
from engine.text import both
from quizapp.core.errors import NotYours
from quizapp.demos import services
from quizapp.demos.models import DemoRun


def demo_spec_get_or_404(*, demo_id: str) -> engine.DemoSpec:
    try:
        return engine.get_demo(demo_id)
    except KeyError:
        raise NotYours from None


def default_run_evidence(*, demo_ids) -> dict[str, dict]:
    """Each demo's conclusion ({"en", "zh"}) and main chart (its first) from its newest
    default-parameter run, and that run, for the demos that have one: the evidence a study card shows under
    its answer."""
    evidence = {}
    for demo_id in sorted(set(demo_ids)):
        try:
            run = default_params_run(demo_id=demo_id)
        except KeyError:  # linked in the corpus, not written yet
            continue
        if run is not None and run.result:
            charts = run.result.get("charts") or []
            evidence[demo_id] = {"conclusion": run.result["conclusion"], "chart": charts[0] if charts else None,
                                 "run": run}
    return evidence


def default_params_run(*, demo_id: str) -> DemoRun | None:
    """The newest result with the demo's default parameters, from the current engine: what a question
    page and a demo page show before the learner runs anything. Any learner's run would do as a cache,
    but not as evidence: the defaults are chosen to show what the answer claims, while other parameters
    may show something else (a diverged run under a vanishing-gradient answer). An older engine's
    numbers may no longer hold."""
    return finished_run(demo_id=demo_id, params=engine.get_demo(demo_id).validate({}))


def finished_run(*, demo_id: str, params: dict[str, Any]) -> DemoRun | None:
    """The newest succeeded run of these (validated) parameters from the current engine."""
    return (DemoRun.objects.filter(demo_id=demo_id, params_key=services.params_key(params),  # keyed as a request is
                                   status=DemoRun.Status.SUCCEEDED, engine_version=engine.ENGINE_VERSION)
            .order_by("-finished_at").first())


# In a link, the prefix of the second run's parameters that differ from the first's: a shared comparison.
COMPARED = "vs."


@dataclass(frozen=True)
class LinkedForm:
    """A demo page's form as its link sets it: each field's value, a message per field the link got wrong
    (in the page's language), and the finished runs of those parameters, when there are some, to show."""

    values: dict[str, Any]
    errors: dict[str, str]
    run: DemoRun | None
    linked: bool  # the link named parameters (a shared run), rather than the bare page's defaults
    compares: bool = False  # the link asks for a second run drawn over the first
    compared_run: DemoRun | None = None  # that second run, when it has finished


def demo_form_from_link(*, spec: engine.DemoSpec, query: Mapping[str, str], language: str) -> LinkedForm:
    """The page's URL holds the form's parameters (demos.js writes them there), so a run can be shared and
    reopened, and a comparison with it ("vs." names what the second run changed). They are checked as a run
    request's are; names the demo does not have (a tracker's utm_*) are left alone, and a field the link got
    wrong keeps the link's value beside its message."""
    linked = {name: query[name] for name in spec.defaults() if name in query}
    compared = {name: query[COMPARED + name] for name in spec.defaults() if COMPARED + name in query}
    try:
        params = spec.validate(linked)
    except engine.ParamError as error:
        valid = spec.validate({name: value for name, value in linked.items() if name not in error.errors})
        return LinkedForm(values={**valid, **{name: linked[name] for name in error.errors}},
                          errors={name: message[language] for name, message in error.errors.items()},
                          run=None, linked=True)
    run = finished_run(demo_id=spec.id, params=params)
    try:
        compared_params = spec.validate({**params, **compared})
    except engine.ParamError as error:
        errors = {name: _("%(label)s: %(value)s") % {"label": _("Second run"), "value": message[language]}
                  for name, message in error.errors.items()}
        return LinkedForm(values=params, errors=errors, run=run, linked=True)
    compares = run is not None and compared_params != params
    return LinkedForm(values=params, errors={}, run=run, linked=bool(linked or compared), compares=compares,
                      compared_run=finished_run(demo_id=spec.id, params=compared_params) if compares else None)


def params_in_words(*, demo_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """A run's parameters by their labels ({"en", "zh"}; engine.DemoSpec.params_in_words); a demo since
    removed from the engine keeps its stored run's code names."""
    try:
        return engine.get_demo(demo_id).params_in_words(params)
    except KeyError:
        return [{"name": name, "value": value, "label": both(name), "value_label": None}
                for name, value in params.items()]
