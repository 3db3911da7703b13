"""The admin checks an edit like a corpus file and derives HTML and search text like the loader."""

import json

import pytest
from django.contrib.admin.sites import site
from django.forms.models import model_to_dict

from questions.models import Question
from questions.services import corpus_load
from tests.questions.corpus_files import card, write_corpus


@pytest.fixture
def question(tmp_path, db):
    corpus_load(folder=write_corpus(tmp_path / "c", {"cnn": [card("pooling", tags=["sigmoid", "pooling"])]}))
    return Question.objects.get(card_id="pooling")


def admin_form(rf, admin_user, question, **changes):
    request = rf.post("/")
    request.user = admin_user
    model_admin = site._registry[Question]
    data = model_to_dict(question)
    data.update(changes)
    for name in ("key_points", "seed_refs", "references"):
        data[name] = json.dumps(data[name])
    data["tags"] = [tag.pk for tag in data["tags"]]
    return model_admin, request, model_admin.get_form(request, question, change=True)(data, instance=question)


def test_it_refuses_what_the_loader_would_refuse(rf, admin_user, question):
    _, _, form = admin_form(rf, admin_user, question, key_points=[{"en": "a", "zh": "甲", "terms": ["a"]}],
                            answer_en="unbalanced $x")
    assert not form.is_valid()
    assert "key_points: must list 3 to 7 points" in form.non_field_errors()
    assert "answer.en: unbalanced $ inline-math delimiters" in form.non_field_errors()


def test_it_gives_a_saved_edit_the_loaders_html_and_search_text(rf, admin_user, question):
    assert question.search_text.splitlines()[-1] == "pooling sigmoid"
    model_admin, request, form = admin_form(rf, admin_user, question, answer_en="Edited $x^2$.")
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    question.refresh_from_db()
    assert question.answer_html_en == '<p>Edited <span class="math inline">x^2</span>.</p>\n'
    assert "\nedited $x^2$.\n" in question.search_text
    assert question.search_text.splitlines()[-1] == "pooling sigmoid"  # tags kept, as the loader writes them


def test_it_checks_a_follow_up_edit_as_the_file_would_number_it(rf, admin_user, question):
    follow_up = {"probes": [5], "question": {"en": "Why?", "zh": "为什么？"},
                 "key_points": [{"en": "a", "zh": "甲乙", "terms": ["a"]}, {"en": "b", "zh": "丙丁", "terms": ["b"]}]}
    _, _, form = admin_form(rf, admin_user, question, follow_up=json.dumps(follow_up))
    assert not form.is_valid()
    assert any("follow_up.probes" in error and "(1 to 3)" in error for error in form.non_field_errors())
    fixed = json.dumps({**follow_up, "probes": [2]})
    model_admin, request, form = admin_form(rf, admin_user, question, follow_up=fixed)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    question.refresh_from_db()
    assert question.follow_up["probes"] == [2]  # stored as given: the admin edits the stored, 0-based form
