from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from questions.corpus import CorpusError, read_corpus
from questions.models import Question, Topic, TopicGroup
from questions.services import corpus_export, corpus_load
from quizapp.study.models import CardState
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


def test_it_changes_nothing_on_a_second_load(corpus_dir, db):
    corpus_load(folder=corpus_dir)
    before = {q.card_id: (q.pk, q.updated_at) for q in Question.objects.all()}
    report = corpus_load(folder=corpus_dir)
    assert report.created == report.updated == report.retired == []
    assert len(report.unchanged) == 3
    assert {q.card_id: (q.pk, q.updated_at) for q in Question.objects.all()} == before


def test_it_keeps_the_learners_state_of_an_edited_card(corpus_dir, alice):
    corpus_load(folder=corpus_dir)
    state = CardState.objects.create(
        user=alice, question=Question.objects.get(card_id="pooling"), state=CardState.State.REVIEW, stability=12.5,
        difficulty=4.2, reps=7, lapses=1, due=datetime(2030, 1, 2, tzinfo=UTC),
        last_review=datetime(2029, 12, 20, tzinfo=UTC))
    saved = model_to_dict(state)
    write_corpus(corpus_dir, {"cnn": [card("pooling", difficulty=3, demos=["D12", "D13"])]})
    report = corpus_load(folder=corpus_dir)
    assert report.updated == ["pooling"]
    edited = Question.objects.get(card_id="pooling")
    assert (edited.difficulty, edited.demo_ids) == (3, ["D12", "D13"])
    assert model_to_dict(CardState.objects.get(pk=state.pk)) == saved
    (corpus_dir / "cnn.yaml").unlink()
    assert corpus_load(folder=corpus_dir).retired == ["pooling"]
    assert model_to_dict(CardState.objects.get(pk=state.pk)) == saved
    write_corpus(corpus_dir, {"cnn": [card("pooling")]})
    corpus_load(folder=corpus_dir)
    assert model_to_dict(CardState.objects.get(pk=state.pk)) == saved
    assert not CardState.objects.get(pk=state.pk).question.retired


def test_it_retires_a_removed_card_instead_of_deleting_it(corpus_dir, db):
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
    (card("x", difficulty=True), "difficulty: must be 1, 2 or 3"),
    (card("x", difficulty=2.0), "difficulty: must be 1, 2 or 3"),
    (card("x", demos=["D1", "D1"]), "demos: duplicates: 'D1'"),
    (card("x", tags=["relu", "relu"]), "tags: duplicates: 'relu'"),
    (card("x", refrences=["Glorot 2010"]), "refrences: unknown field"),
    (card("x", aliases=["BN", "BN"]), "aliases: duplicates: 'BN'"),
    (card("x", aliases=[f"name {n}" for n in range(13)]), "aliases: at most 12, not 13"),
    (card("x", aliases=["BN", "x" * 61]), "aliases: 'xxxxx"),
    (card("x", aliases=["BN", ""]), "aliases: '' must be 1 to 60 characters"),
    (card("x", aliases="BN"), "aliases: must be a list of strings"),
])
def test_it_reports_each_kind_of_bad_card_with_file_and_line(tmp_path, db, bad_card, expected):
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


def test_it_refuses_an_unknown_topic_and_duplicate_ids(tmp_path, db):
    folder = write_corpus(tmp_path / "c", {"activations": [card("same")], "cnn": [card("same")],
                                           "physics": [card("other")]})
    with pytest.raises(CorpusError) as error:
        read_corpus(folder)
    text = "\n".join(error.value.problems)
    assert "physics.yaml:1: topic: unknown topic 'physics'" in text
    assert "cnn.yaml:3: id: 'same' already used at activations.yaml:3" in text


def test_it_names_the_line_of_broken_yaml(tmp_path, db):
    folder = write_corpus(tmp_path / "c", {"activations": [card("fine")]})
    (folder / "cnn.yaml").write_text("topic: cnn\ncards:\n  - id: a\n    question: [unclosed\n")
    with pytest.raises(CorpusError) as error:
        read_corpus(folder)
    assert error.value.problems[0].startswith("cnn.yaml:")
    assert "yaml" in error.value.problems[0]


def test_it_reports_problems_from_the_command_and_loads_nothing(tmp_path, db, capsys):
    folder = write_corpus(tmp_path / "c", {"activations": [card("fine"), card("x", difficulty=0)]})
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_corpus", folder=folder)
    assert "activations.yaml:" in capsys.readouterr().err
    assert Question.objects.count() == 0


def test_it_exports_back_what_was_loaded(corpus_dir, tmp_path, db):
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


