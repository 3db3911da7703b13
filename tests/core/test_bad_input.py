"""Every bad input is a 4xx with a message naming what is wrong, never a 500: a NUL or a lone surrogate
anywhere (address, query, JSON, form), JSON nested too deep or too large, lists of topics too long."""

from __future__ import annotations

import io
import json
import uuid
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext

from questions.models import Question, Topic
from questions.serializers import MAX_TOPICS_PER_LIST
from quizapp.core.parsers import MAX_JSON_DEPTH, BoundedJSONParser, RequestBodyTooLarge
from quizapp.interviews.models import Interview
from tests.factories import PASSWORD, make_topic

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def topics(db):
    return [make_topic(slug, title_en=slug, title_zh=slug, position=number)
            for number, slug in enumerate(["basics", "cnn", "rnn"])]


def post_json(client, url: str, text: str | bytes, method: str = "POST", **extra):
    return client.generic(method, url, text, content_type="application/json", **extra)


def messages(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


FORM_CONTENT = "application/x-www-form-urlencoded"


def form_body(content_type: str, fields: dict) -> bytes:
    return urlencode(fields).encode() if content_type == FORM_CONTENT else encode_multipart(BOUNDARY, fields)


# --- NUL and lone surrogates ------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api/topics/%00/", "/api/questions/%00/", "/api/topics/%ED%A0%80/"])
def test_it_refuses_a_bad_character_in_an_anonymous_address(api_client, topics, url):
    response = api_client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "address" in response.json()["detail"]


@pytest.mark.parametrize(("url", "name"), [("/api/own-cards/%00/", None), ("/api/interviews/?topic=%00", "topic"),
                                          ("/api/interviews/?topic=%ED%A0%80", "topic"),
                                          ("/api/study/cards/?le%00ech=1", "le\\x00ech")])
def test_it_refuses_a_bad_character_in_a_learners_address_naming_the_parameter(alice_api, topics, url, name):
    response = alice_api.get(url)
    assert response.status_code == 400
    assert (name in response.json()) if name else ("detail" in response.json())


def test_it_answers_a_page_with_a_bad_address_with_a_plain_400(client, topics):
    response = client.get("/questions/all/?q=%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith("q: Null characters")


@pytest.mark.parametrize(("method", "url", "body", "field"), [
    ("PATCH", "/api/study/settings/", '{"topics": ["\\u0000"]}', "topics"),
    ("POST", "/api/interviews/", '{"topics": ["\\u0000"], "preset": "quick"}', "topics"),
    ("POST", "/api/own-cards/", '{"question": "Why?", "answer": "Because.", "topic": "\\u0000"}', "topic"),
    # Anywhere in the body, even where no serializer looks: the 400 names the top-level field.
    ("POST", "/api/study/reviews/", '{"question": 1, "rating": 3, "note": {"k\\u0000": 1}}', "note"),
    ("POST", "/api/study/reviews/", '{"question": 1, "rating": 3, "note": ["\\ud800"]}', "note"),
])
def test_it_refuses_a_bad_character_in_json_naming_the_field(alice_api, topics, method, url, body, field):
    response = post_json(alice_api, url, body, method=method)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Question.objects.filter(owner__isnull=False).exists() and not Interview.objects.exists()


def test_it_refuses_a_nul_topic_in_a_form_body(alice_client, topics):
    response = alice_client.post("/api/interviews/", {"topics": "\x00", "preset": "quick"})
    assert response.status_code == 400 and "topics" in response.json()
    response = alice_client.post("/api/own-cards/", {"question": "Why?", "answer": "Because.", "topic": "\x00"})
    assert response.status_code == 400 and "topic" in response.json()


def test_it_refuses_a_nul_topic_in_an_api_import(alice_api, topics):
    upload = SimpleUploadedFile("cards.csv", b"question,answer\nWhy?,Because.\n", content_type="text/csv")
    response = alice_api.post("/api/own-cards/import/", {"file": upload, "topic": "\x00"}, format="multipart")
    assert response.status_code == 400 and list(response.json()) == ["topic"]
    assert not Question.objects.filter(owner__isnull=False).exists()


def test_it_refuses_a_bad_character_in_a_pages_form_naming_the_field(alice_client, topics):
    # The delete page looks the ticked cards up as sent: on PostgreSQL a NUL failed in the database (a 500).
    for body, content_type in ((b"card=%00", FORM_CONTENT), (encode_multipart(BOUNDARY, {"card": "\x00"}),
                                                             MULTIPART_CONTENT)):
        response = alice_client.generic("POST", "/questions/mine/delete/", body, content_type=content_type)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/plain")
        assert response.content.decode() == "card: Null characters are not allowed."


# --- charsets -----------------------------------------------------------------------------------------

def declared(content_type: str, charset: str) -> str:
    return f"{content_type}; charset={charset}"


@pytest.mark.parametrize(("charset", "text"), [
    ("cp037", "[" * 5000 + "]" * 5000),  # its brackets are not ASCII's: the depth check saw none
    ("utf-16-le", '["\u2200", ' + "[" * 3000 + "]" * 3000 + "]"),  # ∀ holds the byte of a quote
    ("utf-16", '{"params": {"\\ud800": 1}}'),  # the escape check read UTF-8 bytes
])
def test_it_refuses_json_in_any_charset_but_utf_8_with_415(api_client, charset, text):
    response = api_client.generic("POST", "/api/demos/D2/runs/", text.encode(charset),
                                  content_type=declared("application/json", charset))
    assert response.status_code == 415
    assert response.json() == {"detail": f'Charset "{charset}" is not supported: send JSON as UTF-8.'}


@pytest.mark.parametrize(("content_type", "charset", "kind"), [("application/json", "us-ascii", "JSON"),
                                                            (FORM_CONTENT, "UTF-8", "forms"),
                                                            (MULTIPART_CONTENT, "utf8", "forms")])
def test_it_reads_a_body_in_utf_8_and_refuses_rot13_with_415(api_client, client, alice, content_type, charset, kind):
    credentials = {"username": "alice", "password": PASSWORD}
    body = json.dumps(credentials) if kind == "JSON" else form_body(content_type, credentials)
    response = api_client.generic("POST", "/api/auth/login/", body, content_type=declared(content_type, charset))
    assert response.status_code == 200, response.json()
    response = api_client.generic("POST", "/api/auth/login/", body, content_type=declared(content_type, "rot13"))
    assert response.status_code == 415
    assert response.json() == {"detail": f'Charset "rot13" is not supported: send {kind} as UTF-8.'}
    if kind == "forms":  # a page's form, read by Django: refused before the view (or the CSRF check) reads it
        page = client.generic("POST", "/accounts/login/", body, content_type=declared(content_type, "rot13"))
        assert page.status_code == 415 and page.content.decode().startswith('Charset "rot13" is not supported')


# --- nesting and size ---------------------------------------------------------------------------------

def nested(depth: int) -> str:
    return '{"params": {"x": ' + "[" * depth + "]" * depth + "}}"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_it_refuses_deeply_nested_json_from_anyone(api_client, depth):
    response = post_json(api_client, "/api/demos/D2/runs/", nested(depth))
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_it_reads_json_nested_to_the_limit_and_brackets_in_text(alice_api, topics):
    data = BoundedJSONParser().parse(io.BytesIO(nested(MAX_JSON_DEPTH - 2).encode()), parser_context={})
    assert data["params"]["x"] is not None
    question = "Why [" * 200 + '"\\"{' + "?"
    response = post_json(alice_api, "/api/own-cards/",
                         json.dumps({"question": question, "answer": "Because.", "topic": "cnn"}))
    assert response.status_code == 201, response.json()
    assert response.json()["question"] == question
    assert post_json(alice_api, "/api/demos/D2/runs/", nested(MAX_JSON_DEPTH + 1)).status_code == 400


def test_it_refuses_a_json_body_past_the_limit_with_413(alice_api, settings):
    settings.JSON_BODY_MAX_BYTES = 1024 * 1024
    body = json.dumps({"question": 1, "rating": 3, "client_id": str(uuid.uuid4()), "padding": "x" * 1024 * 1024})
    response = post_json(alice_api, "/api/study/reviews/", body)
    assert response.status_code == 413
    assert "larger than 1048576 bytes" in response.json()["detail"]


def test_it_refuses_a_declared_length_past_the_limit_without_reading_the_body(alice_api):
    # The test client's body holds 2 bytes: reading the declared 300 MB from it would fail the request.
    response = post_json(alice_api, "/api/study/reviews/", b"{}", CONTENT_LENGTH=str(300 * 1024 * 1024))
    assert response.status_code == 413


def test_it_reads_a_body_of_unknown_length_only_one_byte_past_the_limit(settings):
    settings.JSON_BODY_MAX_BYTES = 1000
    stream = io.BytesIO(b"[" + b"1," * 10_000 + b"1]")
    with pytest.raises(RequestBodyTooLarge):
        BoundedJSONParser().parse(stream, parser_context={})
    assert stream.tell() == 1001


@pytest.mark.parametrize("content_type", [FORM_CONTENT, MULTIPART_CONTENT])
def test_it_refuses_a_5_mb_form_body_from_anyone_without_reading_it(api_client, alice, settings, content_type):
    settings.JSON_BODY_MAX_BYTES = 1024 * 1024
    credentials = {"username": "alice", "password": PASSWORD}
    small = api_client.generic("POST", "/api/auth/login/", form_body(content_type, credentials),
                               content_type=content_type)
    assert small.status_code == 200 and small.json()["token"]
    padded = {**credentials, "padding": "x" * 5 * 1024 * 1024}
    if content_type == MULTIPART_CONTENT:  # a file part, which DRF's own parser spools to disk unbounded
        padded["padding"] = SimpleUploadedFile("big.bin", padded["padding"].encode())
    response = api_client.generic("POST", "/api/auth/login/", form_body(content_type, padded),
                                  content_type=content_type)
    assert response.status_code == 413
    assert "larger than 1048576 bytes" in response.json()["detail"]
    assert not response.wsgi_request.environ["wsgi.input"].read_started


def test_it_refuses_an_import_past_its_limit_before_the_sessions_csrf_check_reads_it(alice, topics):
    browser = Client(enforce_csrf_checks=True)  # the check reads the form's csrfmiddlewaretoken first
    browser.force_login(alice)
    token = "c" * 32
    browser.cookies[django_settings.CSRF_COOKIE_NAME] = token
    # The test client's body holds a few bytes: reading the declared 30 MB from it would fail the request.
    response = browser.post("/api/own-cards/import/", {"topic": "cnn"}, HTTP_X_CSRFTOKEN=token,
                            HTTP_ACCEPT_LANGUAGE="en", CONTENT_LENGTH=str(30 * 1024 * 1024))
    assert response.status_code == 400
    assert "larger than 20 MB" in response.json()["file"][0]
    assert not Question.objects.filter(owner__isnull=False).exists()


# --- lists of topics ------------------------------------------------------------------------------------

def topic_queries(queries) -> list[str]:
    return [query["sql"] for query in queries if "questions_topic" in query["sql"]]


def test_it_looks_topics_up_in_one_query_and_names_the_unknown_ones(alice_api, topics):
    Topic.objects.bulk_create(Topic(slug=f"more-{number}", title_en="More", title_zh="更多", position=10 + number)
                              for number in range(MAX_TOPICS_PER_LIST - len(topics)))  # as many as the list
    slugs = ["basics", "cnn", *[f"nope-{number}" for number in range(MAX_TOPICS_PER_LIST - 3)], "rnn"]
    with CaptureQueriesContext(connection) as queries:
        response = post_json(alice_api, "/api/study/settings/", json.dumps({"topics": slugs}), method="PATCH")
    assert response.status_code == 400
    assert "Unknown topics: nope-0, nope-1" in messages(response) and "nope-96" in messages(response)
    assert len(topic_queries(queries)) == 1


@pytest.mark.parametrize(("method", "url", "extra"), [("PATCH", "/api/study/settings/", {}),
                                                      ("POST", "/api/interviews/", {"preset": "quick"})])
def test_it_refuses_more_topics_than_there_are_in_the_one_query(alice_api, topics, method, url, extra):
    body = json.dumps({"topics": ["basics", "cnn", "rnn", "cnn"], **extra})  # 3 topics exist
    with CaptureQueriesContext(connection) as queries:
        response = post_json(alice_api, url, body, method=method)
    assert response.status_code == 400
    assert "There are only 3 topics: name at most that many." in messages(response)
    assert len(topic_queries(queries)) == 1


@pytest.mark.parametrize(("method", "url", "extra"), [("PATCH", "/api/study/settings/", {}),
                                                      ("POST", "/api/interviews/", {"preset": "quick"})])
def test_it_refuses_a_long_list_of_topics_before_any_lookup(alice_api, topics, method, url, extra):
    body = json.dumps({"topics": ["x"] * 100_000, **extra})  # 500 KB
    with CaptureQueriesContext(connection) as queries:
        response = post_json(alice_api, url, body, method=method)
    assert response.status_code == 400
    assert f"at most {MAX_TOPICS_PER_LIST} topics" in messages(response)
    assert topic_queries(queries) == []


def test_it_says_what_is_wrong_in_the_learners_language(api_client, topics):
    response = api_client.get("/api/questions/?q=%00", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json() == {"q": ["不允许包含空字符（NUL）。"]}
    response = post_json(api_client, "/api/demos/D2/runs/", nested(MAX_JSON_DEPTH + 1), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json() == {"detail": f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层。"}
