from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache
from rest_framework.exceptions import NotFound

from quizapp.core import health


def home(request):
    return render(request, "core/home.html")


@never_cache
def healthz(request):
    """JSON status of database, broker and workers: 200 when all are up, 503 naming what is down."""
    database_error = health.check_database()
    broker_error = health.check_broker()
    workers, worker_error = health.check_workers() if database_error is None else ([], "database is down")
    report = {
        "database": {"ok": database_error is None, "error": database_error},
        "broker": {"ok": broker_error is None, "error": broker_error},
        "workers": {"ok": worker_error is None, "workers": workers, "error": worker_error},
    }
    down = [part for part, state in report.items() if not state["ok"]]
    return JsonResponse({"status": "down" if down else "ok", "down": down, **report},
                        status=503 if down else 200)


def not_found(request, exception):
    """An address under /api/ that names nothing answers in JSON like the API's own 404s, so a client
    (or a mistyped id such as /api/runs/not-a-uuid/) gets a body it can read; pages keep the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)
