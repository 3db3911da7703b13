"""Reads of demo runs (reading a run that may be stale first fails it: services.demo_run_refreshed_or_404)."""

from __future__ import annotations

import engine
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
    defaults_key = services.params_key(engine.get_demo(demo_id).validate({}))  # keyed as a request is
    return (DemoRun.objects.filter(demo_id=demo_id, params_key=defaults_key, status=DemoRun.Status.SUCCEEDED,
                                   engine_version=engine.ENGINE_VERSION)
            .order_by("-finished_at").first())
