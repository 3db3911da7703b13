"""D21: LoRA of rank ≥ the change the target needs matches full fine-tuning with a fraction of the parameters."""

import pytest
import torch
from torch import nn

from engine.demos import d21_lora as demo
from engine.runtime import execute, warm_up
from tests.engine.results import cpu_seconds, summary_values


@pytest.fixture(scope="module")
def default_run():
    return execute("D21", {}, device="cpu")


def test_it_matches_full_fine_tuning_with_a_low_rank_and_fewer_parameters(default_run):
    metrics = summary_values(default_run)
    assert metrics["accuracy_full"] >= metrics["accuracy_none"] + 0.1  # the target really needed adapting
    rank = int(default_run["verdict"]["smallest_matching_rank"])
    assert default_run["verdict"]["lora"] == "matches_full" and rank <= 4
    assert default_run["verdict"]["reason"] == ("rank_enough" if rank >= 4 else "below_change_rank")
    assert metrics[f"accuracy_r{rank}"] >= metrics["accuracy_full"] - metrics["tie_margin"]
    trainable = {row[0]: row[1] for row in default_run["tables"][0]["rows"]}
    assert trainable[f"LoRA rank {rank}"] < 0.5 * trainable["full fine-tuning"]


def test_it_gains_accuracy_with_rank_below_the_change_s_rank(default_run):
    metrics = summary_values(default_run)
    assert metrics["accuracy_r1"] < metrics["accuracy_r4"]
    assert metrics["accuracy_r1"] < metrics["accuracy_full"] - metrics["tie_margin"]  # rank 1 cannot follow rank 4


def test_it_says_adapters_fall_short_of_a_change_of_higher_rank():
    result = execute("D21", {"shift_rank": 8, "max_rank": 2}, device="cpu")
    metrics = summary_values(result)
    assert result["verdict"]["lora"] == "falls_short"
    assert metrics["accuracy_r2"] < metrics["accuracy_full"] - metrics["tie_margin"]


def test_it_does_not_credit_the_rank_when_few_examples_limit_full_fine_tuning_too():
    result = execute("D21", {"shift": 0.944, "shift_rank": 13, "max_rank": 4, "target_samples": 146, "epochs": 144,
                             "seed": 464}, device="cpu")
    rank = int(result["verdict"]["smallest_matching_rank"])
    assert rank < 13 and result["verdict"]["reason"] == "below_change_rank"
    assert "146 examples" in result["conclusion"]["en"]


def test_it_says_no_adapting_is_needed_for_the_same_task():
    same = execute("D21", {"shift": 0.0, "max_rank": 2}, device="cpu")
    assert summary_values(same)["accuracy_none"] == 1.0  # the target is the pretrained network's own labels
    assert same["verdict"] == {"adaptation": "not_needed", "lora": "not_needed"}


def test_it_starts_an_adapter_as_the_frozen_layer_and_trains_only_a_and_b():
    base = nn.Linear(5, 3)
    adapted = demo.LoRALinear(base, rank=2)
    inputs = torch.randn(4, 5)
    assert torch.equal(adapted(inputs), base(inputs))
    assert demo.trainable_parameters(adapted) == 2 * (5 + 3)
    adapted(inputs).sum().backward()
    assert base.weight.grad is None and adapted.down.grad is not None


def test_it_gives_the_target_a_change_of_the_asked_rank():
    torch.manual_seed(0)
    network = demo.make_network()
    teacher = demo.target_teacher(network, shift=1.0, shift_rank=3)
    change = (teacher[0].weight - network[0].weight).detach()
    assert torch.linalg.matrix_rank(change) == 3
    assert change.norm() == pytest.approx(network[0].weight.norm().item(), rel=1e-4)


def test_it_draws_again_with_another_seed_and_repeats_with_the_same():
    params = {"max_rank": 1, "epochs": 20, "target_samples": 100}
    first = execute("D21", {**params, "seed": 3}, device="cpu")
    assert execute("D21", {**params, "seed": 3}, device="cpu")["summary"] == first["summary"]
    assert execute("D21", {**params, "seed": 4}, device="cpu")["summary"] != first["summary"]


def test_it_runs_its_defaults_within_two_seconds_of_cpu():
    warm_up()  # as a worker does: the first optimiser's one-time import is not the demo's cost
    assert cpu_seconds(lambda: execute("D21", {}, device="cpu")) < 2.0
