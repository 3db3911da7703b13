"""D1: the science of vanishing gradients, read from what the demo computed."""

import math

from engine.runtime import execute
from tests.engine.results import metric

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

