import re
from pathlib import Path

import pytest
from django.conf import settings


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "labels"), [
    ("en", ["Study", "Interview", "Questions", "Demos", "Stats"]),
    ("zh-hans", ["学习", "面试", "题库", "演示", "统计"]),
])
def test_it_translates_the_navigation(client, language, labels):
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    html = client.get("/").content.decode()
    for label in labels:
        assert f">{label}</a>" in html
    assert ">English</button>" in html and ">简体中文</button>" in html  # never 英语 / Chinese


@pytest.mark.django_db
def test_it_serves_assets_from_the_app_not_a_cdn(client):
    home = client.get("/").content.decode()
    assert "/static/js/api.js" in home and "/static/js/app.js" in home
    assert "katex" not in home  # loaded by the pages that may show math only
    questions = client.get("/questions/all/").content.decode()
    assert "/static/vendor/katex/katex.min.js" in questions and "/static/vendor/katex/katex.min.css" in questions
    assert "cdn" not in home.lower() and "cdn" not in questions.lower()


def test_it_keeps_inline_scripts_and_event_handlers_out_of_every_template():
    """What the Content-Security-Policy would refuse, found in every template, pages the browser tests
    do not open included. Data for scripts comes through json_script, which writes no code."""
    templates = [path for path in Path(settings.BASE_DIR).glob("**/templates/**/*.html")
                 if not {".venv", "node_modules"} & set(path.parts)]
    assert templates
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, (path, tag)
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", text), path


@pytest.mark.django_db
def test_it_publishes_an_openapi_schema_and_docs_for_the_api(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "openapi: 3" in text
    for path in ("/api/questions/", "/api/topics/", "/api/demos/", "/api/runs/{run_id}/"):
        assert path in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and "swagger" in docs.content.decode().lower()
    assert "cdn" not in docs.content.decode().lower()


def test_it_accepts_token_auth_on_the_api(api_client, alice):
    from quizapp.accounts.services import api_token_create

    key = api_token_create(user=alice)[1]
    assert api_client.get("/api/runs/").status_code in (401, 403)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/runs/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/runs/not-a-uuid/", "/api/no-such-thing/", "/api/study/cards/abc/"])
def test_it_answers_404_in_json_for_an_api_address_that_names_nothing(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_it_answers_an_html_404_for_a_page_that_does_not_exist(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_it_documents_in_the_schema_the_errors_each_operation_can_answer(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert {"400", "401", "403"} <= set(paths["/api/study/reviews/"]["post"]["responses"])
    assert {"401", "403", "404"} <= set(paths["/api/study/cards/{id}/"]["get"]["responses"])
    public = paths["/api/topics/"]["get"]["responses"]
    assert "401" in public and "403" not in public and "404" not in public  # no login needed to read
    assert "403" in paths["/api/demos/{demo_id}/runs/"]["post"]["responses"]  # a session write needs its CSRF token
    assert "400" in paths["/api/study/logs/"]["get"]["responses"]  # a bad ?limit= or address is refused
    assert "413" in paths["/api/study/reviews/"]["post"]["responses"] and "413" not in public
    own_words = paths["/api/interviews/{interview_id}/"]["get"]["responses"]["404"]
    assert own_words["description"] == "no such interview of yours"  # a view's own description wins


@pytest.mark.django_db
def test_it_names_the_icon_on_every_page_and_shows_the_health_page_to_staff_only(client, alice):
    page = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page and "/healthz" not in page
    alice.is_staff = True
    alice.save()
    client.force_login(alice)
    assert "/healthz" in client.get("/").content.decode()
