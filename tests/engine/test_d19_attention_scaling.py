"""D19: unscaled dot products spread like σ²√d_k and saturate the softmax; 1/√d_k keeps the gradient."""

import math

import pytest
import torch

from engine.demos import d19_attention_scaling as demo
from engine.runtime import execute
from tests.engine.results import cpu_seconds, summary_values


@pytest.fixture(scope="module")
def default_run():
    return execute("D19", {}, device="cpu")


def test_it_grows_the_unscaled_spread_like_the_square_root_of_d_k(default_run):
    metrics = summary_values(default_run)
    assert metrics["score_std_unscaled"] == pytest.approx(math.sqrt(1024), rel=0.05)
    assert metrics["score_std_scaled"] == pytest.approx(1.0, rel=0.05)
    spread = next(series for series in default_run["charts"][0]["series"] if series["name"] == demo.NAMES["unscaled"])
    assert [round(std / math.sqrt(d_k), 1) for d_k, std in spread["points"]] == [1.0] * len(spread["points"])


def test_it_saturates_the_unscaled_softmax_and_keeps_the_gradient_when_scaled(default_run):
    metrics = summary_values(default_run)
    assert metrics["max_weight_unscaled"] >= 0.9 > 0.3 > metrics["max_weight_scaled"]
    assert metrics["gradient_ratio_lowest"] >= 100  # every draw, not just on average
    assert default_run["verdict"] == {"softmax": "unscaled_saturates", "gradient": "scaling_keeps_it"}


def test_it_puts_both_attention_heatmaps_on_one_colour_scale(default_run):
    # Saturation shows as one bright cell per row of the unscaled map only if both share the scale.
    assert [heatmap["scale_group"] for heatmap in default_run["heatmaps"]] == ["weights", "weights"]


def test_it_keeps_the_scaled_softmax_the_same_at_every_d_k(default_run):
    peaked = next(series for series in default_run["charts"][1]["series"] if series["name"] == demo.NAMES["scaled"])
    weights = [weight for _, weight in peaked["points"]]
    assert max(weights) - min(weights) < 0.05


def test_it_says_neither_saturates_when_the_scores_stay_small():
    small = execute("D19", {"entry_std": 0.3}, device="cpu")
    assert small["verdict"] == {"softmax": "no_saturation", "gradient": "comparable"}
    assert summary_values(small)["max_weight_unscaled"] < 0.9


def test_it_says_scaling_is_not_enough_for_large_entries():
    large = execute("D19", {"entry_std": 4.0, "max_dk": 256}, device="cpu")
    assert large["verdict"]["softmax"] == "both_saturate"
    assert summary_values(large)["max_weight_scaled"] >= 0.9


def test_it_reports_an_underflowed_gradient_as_zero_not_as_a_huge_ratio():
    extreme = execute("D19", {"entry_std": 2.5, "draws": 2}, device="cpu")
    metrics = summary_values(extreme)
    assert metrics["underflowed_draws"] == 2 and "gradient_ratio_lowest" not in metrics
    assert extreme["verdict"]["gradient"] == "scaling_keeps_it"
    assert "underflowed to exactly 0" in extreme["conclusion"]["en"]


def test_it_draws_again_with_another_seed_and_repeats_with_the_same():
    first = execute("D19", {"seed": 7, "draws": 2}, device="cpu")
    assert execute("D19", {"seed": 7, "draws": 2}, device="cpu")["summary"] == first["summary"]
    assert execute("D19", {"seed": 8, "draws": 2}, device="cpu")["summary"] != first["summary"]


def test_it_measures_the_softmax_jacobian_at_the_scores():
    """A one-hot softmax passes no gradient; a uniform one passes p(g·v − mean) to every score."""
    stats = demo.attention_statistics(d_k=4, keys=8, entry_std=1e-6, scaled=True,
                                      draws=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    assert stats["max_weight"] == pytest.approx(1 / 8) and stats["entropy"] == pytest.approx(math.log(8))
    assert stats["gradient"] > 0
    saturated = demo.attention_statistics(d_k=1024, keys=8, entry_std=3.0, scaled=False,
                                          draws=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    assert saturated["max_weight"] > 0.99 and saturated["gradient"] == 0  # the typical query: exactly one-hot


def test_it_runs_its_defaults_within_two_seconds_of_cpu():
    assert cpu_seconds(lambda: execute("D19", {}, device="cpu")) < 2.0
