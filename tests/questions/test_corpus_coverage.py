"""The real corpus: it validates, loads, and covers every seed question."""

import re
from pathlib import Path

import pytest

from questions.corpus import read_corpus
from questions.models import Topic
from questions.rendering import render_markdown
from questions.services import corpus_load
from quizapp.interviews.services import interview_create, interview_round_create
from quizapp.study.queue import study_queue
from quizapp.study.services import study_settings_update
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
SHARED_INDEX = ROOT.parent / "shared" / "seeds" / "QUESTIONS.md"
REPO_INDEX = ROOT / "questions" / "seed_ids.txt"
SEED_ROW = re.compile(r"^\|\s*((?:S\d+-\d+)|(?:P-\d+))\s*\|", re.M)


def seed_ids() -> set[str]:
    if SHARED_INDEX.exists():
        return set(SEED_ROW.findall(SHARED_INDEX.read_text(encoding="utf-8")))
    return set(REPO_INDEX.read_text().split())


def test_it_keeps_the_repo_copy_of_the_seed_ids_current():
    if not SHARED_INDEX.exists():
        pytest.skip("shared/seeds/QUESTIONS.md is not beside the repository")
    assert set(REPO_INDEX.read_text().split()) == seed_ids()


def test_it_has_a_card_for_every_seed_question():
    covered = {ref for card in read_corpus() for ref in card.seed_refs}
    missing = sorted(seed_ids() - covered, key=lambda s: [int(n) if n.isdigit() else n for n in re.split(r"(\d+)", s)])
    assert not missing, f"seed IDs without a card: {missing}"


def test_it_links_cards_to_the_demos_their_seed_rows_name():
    if not SHARED_INDEX.exists():
        pytest.skip("shared/seeds/QUESTIONS.md is not beside the repository")
    demos_by_seed = {}
    for row in SHARED_INDEX.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in row.split("|")]
        if len(cells) > 3 and SEED_ROW.match(row):
            demos_by_seed[cells[1]] = set(re.findall(r"D\d+", cells[3]))
    missing = [f"{card.id} ({ref}) lacks {sorted(demos_by_seed[ref] - set(card.demos))}"
               for card in read_corpus() for ref in card.seed_refs
               if demos_by_seed.get(ref, set()) - set(card.demos)]
    assert not missing, missing


def test_it_has_sixty_cards_beyond_the_seeds():
    extra = [card for card in read_corpus() if not card.seed_refs]
    assert len(extra) >= 60, f"only {len(extra)} cards beyond the seeds"


def test_it_has_the_topics_of_modern_deep_learning():
    """Corpus II: what 2026 interviews ask most, each topic at the size the issue set out."""
    per_topic = {}
    for card in read_corpus():
        per_topic[card.topic] = per_topic.get(card.topic, 0) + 1
    assert per_topic["llm"] >= 26 and per_topic["generative"] >= 17 and per_topic["vision-tasks"] >= 22
    assert per_topic["deployment"] >= 10 and per_topic["further-dl"] >= 10


def test_it_loads_the_real_corpus(db):
    report = corpus_load()
    assert len(report.created) == len(read_corpus())


def test_it_lets_every_topic_be_studied_and_interviewed_on_alone(db):
    corpus_load()
    learner = make_user("every-topic")
    for topic in Topic.objects.all():
        study_settings_update(user=learner, fields={}, topics=[topic])
        queue = study_queue(user=learner, limit=3)
        assert queue.cards and {card.question.topic_id for card in queue.cards} == {topic.pk}, topic.slug
        interview = interview_create(user=learner, topics=[topic], count=3, minutes_per_question=5)
        assert {item.question.topic_id for item in interview.items.all()} == {topic.pk}, topic.slug


def test_it_has_every_topic_in_a_group_and_enough_cards_for_each_round(db):
    corpus_load()
    assert not Topic.objects.filter(group__isnull=True).exists()
    learner = make_user("rounds")
    for kind, (topic, at_least) in {"system_design": ("ml-systems", 4), "coding": ("coding", 10)}.items():
        asked = {interview_round_create(user=learner, kind=kind).items.get().question for _ in range(at_least)}
        assert len(asked) == at_least and {question.topic.slug for question in asked} == {topic}, kind


def _prose(html: str) -> str:
    """The words a reader sees, without code, formulas or tags."""
    html = re.sub(r"<(pre|code)\b.*?</\1>", "", html, flags=re.S)
    html = re.sub(r'<(span|div) class="math[^"]*">.*?</\1>', "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


def shared_spans(text: str, source_words: set[str], source_chars: set[str]) -> set[str]:
    """Runs of ten English words or fourteen Chinese characters that `text` shares with a source."""
    return ({" ".join(words[i:i + 10]) for words in [re.findall(r"[a-z]+", text.lower())]
             for i in range(len(words) - 9)} & source_words) | \
           ({chars[i:i + 14] for chars in ["".join(re.findall(r"[\u4e00-\u9fff]", text))]
             for i in range(len(chars) - 13)} & source_chars)


@pytest.mark.skipif(not SHARED_INDEX.exists(), reason="shared/seeds/ is not beside the repository")
def test_it_has_no_answer_that_copies_a_run_of_a_seed_document():
    """Answers are in our own words: no run of ten words or fourteen Chinese characters from a seed
    (common phrases such as 由编码器和解码器组成 are ten characters and stay allowed)."""
    seeds = "\n".join(path.read_text(encoding="utf-8") for path in SHARED_INDEX.parent.glob("0*.txt"))
    words, chars = re.findall(r"[a-z]+", seeds.lower()), "".join(re.findall(r"[\u4e00-\u9fff]", seeds))
    source_words = {" ".join(words[i:i + 10]) for i in range(len(words) - 9)}
    source_chars = {chars[i:i + 14] for i in range(len(chars) - 13)}
    copied = {card.id: spans for card in read_corpus()
              if (spans := shared_spans(card.answer["en"] + card.answer["zh"], source_words, source_chars))}
    assert copied == {}
    assert shared_spans(seeds[:2000], source_words, source_chars)  # the check finds a real copy


def test_it_leaves_no_emphasis_marker_unrendered():
    # CommonMark does not close *…* or **…** between a punctuation mark and a CJK character
    # ("**Bengio(2010)**取"): the reader would see the asterisks.
    stray = [(card.id, language) for card in read_corpus() for language in ("en", "zh")
             if "*" in _prose(render_markdown(card.answer[language]))]
    assert not stray
