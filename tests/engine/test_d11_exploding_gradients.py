"""D11: an RNN's gradient runs away without clipping; max-norm clipping keeps the same start trainable."""

import copy

import pytest
import torch

from engine.demos import d11_exploding_gradients as d11
from engine.runtime import execute
from engine.spec import ParamError

GENTLE = {"spectral_radius": 1.0, "learning_rate": 0.1, "steps": 60}


def _metrics(result: dict) -> dict[str, float]:
    return {m["key"]: m["value"] for m in result["summary"]}


@pytest.fixture(scope="module")
def explosive():
    return execute("D11", {}, device="cpu")


def test_it_shows_the_unclipped_gradient_running_away_while_clipping_trains(explosive):
    metrics = _metrics(explosive)
    assert metrics["unclipped_diverged"] == 1
    assert metrics["unclipped_largest_norm"] > 1e3 * metrics["grad_norm_median"]
    assert metrics["spikes_unclipped"] > 0
    assert metrics["final_loss_unclipped"] is None  # diverged: stored as null
    assert metrics["final_loss_clipped"] < 0.1  # predicting 0 for U(−1, 1) targets gives 1/3


def test_it_clips_only_a_small_fraction_of_steps(explosive):
    assert 0 < _metrics(explosive)["clipped_fraction"] < 0.2


def test_it_bounds_each_update_by_learning_rate_times_max_norm():
    params = {**d11.SPEC.validate({"spectral_radius": 3.0, "learning_rate": 0.5, "max_norm": 0.1}), "steps": 1}
    start = d11.DelayRNN(hidden=8, radius=3.0)
    model = copy.deepcopy(start)
    d11.train(model, params=params, clip=True, device=torch.device("cpu"), on_step=lambda step: None)
    with torch.no_grad():
        moved = torch.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(model.parameters(), start.parameters(),
                                                                     strict=True)))
    assert float(moved) <= 0.5 * 0.1 + 1e-6


def test_it_says_there_were_no_spikes_when_training_is_gentle(explosive):
    gentle = execute("D11", GENTLE, device="cpu")
    metrics = _metrics(gentle)
    assert metrics["unclipped_diverged"] == 0 and metrics["unclipped_diverged_at"] is None
    assert metrics["spikes_unclipped"] == 0
    assert "No gradient spikes" in gentle["conclusion"]["en"]
    assert "ran away" in explosive["conclusion"]["en"]


def test_it_draws_a_gap_after_divergence_and_a_heatmap_per_parameter(explosive):
    unclipped = explosive["charts"][0]["series"][0]["points"]
    assert unclipped[-1][1] is None and unclipped[0][1] is not None
    heatmap = explosive["heatmaps"][0]
    assert heatmap["y_ticks"] == ["W_ih", "W_hh", "b_ih", "b_hh", "W_out", "b_out"]


@pytest.mark.parametrize(("field", "value"), [("max_norm", 0.0), ("delay", 10), ("steps", 5000)])
def test_it_rejects_out_of_bound_params_naming_the_field(field, value):
    with pytest.raises(ParamError) as error:
        execute("D11", {field: value}, device="cpu")
    assert field in error.value.errors


def test_it_gives_the_same_numbers_twice():
    first, second = execute("D11", GENTLE, device="cpu"), execute("D11", GENTLE, device="cpu")
    assert first["summary"] == second["summary"] and first["charts"] == second["charts"]


def test_it_reports_progress_up_to_one():
    fractions = []
    execute("D11", GENTLE, device="cpu", progress=lambda fraction, message="": fractions.append(fraction))
    assert len(fractions) >= 10
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
