"""D3: zero and constant init keep hidden units identical; random init breaks the symmetry."""

import pytest
import torch

from engine.demos.d03_zero_init import (
    Measurements,
    conclude,
    distinct_units,
    hidden_unit_vectors,
    make_mlp,
    make_rings,
    train,
)
from engine.progress import Progress
from engine.runtime import execute
from engine.text import both
from tests.engine.results import metric

SMALL = {"hidden": 8, "steps": 150}


@pytest.fixture(scope="module")
def result():
    return execute("D3", SMALL)


def test_it_keeps_hidden_units_identical_under_zero_and_constant_init(result):
    for init in ("zero", "constant"):
        assert metric(result, f"{init}_distinct_units") == 1
        assert metric(result, f"{init}_max_unit_difference") < 1e-9


def test_it_breaks_symmetry_with_random_init(result):
    assert metric(result, "random_distinct_units") == SMALL["hidden"]
    assert metric(result, "random_max_unit_difference") > 0.1
    assert metric(result, "random_accuracy") > metric(result, "constant_accuracy") + 20


def test_it_lets_a_symmetric_sigmoid_network_move_but_not_diverge():
    generator = torch.Generator().manual_seed(1)
    points, labels = make_rings(generator=generator)
    model = make_mlp(hidden=6, activation="sigmoid", init="constant", constant=0.3, generator=generator)
    before = hidden_unit_vectors(model).clone()
    progress = Progress(lambda *report: None)
    progress.plan(50)
    train(model, points, labels, steps=50, lr=0.5, progress=progress, message=both("training"))
    after = hidden_unit_vectors(model)
    assert (after - before).norm() > 1e-3  # the weights did learn something ...
    assert distinct_units(after) == 1  # ... but every unit learned the same thing


def test_it_trains_logistic_regression_fine_from_zero(result):
    assert metric(result, "logistic_zero_loss") == pytest.approx(metric(result, "logistic_random_loss"), rel=0.05)


def test_it_describes_what_happened(result):
    assert result["verdict"]["zero_init_units"] == result["verdict"]["constant_init_units"] == "identical"


def test_it_says_so_when_the_symmetry_did_break():
    outcome = {"gap": 0.0, "distinct": 1, "accuracy": 0.5}
    broken = {"gap": 2.3, "distinct": 2, "accuracy": 0.8}
    outcomes = {"zero": outcome, "constant": broken, "random": broken}
    verdict = conclude(Measurements({"hidden": 8, "steps": 100}, outcomes, {"zero": 0.1, "random": 0.1})).verdict
    assert verdict["constant_init_units"] == "drifted_apart"
    assert verdict["zero_init_units"] == "identical"
