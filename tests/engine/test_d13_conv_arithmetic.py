"""D13: the output-size formula against real Conv2d layers, weight counts and receptive fields."""

import random

import pytest
import torch
from torch import nn

from engine.demos import d13_conv_arithmetic as d13
from engine.runtime import execute
from tests.engine.results import metric

SMALL = {"input_size": 12, "random_configs": 20, "channels": 16, "depth": 3}


def test_it_matches_a_real_conv2d_output_shape_for_many_random_configs():
    rng = random.Random(1234)
    checked = 0
    while checked < 200:
        h, w = rng.randint(1, 30), rng.randint(1, 30)
        k, s, p, d = rng.randint(1, 6), rng.randint(1, 4), rng.randint(0, 3), rng.randint(1, 3)
        expected = (d13.conv_output_size(size=h, kernel=k, stride=s, padding=p, dilation=d),
                    d13.conv_output_size(size=w, kernel=k, stride=s, padding=p, dilation=d))
        if min(expected) <= 0:
            continue
        layer = nn.Conv2d(2, 3, k, stride=s, padding=p, dilation=d)
        assert tuple(layer(torch.zeros(1, 2, h, w)).shape[2:]) == expected, (h, w, k, s, p, d)
        checked += 1


def test_it_reports_no_mismatch_and_counts_every_config():
    result = execute("D13", SMALL, device="cpu")
    assert metric(result, "formula_mismatches") == 0
    assert metric(result, "configs_checked") == SMALL["input_size"] + SMALL["random_configs"]
    assert result["verdict"]["formula"] == "matched"


def test_it_agrees_with_conv2d_refusing_inputs_that_are_too_small():
    config = {"height": 3, "width": 3, "kernel": (5, 5), "stride": (1, 1), "padding": (0, 0), "dilation": (1, 1)}
    agrees, empty = d13.formula_matches_conv2d(config=config, device=torch.device("cpu"))
    assert empty and agrees


def test_it_counts_18c2_for_two_3x3_against_25c2_for_one_5x5_and_cin_cout_for_1x1():
    c = 24
    assert d13.weight_count(d13.conv_stack(channels=c, kernel=3, layers=2)) == 18 * c * c
    assert d13.weight_count(d13.conv_stack(channels=c, kernel=5, layers=1)) == 25 * c * c
    assert d13.weight_count(nn.Conv2d(c, 40, 1, bias=False)) == c * 40
    result = execute("D13", SMALL, device="cpu")
    assert metric(result, "stacked_3x3_to_5x5_ratio") == pytest.approx(18 / 25)
    assert metric(result, "conv_weights") == 9 * 16 * 16


def test_it_counts_far_more_weights_for_a_dense_layer():
    result = execute("D13", SMALL, device="cpu")
    # Same-size output (K=3, P=1): dense needs (W²C)(W²C) weights against 9C².
    assert metric(result, "dense_to_conv_ratio") == pytest.approx(12 ** 4 / 9)


@pytest.mark.parametrize(("kernel", "stride", "dilation", "depth"), [(3, 1, 1, 2), (3, 2, 1, 3), (5, 2, 2, 3)])
def test_it_measures_the_receptive_field_the_formula_predicts(kernel, stride, dilation, depth):
    measured = d13.receptive_field_measured(kernel=kernel, stride=stride, dilation=dilation, depth=depth,
                                            device=torch.device("cpu"))
    assert measured == d13.receptive_field_formula(kernel=kernel, stride=stride, dilation=dilation, depth=depth)
    assert d13.receptive_field_formula(kernel=3, stride=1, dilation=1, depth=2) == 5


def test_it_says_so_when_the_layer_has_no_output():
    normal = execute("D13", SMALL, device="cpu")
    empty = execute("D13", {**SMALL, "input_size": 4, "kernel_size": 11, "padding": 0}, device="cpu")
    assert metric(empty, "output_size") == 0
    assert empty["verdict"]["layer_output"] == "none"
    assert normal["verdict"]["layer_output"] == "map"
