"""D2: hand-written activation derivatives against autograd, and their peaks."""

import math

import pytest
import torch

from engine.demos.d02_activations import activation_table, measure
from engine.progress import Progress
from engine.runtime import execute
from tests.engine.results import metric


def test_it_matches_autograd_for_every_activation():
    result = execute("D2", {"x_max": 8.0, "points": 801, "leaky_slope": 0.2})
    assert metric(result, "max_autograd_error") < 1e-12
    assert result["verdict"]["autograd"] == "matches"


def test_it_matches_autograd_at_random_points_off_the_grid():
    x = torch.randn(1000, dtype=torch.float64) * 5
    for name, (function, derivative, _) in activation_table(0.05).items():
        probe = x.clone().requires_grad_(True)
        (expected,) = torch.autograd.grad(function(probe).sum(), probe)
        assert torch.allclose(derivative(x), expected, atol=1e-12), name


def test_it_finds_sigmoid_derivative_peak_of_a_quarter_at_zero():
    result = execute("D2")
    assert metric(result, "sigmoid_max_derivative") == pytest.approx(0.25, abs=1e-12)
    assert metric(result, "sigmoid_derivative_argmax") == 0
    assert metric(result, "tanh_max_derivative") == pytest.approx(1.0, abs=1e-12)
    assert metric(result, "relu_max_derivative") == 1.0
    assert metric(result, "sigmoid_best_case_10_layers") == pytest.approx(0.25 ** 10)


def test_it_shows_gelu_overshooting_one_and_softplus_slope_below_one():
    results = measure({"x_max": 6.0, "points": 1201, "leaky_slope": 0.01}, Progress(lambda *report: None)).results
    assert 1.12 < results["gelu"]["max_slope"] < 1.13  # GELU′ peaks ≈ 1.129 near x ≈ 1.41
    assert results["gelu"]["argmax"] == pytest.approx(math.sqrt(2), abs=0.01)
    assert results["softplus"]["max_slope"] < 1.0
    assert results["leaky_relu"]["slope"][0] == pytest.approx(0.01)


def test_it_says_sigmoid_does_not_saturate_on_a_narrow_range():
    narrow = execute("D2", {"x_max": 1.0})
    wide = execute("D2", {"x_max": 10.0})
    assert narrow["verdict"]["sigmoid_saturates"] is False
    assert wide["verdict"]["sigmoid_saturates"] is True
    assert metric(wide, "sigmoid_derivative_at_edge") < 1e-4 < metric(narrow, "sigmoid_derivative_at_edge")


def test_its_progress_moves_a_twelfth_at_a_time_however_long_the_run_takes():
    reported = []
    execute("D2", {"points": 2001}, progress=lambda fraction, message: reported.append((fraction, message)))
    fractions = [0.0, *(fraction for fraction, _ in reported)]
    assert max(later - earlier for earlier, later in zip(fractions, fractions[1:], strict=False)) <= 1 / 12 + 1e-9
    assert fractions[-1] == 1.0 and all(message["en"] and message["zh"] for _, message in reported)


def test_it_finds_the_saturation_edge_and_gelu_peak_between_the_points_of_a_coarse_grid():
    """21 points over ±20 (spacing 2): the grid alone puts σ′'s 10% edge at 4 and GELU′'s peak at x = 2."""
    result = execute("D2", {"points": 21, "x_max": 20.0}, device="cpu")
    edge = math.log((1 + math.sqrt(0.9)) / (1 - math.sqrt(0.9)))  # σ(1 − σ) = 0.025, solved for x
    assert metric(result, "sigmoid_saturation_edge") == pytest.approx(edge, abs=0.01)
    assert metric(result, "gelu_max_derivative") == pytest.approx(1.1289, abs=1e-3)
    assert metric(result, "gelu_derivative_argmax") == pytest.approx(math.sqrt(2), abs=0.01)  # where x² = 2
    assert result["verdict"]["grid"] == "coarse"
    assert "coarse (spacing 2)" in result["conclusion"]["en"]
    assert "at 3.64 between its points" in result["conclusion"]["en"]


def test_it_says_nothing_about_the_grid_when_the_grid_is_fine():
    assert execute("D2", device="cpu")["verdict"]["grid"] == "fine"
