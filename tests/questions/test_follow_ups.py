"""The corpus's follow-up questions: what a mock interviewer asks next when an answer missed a probed key
point. Checked like the card's own fields (file and line), loaded 0-based, written back 1-based."""

import pytest
import yaml
from django.core.management import call_command

from questions.corpus import CorpusError, read_corpus
from questions.models import Question
from questions.services import corpus_load
from tests.questions.corpus_files import card, write_corpus

FOLLOW_UP = {
    "probes": [1, 3],
    "question": {"en": "Where does the sigmoid's derivative peak, and how high?",
                 "zh": "Sigmoid 的导数在哪里取最大值？最大是多少？"},
    "key_points": [{"en": "At z = 0", "zh": "在 z = 0 处", "terms": ["z = 0"]},
                   {"en": "Its peak is 1/4", "zh": "最大值为 1/4", "terms": ["1/4", "0.25"]}],
}


def _problems(tmp_path, follow_up) -> list[str]:
    folder = write_corpus(tmp_path / "c", {"activations": [card("fine"), card("probed", follow_up=follow_up)]})
    with pytest.raises(CorpusError) as error:
        read_corpus(folder)
    return error.value.problems


def test_it_loads_a_follow_up_with_its_probes_counted_from_zero(tmp_path, db):
    folder = write_corpus(tmp_path / "c", {"activations": [card("plain"), card("probed", follow_up=FOLLOW_UP)]})
    corpus_load(folder=folder)
    stored = Question.objects.get(card_id="probed").follow_up
    assert stored["probes"] == [0, 2]
    assert stored["question"]["zh"] == FOLLOW_UP["question"]["zh"]
    assert [point["terms"] for point in stored["key_points"]] == [["z = 0"], ["1/4", "0.25"]]
    assert Question.objects.get(card_id="plain").follow_up == {}


def test_it_writes_the_follow_up_back_as_the_file_had_it(tmp_path, db):
    folder = write_corpus(tmp_path / "c", {"activations": [card("probed", follow_up=FOLLOW_UP)]})
    corpus_load(folder=folder)
    call_command("export_corpus", folder=folder)
    written = yaml.safe_load((folder / "activations.yaml").read_text())["cards"][0]["follow_up"]
    assert written == FOLLOW_UP
    report = corpus_load(folder=folder)
    assert report.unchanged == ["probed"]
    assert Question.objects.get(card_id="probed").follow_up["probes"] == [0, 2]


@pytest.mark.parametrize(("change", "expected"), [
    ({"probes": [4]}, "follow_up.probes: must list 1 to 3 distinct key point numbers (1 to 3)"),
    ({"probes": [0]}, "follow_up.probes: must list 1 to 3 distinct key point numbers"),
    ({"probes": [1, 1]}, "follow_up.probes: must list 1 to 3 distinct key point numbers"),
    ({"probes": []}, "follow_up.probes: must list 1 to 3"),
    ({"probes": "1"}, "follow_up.probes: must list 1 to 3"),
    ({"question": {"en": "Only English?"}}, "follow_up.question.zh: required, non-empty text"),
    ({"question": {"en": "Why?", "zh": "为什么?"}}, "follow_up.question.zh: half-width punctuation"),
    ({"key_points": FOLLOW_UP["key_points"][:1]}, "follow_up.key_points: must list 2 to 4 points"),
    ({"key_points": [{"en": "a", "zh": "甲乙", "terms": []}, FOLLOW_UP["key_points"][1]]},
     "follow_up.key_points[1].terms: must list at least one term"),
    ({"key_points": [{"en": "a", "zh": "甲乙", "terms": ["凸"]}, FOLLOW_UP["key_points"][1]]},
     "follow_up.key_points[1].terms: one-character Chinese term '凸'"),
    ({"answer": {"en": "x", "zh": "甲"}}, "follow_up.answer: unknown field"),
])
def test_it_reports_each_kind_of_bad_follow_up_with_file_and_line(tmp_path, change, expected):
    problems = _problems(tmp_path, {**FOLLOW_UP, **change})
    assert len(problems) == 1, problems
    assert problems[0].startswith("activations.yaml:")
    assert expected in problems[0]


def test_it_refuses_a_follow_up_that_is_not_a_mapping(tmp_path):
    assert _problems(tmp_path, ["not", "a", "mapping"])[0].endswith(
        "follow_up: must be a mapping with probes, question and key_points")


def test_every_follow_up_of_the_corpus_probes_points_its_card_has():
    for corpus_card in read_corpus():
        if corpus_card.follow_up:
            assert max(corpus_card.follow_up["probes"]) < len(corpus_card.key_points), corpus_card.id
