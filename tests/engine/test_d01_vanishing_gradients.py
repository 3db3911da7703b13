"""D1: the science of vanishing gradients, read from what the demo computed."""

import json
import math

import pytest

from engine.runtime import execute
from engine.text import number
from tests.engine.results import metric, summary_values

SMALL = {"depth": 15, "width": 32, "steps": 2}


def test_it_shows_sigmoid_with_naive_init_vanishing_at_least_100x():
    result = execute("D1", {**SMALL, "activation": "sigmoid", "init": "normal"})
    assert metric(result, "grad_ratio_last_over_first") >= 100
    assert metric(result, "first_layer_grad_norm") * 100 <= metric(result, "last_layer_grad_norm")
    assert result["verdict"]["gradient"] == "vanished"


def test_it_keeps_relu_with_he_init_within_10x():
    result = execute("D1", {**SMALL, "activation": "relu", "init": "he"})
    ratio = metric(result, "grad_ratio_last_over_first")
    assert 0.1 <= ratio <= 10
    assert result["verdict"]["gradient"] == "flat"


def test_it_vanishes_more_with_more_sigmoid_layers():
    shallow = execute("D1", {**SMALL, "depth": 5, "init": "xavier"})
    deep = execute("D1", {**SMALL, "depth": 20, "init": "xavier"})
    assert metric(deep, "grad_ratio_last_over_first") > 100 * metric(shallow, "grad_ratio_last_over_first")


def test_it_reports_forward_blow_up_of_relu_with_naive_init():
    result = execute("D1", {**SMALL, "depth": 30, "activation": "relu", "init": "normal"})
    assert metric(result, "last_layer_activation_std") > 1e6 * metric(result, "first_layer_activation_std")
    assert result["verdict"]["forward"] == "blew_up"


def test_it_calls_gradients_of_1e59_in_every_layer_an_explosion_not_flat():
    result = execute("D1", {**SMALL, "depth": 50, "activation": "relu", "init": "normal", "lr": 1.0})
    assert metric(result, "grad_ratio_last_over_first") < 10  # the layer-to-layer ratio alone looks flat
    assert metric(result, "first_layer_grad_norm") > 1e40
    assert result["verdict"]["gradient"] == "exploded"
    labels = [series["name"]["en"] for series in result["charts"][0]["series"]]
    assert len(labels) == len(set(labels)), labels  # a run that diverged at once draws step 0 once


def test_it_calls_a_gradient_growing_toward_the_input_an_explosion_toward_the_input():
    result = execute("D1", {**SMALL, "depth": 30, "activation": "tanh", "init": "normal"})
    assert metric(result, "grad_ratio_last_over_first") <= 0.01
    assert result["verdict"]["gradient"] == "exploded_toward_input"


def test_it_draws_the_heatmap_from_the_same_gradients():
    result = execute("D1", SMALL)
    heatmap = result["heatmaps"][0]
    assert len(heatmap["values"]) == SMALL["depth"]
    assert heatmap["x_ticks"] == ["0", "1", "2"]
    assert math.isclose(heatmap["values"][0][0], metric(result, "first_layer_grad_norm"), rel_tol=1e-12)
    assert math.isclose(heatmap["values"][-1][0], metric(result, "last_layer_grad_norm"), rel_tol=1e-12)
    assert result["charts"][0]["y_scale"] == "log"


def test_it_reports_progress_at_least_ten_times_in_a_short_run():
    """D1's default run is over in about 0.1 s, where the all-demos progress test stops counting reports."""
    fractions = []
    execute("D1", {**SMALL, "steps": 20}, progress=lambda fraction, message, **live: fractions.append(fraction))
    assert fractions == sorted(fractions)
    assert len(fractions) >= 10
    assert fractions[-1] == 1.0


def test_it_calls_a_dead_relu_layer_dead_not_an_overflow():
    """Width 8, seed 2: layer 42's eight ReLU units are all off for every example, so every gradient is 0."""
    result = execute("D1", {**SMALL, "depth": 50, "width": 8, "activation": "relu", "seed": 2})
    assert metric(result, "first_layer_grad_norm") == 0 and metric(result, "last_layer_grad_norm") == 0
    assert metric(result, "last_layer_activation_std") == 0
    assert result["verdict"]["gradient"] == "dead"
    assert "dead" in result["conclusion"]["en"]
    assert "overflow" not in result["conclusion"]["en"] and "explod" not in result["conclusion"]["en"]
    json.dumps(result, allow_nan=False)
    assert "grad_ratio_last_over_first" not in summary_values(result)  # 0/0 is no ratio


@pytest.mark.parametrize(("width", "grows"), [(32, False), (256, True)])
def test_it_ties_naive_init_vanishing_to_the_width_through_the_per_layer_gain(width, grows):
    result = execute("D1", {**SMALL, "width": width, "activation": "sigmoid", "init": "normal"})
    gain = metric(result, "backward_gain_per_layer")
    assert (gain > 1) == grows
    assert (metric(result, "grad_ratio_last_over_first") < 1) == grows  # last/first < 1: it grew toward the input
    assert f"= {number(gain)}, so it {'grows' if grows else 'shrinks'} toward the input" in result["conclusion"]["en"]
    assert f"√{width}" in result["conclusion"]["en"]
    assert ("does not vanish" in result["conclusion"]["en"]) == grows


def test_it_reports_where_the_loss_diverged_instead_of_the_step_0_loss():
    result = execute("D1", {**SMALL, "depth": 50, "activation": "relu", "init": "normal", "lr": 1.0})
    values = summary_values(result)
    assert "final_loss" not in values
    assert values["diverged_at_step"] == 1
    assert result["verdict"]["training"] == "diverged"
    assert "step 1" in result["conclusion"]["en"]


def test_it_calls_a_loss_that_grew_a_hundredfold_diverged_even_while_finite():
    result = execute("D1", {"width": 256, "steps": 20})
    assert math.isfinite(metric(result, "final_loss"))
    assert metric(result, "final_loss") > 10 * metric(result, "initial_loss")
    assert result["verdict"]["training"] == "diverged"