def test_it_reports_a_card_that_is_not_a_mapping_at_its_line(tmp_path):
    folder = write_corpus(tmp_path / "c", {"activations": [card("fine")]})
    (folder / "cnn.yaml").write_text("topic: cnn\ncards:\n  - id: ok\n    difficulty: 1\n  - just a string\n")
    with pytest.raises(CorpusError) as error:
        read_corpus(folder)
    assert "cnn.yaml:5: cards: each card must be a mapping" in error.value.problems


def test_it_reports_a_topic_that_is_not_a_string(tmp_path):
    folder = write_corpus(tmp_path / "c", {"activations": [card("fine")]})
    (folder / "cnn.yaml").write_text("topic: [cnn]\ncards: []\n")
    with pytest.raises(CorpusError) as error:
        read_corpus(folder)
    assert "cnn.yaml:1: topic: unknown topic ['cnn'] (see topics.yaml)" in error.value.problems


@pytest.mark.parametrize(("topics_text", "expected"), [
    ("", "topics.yaml:1: topics: must be a non-empty list"),
    ("slug: cnn\n", "topics.yaml:1: topics: must be a non-empty list"),
    ("- slug: cnn\n  zh: 卷积\n", "topics.yaml:1: en: required, non-empty text"),
    ("- slug: cnn\n  en: CNN\n  zh: 卷积\n- slug: cnn\n  en: C\n  zh: 卷\n",
     "topics.yaml:4: slug: 'cnn' is listed twice"),
    ("- cnn\n", "topics.yaml:1: topics: each topic must be a mapping"),
    ("- group: dl\n  en: DL\n- slug: cnn\n  en: CNN\n  zh: 卷积\n", "topics.yaml:1: zh: required, non-empty text"),
    ("- group: dl\n  en: DL\n  zh: 深度\n- group: ml\n  en: ML\n  zh: 机器\n- slug: cnn\n  en: CNN\n  zh: 卷积\n",
     "topics.yaml:1: group: 'dl' has no topics"),
    ("- group: dl\n  en: DL\n  zh: 深度\n- slug: cnn\n  en: CNN\n  zh: 卷积\n- group: ml\n  en: ML\n  zh: 机器\n",
     "topics.yaml:7: group: 'ml' has no topics"),
    ("- group: dl\n  en: DL\n  zh: 深度\n- slug: cnn\n  en: CNN\n  zh: 卷积\n- group: dl\n  en: D\n  zh: 深\n"
     "- slug: rnn\n  en: RNN\n  zh: 循环\n", "topics.yaml:7: group: 'dl' is listed twice"),
])
def test_it_reports_a_bad_topics_file(tmp_path, topics_text, expected):
    folder = write_corpus(tmp_path / "c", {"cnn": [card("fine")]})
    (folder / "topics.yaml").write_text(topics_text)
    with pytest.raises(CorpusError) as error:
        read_corpus(folder)
    assert any(problem.startswith(expected) for problem in error.value.problems), error.value.problems


def test_it_reports_a_missing_folder_from_the_command_and_loads_nothing(tmp_path, db, capsys):
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_corpus", folder=tmp_path / "nowhere")
    assert f"{tmp_path / 'nowhere' / 'topics.yaml'}: missing" in capsys.readouterr().err
    assert Question.objects.count() == 0


def test_it_retires_nothing_for_a_folder_without_cards(corpus_dir, tmp_path, db):
    corpus_load(folder=corpus_dir)
    empty = write_corpus(tmp_path / "empty", {})
    with pytest.raises(CorpusError, match="no card files"):
        corpus_load(folder=empty)
    assert not Question.objects.filter(retired=True).exists()


def test_it_reports_a_yml_file_instead_of_skipping_it(corpus_dir, db):
    (corpus_dir / "cnn.yaml").rename(corpus_dir / "cnn.yml")
    with pytest.raises(CorpusError) as error:
        corpus_load(folder=corpus_dir)
    assert error.value.problems == ["cnn.yml:1: file: use the .yaml extension"]


def test_it_changes_nothing_over_load_export_load(tmp_path, db):
    folder = write_corpus(tmp_path / "c", {"activations": [card("many-tags", tags=["tanh", "relu", "sigmoid"],
                                                                aliases=["双曲正切", "TanH"])]})
    corpus_load(folder=folder)
    call_command("export_corpus", folder=folder)
    report = corpus_load(folder=folder)
    assert (report.updated, report.unchanged) == ([], ["many-tags"])
    assert read_corpus(folder)[0].aliases == ["双曲正切", "TanH"]


CARD_WITH_BLOCK_ANSWER = """topic: activations
cards:
  - id: sigmoid-saturates
    difficulty: 2
    question:
      en: "Why does sigmoid saturate?"
      zh: "Sigmoid 为什么会饱和？"
    answer:
      en: |
        Its derivative is at most 1/4.
      zh: |
        它的导数最大为 $\\sigma(1-\\sigma) \\le 1/4$，代码里写作 `s * (1 - s)`。
        {line_two}
    key_points:
      - en: "Derivative at most 1/4"
        zh: "{point}"
        terms: [1/4]
      - en: "Saturates for large inputs"
        zh: "输入很大时饱和"
        terms: [saturate, 饱和]
      - en: "Gradients vanish through many layers"
        zh: "多层连乘后梯度消失"
        terms: [vanish, 梯度消失]
"""


