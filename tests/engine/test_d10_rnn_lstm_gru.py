"""D10: the LSTM solves a long-range recall task that the plain RNN fails; gradients and parameter counts."""

import pytest
import torch

from engine.demos import d10_rnn_lstm_gru as d10
from engine.runtime import execute
from tests.engine.results import summary_values

LONG = {"length": 40, "lengths": 1, "noise": 2.0, "hidden": 16, "steps": 80}
EASY = {"length": 10, "lengths": 1, "noise": 0.0, "hidden": 8, "steps": 60}


@pytest.fixture(scope="module")
def long_run():
    return execute("D10", LONG, device="cpu")


def test_it_shows_the_lstm_solving_a_long_range_task_the_plain_rnn_fails(long_run):
    metrics = summary_values(long_run)
    assert metrics["accuracy_lstm"] >= 0.9
    assert metrics["accuracy_rnn"] <= 0.65  # chance is 0.5
    assert metrics["longest_solved_rnn"] == 0 and metrics["longest_solved_lstm"] == LONG["length"]


def test_it_measures_a_vanishing_gradient_in_the_rnn_but_not_the_lstm(long_run):
    metrics = summary_values(long_run)
    assert metrics["grad_ratio_rnn"] < 1e-6
    assert metrics["grad_ratio_lstm"] > 1e3 * metrics["grad_ratio_rnn"]
    assert metrics["grad_ratio_gru"] > 1e3 * metrics["grad_ratio_rnn"]


def test_it_counts_four_and_three_times_the_rnn_parameters(long_run):
    metrics = summary_values(long_run)
    assert metrics["lstm_to_rnn_params"] == 4 and metrics["gru_to_rnn_params"] == 3
    hidden, inputs = 24, 5
    per_gate = hidden * inputs + hidden * hidden + 2 * hidden
    assert d10.parameter_count(kind="rnn", hidden=hidden, inputs=inputs) == per_gate
    assert d10.parameter_count(kind="lstm", hidden=hidden, inputs=inputs) == 4 * per_gate
    assert d10.parameter_count(kind="gru", hidden=hidden, inputs=inputs) == 3 * per_gate


def test_it_unrolls_cells_that_reproduce_the_fused_layer():
    model = d10.make_model(kind="lstm", hidden=6, max_length=12, device=torch.device("cpu"))
    inputs, labels = d10.recall_batch(count=4, length=12, noise=1.0, generator=torch.Generator().manual_seed(3),
                                      device=torch.device("cpu"))
    cell = d10._cell_for(model)
    h = c = torch.zeros(4, 6)
    for t in range(12):
        h, c = cell(inputs[:, t], (h, c))
    assert torch.allclose(model.head(h).squeeze(-1), model(inputs), atol=1e-6)
    assert len(d10.hidden_state_gradients(model, inputs, labels)) == 12


def test_it_says_so_when_the_task_is_too_easy_to_separate_them(long_run):
    easy = execute("D10", EASY, device="cpu")
    assert summary_values(easy)["accuracy_rnn"] >= 0.9
    assert easy["verdict"]["recall"] == "too_easy"
    assert long_run["verdict"]["recall"] == "rnn_failed"


def test_it_spreads_lengths_geometrically_up_to_the_longest():
    assert d10.sequence_lengths(longest=40, points=4) == [5, 10, 20, 40]
    assert d10.sequence_lengths(longest=40, points=1) == [40]
