"""D14: attention keeps seq2seq accurate as inputs grow, and for reversal it looks along the anti-diagonal."""

import pytest
import torch

from engine.demos import d14_attention as d14
from engine.runtime import execute
from engine.spec import ParamError

QUICK = {"max_length": 6, "steps": 50, "hidden": 16}


def _metrics(result: dict) -> dict[str, float]:
    return {m["key"]: m["value"] for m in result["summary"]}


@pytest.fixture(scope="module")
def reversal():
    return execute("D14", {}, device="cpu")


def test_it_keeps_accuracy_with_attention_where_the_plain_seq2seq_falls(reversal):
    metrics = _metrics(reversal)
    assert metrics["accuracy_attention"] >= 0.8
    assert metrics["accuracy_gap"] >= 0.1
    plain = reversal["charts"][0]["series"][0]["points"]
    assert plain[0][1] > plain[-1][1] + 0.1  # the plain model loses accuracy as the input grows


def test_it_attends_along_the_anti_diagonal_for_reversal(reversal):
    assert _metrics(reversal)["target_mass"] >= 0.5
    weights = reversal["heatmaps"][0]["values"]
    length = len(weights)
    on_mirror = sum(max(range(length), key=row.__getitem__) == length - 1 - t for t, row in enumerate(weights))
    assert on_mirror >= 0.75 * length


def test_it_says_the_vector_was_big_enough_for_short_inputs(reversal):
    short = execute("D14", {"max_length": 4}, device="cpu")
    assert "big enough" in short["conclusion"]["en"]
    assert "squeeze through one vector" in reversal["conclusion"]["en"]


def test_it_normalises_attention_weights_over_the_input():
    model = d14.Seq2Seq(vocab=5, hidden=8, attention=True)
    source, decoder_input, _ = d14.make_batch(count=3, length=7, vocab=5, task="reverse",
                                              generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    logits, weights = model(source, decoder_input)
    assert logits.shape == (3, 7, 5) and weights.shape == (3, 7, 7)
    assert torch.allclose(weights.sum(-1), torch.ones(3, 7))
    assert [d14.expected_position(step=t, length=4, task="reverse") for t in range(4)] == [3, 2, 1, 0]


@pytest.mark.parametrize(("field", "value"), [("max_length", 100), ("vocab", 1), ("task", "sort")])
def test_it_rejects_out_of_bound_params_naming_the_field(field, value):
    with pytest.raises(ParamError) as error:
        execute("D14", {field: value}, device="cpu")
    assert field in error.value.errors


def test_it_gives_the_same_numbers_twice():
    first, second = execute("D14", QUICK, device="cpu"), execute("D14", QUICK, device="cpu")
    assert first["summary"] == second["summary"] and first["heatmaps"] == second["heatmaps"]


def test_it_reports_progress_up_to_one():
    fractions = []
    execute("D14", QUICK, device="cpu", progress=lambda fraction, message="": fractions.append(fraction))
    assert len(fractions) >= 10
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