def _problems_of(tmp_path, line_two: str, point: str = "导数最大为 1/4") -> list[str]:
    folder = write_corpus(tmp_path / "c", {})
    (folder / "activations.yaml").write_text(CARD_WITH_BLOCK_ANSWER.format(line_two=line_two, point=point))
    try:
        read_corpus(folder)
    except CorpusError as error:
        return error.problems
    return []


@pytest.mark.parametrize(("line_two", "mark"), [
    ("所以深层网络的梯度会变小,训练变慢。", "'小,'"),
    ("常见误区:把饱和当成过拟合。", "'区:'"),
    ("输出恒为正(不以零为中心)。", "'正('"),
    ("也就是所谓的\"饱和区\"。", "'的\"'"),
    ("会饱和吗?会。", "'吗?'"),
])
def test_it_refuses_half_width_punctuation_in_chinese_at_its_own_line(tmp_path, line_two, mark):
    problems = _problems_of(tmp_path, line_two)
    assert f"activations.yaml:13: answer.zh: half-width punctuation in Chinese text: {mark} " \
           "(use full-width ，。：；？！（）“”)" in problems
    assert all(problem.startswith("activations.yaml:13: answer.zh: ") for problem in problems)


def test_it_keeps_half_width_marks_in_formulas_code_and_english(tmp_path):
    assert _problems_of(tmp_path, "例如 $f(x, y)$、`f(x, y)` 和 “Attention Is All You Need” 都不受影响。") == []


def test_it_reports_a_key_point_and_a_missing_space_at_their_lines(tmp_path):
    problems = _problems_of(tmp_path, "用LoRA 微调。", point="导数最大为 1/4;所以会饱和")
    assert problems == [
        "activations.yaml:13: answer.zh: no space between Chinese and Latin text: '用L' (write one space)",
        "activations.yaml:16: key_points[1].zh: half-width punctuation in Chinese text: ';所' "
        "(use full-width ，。：；？！（）“”)",
    ]


def test_it_refuses_a_one_character_chinese_term_at_its_line(tmp_path):
    folder = write_corpus(tmp_path / "c", {})
    text = CARD_WITH_BLOCK_ANSWER.format(line_two="没问题。", point="导数最大为 1/4")
    (folder / "activations.yaml").write_text(text.replace("terms: [saturate, 饱和]", "terms: [saturate, 饱]"))
    with pytest.raises(CorpusError) as error:
        read_corpus(folder)
    line = text.splitlines().index("        terms: [saturate, 饱和]") + 1
    assert error.value.problems == [
        f"activations.yaml:{line}: key_points[2].terms: one-character Chinese term '饱' matches too much "
        "(凸 is inside 非凸): use a word that identifies the point, e.g. 凸函数"]


@pytest.mark.parametrize("terms", [["饱和"], ["γ"], ["饱和", "x"]])
def test_it_keeps_longer_chinese_terms_and_one_latin_or_greek_character(tmp_path, terms):
    folder = write_corpus(tmp_path / "c", {"activations": [card("fine", key_points=[
        {"en": f"point {i}", "zh": f"要点 {i}", "terms": terms} for i in range(3)])]})
    assert [c.id for c in read_corpus(folder)] == ["fine"]


def test_it_puts_each_topic_in_the_group_above_it_and_keeps_the_groups_in_step(tmp_path, db):
    groups = [{"group": "dl", "en": "Deep learning", "zh": "深度学习"},
              {"slug": "activations", "en": "Activation functions", "zh": "激活函数"},
              {"group": "cv", "en": "Vision", "zh": "视觉"},
              {"slug": "cnn", "en": "Convolutional networks", "zh": "卷积神经网络"}]
    folder = write_corpus(tmp_path / "c", {"activations": [card("a")], "cnn": [card("b")]}, topics=groups)
    corpus_load(folder=folder)
    assert [(topic.slug, topic.group.slug, topic.group.title_zh) for topic in Topic.objects.all()] == [
        ("activations", "dl", "深度学习"), ("cnn", "cv", "视觉")]
    # Regrouped: cnn joins dl, and the emptied group cv is gone.
    write_corpus(folder, {}, topics=[groups[0], groups[1], groups[3]])
    corpus_load(folder=folder)
    assert [(topic.slug, topic.group.slug) for topic in Topic.objects.all()] == [("activations", "dl"), ("cnn", "dl")]
    assert list(TopicGroup.objects.values_list("slug", flat=True)) == ["dl"]
