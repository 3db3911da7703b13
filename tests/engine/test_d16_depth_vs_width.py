"""D16: equal parameter budgets, and what depth buys on an oscillating target."""

import random

import pytest
import torch
from torch import nn

from engine.demos.d16_depth_vs_width import deep_widths, linear_pieces, mlp, parameter_count, shallow_widths
from engine.runtime import execute
from tests.engine.results import metric

SMALL = {"teeth": 4, "budget": 200, "depth": 4, "steps": 300}


@pytest.fixture(scope="module")
def result():
    return execute("D16", SMALL)


def test_it_counts_parameters_like_pytorch():
    rng = random.Random(3)
    for _ in range(20):
        widths = [1] + [rng.randint(1, 40) for _ in range(rng.randint(1, 6))] + [1]
        assert parameter_count(widths) == sum(p.numel() for p in mlp(widths).parameters())


def test_it_gives_both_networks_the_same_budget(result):
    deep, shallow = metric(result, "deep_params"), metric(result, "shallow_params")
    assert deep <= SMALL["budget"]
    assert abs(deep - shallow) <= 2
    for budget in (50, 400, 3000):
        for depth in (2, 5, 10):
            matched = parameter_count(deep_widths(budget=budget, depth=depth))
            assert abs(parameter_count(shallow_widths(budget=matched)) - matched) <= 2


def tent_map_network(compositions: int) -> nn.Sequential:
    """Width-2 ReLU layers that each apply the tent map t(x) = 2·relu(x) − 4·relu(x − ½) on [0, 1]."""
    layers: list[nn.Module] = []
    for index in range(compositions):
        hidden = nn.Linear(1 if index == 0 else 2, 2)
        with torch.no_grad():
            incoming = torch.tensor([[1.0], [1.0]]) if index == 0 else torch.tensor([[2.0, -4.0], [2.0, -4.0]])
            hidden.weight.copy_(incoming)
            hidden.bias.copy_(torch.tensor([0.0, -0.5]))
        layers += [hidden, nn.ReLU()]
    readout = nn.Linear(2, 1)
    with torch.no_grad():
        readout.weight.copy_(torch.tensor([[2.0, -4.0]]))
        readout.bias.zero_()
    return nn.Sequential(*layers, readout)


@pytest.mark.parametrize("compositions", [1, 3, 5])
def test_it_counts_exponentially_many_pieces_in_a_deep_width_two_network(compositions):
    x = (torch.arange(8192) + 0.5).div(8192).unsqueeze(1)
    network = tent_map_network(compositions)
    assert linear_pieces(network, x) == 2 ** compositions
    with torch.no_grad():
        assert network(x).max() == pytest.approx(1.0, abs=0.01)  # a true zig-zag between 0 and 1


def expected_winner(lowest: float, highest: float) -> str:
    """Every seed must agree by 1.5× for a winner; seeds pointing both ways put the difference within the spread."""
    if lowest >= 1.5:
        return "depth"
    if highest <= 1 / 1.5:
        return "width"
    if lowest < 1 < highest:
        return "within_spread"
    return "leans_depth" if lowest > 1 else "leans_width" if highest < 1 else "neither"


def test_it_concludes_from_the_architecture_that_actually_won(result):
    lowest, highest = metric(result, "shallow_over_deep_mse_lowest"), metric(result, "shallow_over_deep_mse_highest")
    assert lowest <= metric(result, "shallow_over_deep_mse") <= highest
    assert result["verdict"]["winner"] == expected_winner(lowest, highest)
    assert f"{metric(result, 'deep_params'):.0f} parameters" in result["conclusion"]["en"]


def test_it_says_the_difference_is_within_the_spread_when_the_seeds_disagree():
    """From seed 2 the defaults give shallow/deep ratios of about 2.2, 2.5 and 0.27: one seed says width, two depth."""
    result = execute("D16", {"seed": 2})
    assert metric(result, "shallow_over_deep_mse_lowest") < 1 < metric(result, "shallow_over_deep_mse_highest")
    assert result["verdict"]["winner"] == "within_spread"
    assert "within the spread" in result["conclusion"]["en"]


def test_it_trains_each_seed_side_by_side_as_it_would_alone():
    together = execute("D16", {**SMALL, "seed": 4, "seeds": 3})["tables"][0]["rows"]
    alone = execute("D16", {**SMALL, "seed": 5, "seeds": 1})["tables"][0]["rows"]
    for network in range(2):
        pair, single = together[3 * network + 1], alone[network]
        assert pair[1] == single[1] == 5
        assert pair[4] == pytest.approx(single[4], rel=1e-3)  # test MSE: float sums in another order, no more


def test_it_fits_the_oscillations_better_with_depth_at_the_defaults():
    defaults = execute("D16")
    assert metric(defaults, "deep_test_mse") < metric(defaults, "shallow_test_mse")
    assert metric(defaults, "deep_explained") > 80
