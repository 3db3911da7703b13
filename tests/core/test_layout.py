import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "labels"), [
    ("en", ["Study", "Interview", "Questions", "Demos", "Stats"]),
    ("zh-hans", ["学习", "面试", "题库", "演示", "统计"]),
])
def test_the_navigation_is_translated(client, language, labels):
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    html = client.get("/").content.decode()
    for label in labels:
        assert f">{label}</a>" in html
    assert ">English</button>" in html and ">简体中文</button>" in html  # never 英语 / Chinese


@pytest.mark.django_db
def test_assets_are_served_by_the_app_not_a_cdn(client):
    html = client.get("/").content.decode()
    assert "/static/vendor/katex/katex.min.js" in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "cdn" not in html.lower()


@pytest.mark.django_db
def test_the_api_publishes_an_openapi_schema_and_docs(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "openapi: 3" in text
    for path in ("/api/questions/", "/api/topics/", "/api/demos/", "/api/runs/{run_id}/"):
        assert path in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and "swagger" in docs.content.decode().lower()
    assert "cdn" not in docs.content.decode().lower()


def test_the_api_accepts_token_auth(api_client, alice):
    from quizapp.accounts.services import api_token_create

    key = api_token_create(user=alice)[1]
    assert api_client.get("/api/runs/").status_code in (401, 403)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/runs/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/runs/not-a-uuid/", "/api/no-such-thing/", "/api/study/cards/abc/"])
def test_an_api_address_that_names_nothing_answers_404_in_json(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_a_page_that_does_not_exist_stays_an_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_the_schema_documents_the_errors_each_operation_can_answer(client):
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
def test_every_page_names_its_icon_and_shows_the_health_page_to_staff_only(client, alice):
    page = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page and "/healthz" not in page
    alice.is_staff = True
    alice.save()
    client.force_login(alice)
    assert "/healthz" in client.get("/").content.decode()
