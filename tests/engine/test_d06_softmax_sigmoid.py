import pytest
import torch

from engine.demos import d06_softmax_sigmoid as demo
from engine.runtime import execute
from tests.engine.results import metric


def test_it_finds_two_class_softmax_equal_to_the_sigmoid_of_the_logit_difference():
    generator = torch.Generator().manual_seed(7)
    first, second = 8 * torch.randn(2, 50_000, generator=generator, dtype=torch.float64)
    assert demo.two_class_gap(first=first, second=second).max().item() < 1e-12
    result = execute("D6", {"pairs": 5000})
    assert metric(result, "two_class_max_error") < 1e-6


def test_it_sums_softmax_to_one_but_not_sigmoid():
    result = execute("D6", {"logit_1": 3.0, "logit_2": 2.0, "logit_3": 1.0})
    assert metric(result, "softmax_sum") == pytest.approx(1.0, abs=1e-6)
    expected = torch.sigmoid(torch.tensor([3.0, 2.0, 1.0])).sum().item()
    assert metric(result, "sigmoid_sum") == pytest.approx(expected, rel=1e-6)
    assert result["verdict"]["sigmoid_sum"] == "not_one"


def test_it_shows_softmax_shift_invariant_and_sigmoid_not():
    result = execute("D6", {"shift": 25.0})
    assert metric(result, "softmax_shift_max_diff") < 1e-6
    assert metric(result, "sigmoid_shift_max_diff") > 0.1
    assert result["verdict"]["shift"] == "softmax_invariant"
    unshifted = execute("D6", {"shift": 0.0})
    assert metric(unshifted, "sigmoid_shift_max_diff") == 0
    assert unshifted["verdict"]["shift"] == "none"


def test_it_sharpens_softmax_at_low_temperature_and_flattens_it_at_high():
    cold, hot = execute("D6", {"temperature": 0.05}), execute("D6", {"temperature": 20.0})
    assert metric(cold, "top_probability") > 0.99
    assert metric(hot, "top_probability") < 0.4
    assert metric(hot, "softmax_entropy") > metric(cold, "softmax_entropy")
    assert cold["verdict"]["distribution"] == "one_hot"
    assert hot["verdict"]["distribution"] == "near_uniform"


def test_it_shows_the_naive_softmax_overflowing_where_the_stable_one_does_not():
    result = execute("D6", {"logit_1": 20.0, "temperature": 0.05})
    assert metric(result, "naive_softmax_finite") == 0
    assert result["verdict"]["naive_softmax_overflows"] is True
    assert metric(result, "softmax_sum") == pytest.approx(1.0, abs=1e-6)
    assert metric(execute("D6", {}), "naive_softmax_finite") == 1
