"""REST_FRAMEWORK's EXCEPTION_HANDLER: the one place where application errors become responses."""

from __future__ import annotations

from django.http import Http404
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

import engine
from questions.languages import content_language
from quizapp.core.errors import AppError, NotYours


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Http404) and not isinstance(exc, AppError):
        # DRF would answer Django's "No CardState matches the given query.": a model name, untranslated
        exc = NotYours()
    if isinstance(exc, AppError):
        return Response(exc.body(), status=exc.status, headers=exc.headers())
    if isinstance(exc, engine.ParamError):  # a message per bad demo parameter, in the reader's language
        language = content_language()
        return Response({"params": {name: text[language] for name, text in exc.errors.items()}}, status=400)
    return drf_exception_handler(exc, context)
