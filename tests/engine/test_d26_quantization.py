"""D26: int8 and int4 weights, per-tensor against per-channel scales, and what one outlier unit does."""

import pytest
import torch

from engine.demos.d26_quantization import forward, quantize, with_outlier
from engine.runtime import execute, warm_up
from tests.engine.results import cpu_seconds, metric


@pytest.fixture(scope="module")
def defaults():
    return execute("D26", device="cpu")


@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize("per_channel", [False, True])
def test_it_rounds_to_at_most_two_to_the_bits_minus_one_levels_within_half_a_step(bits, per_channel):
    weight = torch.randn(16, 32, generator=torch.Generator().manual_seed(bits))
    rounded = quantize(weight, bits=bits, per_channel=per_channel)
    levels = 2 ** (bits - 1) - 1
    rows = rounded if per_channel else rounded.reshape(1, -1)
    largest = (weight if per_channel else weight.reshape(1, -1)).abs().amax(dim=1)
    for row, row_largest in zip(rows, largest, strict=True):
        assert len(row.unique()) <= 2 * levels + 1
        assert (row.abs().max() - row_largest).abs() < 1e-5  # the largest weight of its group survives exactly
    step = (weight.abs().amax(dim=1, keepdim=True) if per_channel else weight.abs().max()) / levels
    assert ((rounded - weight).abs() <= step / 2 + 1e-6).all()


def test_it_adds_the_outlier_without_changing_the_float_network():
    draws = torch.Generator().manual_seed(0)
    shapes = [(8, 4), (8, 8), (3, 8)]
    weights = [torch.randn(*shape, generator=draws) for shape in shapes]
    biases = [torch.randn(shape[0], generator=draws) for shape in shapes]
    inputs = torch.randn(100, 4, generator=draws)
    scaled_weights, scaled_biases = with_outlier(weights, biases, factor=50.0)
    assert scaled_weights[0].abs().max() > 10 * weights[0].abs().max()
    assert torch.allclose(forward(scaled_weights, scaled_biases, inputs), forward(weights, biases, inputs), atol=1e-4)


def test_it_finds_int8_free_and_the_outlier_breaking_int4_per_tensor_only(defaults):
    assert defaults["verdict"]["int8"] == "lossless"
    assert abs(metric(defaults, "int8_channel_plain") - metric(defaults, "float_accuracy")) < 1.0
    assert defaults["verdict"]["outlier_int4"] == "per_tensor_hurt"
    assert metric(defaults, "int4_tensor_outlier") < metric(defaults, "int4_channel_outlier") - 20
    assert metric(defaults, "float_accuracy") > 80


def test_it_finds_no_outlier_effect_when_there_is_no_outlier():
    result = execute("D26", {"outlier": 1.0}, device="cpu")
    assert result["verdict"]["outlier_int8"] == result["verdict"]["outlier_int4"] == "harmless"
    for bits in (8, 4):
        for granularity in ("tensor", "channel"):
            key = f"int{bits}_{granularity}"
            assert metric(result, f"{key}_outlier") == metric(result, f"{key}_plain")


def test_it_repeats_with_a_seed_and_trains_anew_with_another():
    first, again = execute("D26", {"seed": 5, "steps": 60}, device="cpu"), execute("D26", {"seed": 5, "steps": 60})
    other = execute("D26", {"seed": 6, "steps": 60}, device="cpu")
    assert first["summary"] == again["summary"]
    assert metric(first, "float_accuracy") != metric(other, "float_accuracy")


def hurt(result: dict, granularity: str, bits: int) -> bool:
    cost = metric(result, f"int{bits}_{granularity}_plain") - metric(result, f"int{bits}_{granularity}_outlier")
    return cost > 2 * metric(result, "standard_error")


@pytest.mark.parametrize("params", [{"outlier": 1000.0}, {"outlier": 3.0, "seed": 2}, {"steps": 20}])
def test_it_concludes_what_its_numbers_say_at_other_settings(params):
    result = execute("D26", params, device="cpu")
    for bits in (8, 4):
        verdict = result["verdict"][f"outlier_int{bits}"]
        tensor, channel = hurt(result, "tensor", bits), hurt(result, "channel", bits)
        assert verdict == ("per_tensor_hurt" if tensor and not channel else
                           "harmless" if not (tensor or channel) else "both_hurt")
        drop = metric(result, "float_accuracy") - metric(result, f"int{bits}_tensor_plain")
        assert (result["verdict"][f"int{bits}"] == "lossless") == (
            drop <= 2 * metric(result, "standard_error")
            and metric(result, "float_accuracy") - metric(result, f"int{bits}_channel_plain")
            <= 2 * metric(result, "standard_error"))


def test_it_runs_its_defaults_within_two_seconds_of_cpu():
    warm_up()  # the first optimiser of a process imports torch._dynamo: a one-time cost, not the demo's
    assert cpu_seconds(lambda: execute("D26", device="cpu")) < 2.0
