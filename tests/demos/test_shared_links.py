"""A demo page's address holds its parameters: a shared link fills the form and shows that run when one has
finished; a link with wrong values answers 400 with a message on each field. Parameters are named in words."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

import engine
from quizapp.demos.models import DemoRequest, DemoRun
from quizapp.demos.services import params_key


def finished_run(demo_id: str, raw_params: dict, *, engine_version: str = engine.ENGINE_VERSION) -> DemoRun:
    params = engine.get_demo(demo_id).validate(raw_params)
    return DemoRun.objects.create(demo_id=demo_id, params=params, params_key=params_key(params),
                                  engine_version=engine_version, status=DemoRun.Status.SUCCEEDED,
                                  finished_at=timezone.now(),  # what the page says of a stored run:
                                  result={"conclusion": {"en": "", "zh": ""}, "device_name": "CPU",
                                          "compute_seconds": 0.5})


def shown_run_id(html: str) -> str | None:
    found = re.search(r'class="demo-output"[^>]*data-run-id="([^"]+)"', html, re.S)
    return found and found.group(1)


def field(html: str, name: str) -> str:
    return re.search(rf'<(?:input|select) id="param-{name}"[^>]*>', html).group(0)


def error_for(html: str, name: str) -> str:
    return re.search(rf'data-error-for="{name}">([^<]*)<', html).group(1)


def test_it_fills_the_form_from_the_link_and_shows_the_finished_run_of_those_parameters(client, db):
    finished_run("D1", {})  # the defaults' run must not stand in for the link's
    linked = finished_run("D1", {"depth": 30, "activation": "tanh", "batchnorm": True})
    response = client.get(reverse("demos:detail", args=["D1"]),
                          {"depth": "30", "activation": "tanh", "batchnorm": "true", "utm_source": "mail"})
    html = response.content.decode()
    assert response.status_code == 200
    assert shown_run_id(html) == str(linked.id)
    assert 'value="30"' in field(html, "depth") and 'data-default="20"' in field(html, "depth")
    assert '<option value="tanh" selected>' in html
    assert "checked" in field(html, "batchnorm")
    assert "no-linked-run" not in html


def test_it_shows_no_other_run_when_the_linked_parameters_have_none(client, db):
    finished_run("D1", {})
    finished_run("D1", {"depth": 31}, engine_version="0")  # an older engine's numbers may not hold
    html = client.get(reverse("demos:detail", args=["D1"]), {"depth": "31"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert shown_run_id(html) is None
    assert "No finished run with these parameters yet" in html
    assert 'value="31"' in field(html, "depth")


def test_it_shows_the_defaults_run_on_the_bare_page(client, db):
    defaults = finished_run("D1", {})
    html = client.get(reverse("demos:detail", args=["D1"])).content.decode()
    assert shown_run_id(html) == str(defaults.id)
    assert "no-linked-run" not in html


def test_it_answers_400_with_a_message_on_each_field_the_link_got_wrong_and_keeps_the_rest(client, db):
    finished_run("D1", {})
    response = client.get(reverse("demos:detail", args=["D1"]),
                          {"depth": "100000", "steps": "1.5", "activation": "tanh", "lr": "abc"},
                          HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 400
    assert error_for(html, "depth").startswith("必须在")
    assert error_for(html, "steps") == "必须是整数"
    assert error_for(html, "lr") == "必须是数字"
    assert error_for(html, "activation") == ""
    assert 'value="100000"' in field(html, "depth")  # what the link said, beside why it is wrong
    assert '<option value="tanh" selected>' in html
    assert shown_run_id(html) is None
    assert DemoRun.objects.count() == 1


@pytest.mark.parametrize("language, expected", [
    ("en", ["Hidden layers: 30", "Activation: Tanh", "Batch normalisation: yes"]),
    ("zh-hans", ["隐藏层数：30", "激活函数：Tanh", "批归一化：是"])])
def test_it_names_a_runs_parameters_in_words_on_its_page_and_in_the_history(client, alice, language, expected):
    run = finished_run("D1", {"depth": 30, "activation": "tanh", "batchnorm": True})
    DemoRequest.objects.create(user=alice, run=run, from_cache=False)
    client.force_login(alice)
    for page in (reverse("demos:run", args=[run.id]), reverse("demos:history")):
        html = client.get(page, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert all(words in html for words in expected), (page, expected)
        assert "<code>depth=" not in html  # no code names
    run_page = client.get(reverse("demos:run", args=[run.id])).content.decode()
    reopen = re.search(r'href="(/demos/D1/\?[^"]+)"', run_page).group(1).replace("&amp;", "&")
    assert shown_run_id(client.get(reopen).content.decode()) == str(run.id)  # the run page links to its run


def test_it_gives_a_runs_parameters_in_words_to_the_page_script(api_client, db):
    run = finished_run("D1", {"activation": "relu", "init": "he"})
    words = api_client.get(reverse("api-run-detail", args=[run.id])).json()["params_in_words"]
    by_name = {item["name"]: item for item in words}
    assert [item["name"] for item in words] == [param.name for param in engine.get_demo("D1").params]
    assert by_name["activation"]["label"] == {"en": "Activation", "zh": "激活函数"}
    init = next(param for param in engine.get_demo("D1").params if param.name == "init")
    assert by_name["init"]["value_label"] == init.choice_labels["he"]
    assert by_name["depth"] == {"name": "depth", "value": 20, "label": {"en": "Hidden layers", "zh": "隐藏层数"},
                                "value_label": None}


def compared_run_id(html: str) -> str | None:
    found = re.search(r'class="demo-output"[^>]*data-compared-run-id="([^"]+)"', html, re.S)
    return found and found.group(1)


def test_it_reopens_a_shared_comparison_with_the_first_run_in_the_form(client, db):
    first = finished_run("D1", {"depth": 12})
    second = finished_run("D1", {"depth": 12, "activation": "relu"})
    html = client.get(reverse("demos:detail", args=["D1"]), {"depth": "12", "vs.activation": "relu"}).content.decode()
    assert (shown_run_id(html), compared_run_id(html)) == (str(first.id), str(second.id))
    assert '<option value="sigmoid" selected>' in html  # the form holds the first run's parameters
    same = client.get(reverse("demos:detail", args=["D1"]), {"depth": "12", "vs.activation": "sigmoid"})
    assert compared_run_id(same.content.decode()) is None  # a run is not compared with itself


def test_it_says_when_a_shared_comparisons_second_run_has_not_finished(client, db):
    first = finished_run("D1", {})
    response = client.get(reverse("demos:detail", args=["D1"]), {"vs.depth": "3"}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert shown_run_id(html) == str(first.id) and compared_run_id(html) is None
    assert "The second run this link compares with has no finished result yet." in html


def test_it_answers_400_naming_the_second_run_when_a_comparisons_value_is_wrong(client, db):
    first = finished_run("D1", {})
    response = client.get(reverse("demos:detail", args=["D1"]), {"vs.depth": "0"}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 400
    assert error_for(html, "depth").startswith("Second run: must be between")
    assert shown_run_id(html) == str(first.id) and compared_run_id(html) is None
