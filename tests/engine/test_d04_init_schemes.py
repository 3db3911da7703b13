"""D4: how LeCun, Xavier and He init carry the variance through tanh and ReLU layers."""

import re

import pytest

from engine.runtime import execute
from tests.engine.results import metric

SMALL = {"depth": 20, "width": 64}


@pytest.fixture(scope="module")
def result():
    return execute("D4", SMALL)


def test_it_keeps_relu_variance_with_he_and_halves_it_per_layer_with_lecun(result):
    assert 0.1 <= metric(result, "relu_he_forward_ratio") <= 10
    per_layer = metric(result, "relu_lecun_forward_ratio") ** (1 / (SMALL["depth"] - 1))
    assert per_layer == pytest.approx(0.5, abs=0.1)  # ReLU passes half the variance; LeCun does not make up for it


def test_it_collapses_relu_gradients_without_he(result):
    assert metric(result, "relu_lecun_backward_ratio") < 1e-3
    assert metric(result, "relu_xavier_backward_ratio") < 1e-3
    assert 0.1 <= metric(result, "relu_he_backward_ratio") <= 10


def test_it_shows_tanh_with_he_amplifying_gradients_more_than_lecun(result):
    assert metric(result, "tanh_he_backward_ratio") > 10 * metric(result, "tanh_lecun_backward_ratio")


def test_it_makes_xavier_equal_lecun_only_when_widths_are_equal():
    equal = execute("D4", {**SMALL, "ratio": "1"})
    assert metric(equal, "relu_xavier_forward_ratio") == pytest.approx(metric(equal, "relu_lecun_forward_ratio"))
    unequal = execute("D4", {**SMALL, "ratio": "4"})
    assert metric(unequal, "relu_xavier_forward_ratio") != pytest.approx(metric(unequal, "relu_lecun_forward_ratio"),
                                                                          rel=0.05)


def test_it_names_what_drifted_and_what_did_not(result):
    assert result["verdict"]["relu_he"] == "steady"
    assert result["verdict"]["relu_lecun"] == "drifted"
    assert result["verdict"]["relu_needs_he"] is True
    shallow = execute("D4", {"depth": 2, "width": 64})
    assert {shallow["verdict"][f"{a}_{s}"] for a in ("tanh", "relu") for s in ("lecun", "xavier", "he")} == {"steady"}


def test_it_never_writes_a_small_nonzero_ratio_as_zero_and_says_when_he_drifts_too():
    """Width 16, width ratio 4, 100 layers: He's forward ratio ends near 1e-4, which two decimals round to 0."""
    drifting = execute("D4", {"depth": 100, "width": 16, "ratio": "4"}, device="cpu")
    he = metric(drifting, "relu_he_forward_ratio")
    assert 0 < he < 0.005
    for text in drifting["conclusion"].values():
        assert not re.search(r"×0\.0+(?!\d)", text), text  # a ratio written as zero
    assert f"He ends at ×{he:.3g}" in drifting["conclusion"]["en"]
    assert "He drifted too" in drifting["conclusion"]["en"]
    assert drifting["verdict"]["relu_he"] == "drifted"
