"""A mistyped address or a server fault shows the site's own page, in the learner's language, with a way
home: with DEBUG off as in production, and for the 404 with DEBUG on as in a local run."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import path

from quizapp import urls as site_urls
from quizapp.core import views as core_views


def _fail(request):
    raise RuntimeError("a bug in a view")


# This module is the URLconf of the 500 tests: the site's pages plus one view that fails.
urlpatterns = [path("fail/", _fail), *site_urls.urlpatterns]
handler404 = core_views.not_found
handler500 = core_views.server_error


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "heading", "home"), [
    ("en", "Page not found", "Back to the home page"), ("zh-hans", "页面不存在", "回到首页")])
@pytest.mark.parametrize("debug", [False, True])
def test_it_shows_the_sites_404_page_in_the_readers_language(client, settings, language, heading, home, debug):
    settings.DEBUG = debug
    for address in ("/no-such-page/", "/questions/no-such-card/"):  # no URL pattern; a view's Http404
        response = client.get(address, HTTP_ACCEPT_LANGUAGE=language)
        html = response.content.decode()
        assert response.status_code == 404
        assert f"<h1>{heading}</h1>" in html and f'href="/">{home}</a>' in html
        assert '<main class="container" id="main">' in html and 'class="topbar"' in html  # the site's layout
        assert "URLconf" not in html  # never Django's technical page


@pytest.mark.django_db
def test_it_still_adds_the_missing_slash_and_answers_the_api_in_json_with_debug_on(client, settings):
    settings.DEBUG = True
    assert client.get("/questions").headers["Location"] == "/questions/"
    response = client.get("/api/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "heading"), [("en", "Something went wrong on our side."),
                                                   ("zh-hans", "服务器出错了。")])
def test_it_shows_the_sites_500_page_in_the_readers_language(settings, language, heading):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/fail/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 500
    assert f"<h1>{heading}</h1>" in html and 'class="topbar"' in html and 'href="/"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(("address", "status", "heading"), [("/no-such-page/", 404, "Page not found"),
                                                         ("/fail/", 500, "Something went wrong on our side.")])
def test_it_answers_a_plain_page_with_the_same_status_when_the_sites_page_cannot_be_drawn(settings, tmp_path, address,
                                                                                         status, heading):
    for name in ("404.html", "500.html"):
        (tmp_path / name).write_text("{% extends 'base.html' %}{% block content %}{% broken %}{% endblock %}")
    settings.ROOT_URLCONF = __name__
    settings.TEMPLATES = [{**django_settings.TEMPLATES[0], "DIRS": [tmp_path, *django_settings.TEMPLATES[0]["DIRS"]]}]
    response = Client(raise_request_exception=False).get(address, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in html and '<a href="/">Back to the home page</a>' in html
