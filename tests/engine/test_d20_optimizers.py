"""D20: in a narrow valley plain SGD tolerates few learning rates; momentum and adaptive optimisers many."""

import math

import pytest
import torch

from engine.demos import d20_optimizers as demo
from engine.runtime import execute, warm_up
from tests.engine.results import cpu_seconds, summary_values


@pytest.fixture(scope="module")
def default_run():
    return execute("D20", {}, device="cpu")


def test_it_gives_plain_sgd_the_narrowest_band_of_learning_rates_in_a_narrow_valley(default_run):
    metrics = summary_values(default_run)
    widths = {name: metrics[f"solved_decades_{name}"] for name in demo.OPTIMISERS}
    assert widths["sgd"] == min(widths.values())
    assert max(widths[name] for name in demo.ADAPTIVE) >= widths["sgd"] + 1  # at least ten times the range
    assert widths["momentum"] > widths["sgd"]
    assert default_run["verdict"]["sgd_range"] == "narrower"
    assert default_run["verdict"]["widest_range"] in demo.ADAPTIVE


def test_it_shows_sgd_diverging_above_two_over_the_condition_number(default_run):
    table = {row[0]: row for row in default_run["tables"][0]["rows"]}
    assert table["SGD"][4] > 0  # some learning rates diverged
    sgd_row = default_run["heatmaps"][0]["values"][0]
    start = summary_values(default_run)["initial_loss"]
    for lr, final in zip(demo.LEARNING_RATES, sgd_row, strict=True):
        assert (final > start) == (lr > 2 / 100), lr


def test_it_finds_no_adaptive_advantage_in_a_round_bowl():
    bowl = execute("D20", {"condition": 1.0}, device="cpu")
    metrics = summary_values(bowl)
    assert max(metrics[f"solved_decades_{name}"] for name in demo.ADAPTIVE) <= metrics["solved_decades_sgd"] + 0.25
    assert bowl["verdict"]["sgd_range"] in ("as_wide", "as_wide_as_adaptive")
    assert "nearly round bowl" in bowl["conclusion"]["en"]


def test_it_loses_the_adaptive_advantage_when_the_valley_is_turned(default_run):
    turned = execute("D20", {"orientation": "rotated"}, device="cpu")
    aligned_metrics, turned_metrics = summary_values(default_run), summary_values(turned)
    for name in ("rmsprop", "adam"):
        assert turned_metrics[f"solved_decades_{name}"] < aligned_metrics[f"solved_decades_{name}"]
    assert turned["verdict"]["widest_range"] == "momentum"
    assert "Turned by 45°" in turned["conclusion"]["en"]


def test_it_blames_adamw_s_gap_on_weight_decay_alone(default_run):
    assert default_run["verdict"]["weight_decay"] == "costs_here"
    metrics = summary_values(default_run)
    assert metrics["best_loss_adamw"] > 2 * metrics["best_loss_adam"]
    no_decay = execute("D20", {"weight_decay": 0.0}, device="cpu")
    assert summary_values(no_decay)["best_loss_adamw"] == summary_values(no_decay)["best_loss_adam"]
    assert no_decay["verdict"]["weight_decay"] == "no_visible_cost"


def test_it_says_when_no_optimiser_solves_the_valley():
    short = execute("D20", {"condition": 1000.0, "steps": 20, "orientation": "rotated"}, device="cpu")
    metrics = summary_values(short)
    assert [metrics[f"solved_decades_{name}"] for name in demo.OPTIMISERS] == [0.0] * len(demo.OPTIMISERS)
    assert short["verdict"]["sgd_range"] == "none_solved"


def test_it_measures_the_valley_it_describes():
    valley = demo.Valley(condition=100.0, angle=math.pi / 4, device=torch.device("cpu"))
    minimum = torch.tensor(demo.MINIMUM)
    along, across = torch.tensor([1.0, 1.0]) / 2**0.5, torch.tensor([1.0, -1.0]) / 2**0.5
    assert float(valley.loss(minimum)) == 0
    assert float(valley.loss(minimum + along)) == pytest.approx(0.5)
    assert float(valley.loss(minimum + across)) == pytest.approx(50.0)


def test_it_runs_its_defaults_within_two_seconds_of_cpu():
    warm_up()  # as a worker does: the first optimiser's one-time import is not the demo's cost
    assert cpu_seconds(lambda: execute("D20", {}, device="cpu")) < 2.0
