"""The site's own 404 page in a local run too. With DEBUG on Django answers an unknown address (or a view's
Http404) with its technical page, which lists the URL patterns and reads like a crash to a learner who
mistyped an address; the 500 keeps Django's debug page, which is what a developer needs then."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404, resolve

from quizapp.core import views


class FriendlyNotFoundMiddleware:
    """Inside CommonMiddleware, so an address missing only its slash is still redirected to it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            # The address is resolved after every middleware has run: one that names nothing would reach
            # Django's technical page before process_exception could answer it.
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exception:
                return views.not_found(request, exception)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return views.not_found(request, exception)
        return None
