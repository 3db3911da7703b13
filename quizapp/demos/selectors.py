"""Reads of demo runs. Reading a run first expires stale ones, so nothing shows "running" forever."""

from __future__ import annotations

from django.db.models import QuerySet

import engine
from quizapp.demos import services
from quizapp.demos.models import DemoRequest, DemoRun


def demo_run_get(*, run_id) -> DemoRun:
    run = DemoRun.objects.get(id=run_id)
    if not run.is_finished:
        services.demo_runs_expire_stale()
        run.refresh_from_db()
    return run


def demo_requests_for_user(*, user) -> QuerySet[DemoRequest]:
    services.demo_runs_expire_stale()  # history must not show a dead worker's run as running
    return DemoRequest.objects.filter(user=user).select_related("run")


def latest_succeeded_run(*, demo_id: str) -> DemoRun | None:
    """The newest result of the current engine: an older engine's numbers may no longer hold."""
    return (DemoRun.objects.filter(demo_id=demo_id, status=DemoRun.Status.SUCCEEDED,
                                   engine_version=engine.ENGINE_VERSION)
            .order_by("-finished_at").first())
