"""Own cards are written into the questions tests' two-topic corpus, with English messages."""

from tests.questions.conftest import cnn, english, two_topics  # noqa: F401  (fixtures, found by name)
