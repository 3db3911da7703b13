"""D21 — LoRA: low-rank adapters of rank r against full fine-tuning of a small pretrained network.

A small network is pretrained on a source task (a linear head on hidden features tanh(A x)). The related
target task is labelled by that pretrained network itself with a change of known rank k added to its
first weight matrix, so the target asks for a rank-k update and nothing else. The pretrained network is
adapted to the target (same classes) in three ways: not at all; full fine-tuning of every weight; and
LoRA, which freezes every weight matrix W and learns W + (α/r)·B A with B (out × r) starting at zero and
A (r × in) random, so only r·(in + out) numbers per layer train. With r ≥ k LoRA can express the change
exactly and should match full fine-tuning on a small fraction of the trainable parameters; well below k
it should fall short.

Differences smaller than twice the standard error of an accuracy difference on the test set are ties.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import T

INPUTS, FEATURES, HIDDEN, CLASSES = 20, 6, 32, 4
SOURCE_SAMPLES, SOURCE_BATCH, PRETRAIN_EPOCHS, PRETRAIN_LR = 3000, 128, 10, 3e-3
TEST_SAMPLES = 2000
FULL_LR, LORA_LR, LORA_ALPHA = 3e-3, 1e-2, 2.0
CURVE_POINTS = 20

CROSS_DEVICE_METRICS = {
    "source_accuracy": 0.05,
    "accuracy_none": 0.05,
    "accuracy_full": 0.05,
    "trainable_full": 0.0,
    "trainable_lora_smallest": 0.0,
}


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update: y = W x + b + (α/r)·B A x."""

    def __init__(self, base: nn.Linear, rank: int):
        super().__init__()
        self.base = base.requires_grad_(False)
        device = base.weight.device  # drawn on the CPU, so every device starts from the same A
        self.down = nn.Parameter((torch.randn(rank, base.in_features) / math.sqrt(base.in_features)).to(device))
        self.up = nn.Parameter(torch.zeros(base.out_features, rank, device=device))  # B = 0: starts as W exactly
        self.scale = LORA_ALPHA / rank

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        # W x + (α/r)·B (A x) computed as (W + (α/r)·B A) x: the same function, one product with the batch instead
        # of three (the merged matrix is only out × in)
        return nn.functional.linear(inputs, self.base.weight + self.scale * (self.up @ self.down), self.base.bias)


