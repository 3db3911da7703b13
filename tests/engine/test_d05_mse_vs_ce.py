import math

import torch

from engine.demos import d05_mse_vs_ce as demo
from engine.runtime import execute
from tests.engine.results import metric, summary_values

SMALL = {"steps": 60, "samples": 16}


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
    assert "steps_to_correct_mse" not in summary_values(result)  # never right within the steps
    assert metric(result, "final_p_true_ce") > 0.9
    assert metric(result, "final_p_true_mse") < 0.1
    assert result["verdict"]["mse_became_right"] is False and result["verdict"]["mse_stalled"] is True


def test_it_says_there_is_nothing_to_escape_when_the_start_is_right():
    wrong = execute("D5", {**SMALL, "start_logit": -6.0})["verdict"]
    right = execute("D5", {**SMALL, "start_logit": 2.0})["verdict"]
    assert right == {"start": "right"}
    assert wrong["start"] == "wrong"
