import logging

from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from rest_framework.exceptions import NotFound

from quizapp.core import health

logger = logging.getLogger(__name__)


def home(request):
    return home_page(request)


def home_page(request, *, first_day_form=None, status: int = 200):
    """What the product is; for a learner, first what today holds and the button that starts it, and
    for a new one a first choice of what to study."""
    today = None
    if request.user.is_authenticated:
        # The home page shows the study app's day.
        from quizapp.study.forms import FirstDayForm
        from quizapp.study.models import CardState
        from quizapp.study.queue import study_queue
        from quizapp.study.selectors import study_settings_get

        study_settings = study_settings_get(user=request.user)
        # New: nothing studied and no topic chosen yet (sign-up may already have saved the time zone).
        fresh = not CardState.objects.filter(user=request.user).exists() and not (
            study_settings.pk and study_settings.topics.exists())
        today = {"counts": study_queue(user=request.user, limit=0, study_settings=study_settings).counts,
                 "first_day_form": (first_day_form or FirstDayForm()) if fresh else None}
    return render(request, "core/home.html", {"today": today}, status=status)


@never_cache
def healthz(request):
    """200 {"status": "ok"} when database, broker and workers are up, else 503 {"status": "unavailable"}.
    Anyone may ask (a proxy, the container's check); only staff see which part is down and why, since
    the details name worker hosts and the broker's host and port. The report is up to
    health.REPORT_MEMO_SECONDS old, so callers asking often cannot tie workers up probing a hung part."""
    report = health.recent_health_report.report()
    down = [part for part, state in report.items() if not state["ok"]]
    body = {"status": "unavailable" if down else "ok"}
    if _is_staff(request):
        body |= {"down": down, **report}
    return JsonResponse(body, status=503 if down else 200)


def _is_staff(request) -> bool:
    try:
        return request.user.is_staff
    except DatabaseError:  # the session lives in the database that is down: answer as to anyone
        return False


def not_found(request, exception):
    """An address under /api/ that names nothing answers in JSON like the API's own 404s, so a client
    (or a mistyped id such as /api/runs/not-a-uuid/) gets a body it can read; pages get the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return _error_page(request, "404.html", status=404, title=_("Page not found"), heading=_("Page not found"))


def server_error(request):
    return _error_page(request, "500.html", status=500, title=_("Server error"),
                       heading=_("Something went wrong on our side."))


def _error_page(request, template: str, *, status: int, title: str, heading: str) -> HttpResponse:
    """The site's page, in the learner's language, with a way home. What failed may be the database (the
    layout asks it who is logged in), a template or the static files' manifest: then a bare page says the
    same, with the same status, rather than turning a 404 into a 500."""
    try:
        return render(request, template, status=status)
    except Exception:
        logger.exception("the %s page could not be rendered", status)
        return HttpResponse(format_html(
            '<!doctype html><html lang="{}"><title>{}</title><main><h1>{}</h1><p><a href="/">{}</a></p></main>',
            getattr(request, "LANGUAGE_CODE", "en"), title, heading, _("Back to the home page")), status=status)
