import pytest
import torch
from torch import nn

from engine.demos import d07_dropout as demo
from engine.runtime import execute
from tests.engine.results import metric

SMALL = {"width": 64, "epochs": 300, "passes": 200}


@pytest.fixture(scope="module")
def small_run() -> dict:
    return execute("D7", SMALL)


def test_it_shrinks_the_train_test_gap_with_dropout(small_run):
    without, with_ = metric(small_run, "gap_without_dropout"), metric(small_run, "gap_with_dropout")
    assert without > 0.1  # the plain net memorises the noise
    assert with_ < 0.7 * without
    assert metric(small_run, "train_loss_with_dropout") > metric(small_run, "train_loss_without_dropout")
    assert small_run["verdict"]["gap"] == "shrank"


def test_it_keeps_the_expectation_of_a_dropout_layer_equal_to_its_eval_output(small_run):
    assert metric(small_run, "layer_mean_rel_error") < 2 * metric(small_run, "monte_carlo_rel_error")
    assert metric(small_run, "no_rescale_mean_ratio") == pytest.approx(0.5, abs=0.02)
    layer, activations = nn.Dropout(0.3), torch.rand(32, 16) + 0.5
    few = demo.mean_of_train_passes(module=layer, inputs=activations, passes=50)
    many = demo.mean_of_train_passes(module=layer, inputs=activations, passes=5000)
    assert demo.relative_error(many, activations) < 0.02
    assert demo.relative_error(many, activations) < demo.relative_error(few, activations)
    assert layer(activations).eq(0).any()  # train mode really dropped units


def test_it_says_so_when_the_plain_net_does_not_overfit():
    result = execute("D7", {**SMALL, "noise": 0.0, "train_samples": 128})
    assert metric(result, "gap_without_dropout") < 0.01
    assert result["verdict"]["gap"] == "no_overfitting"


def test_it_takes_a_seed_that_changes_the_draw_and_repeats_it():
    quick = {"epochs": 50, "passes": 10, "width": 16}
    first = execute("D7", {**quick, "seed": 3}, device="cpu")
    assert execute("D7", {**quick, "seed": 3}, device="cpu")["summary"] == first["summary"]
    assert execute("D7", {**quick, "seed": 4}, device="cpu")["summary"] != first["summary"]
