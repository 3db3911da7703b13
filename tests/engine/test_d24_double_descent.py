"""D24: the test-error peak at the interpolation threshold, and ridge taking it away."""

import pytest
import torch

from engine.demos.d24_double_descent import Curve, feature_counts, find_peak, fit_read_out
from engine.runtime import execute, warm_up
from tests.engine.results import cpu_seconds, metric


@pytest.fixture(scope="module")
def defaults():
    return execute("D24", device="cpu")


def test_it_peaks_at_the_interpolation_threshold_and_descends_again(defaults):
    samples = metric(defaults, "threshold")
    assert defaults["verdict"]["min_norm"] == "double_descent"
    assert 0.8 * samples <= metric(defaults, "peak_features") <= 1.25 * samples
    assert metric(defaults, "peak_error") > 5 * metric(defaults, "best_small_error")
    assert metric(defaults, "peak_error") > 5 * metric(defaults, "widest_error")
    assert metric(defaults, "train_error_at_threshold") < 1e-8  # it interpolates the training data there


def test_it_shows_ridge_removing_the_peak(defaults):
    assert defaults["verdict"]["ridge"] == "no_peak"
    assert metric(defaults, "ridge_peak_error") < metric(defaults, "best_small_error")


def test_it_keeps_the_peak_when_the_ridge_penalty_is_negligible():
    result = execute("D24", {"ridge": 1e-6, "draws": 5}, device="cpu")
    assert result["verdict"]["ridge"] != "no_peak"
    assert metric(result, "ridge_peak_error") > 3 * metric(result, "widest_error")
    assert "still peaks" in result["conclusion"]["en"]


def test_it_repeats_with_a_seed_and_draws_anew_with_another():
    first, again = execute("D24", {"seed": 3, "draws": 3}, device="cpu"), execute("D24", {"seed": 3, "draws": 3})
    other = execute("D24", {"seed": 4, "draws": 3}, device="cpu")
    assert first["summary"] == again["summary"]
    assert metric(first, "widest_error") != metric(other, "widest_error")


def test_it_finds_the_minimum_norm_exact_fit_beyond_the_threshold():
    draws = torch.Generator().manual_seed(0)
    features, labels = torch.randn(10, 30, generator=draws, dtype=torch.float64), torch.randn(10, dtype=torch.float64)
    weights = fit_read_out(features, labels, ridge=0.0)
    assert torch.allclose(features @ weights, labels)
    null_direction = torch.linalg.svd(features).Vh[-1]  # features @ null_direction = 0: another exact fit
    assert torch.allclose(features @ (weights + null_direction), labels)
    assert weights.norm() < (weights + null_direction).norm()


@pytest.mark.parametrize("count", [6, 30])
def test_it_solves_ridge_the_same_on_both_sides_of_the_threshold(count):
    draws = torch.Generator().manual_seed(1)
    features = torch.randn(10, count, generator=draws, dtype=torch.float64)
    labels = torch.randn(10, dtype=torch.float64)
    gram = features.T @ features + 0.5 * torch.eye(count, dtype=torch.float64)
    direct = torch.linalg.solve(gram, features.T @ labels)
    assert torch.allclose(fit_read_out(features, labels, ridge=0.5), direct)


def curve(errors: list[list[float]]) -> Curve:
    return Curve(test=errors, train=errors, norm=errors)


def test_it_calls_a_peak_only_when_it_stands_out_of_the_spread():
    counts = feature_counts(20)
    flat = [[1.0, 1.1, 0.9]] * len(counts)
    assert find_peak(curve(flat), counts, 20).shape == "no_peak"
    at_threshold = counts.index(20)
    clear = [[9.0, 10.0, 11.0] if i == at_threshold else values for i, values in enumerate(flat)]
    assert find_peak(curve(clear), counts, 20).shape == "double_descent"
    noisy = [[0.2, 0.3, 5.0, 6.0, 7.0] if i == at_threshold else values for i, values in enumerate(flat)]
    assert find_peak(curve(noisy), counts, 20).shape == "within_spread"


@pytest.mark.parametrize("params", [{"samples": 10, "draws": 1}, {"samples": 200, "noise": 0.0, "draws": 2},
                                    {"noise": 2.0, "ridge": 100.0, "draws": 3}])
def test_it_concludes_what_its_numbers_say_at_other_settings(params):
    result = execute("D24", params, device="cpu")
    peak, small, widest = (metric(result, key) for key in ("peak_error", "best_small_error", "widest_error"))
    if result["verdict"]["min_norm"] in ("double_descent", "within_spread"):
        assert peak >= 1.5 * max(small, widest)
    else:
        assert peak < 1.5 * max(small, widest)
    assert f"{metric(result, 'ridge_peak_error'):.3g}" in result["conclusion"]["en"]


def test_it_runs_its_defaults_within_two_seconds_of_cpu():
    warm_up()  # the first optimiser of a process imports torch._dynamo: a one-time cost, not the demo's
    assert cpu_seconds(lambda: execute("D24", device="cpu")) < 2.0
