import pytest
import torch

from engine.demos import d18_fine_tuning as demo
from engine.progress import Progress
from engine.runtime import execute
from engine.text import both
from tests.engine.results import metric

SMALL = {"target_samples": 20, "epochs": 60, "pretrain_epochs": 5}


@pytest.fixture(scope="module")
def unshifted() -> dict:
    return execute("D18", {**SMALL, "shift": 0.0})


def test_it_beats_training_from_scratch_with_pretrained_features_on_few_examples(unshifted):
    scratch = metric(unshifted, "accuracy_scratch")
    assert metric(unshifted, "accuracy_frozen") > scratch + 0.05
    assert metric(unshifted, "accuracy_fine_tuned") > scratch + 0.05
    assert scratch > metric(unshifted, "majority_class_accuracy")  # scratch still learns something
    assert metric(unshifted, "source_test_accuracy") > 0.7
    assert unshifted["verdict"]["pretraining"] == "helped"


def test_it_trains_only_the_new_head_when_frozen(unshifted):
    assert metric(unshifted, "trainable_parameters_frozen") == demo.HIDDEN * demo.TARGET_CLASSES + demo.TARGET_CLASSES
    assert metric(unshifted, "trainable_parameters_fine_tuned") == sum(
        p.numel() for p in demo.make_network(demo.TARGET_CLASSES).parameters())


def test_it_leaves_frozen_layers_untouched_and_moves_fine_tuned_ones():
    pretrained = demo.make_network(demo.SOURCE_CLASSES)
    data = {"train_x": torch.randn(16, demo.INPUTS), "train_y": torch.randint(0, demo.TARGET_CLASSES, (16,))}
    data |= {"test_x": data["train_x"], "test_y": data["train_y"]}
    before = pretrained[0].weight.detach().clone()
    moved = {}
    progress = Progress(lambda *report: None)
    progress.plan(2 * 20)
    for strategy in ("frozen", "fine_tuned"):
        model, groups = demo.adapt(pretrained=pretrained, strategy=strategy, body_lr_factor=0.1)
        demo.train_target(model=model, groups=groups, data=data, epochs=20, progress=progress,
                          message=both(strategy))
        moved[strategy] = (model[0].weight - before).abs().max().item()
    assert moved["frozen"] == 0
    assert moved["fine_tuned"] > 0
    assert torch.equal(pretrained[0].weight, before)  # adapting copies, never edits the pretrained net


def test_it_says_pretraining_did_not_help_when_the_shift_is_large_and_data_plentiful(unshifted):
    shifted = execute("D18", {**SMALL, "shift": 1.5, "target_samples": 500})
    assert metric(shifted, "accuracy_frozen") < metric(shifted, "accuracy_scratch") - 0.05
    assert metric(shifted, "accuracy_frozen") < metric(unshifted, "accuracy_frozen")
    assert shifted["verdict"]["pretraining"] == "did_not_help"


def test_it_does_not_credit_pretraining_when_every_strategy_scores_below_the_commonest_class():
    """Ten examples, shift 1: fine-tuning (0.358) beats scratch (0.269) but not always guessing one class (0.351)."""
    result = execute("D18", {"target_samples": 10, "shift": 1.0, "epochs": 10, "pretrain_epochs": 3}, device="cpu")
    majority = metric(result, "majority_class_accuracy")
    assert max(metric(result, f"accuracy_{s}") for s in ("frozen", "fine_tuned", "scratch")) < majority + 0.02
    assert metric(result, "accuracy_fine_tuned") > metric(result, "accuracy_scratch") + 0.02
    assert result["verdict"]["pretraining"] == "nothing_learned"
    assert "helped" not in result["conclusion"]["en"]


def test_it_takes_a_seed_that_changes_the_draw_and_repeats_it():
    first = execute("D18", {**SMALL, "seed": 1}, device="cpu")
    assert execute("D18", {**SMALL, "seed": 1}, device="cpu")["summary"] == first["summary"]
    assert execute("D18", {**SMALL, "seed": 2}, device="cpu")["summary"] != first["summary"]
