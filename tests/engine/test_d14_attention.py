"""D14: attention keeps seq2seq accurate as inputs grow, and for reversal it looks along the anti-diagonal."""

import pytest
import torch

from engine.demos import d14_attention as d14
from engine.runtime import execute
from tests.engine.results import summary_values


@pytest.fixture(scope="module")
def reversal():
    return execute("D14", {}, device="cpu")


def test_it_keeps_accuracy_with_attention_where_the_plain_seq2seq_falls(reversal):
    metrics = summary_values(reversal)
    assert metrics["accuracy_attention"] >= 0.8
    assert metrics["accuracy_gap"] >= 0.1
    plain = reversal["charts"][0]["series"][0]["points"]
    assert plain[0][1] > plain[-1][1] + 0.1  # the plain model loses accuracy as the input grows


def test_it_attends_along_the_anti_diagonal_for_reversal(reversal):
    assert summary_values(reversal)["target_mass"] >= 0.5
    assert reversal["verdict"]["attention"] == "on_target"
    weights = reversal["heatmaps"][0]["values"]
    length = len(weights)
    on_mirror = sum(max(range(length), key=row.__getitem__) == length - 1 - t for t, row in enumerate(weights))
    assert on_mirror >= 0.75 * length


def test_it_says_the_vector_was_big_enough_for_short_inputs(reversal):
    short = execute("D14", {"max_length": 4}, device="cpu")
    assert short["verdict"]["longest_input"] == "both_handled"
    assert reversal["verdict"]["longest_input"] == "attention_kept_up"


def test_it_normalises_attention_weights_over_the_input():
    model = d14.Seq2Seq(vocab=5, hidden=8, attention=True)
    source, decoder_input, _ = d14.make_batch(count=3, length=7, vocab=5, task="reverse",
                                              generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    logits, weights = model(source, decoder_input)
    assert logits.shape == (3, 7, 5) and weights.shape == (3, 7, 7)
    assert torch.allclose(weights.sum(-1), torch.ones(3, 7))
    assert [d14.expected_position(step=t, length=4, task="reverse") for t in range(4)] == [3, 2, 1, 0]