class SourceTeacher:
    """The source task: a linear head on hidden features tanh(A x); drawn on the CPU from the global generator
    `execute` seeds."""

    def __init__(self) -> None:
        self.features = torch.randn(FEATURES, INPUTS) * 2 / math.sqrt(INPUTS)
        self.head = torch.randn(CLASSES, FEATURES)

    def sample(self, *, samples: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        inputs = torch.randn(samples, INPUTS)
        return inputs.to(device), (torch.tanh(inputs @ self.features.T) @ self.head.T).argmax(dim=1).to(device)


def target_teacher(pretrained: nn.Sequential, *, shift: float, shift_rank: int) -> nn.Sequential:
    """The related task: the pretrained network with a rank-`shift_rank` change of Frobenius norm `shift` × its
    first weight matrix's added to that matrix, so the change the target asks for has a known rank."""
    teacher = copy.deepcopy(pretrained).requires_grad_(False)
    first = teacher[0].weight
    change = (torch.randn(first.shape[0], shift_rank) @ torch.randn(shift_rank, first.shape[1])).to(first.device)
    first.add_(change * (shift * first.norm() / change.norm()))
    return teacher


def sample_target(teacher: nn.Module, *, samples: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    inputs = torch.randn(samples, INPUTS).to(device)
    with torch.no_grad():
        return inputs, teacher(inputs).argmax(dim=1)


def make_network() -> nn.Sequential:
    return nn.Sequential(nn.Linear(INPUTS, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                         nn.Linear(HIDDEN, CLASSES))


def with_adapters(pretrained: nn.Sequential, rank: int) -> nn.Sequential:
    """A copy of the network whose every linear layer is frozen and carries a rank-`rank` adapter."""
    model = copy.deepcopy(pretrained)
    for index, layer in enumerate(model):
        if isinstance(layer, nn.Linear):
            model[index] = LoRALinear(layer, rank)
    return model


def accuracy(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return (model(inputs).argmax(dim=1) == labels).float().mean().item()


def trainable_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def pretrain(*, model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, progress: Progress) -> None:
    optimiser = torch.optim.Adam(model.parameters(), lr=PRETRAIN_LR, fused=True)  # one kernel per step
    for _ in range(PRETRAIN_EPOCHS):
        order = torch.randperm(inputs.shape[0]).to(inputs.device)
        for first in range(0, inputs.shape[0], SOURCE_BATCH):
            chosen = order[first:first + SOURCE_BATCH]
            optimiser.zero_grad()
            nn.functional.cross_entropy(model(inputs[chosen]), labels[chosen]).backward()
            optimiser.step()
        progress.advance(T("pretraining on the source task", "在源任务上预训练"))


def adapt(*, models: dict[str, nn.Module], rates: dict[str, float], data: dict, epochs: int,
          progress: Progress, curves: dict[str, dict[str, list]]) -> None:
    """Full-batch Adam on the target examples, every model at its own learning rate; test accuracy along the way
    goes to `curves` (the live chart reads it meanwhile).

    All in one optimiser step: the models share no trainable parameter and Adam is element-wise, so each trains
    as it would alone, at a fraction of the per-step overhead."""
    optimiser = torch.optim.Adam([{"params": [p for p in model.parameters() if p.requires_grad], "lr": rates[name]}
                                  for name, model in models.items()], fused=True)
    every = max(1, epochs // CURVE_POINTS)
    for epoch in range(epochs + 1):
        if epoch % every == 0 or epoch == epochs:
            for name, model in models.items():
                curves[name]["epoch"].append(epoch)
                curves[name]["accuracy"].append(accuracy(model, data["test_x"], data["test_y"]))
        if epoch == epochs:
            break
        optimiser.zero_grad()
        losses = [nn.functional.cross_entropy(model(data["train_x"]), data["train_y"]) for model in models.values()]
        sum(losses).backward()
        optimiser.step()
        progress.advance(T("full fine-tuning and LoRA of every rank", "全量微调与各个秩的 LoRA"), units=len(models))


def ranks_up_to(largest: int) -> list[int]:
    ranks = [1]
    while ranks[-1] * 2 <= largest:
        ranks.append(ranks[-1] * 2)
    return ranks


@dataclass(frozen=True)
class Measurements:
    params: dict
    source_accuracy: float
    accuracy_none: float  # the pretrained network on the target, unadapted
    curves: dict[str, dict[str, list]]  # "full" and "r1", "r2", … : test accuracy against the epoch
    trainable: dict[str, int]
    total_parameters: int
    majority: float  # always guessing the target's commonest class

    @property
    def ranks(self) -> list[int]:
        return ranks_up_to(self.params["max_rank"])

    def final(self, name: str) -> float:
        return self.curves[name]["accuracy"][-1]

    @property
    def tie_margin(self) -> float:
        """Twice the standard error of the difference of two test accuracies near full fine-tuning's."""
        p = self.final("full")
        return 2 * math.sqrt(2 * max(p * (1 - p), 1 / TEST_SAMPLES) / TEST_SAMPLES)

    def matches_full(self, rank: int) -> bool:
        return self.final(f"r{rank}") >= self.final("full") - self.tie_margin

    @property
    def smallest_matching_rank(self) -> int | None:
        return next((rank for rank in self.ranks if self.matches_full(rank)), None)


def measure(params: dict, progress: Progress) -> Measurements:
    # Every draw (teachers, samples, initial weights, shuffles, adapters' A) comes from the global RNG that
    # `execute` seeds, on the CPU.
    device = current_device()
    source = SourceTeacher()
    source_x, source_y = source.sample(samples=SOURCE_SAMPLES, device=device)
    source_test = source.sample(samples=TEST_SAMPLES, device=device)
    ranks, epochs = ranks_up_to(params["max_rank"]), params["epochs"]
    progress.plan(PRETRAIN_EPOCHS + (len(ranks) + 1) * epochs)
    pretrained = make_network().to(device)
    pretrain(model=pretrained, inputs=source_x, labels=source_y, progress=progress)
    teacher = target_teacher(pretrained, shift=params["shift"], shift_rank=params["shift_rank"])
    train_x, train_y = sample_target(teacher, samples=params["target_samples"], device=device)
    test_x, test_y = sample_target(teacher, samples=TEST_SAMPLES, device=device)
    data = {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}
    models = {"full": copy.deepcopy(pretrained)} | {f"r{rank}": with_adapters(pretrained, rank) for rank in ranks}
    rates = {name: FULL_LR if name == "full" else LORA_LR for name in models}
    curves: dict[str, dict[str, list]] = {name: {"epoch": [], "accuracy": []} for name in models}
    accuracy_none = accuracy(pretrained, test_x, test_y)  # adapting leaves the pretrained network as it is
    progress.live(lambda: [adapting_chart(curves, accuracy_none=accuracy_none, epochs=epochs)])
    adapt(models=models, rates=rates, data=data, epochs=epochs, progress=progress, curves=curves)
    trainable = {name: trainable_parameters(model) for name, model in models.items()}
    return Measurements(params, source_accuracy=accuracy(pretrained, *source_test),
                        accuracy_none=accuracy_none, curves=curves, trainable=trainable,
                        total_parameters=sum(p.numel() for p in pretrained.parameters()),
                        majority=torch.bincount(test_y, minlength=CLASSES).max().item() / TEST_SAMPLES)


def summary(measured: Measurements) -> list[Metric]:
    smallest = measured.ranks[0]
    metrics = [
        Metric("source_accuracy", T("pretrained network, source test accuracy", "预训练网络在源任务上的测试准确率"),
               measured.source_accuracy),
        Metric("accuracy_none", T("target accuracy without adapting", "不做适配时的目标准确率"),
               measured.accuracy_none),
        Metric("accuracy_full", T("target accuracy, full fine-tuning", "目标准确率（全量微调）"),
               measured.final("full")),
        Metric("trainable_full", T("trainable parameters, full fine-tuning", "可训练参数（全量微调）"),
               measured.trainable["full"]),
        Metric("trainable_lora_smallest", T(f"trainable parameters, LoRA rank {smallest}",
                                            f"可训练参数（LoRA 秩 {smallest}）"), measured.trainable[f"r{smallest}"]),
    ]
    metrics += [Metric(f"accuracy_r{rank}", T(f"target accuracy, LoRA rank {rank}", f"目标准确率（LoRA 秩 {rank}）"),
                       measured.final(f"r{rank}")) for rank in measured.ranks]
    return metrics + [Metric("tie_margin", T("tie margin (2 standard errors)", "平局容差（2 个标准误差）"),
                             measured.tie_margin)]


def conclude(measured: Measurements) -> Conclusion:
    full, none, margin = measured.final("full"), measured.accuracy_none, measured.tie_margin
    shift, shift_rank = measured.params["shift"], measured.params["shift_rank"]
    if none >= full - margin:
        return Conclusion(T(
            f"The target needed no adapting: the pretrained network already scored {none:.3f}, against "
            f"{full:.3f} after full fine-tuning (a tie is within {margin:.3f}; change of size {shift:g}).",
            f"目标任务不需要适配：预训练网络已经达到 {none:.3f}，全量微调后为 {full:.3f}"
            f"（相差 {margin:.3f} 以内算平局；变化幅度 {shift:g}）。"),
            {"adaptation": "not_needed", "lora": "not_needed"})
    rank = measured.smallest_matching_rank
    gain = T(f"Unadapted, the pretrained network scored {none:.3f} on the target; full fine-tuning of all "
             f"{measured.trainable['full']:,} parameters reached {full:.3f}.",
             f"不做适配时，预训练网络在目标任务上为 {none:.3f}；全量微调全部 {measured.trainable['full']:,} 个参数"
             f"达到 {full:.3f}。")
    if rank is None:
        largest = measured.ranks[-1]
        return Conclusion.join(Conclusion(gain), Conclusion(T(
            f"LoRA up to rank {largest} fell short ({measured.final(f'r{largest}'):.3f} at rank {largest}, more than "
            f"{margin:.3f} behind): the target asks for a rank-{shift_rank} change of the first layer, more than "
            f"adapters of rank {largest} can express.",
            f"LoRA 到秩 {largest} 都不够（秩 {largest} 为 {measured.final(f'r{largest}'):.3f}，"
            f"落后超过 {margin:.3f}）："
            f"目标任务要求对第一层做秩为 {shift_rank} 的变化，超出了秩 {largest} 的适配器能表达的范围。"),
            {"adaptation": "needed", "lora": "falls_short"}))
    share = measured.trainable[f"r{rank}"] / measured.trainable["full"]
    below = T("", "") if rank == measured.ranks[0] else T(
        f" Below it, rank {rank // 2} reached {measured.final(f'r{rank // 2}'):.3f}.",
        f"低于它时，秩 {rank // 2} 只有 {measured.final(f'r{rank // 2}'):.3f}。")
    matched = T(f"LoRA of rank {rank} matched it ({measured.final(f'r{rank}'):.3f}, within {margin:.3f}) training "
                f"{measured.trainable[f'r{rank}']:,} parameters, {share:.1%} of them",
                f"秩为 {rank} 的 LoRA 追平了它（{measured.final(f'r{rank}'):.3f}，相差不到 {margin:.3f}），只训练 "
                f"{measured.trainable[f'r{rank}']:,} 个参数，占 {share:.1%}")
    if rank >= shift_rank:
        why = T(f": the target asks for a rank-{shift_rank} change of the first layer, which an update of rank "
                f"{rank} can express.",
                f"：目标任务要求对第一层做秩为 {shift_rank} 的变化，秩为 {rank} 的更新就能表达。")
        reason = "rank_enough"
    else:
        why = T(f", below the rank-{shift_rank} change the target asks of the first layer: with "
                f"{measured.params['target_samples']} examples to learn from, what a rank-{rank} update misses cost "
                f"less accuracy than this test set can resolve.",
                f"，低于目标任务要求的第一层变化的秩 {shift_rank}：只有 {measured.params['target_samples']} "
                f"个样本可学时，秩 {rank} 的更新漏掉的部分造成的准确率损失小于这个测试集能分辨的程度。")
        reason = "below_change_rank"
    return Conclusion.join(Conclusion(gain), Conclusion(T(
        matched["en"] + why["en"] + below["en"], matched["zh"] + why["zh"] + below["zh"]),
        {"adaptation": "needed", "lora": "matches_full", "smallest_matching_rank": str(rank), "reason": reason}))


def charts(measured: Measurements) -> list[Chart]:
    return [
        Chart(T("Target accuracy against trainable parameters", "目标准确率随可训练参数变化"),
              T("trainable parameters", "可训练参数"), T("target test accuracy", "目标测试准确率"),
              [Series(T("LoRA, rank 1, 2, 4, …", "LoRA（秩 1、2、4、…）"),
                      [measured.trainable[f"r{rank}"] for rank in measured.ranks],
                      [measured.final(f"r{rank}") for rank in measured.ranks]),
               Series(T("full fine-tuning", "全量微调"), [measured.trainable["full"]], [measured.final("full")]),
               Series(T("not adapted", "不适配"),
                      [measured.trainable[f"r{measured.ranks[0]}"], measured.trainable["full"]],
                      [measured.accuracy_none] * 2)],
              x_scale="log"),
        adapting_chart(measured.curves, accuracy_none=measured.accuracy_none, epochs=measured.params["epochs"]),
    ]


def adapting_chart(curves: dict[str, dict[str, list]], *, accuracy_none: float, epochs: int) -> Chart:
    """Each model's test accuracy at the epochs adapted so far ("full" first, then the ranks)."""
    return Chart(T("Target accuracy while adapting", "适配过程中的目标准确率"),
                 T("epoch (full batch)", "轮次（全批量）"), T("target test accuracy", "目标测试准确率"),
                 [Series(label(name), curve["epoch"], curve["accuracy"]) for name, curve in curves.items()]
                 + [Series(T("not adapted", "不适配"), [0, epochs], [accuracy_none] * 2)])


def label(name: str) -> dict[str, str]:
    return T("full fine-tuning", "全量微调") if name == "full" else T(f"LoRA rank {name[1:]}", f"LoRA 秩 {name[1:]}")


def tables(measured: Measurements) -> list[Table]:
    names = ["full", *(f"r{rank}" for rank in measured.ranks)]
    full = measured.final("full")
    return [Table(T("Adapters against full fine-tuning", "适配器与全量微调对比"),
                  [T("method", "方法"), T("trainable parameters", "可训练参数"), T("share of all", "占全部的比例"),
                   T("target accuracy", "目标准确率"), T("behind full fine-tuning", "落后于全量微调")],
                  [[label(name)["en"], measured.trainable[name], measured.trainable[name] / measured.total_parameters,
                    measured.final(name), full - measured.final(name)] for name in names])]


SPEC = DemoSpec(
    id="D21",
    title=T("LoRA: low-rank adapters", "LoRA：低秩适配器"),
    description=T("Pretrains a small network on a source task, then adapts it to a related target task by full "
                  "fine-tuning or by LoRA adapters of growing rank on frozen weights: accuracy against the number "
                  "of trainable parameters.",
                  "先在源任务上预训练小网络，再用全量微调或在冻结权重上加秩递增的 LoRA 适配器迁移到相关的目标任务："
                  "准确率随可训练参数数量的变化。"),
    params=(
        FloatParam("shift", T("size of the target's change", "目标任务的变化幅度"), 1.0,
                   T("‖ΔW‖ ÷ ‖W‖ for the first layer; 0: the same task", "第一层的 ‖ΔW‖ ÷ ‖W‖；0 表示同一个任务"),
                   minimum=0.0, maximum=2.0),
        IntParam("shift_rank", T("rank k of the target's change", "目标任务变化的秩 k"), 4, minimum=1,
                 maximum=INPUTS),
        IntParam("max_rank", T("largest LoRA rank", "最大 LoRA 秩"), 8, minimum=1, maximum=32,
                 help=T("ranks double from 1 up to this", "秩从 1 开始翻倍，直到这个值")),
        IntParam("target_samples", T("target training examples", "目标任务训练样本数"), 1000, minimum=50,
                 maximum=4000),
        IntParam("epochs", T("adaptation epochs", "适配轮数"), 150, minimum=20, maximum=1000),
        IntParam("seed", T("random seed", "随机种子"), 0, minimum=0, maximum=10_000),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
    flush_denormal=True,  # gradients that vanish reach denormal floats (DemoSpec says why)
)
