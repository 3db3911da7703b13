"""Fixtures for the questions tests: a two-topic corpus, and English messages."""

import pytest
from django.utils import translation

from questions.models import Topic
from questions.services import corpus_load
from tests.accounts.conftest import throttle_rates  # noqa: F401  (a fixture, found by name)
from tests.questions.corpus_files import card, write_corpus


@pytest.fixture
def english():
    """Messages read in English here; the pages' tests pick their language by header."""
    with translation.override("en"):
        yield


@pytest.fixture
def two_topics(tmp_path, db):
    corpus_load(folder=write_corpus(tmp_path / "corpus", {
        "activations": [card("sigmoid-vanishing",
                             question={"en": "Why does sigmoid vanish?", "zh": "sigmoid 为何消失？"})],
        "cnn": [card("pooling-purpose", demos=[])],
    }))
    return tmp_path / "corpus"


@pytest.fixture
def cnn(two_topics):
    return Topic.objects.get(slug="cnn")
