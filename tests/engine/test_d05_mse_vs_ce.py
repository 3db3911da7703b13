import math

import pytest
import torch

from engine.demos import d05_mse_vs_ce as demo
from engine.runtime import execute
from engine.spec import ParamError

SMALL = {"steps": 60, "samples": 16}


def metric(result: dict, key: str) -> float | None:
    return next(m["value"] for m in result["summary"] if m["key"] == key)


def test_it_matches_the_closed_form_gradients():
    probabilities = torch.tensor([1e-3, 0.1, 0.5, 0.9, 0.999], dtype=torch.float64)
    ce = demo.logit_gradients(probabilities=probabilities, loss="ce")
    mse = demo.logit_gradients(probabilities=probabilities, loss="mse")
    torch.testing.assert_close(ce, probabilities - 1)
    torch.testing.assert_close(mse, 2 * (probabilities - 1) * probabilities * (1 - probabilities))


def test_it_gives_cross_entropy_a_far_larger_gradient_at_a_saturated_wrong_prediction():
    result = execute("D5", {**SMALL, "start_logit": -6.0})
    ce, mse = metric(result, "ce_grad_at_start"), metric(result, "mse_grad_at_start")
    assert ce > 0.99
    assert mse < 0.01
    assert metric(result, "grad_ratio_at_start") > 100
    assert math.isclose(metric(result, "grad_ratio_at_start"), ce / mse, rel_tol=1e-9)


def test_it_escapes_the_saturated_start_with_cross_entropy_but_not_with_mse():
    result = execute("D5", {**SMALL, "start_logit": -6.0})
    assert metric(result, "steps_to_correct_ce") is not None
    assert metric(result, "steps_to_correct_mse") is None  # never right within the steps
    assert metric(result, "final_p_true_ce") > 0.9
    assert metric(result, "final_p_true_mse") < 0.1
    assert "never" in result["conclusion"]["en"]


def test_it_says_there_is_nothing_to_escape_when_the_start_is_right():
    wrong = execute("D5", {**SMALL, "start_logit": -6.0})["conclusion"]["en"]
    right = execute("D5", {**SMALL, "start_logit": 2.0})["conclusion"]["en"]
    assert "not wrong" in right
    assert right != wrong


def test_it_rejects_out_of_bound_parameters_by_field():
    with pytest.raises(ParamError) as error:
        execute("D5", {"start_logit": 50.0, "steps": 3})
    assert set(error.value.errors) == {"start_logit", "steps"}


def test_it_gives_the_same_numbers_twice():
    first, second = execute("D5", SMALL), execute("D5", SMALL)
    assert first["summary"] == second["summary"]
    assert first["charts"] == second["charts"]


def test_it_reports_progress_up_to_the_end():
    fractions = []
    execute("D5", SMALL, progress=lambda fraction, message="": fractions.append(fraction))
    assert len(fractions) >= 10
    assert fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0)
