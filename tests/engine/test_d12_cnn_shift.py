"""D12: convolution is shift-equivariant; strided and pooled networks are only approximately invariant."""

import pytest
import torch

from engine.demos import d12_cnn_shift as d12
from engine.runtime import execute
from tests.engine.results import summary_values

SMALL = {"image_size": 24, "images": 4, "channels": 4, "depth": 2, "max_shift": 4}


@pytest.fixture(scope="module")
def circular():
    return execute("D12", SMALL, device="cpu")


def test_it_shows_exact_equivariance_for_circular_shifts_with_circular_padding(circular):
    metrics = summary_values(circular)
    assert metrics["equivariance_error_stride1"] < 1e-5
    assert metrics["invariance_error_global_stride1"] < 1e-5


def test_it_shows_stride_breaking_equivariance_except_on_the_stride_grid(circular):
    metrics = summary_values(circular)
    assert metrics["equivariance_error_strided"] > 0.1
    assert metrics["equivariance_error_strided_on_grid"] < 1e-5
    assert metrics["invariance_error_global_strided"] > 1e-3


def test_it_shows_a_locally_pooled_map_is_only_approximately_invariant(circular):
    assert summary_values(circular)["invariance_error_local_pool"] > 0.1


def test_it_measures_border_errors_with_zero_padding_and_a_moving_crop(circular):
    bordered = execute("D12", {**SMALL, "padding_mode": "zeros", "shift_mode": "crop"}, device="cpu")
    assert summary_values(bordered)["equivariance_error_stride1"] > 1e-3
    assert bordered["verdict"]["stride1"] == "borders_differ"
    assert circular["verdict"]["stride1"] == "equivariant"


def test_it_computes_feature_maps_that_commute_with_a_roll():
    images = torch.randn(2, 1, 12, 12)
    filters = d12.make_filters(channels=3, kernel=3, depth=2, generator=torch.Generator().manual_seed(0),
                               device=torch.device("cpu"))
    plain = d12.feature_maps(images, filters, first_stride=1, padding_mode="circular", pool=1)[-1]
    rolled = d12.feature_maps(torch.roll(images, 3, dims=-1), filters, first_stride=1, padding_mode="circular",
                              pool=1)[-1]
    assert d12.equivariance_error(rolled, plain, shift=3, stride=1, shift_mode="circular") < 1e-5
    assert d12.relative_change(rolled, plain) > 0.1


@pytest.mark.parametrize("kernel_size", [2, 4, 6])
def test_it_finds_even_kernels_as_equivariant_as_odd_ones(kernel_size):
    result = execute("D12", {**SMALL, "kernel_size": kernel_size}, device="cpu")
    metrics = summary_values(result)
    assert metrics["equivariance_error_stride1"] < 1e-5
    assert metrics["equivariance_error_strided_on_grid"] < 1e-5
    assert result["verdict"]["stride1"] == "equivariant"


@pytest.mark.parametrize("kernel_size", [1, 2, 3, 4, 7])
def test_it_keeps_a_stride_1_map_the_size_of_its_input(kernel_size):
    filters = d12.make_filters(channels=2, kernel=kernel_size, depth=2, generator=torch.Generator().manual_seed(0),
                               device=torch.device("cpu"))
    maps = d12.feature_maps(torch.randn(1, 1, 12, 12), filters, first_stride=1, padding_mode="zeros", pool=1)
    assert [tuple(m.shape[-2:]) for m in maps] == [(12, 12), (12, 12)]


def test_it_blames_the_borders_not_the_stride_when_the_stride_adds_no_more_error_than_they_do():
    result = execute("D12", {**SMALL, "padding_mode": "zeros", "image": "blurred"}, device="cpu")
    metrics = summary_values(result)
    assert metrics["equivariance_error_strided"] <= 2 * metrics["equivariance_error_stride1"]
    assert result["verdict"]["stride"] == "within_border_error"
    assert "little detail finer than the stride" not in result["conclusion"]["en"]
