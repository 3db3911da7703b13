"""The one error vocabulary: every AppError becomes the same response shape, with its status."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.utils import translation

import engine
from quizapp.core import errors
from quizapp.core.exception_handler import api_exception_handler


@pytest.mark.parametrize(("error", "status"), [
    (errors.NotYours(), 404), (errors.Conflict("rated meanwhile"), 409),
    (errors.TooManyRequests("slow down", retry_after=30), 429),
    (errors.DependencyDown("queue down", retry_after=5), 503), (errors.InvalidInput("no"), 400)])
def test_it_answers_each_error_with_its_status_and_a_detail(error, status):
    response = api_exception_handler(error, {})
    assert response.status_code == status
    assert response.data["detail"] == error.detail


def test_it_sends_retry_after_with_a_limit_or_an_outage():
    assert api_exception_handler(errors.TooManyRequests(retry_after=30), {})["Retry-After"] == "30"
    assert api_exception_handler(errors.DependencyDown(retry_after=5), {})["Retry-After"] == "5"
    assert not api_exception_handler(errors.Conflict(), {}).has_header("Retry-After")


def test_it_answers_field_errors_in_drfs_shape():
    response = api_exception_handler(errors.InvalidInput(fields={"count": ["too many"]}), {})
    assert (response.status_code, response.data) == (400, {"count": ["too many"]})


def test_it_adds_the_current_state_to_a_conflict():
    response = api_exception_handler(errors.Conflict("changed", extra={"card": {"reps": 3}}), {})
    assert response.data == {"detail": "changed", "card": {"reps": 3}}


def test_it_maps_a_bad_demo_parameter_to_the_readers_language():
    error = engine.ParamError({"depth": {"en": "must be between 2 and 50", "zh": "必须在 2 到 50 之间"}})
    with translation.override("en"):
        assert api_exception_handler(error, {}).data == {"params": {"depth": "must be between 2 and 50"}}
    with translation.override("zh-hans"):
        assert api_exception_handler(error, {}).data == {"params": {"depth": "必须在 2 到 50 之间"}}


def test_it_leaves_other_exceptions_to_drf():
    assert api_exception_handler(ValueError("a bug"), {}) is None


def test_it_lists_every_message_for_a_page_that_shows_them():
    assert errors.InvalidInput(fields={"count": ["too many"], "topics": ["none chosen"]}).messages() == [
        "too many", "none chosen"]
    assert errors.Conflict("changed meanwhile").messages() == ["changed meanwhile"]


def test_it_words_a_default_message_in_the_readers_language():
    with translation.override("zh-hans"):
        assert errors.NotYours().detail == "未找到。"
        assert errors.Conflict().detail == "该请求与当前状态冲突。"
    with translation.override("en"):
        assert errors.Conflict().detail == "The request conflicts with the current state."


def test_it_answers_every_404_as_not_found_in_the_readers_language_never_naming_a_model():
    with translation.override("zh-hans"):
        response = api_exception_handler(Http404("No CardState matches the given query."), {})
    assert (response.status_code, response.data) == (404, {"detail": "未找到。"})


def test_it_shows_the_sites_404_page_for_what_is_not_yours():
    assert isinstance(errors.NotYours(), Http404)
