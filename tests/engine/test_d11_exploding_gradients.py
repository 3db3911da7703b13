"""D11: an RNN's gradient runs away without clipping; max-norm clipping keeps the same start trainable."""

import copy

import pytest
import torch

from engine.demos import d11_exploding_gradients as d11
from engine.progress import Progress
from engine.runtime import execute
from tests.engine.results import summary_values

GENTLE = {"spectral_radius": 1.0, "learning_rate": 0.1, "steps": 60}


@pytest.fixture(scope="module")
def explosive():
    return execute("D11", {}, device="cpu")


def test_it_shows_the_unclipped_gradient_running_away_while_clipping_trains(explosive):
    metrics = summary_values(explosive)
    assert metrics["unclipped_diverged"] == 1
    assert metrics["unclipped_largest_norm"] > 1e3 * metrics["grad_norm_median"]
    assert metrics["spikes_unclipped"] > 0
    assert "final_loss_unclipped" not in metrics  # diverged: it has none
    assert metrics["final_loss_clipped"] < 0.1  # predicting 0 for U(−1, 1) targets gives 1/3


def test_it_clips_only_a_small_fraction_of_steps(explosive):
    assert 0 < summary_values(explosive)["clipped_fraction"] < 0.2


def test_it_bounds_each_update_by_learning_rate_times_max_norm():
    params = {**d11.SPEC.validate({"spectral_radius": 3.0, "learning_rate": 0.5, "max_norm": 0.1}), "steps": 1}
    start = d11.DelayRNN(hidden=8, radius=3.0)
    model = copy.deepcopy(start)
    progress = Progress(lambda *report: None)
    progress.plan(1)
    d11.train(model, params=params, clip=True, device=torch.device("cpu"), progress=progress)
    with torch.no_grad():
        moved = torch.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(model.parameters(), start.parameters(),
                                                                     strict=True)))
    assert float(moved) <= 0.5 * 0.1 + 1e-6


def test_it_says_there_were_no_spikes_when_training_is_gentle(explosive):
    gentle = execute("D11", GENTLE, device="cpu")
    metrics = summary_values(gentle)
    assert metrics["unclipped_diverged"] == 0 and "unclipped_diverged_at" not in metrics
    assert metrics["spikes_unclipped"] == 0
    assert gentle["verdict"]["unclipped"] == "no_spikes"
    assert explosive["verdict"]["unclipped"] == "diverged"


def test_it_draws_a_gap_after_divergence_and_a_heatmap_per_parameter(explosive):
    unclipped = explosive["charts"][0]["series"][0]["points"]
    assert unclipped[-1][1] is None and unclipped[0][1] is not None
    heatmap = explosive["heatmaps"][0]
    assert heatmap["y_ticks"] == ["W_ih", "W_hh", "b_ih", "b_hh", "W_out", "b_out"]
