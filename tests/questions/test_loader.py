import pytest
from django.core.management import CommandError, call_command

from questions.corpus import CorpusError, read_corpus
from questions.models import Question
from questions.services import corpus_export, corpus_load
from tests.questions.corpus_files import card, write_corpus


@pytest.fixture
def corpus_dir(tmp_path):
    return write_corpus(tmp_path / "corpus", {"activations": [card("sigmoid-derivative"), card("relu-dying")],
                                              "cnn": [card("pooling", demos=["D12"], tags=["pooling"])]})


def test_it_loads_a_good_corpus(corpus_dir, db):
    report = corpus_load(folder=corpus_dir)
    assert sorted(report.created) == ["pooling", "relu-dying", "sigmoid-derivative"]
    question = Question.objects.get(card_id="pooling")
    assert question.topic.slug == "cnn"
    assert question.demo_ids == ["D12"]
    assert list(question.tags.values_list("name", flat=True)) == ["pooling"]
    assert '<span class="math inline">' in question.answer_html_en


def test_a_second_load_changes_nothing(corpus_dir, db):
    corpus_load(folder=corpus_dir)
    before = {q.card_id: (q.pk, q.updated_at) for q in Question.objects.all()}
    report = corpus_load(folder=corpus_dir)
    assert report.created == report.updated == report.retired == []
    assert len(report.unchanged) == 3
    assert {q.card_id: (q.pk, q.updated_at) for q in Question.objects.all()} == before


def test_an_edited_card_is_updated_in_place(corpus_dir, db):
    corpus_load(folder=corpus_dir)
    original_pk = Question.objects.get(card_id="pooling").pk
    write_corpus(corpus_dir, {"cnn": [card("pooling", difficulty=3, demos=["D12", "D13"])]})
    report = corpus_load(folder=corpus_dir)
    assert report.updated == ["pooling"]
    edited = Question.objects.get(card_id="pooling")
    assert edited.pk == original_pk  # learners' state points at this row and survives
    assert (edited.difficulty, edited.demo_ids) == (3, ["D12", "D13"])


def test_a_removed_card_is_retired_not_deleted(corpus_dir, db):
    corpus_load(folder=corpus_dir)
    (corpus_dir / "cnn.yaml").unlink()
    report = corpus_load(folder=corpus_dir)
    assert report.retired == ["pooling"]
    assert Question.objects.get(card_id="pooling").retired
    assert not Question.objects.active().filter(card_id="pooling").exists()
    write_corpus(corpus_dir, {"cnn": [card("pooling")]})
    corpus_load(folder=corpus_dir)
    assert not Question.objects.get(card_id="pooling").retired


@pytest.mark.parametrize(("bad_card", "expected"), [
    (card("x", question={"en": "Only English"}), "question.zh: required, non-empty text"),
    (card("x", difficulty=5), "difficulty: must be 1, 2 or 3"),
    (card("x", demos=["D99"]), "demos: unknown demo 'D99'"),
    (card("x", seed_refs=["S1_3"]), "seed_refs: 'S1_3' is not like S1-3"),
    (card("x", key_points=[{"en": "a", "zh": "甲", "terms": ["a"]}]), "key_points: must list 3 to 7 points"),
    (card("x", answer={"en": "unbalanced $x", "zh": "好"}), "answer.en: unbalanced $ inline-math delimiters"),
    (card("x", answer={"en": "ok", "zh": "$$x$ $"}), "answer.zh: unbalanced $$ display-math delimiters"),
    (card("Bad Id"), "id: required: a lower-case slug"),
])
def test_each_kind_of_bad_card_is_reported_with_file_and_line(tmp_path, db, bad_card, expected):
    folder = write_corpus(tmp_path / "c", {"activations": [card("fine"), bad_card]})
    with pytest.raises(CorpusError) as error:
        corpus_load(folder=folder)
    assert len(error.value.problems) == 1
    problem = error.value.problems[0]
    assert problem.startswith("activations.yaml:")
    line = int(problem.split(":")[1])
    reported_line = (folder / "activations.yaml").read_text().splitlines()[line - 1].lstrip()
    assert reported_line.startswith(("- ", "en:", "zh:", "question:", "answer:"))
    assert expected in problem
    assert Question.objects.count() == 0  # nothing loads when any file is bad


def test_an_unknown_topic_and_duplicate_ids_are_refused(tmp_path, db):
    folder = write_corpus(tmp_path / "c", {"activations": [card("same")], "cnn": [card("same")],
                                           "physics": [card("other")]})
    with pytest.raises(CorpusError) as error:
        read_corpus(folder)
    text = "\n".join(error.value.problems)
    assert "physics.yaml:1: topic: unknown topic 'physics'" in text
    assert "cnn.yaml:3: id: 'same' already used at activations.yaml:3" in text


def test_broken_yaml_names_the_line(tmp_path, db):
    folder = write_corpus(tmp_path / "c", {"activations": [card("fine")]})
    (folder / "cnn.yaml").write_text("topic: cnn\ncards:\n  - id: a\n    question: [unclosed\n")
    with pytest.raises(CorpusError) as error:
        read_corpus(folder)
    assert error.value.problems[0].startswith("cnn.yaml:")
    assert "yaml" in error.value.problems[0]


def test_the_command_reports_problems_and_loads_nothing(tmp_path, db, capsys):
    folder = write_corpus(tmp_path / "c", {"activations": [card("fine"), card("x", difficulty=0)]})
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_corpus", folder=folder)
    assert "activations.yaml:" in capsys.readouterr().err
    assert Question.objects.count() == 0


def test_export_writes_back_what_was_loaded(corpus_dir, tmp_path, db):
    corpus_load(folder=corpus_dir)
    question = Question.objects.get(card_id="pooling")
    question.answer_en = "Edited in the admin: $x^2$ stays.\n\nSecond paragraph."
    question.save()
    out = tmp_path / "exported"
    out.mkdir()
    (out / "topics.yaml").write_text((corpus_dir / "topics.yaml").read_text())
    corpus_export(folder=out)
    cards = {c.id: c for c in read_corpus(out)}
    assert set(cards) == {"pooling", "relu-dying", "sigmoid-derivative"}
    assert cards["pooling"].answer["en"] == "Edited in the admin: $x^2$ stays.\n\nSecond paragraph."
    assert cards["pooling"].demos == ["D12"]
