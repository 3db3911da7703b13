"""D8: BatchNorm normalises what enters each activation and, here, trains a deep sigmoid MLP much faster."""

import math

import pytest

from engine.demos.d08_batchnorm import steps_to_reach
from engine.runtime import execute
from tests.engine.results import metric, summary_values

SMALL = {"depth": 6, "width": 32, "steps": 100}


@pytest.fixture(scope="module")
def sigmoid_result():
    return execute("D8", {**SMALL, "activation": "sigmoid"})


def test_it_keeps_every_layer_near_unit_std_with_bn(sigmoid_result):
    assert metric(sigmoid_result, "bn_layer_std_spread") < 1.3
    assert metric(sigmoid_result, "bn_last_layer_std") == pytest.approx(1.0, abs=0.3)
    for row in sigmoid_result["heatmaps"][1]["values"]:
        assert all(0.5 < value < 2.0 for value in row)


def test_it_puts_both_networks_std_heatmaps_on_one_colour_scale(sigmoid_result):
    # The point is the contrast between them: on separate scales each would span its own colours.
    assert [heatmap["scale_group"] for heatmap in sigmoid_result["heatmaps"]] == ["std", "std"]


def test_it_lets_layer_statistics_wander_without_bn(sigmoid_result):
    assert metric(sigmoid_result, "plain_layer_std_spread") > 2 * metric(sigmoid_result, "bn_layer_std_spread")


def test_it_trains_the_deep_sigmoid_network_faster_with_bn(sigmoid_result):
    assert metric(sigmoid_result, "bn_final_loss") < 0.8 * metric(sigmoid_result, "plain_final_loss")
    assert sigmoid_result["verdict"]["batchnorm"] == "helped"


def test_it_does_not_claim_bn_helped_when_it_did_not():
    shallow = execute("D8", {"depth": 2, "width": 32, "steps": 200, "activation": "relu", "init": "he", "lr": 0.02})
    assert shallow["verdict"]["batchnorm"] != "helped"
    assert metric(shallow, "bn_final_loss") >= 0.8 * metric(shallow, "plain_final_loss")


def test_it_counts_steps_to_a_target_accuracy_from_a_running_mean():
    # steps 4..13 (1-based) are the first window of 10 holding eight perfect batches
    assert steps_to_reach([0.0] * 5 + [1.0] * 20, 0.8) == 13.0
    assert math.isnan(steps_to_reach([0.5] * 30, 0.8))


def test_it_says_bn_trained_where_the_plain_network_diverged_at_a_high_learning_rate():
    """The BatchNorm paper's point: ReLU + He at learning rate 0.5 blows up the plain network, not the BN one."""
    result = execute("D8", {"activation": "relu", "init": "he", "lr": 0.5})
    assert "plain_final_loss" not in summary_values(result)  # it has none: its loss stopped being finite
    assert metric(result, "bn_test_accuracy") > 80
    assert result["verdict"] == {"batchnorm": "helped", "plain": "diverged"}
    assert f"{metric(result, 'bn_test_accuracy'):.0f}% test accuracy" in result["conclusion"]["en"]
    assert "lower the learning rate" not in result["conclusion"]["en"]
