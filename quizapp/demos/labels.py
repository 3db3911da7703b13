"""What a stored result says about itself: when it was computed, on which device, in how long. A page that
shows a result nobody just ran for the reader labels it so (it was once called "From the cache" after
computing in front of the learner)."""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from quizapp.demos.models import DemoRun


def stored_run_label(run: DemoRun) -> str:
    """For a succeeded run: "Stored result: computed <when> on <device> in <s> s"."""
    when = formats.date_format(timezone.localtime(run.finished_at), "DATETIME_FORMAT")
    return _("Stored result: computed %(when)s on %(device)s in %(seconds)s s") % {
        "when": when, "device": run.result["device_name"], "seconds": _seconds(run.result["compute_seconds"])}


def _seconds(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"
