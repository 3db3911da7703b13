"""The OpenAPI schema says every limit the server enforces, so a client built from it is refused nothing
it was not told about; and paging refuses what it cannot read instead of serving the first page."""

from __future__ import annotations

import pytest


@pytest.fixture
def schema(client, db):
    return client.get("/api/schema/?format=json").json()


def request_component(schema, path: str, method: str) -> dict:
    reference = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][reference.rsplit("/", 1)[1]]["properties"]


def parameters(schema, path: str, method: str = "get") -> dict:
    return {parameter["name"]: parameter["schema"] for parameter in schema["paths"][path][method]["parameters"]}


def test_it_documents_the_bounds_of_a_new_interview(schema):
    fields = request_component(schema, "/api/interviews/", "post")
    assert (fields["count"]["minimum"], fields["count"]["maximum"]) == (1, 20)
    assert (fields["minutes_per_question"]["minimum"], fields["minutes_per_question"]["maximum"]) == (1, 15)
    assert fields["topics"]["minItems"] == 1 and fields["topics"]["maxItems"] == 100
    assert fields["topics"]["items"]["pattern"] == "^[-a-zA-Z0-9_]+$"


def test_it_documents_required_text_as_non_empty_and_topics_as_slugs(schema):
    fields = request_component(schema, "/api/own-cards/", "post")
    assert fields["question"]["minLength"] == 1
    # A cloze card's answer may be blank; without blanks the server refuses an empty one with a 400 on it.
    assert "minLength" not in fields["answer"] and "optional with blanks" in fields["answer"]["description"]
    assert fields["topic"]["pattern"] == "^[-a-zA-Z0-9_]+$"
    assert parameters(schema, "/api/topics/{slug}/")["slug"]["pattern"] == "^[-a-zA-Z0-9_]+$"
    assert parameters(schema, "/api/own-cards/{id}/", "delete")["id"]["pattern"] == "^[-a-zA-Z0-9_]+$"


def test_it_documents_each_demos_parameters_and_refuses_unknown_ones(schema):
    params = request_component(schema, "/api/demos/{demo_id}/runs/", "post")["params"]["anyOf"]
    d2 = next(demo for demo in params if demo["title"] == "D2 parameters")
    assert d2["additionalProperties"] is False
    assert (d2["properties"]["points"]["minimum"], d2["properties"]["points"]["maximum"]) == (21, 4001)
    assert "D2" in parameters(schema, "/api/demos/{demo_id}/runs/", "post")["demo_id"]["enum"]


def test_it_documents_only_the_parameters_an_operation_reads(schema):
    assert set(parameters(schema, "/api/questions/{id}/")) == {"id"}
    assert {"q", "topic", "tag", "difficulty"} <= set(parameters(schema, "/api/questions/"))
    assert "400" in schema["paths"]["/api/study/queue/"]["get"]["responses"]
    assert parameters(schema, "/api/study/logs/")["offset"]["minimum"] == 0


def test_it_documents_the_size_limit_and_media_types_of_bodies(schema):
    assert {"413", "415"} <= set(schema["paths"]["/api/study/reviews/"]["post"]["responses"])
    assert "413" not in schema["paths"]["/api/own-cards/import/"]["post"]["responses"]  # an upload: its own limit


@pytest.mark.parametrize("query", ["offset=null", "offset=-1", "limit=0", "limit=ten", "offset=" + "9" * 5000])
def test_it_refuses_a_page_it_cannot_read(alice_api, query):
    response = alice_api.get(f"/api/study/logs/?{query}")
    assert response.status_code == 400
    assert set(response.json()) == {query.split("=")[0]}
    past_the_end = alice_api.get(f"/api/study/logs/?offset={2**70}")  # a large number is no error
    assert past_the_end.status_code == 200 and past_the_end.json()["results"] == []
