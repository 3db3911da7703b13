"""D3: zero and constant init keep hidden units identical; random init breaks the symmetry."""

import pytest
import torch

from engine.demos.d03_zero_init import conclude, distinct_units, hidden_unit_vectors, make_mlp, make_rings, train
from engine.runtime import execute
from engine.spec import ParamError

SMALL = {"hidden": 8, "steps": 150}


def metric(result: dict, key: str) -> float:
    return next(item["value"] for item in result["summary"] if item["key"] == key)


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
    train(model, points, labels, steps=50, lr=0.5, on_step=lambda _: None)
    after = hidden_unit_vectors(model)
    assert (after - before).norm() > 1e-3  # the weights did learn something ...
    assert distinct_units(after) == 1  # ... but every unit learned the same thing


def test_it_trains_logistic_regression_fine_from_zero(result):
    assert metric(result, "logistic_zero_loss") == pytest.approx(metric(result, "logistic_random_loss"), rel=0.05)


def test_it_describes_what_happened(result):
    assert "still identical" in result["conclusion"]["en"]
    assert f"Random init gives {SMALL['hidden']} distinct units" in result["conclusion"]["en"]


def test_it_gives_the_same_numbers_twice(result):
    assert execute("D3", SMALL)["summary"] == result["summary"]


@pytest.mark.parametrize(("field", "value"), [("hidden", 1), ("hidden", 65), ("activation", "gelu"),
                                              ("constant", 0), ("steps", 3001), ("lr", 3)])
def test_it_rejects_out_of_bound_params(field, value):
    with pytest.raises(ParamError) as caught:
        execute("D3", {field: value})
    assert field in caught.value.errors


def test_it_reports_progress_up_to_one():
    fractions = []
    execute("D3", {"hidden": 4, "steps": 20}, progress=lambda fraction, message="": fractions.append(fraction))
    assert fractions == sorted(fractions)
    assert len(fractions) >= 10
    assert fractions[-1] == pytest.approx(1.0)


def test_it_says_so_when_the_symmetry_did_break():
    outcome = {"gap": 0.0, "distinct": 1, "accuracy": 0.5}
    broken = {"gap": 2.3, "distinct": 2, "accuracy": 0.8}
    text = conclude({"hidden": 8, "steps": 100}, {"zero": outcome, "constant": broken, "random": broken},
                    {"zero": 0.1, "random": 0.1})["en"]
    assert "drifted apart (2 distinct" in text
    assert "all 8 hidden units are still identical" in text
