"""D18: fine-tuning: frozen features vs all layers with a small learning rate vs training from scratch.

A teacher defines hidden features φ(x) = tanh(A x). The source task (many examples, 10 classes)
and the target task (few examples, 4 new classes) both classify by linear heads on such features,
but the target's features are shifted: A → A + shift·E. A network pretrained on the source gets a
new head and is adapted to the target (a) with its feature layers frozen, (b) with every layer
trainable, the pretrained ones at a smaller learning rate, and is compared with (c) the same
network trained from scratch on the target examples alone.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import T

CROSS_DEVICE_METRICS = {
    "source_test_accuracy": 0.05,
    "accuracy_frozen": 0.1,
    "accuracy_fine_tuned": 0.1,
    "accuracy_scratch": 0.1,
    "trainable_parameters_frozen": 0.0,
    "trainable_parameters_fine_tuned": 0.0,
}

INPUTS, FEATURES, HIDDEN = 20, 6, 64
SOURCE_CLASSES, TARGET_CLASSES = 10, 4
SOURCE_SAMPLES, SOURCE_BATCH, PRETRAIN_LR = 4000, 128, 3e-3
TEST_SAMPLES = 2000
HEAD_LR = 1e-2
CURVE_POINTS = 30
CLEAR_MARGIN = 0.02  # accuracy differences below this are treated as a tie

STRATEGIES = ("frozen", "fine_tuned", "scratch")
NAMES = {"frozen": T("frozen features, new head", "冻结特征层，只训练新输出层"),
         "fine_tuned": T("all layers, small LR on pretrained ones", "全部层可训练，预训练层用小学习率"),
         "scratch": T("from scratch", "从头训练")}


class Teacher:
    """The ground truth: features tanh((A + shift·E) x) and a linear head per task; drawn on the CPU."""

    def __init__(self) -> None:
        scale = 2 / INPUTS**0.5
        self.features = torch.randn(FEATURES, INPUTS) * scale
        self.feature_shift = torch.randn(FEATURES, INPUTS) * scale
        self.heads = {"source": torch.randn(SOURCE_CLASSES, FEATURES), "target": torch.randn(TARGET_CLASSES, FEATURES)}

    def sample(self, *, task: str, samples: int, shift: float, device: torch.device) -> tuple[torch.Tensor, ...]:
        inputs = torch.randn(samples, INPUTS)
        hidden = torch.tanh(inputs @ (self.features + shift * self.feature_shift).T)
        return inputs.to(device), (hidden @ self.heads[task].T).argmax(dim=1).to(device)


def make_network(classes: int) -> nn.Sequential:
    """Two feature layers (indices 0–3) and a linear head (index 4)."""
    return nn.Sequential(nn.Linear(INPUTS, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                         nn.Linear(HIDDEN, classes))


def accuracy_and_loss(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    with torch.no_grad():
        logits = model(inputs)
        accuracy = (logits.argmax(dim=1) == labels).float().mean().item()
        return accuracy, nn.functional.cross_entropy(logits, labels).item()


def pretrain(*, model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, epochs: int, progress: Progress,
             units_per_epoch: float) -> None:
    """Mini-batch Adam on the large source set (shuffled on the CPU so every device sees the same order)."""
    optimiser = torch.optim.Adam(model.parameters(), lr=PRETRAIN_LR)
    for _ in range(epochs):
        order = torch.randperm(inputs.shape[0]).to(inputs.device)
        for first in range(0, inputs.shape[0], SOURCE_BATCH):
            chosen = order[first:first + SOURCE_BATCH]
            optimiser.zero_grad()
            nn.functional.cross_entropy(model(inputs[chosen]), labels[chosen]).backward()
            optimiser.step()
        progress.advance(T("pretraining on the source task", "在源任务上预训练"), units=units_per_epoch)


def adapt(*, pretrained: nn.Sequential, strategy: str, body_lr_factor: float) -> tuple[nn.Sequential, list[dict]]:
    """The network and optimiser parameter groups for one strategy; the head is always new."""
    if strategy == "scratch":
        model = make_network(TARGET_CLASSES).to(next(pretrained.parameters()).device)
        return model, [{"params": list(model.parameters()), "lr": HEAD_LR}]
    model = copy.deepcopy(pretrained)
    model[4] = nn.Linear(HIDDEN, TARGET_CLASSES).to(next(pretrained.parameters()).device)
    head = {"params": list(model[4].parameters()), "lr": HEAD_LR}
    if strategy == "frozen":
        for parameter in model[:4].parameters():
            parameter.requires_grad_(False)
        return model, [head]
    return model, [{"params": list(model[:4].parameters()), "lr": HEAD_LR * body_lr_factor}, head]


def new_curve() -> dict[str, list]:
    return {"epoch": [], "accuracy": [], "loss": [], "train_loss": []}


def train_target(*, model: nn.Module, groups: list[dict], data: dict, epochs: int, progress: Progress,
                 message: dict[str, str], curve: dict[str, list] | None = None) -> dict[str, list]:
    """Full-batch Adam on the target examples; every few epochs the test accuracy and the test and train loss go
    to `curve` (when given: the live charts read it meanwhile)."""
    optimiser = torch.optim.Adam(groups)
    every = max(1, epochs // CURVE_POINTS)
    curve = new_curve() if curve is None else curve
    for epoch in range(epochs + 1):
        if epoch % every == 0 or epoch == epochs:
            accuracy, loss = accuracy_and_loss(model, data["test_x"], data["test_y"])
            curve["epoch"].append(epoch)
            curve["accuracy"].append(accuracy)
            curve["loss"].append(loss)
            curve["train_loss"].append(accuracy_and_loss(model, data["train_x"], data["train_y"])[1])
        if epoch == epochs:
            break
        optimiser.zero_grad()
        nn.functional.cross_entropy(model(data["train_x"]), data["train_y"]).backward()
        optimiser.step()
        progress.advance(message)
    return curve


def trainable_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass(frozen=True)
class Measurements:
    params: dict
    source_accuracy: float  # of the pretrained network on the source task's test set
    majority: float  # target test accuracy of always guessing the commonest class
    curves: dict[str, dict[str, list]]  # per strategy: test accuracy, test and train loss against the epoch
    trainable: dict[str, int]  # per strategy

    @property
    def final(self) -> dict[str, float]:
        """Target test accuracy per strategy after the last epoch."""
        return {s: self.curves[s]["accuracy"][-1] for s in STRATEGIES}

    @property
    def losses(self) -> dict[str, float]:
        return {s: self.curves[s]["loss"][-1] for s in STRATEGIES}


def measure(params: dict, progress: Progress) -> Measurements:
    # Every draw (teacher, samples, initial weights, shuffles) comes from the global RNG that `execute` seeds:
    # nn.Linear initialises itself from it, between the teacher's draws.
    device = current_device()
    teacher = Teacher()
    source_x, source_y = teacher.sample(task="source", samples=SOURCE_SAMPLES, shift=0.0, device=device)
    source_test = teacher.sample(task="source", samples=TEST_SAMPLES, shift=0.0, device=device)
    train_x, train_y = teacher.sample(task="target", samples=params["target_samples"], shift=params["shift"],
                                      device=device)
    test_x, test_y = teacher.sample(task="target", samples=TEST_SAMPLES, shift=params["shift"], device=device)
    data = {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}
    pretrained = make_network(SOURCE_CLASSES).to(device)
    pretrain_epochs, epochs = params["pretrain_epochs"], params["epochs"]
    # Pretraining counts as one half of the work, the three adaptations (one unit an epoch) as the other.
    progress.plan(2 * len(STRATEGIES) * epochs)
    pretrain(model=pretrained, inputs=source_x, labels=source_y, epochs=pretrain_epochs, progress=progress,
             units_per_epoch=len(STRATEGIES) * epochs / pretrain_epochs)
    source_accuracy = accuracy_and_loss(pretrained, *source_test)[0]
    curves, trainable = {strategy: new_curve() for strategy in STRATEGIES}, {}
    progress.live(lambda: curve_charts(curves))  # from here: pretraining has no curve in the result
    for strategy in STRATEGIES:
        model, groups = adapt(pretrained=pretrained, strategy=strategy, body_lr_factor=params["body_lr_factor"])
        trainable[strategy] = trainable_parameters(model)
        train_target(model=model, groups=groups, data=data, epochs=epochs, progress=progress,
                     message=T(f"target: {strategy}", f"目标任务：{strategy}"), curve=curves[strategy])
    majority = torch.bincount(test_y, minlength=TARGET_CLASSES).max().item() / TEST_SAMPLES
    return Measurements(params, source_accuracy, majority, curves, trainable)


def summary(measured: Measurements) -> list[Metric]:
    final, losses, trainable = measured.final, measured.losses, measured.trainable
    metrics = [Metric("source_test_accuracy", T("pretrained net, source test accuracy",
                                                "预训练网络在源任务测试集上的准确率"), measured.source_accuracy),
               Metric("majority_class_accuracy", T("target: always the most common class", "目标任务：总猜最常见类别"),
                      measured.majority)]
    for strategy in STRATEGIES:
        metrics += [Metric(f"accuracy_{strategy}", T(f"target test accuracy: {NAMES[strategy]['en']}",
                                                     f"目标测试准确率：{NAMES[strategy]['zh']}"), final[strategy]),
                    Metric(f"loss_{strategy}", T(f"target test loss: {NAMES[strategy]['en']}",
                                                 f"目标测试损失：{NAMES[strategy]['zh']}"), losses[strategy])]
    return metrics + [Metric(f"trainable_parameters_{s}", T(f"trainable parameters: {NAMES[s]['en']}",
                                                            f"可训练参数：{NAMES[s]['zh']}"), trainable[s])
                      for s in ("frozen", "fine_tuned")]


def conclude(measured: Measurements) -> Conclusion:
    final, samples = measured.final, measured.params["target_samples"]
    best = max(STRATEGIES, key=final.get)
    results = Conclusion(T(
        f"With {samples} target examples (feature shift {measured.params['shift']:g}), test accuracy "
        f"was {final['frozen']:.3f} with frozen features, {final['fine_tuned']:.3f} fine-tuning all layers and "
        f"{final['scratch']:.3f} from scratch (always guessing the commonest class: {measured.majority:.3f}).",
        f"目标任务有 {samples} 个样本（特征偏移 {measured.params['shift']:g}）时，测试准确率：冻结特征 "
        f"{final['frozen']:.3f}，全部微调 {final['fine_tuned']:.3f}，从头训练 {final['scratch']:.3f}"
        f"（总猜最常见类别：{measured.majority:.3f}）。"))
    if final[best] < measured.majority + CLEAR_MARGIN:
        return Conclusion.join(results, nothing_learned_finding(measured))
    return Conclusion.join(results, pretraining_finding(measured),
                           Conclusion(T(f"Best: {NAMES[best]['en']}.", f"最佳：{NAMES[best]['zh']}。"), {"best": best}))


def nothing_learned_finding(measured: Measurements) -> Conclusion:
    """Below the majority-class baseline a strategy has learned nothing of the target, and ranking strategies that
    all learned nothing says nothing about pretraining."""
    samples = measured.params["target_samples"]
    return Conclusion(T(
        f"No strategy beat always guessing the commonest class by {CLEAR_MARGIN:g}: with {samples} target examples "
        f"none of them learned the target, so this run cannot tell whether pretraining helps. More target examples "
        f"or more epochs can.",
        f"没有任何策略比总猜最常见类别高出 {CLEAR_MARGIN:g}：只有 {samples} 个目标样本时三者都没学会目标任务，"
        f"因此这次运行无法说明预训练是否有帮助。增加目标样本或训练轮数才能看出来。"),
        {"pretraining": "nothing_learned", "best": "none"})


def pretraining_finding(measured: Measurements) -> Conclusion:
    final, trainable, samples = measured.final, measured.trainable, measured.params["target_samples"]
    pretrained_best = max(final["frozen"], final["fine_tuned"])
    if pretrained_best < final["scratch"] + CLEAR_MARGIN and final["frozen"] < final["scratch"] - CLEAR_MARGIN:
        return Conclusion(T(
            f"Pretraining did not help here, and frozen source features were "
            f"{final['scratch'] - final['frozen']:.3f} worse than training from scratch: after this shift "
            f"they no longer fit the target, while {samples} target examples were enough to learn from scratch.",
            f"这里预训练没有帮助，冻结的源任务特征比从头训练低 {final['scratch'] - final['frozen']:.3f}："
            f"偏移之后它们已不适合目标任务，而 {samples} 个目标样本足以从头学习。"),
            {"pretraining": "did_not_help", "frozen_features": "worse_than_scratch"})
    if pretrained_best < final["scratch"] + CLEAR_MARGIN:
        return Conclusion(T(
            f"Pretraining did not help here: with {samples} target examples, training from scratch did as well.",
            f"这里预训练没有帮助：有 {samples} 个目标样本时，从头训练同样好。"),
            {"pretraining": "did_not_help", "frozen_features": "as_good_as_scratch"})
    if final["frozen"] >= final["fine_tuned"] - CLEAR_MARGIN:
        return Conclusion(T(
            f"Pretraining helped (+{pretrained_best - final['scratch']:.3f} over scratch), and freezing the "
            f"features lost nothing while training only {trainable['frozen']} of "
            f"{trainable['fine_tuned']} parameters: the source features still fit the target.",
            f"预训练有帮助（比从头训练高 {pretrained_best - final['scratch']:.3f}），冻结特征也没有损失，"
            f"只训练了 {trainable['fine_tuned']} 个参数中的 {trainable['frozen']} 个："
            f"源任务特征仍适用于目标任务。"),
            {"pretraining": "helped", "frozen_features": "as_good_as_fine_tuning"})
    return Conclusion(T(
        f"Pretraining helped (+{pretrained_best - final['scratch']:.3f} over scratch), but the frozen "
        f"features fell {final['fine_tuned'] - final['frozen']:.3f} behind fine-tuning: the shift makes "
        f"the source features fit less well, and adapting them with a small learning rate recovers it.",
        f"预训练有帮助（比从头训练高 {pretrained_best - final['scratch']:.3f}），但冻结特征比全部微调低 "
        f"{final['fine_tuned'] - final['frozen']:.3f}：偏移使源任务特征不再那么合适，"
        f"用小学习率调整它们可以弥补。"),
        {"pretraining": "helped", "frozen_features": "behind_fine_tuning"})


def charts(measured: Measurements) -> list[Chart]:
    return curve_charts(measured.curves)


def curve_charts(curves: dict[str, dict[str, list]]) -> list[Chart]:
    """Test accuracy and losses of each strategy against the target epoch (while training: the epochs so far)."""
    epoch_axis = T("target epoch (full batch)", "目标任务轮次（全批量）")
    return [
        Chart(T("Target test accuracy", "目标任务测试准确率"), epoch_axis, T("accuracy", "准确率"),
              [Series(NAMES[s], curves[s]["epoch"], curves[s]["accuracy"]) for s in STRATEGIES]),
        Chart(T("Target loss: test (solid) and train", "目标任务损失：测试与训练"), epoch_axis,
              T("cross-entropy", "交叉熵"),
              [Series(T(f"{NAMES[s]['en']}, test", f"{NAMES[s]['zh']}，测试"), curves[s]["epoch"], curves[s]["loss"])
               for s in STRATEGIES]
              + [Series(T(f"{NAMES[s]['en']}, train", f"{NAMES[s]['zh']}，训练"), curves[s]["epoch"],
                        curves[s]["train_loss"]) for s in STRATEGIES], y_scale="log"),
    ]


def tables(measured: Measurements) -> list[Table]:
    final, losses, trainable = measured.final, measured.losses, measured.trainable
    return [Table(T("Strategies", "策略"),
                  [T("strategy", "策略"), T("trainable parameters", "可训练参数"), T("test accuracy", "测试准确率"),
                   T("test loss", "测试损失")],
                  [[NAMES[s]["en"], trainable[s], final[s], losses[s]] for s in STRATEGIES])]


SPEC = DemoSpec(
    id="D18",
    title=T("Fine-tuning", "微调"),
    description=T("Pretrain a small network on a large source task, then adapt it to a shifted target task with few "
                  "examples: frozen feature layers, all layers with a small learning rate, or from scratch.",
                  "先在大量样本的源任务上预训练小网络，再迁移到样本很少且有偏移的目标任务：冻结特征层、"
                  "全部层以小学习率微调，或从头训练。"),
    params=(
        IntParam("target_samples", T("target training examples", "目标任务训练样本数"), 40, minimum=10, maximum=2000),
        FloatParam("shift", T("feature shift between the tasks", "任务之间的特征偏移"), 0.5,
                   T("0: the target uses exactly the source's hidden features.",
                     "0：目标任务使用与源任务完全相同的隐藏特征。"),
                   minimum=0.0, maximum=1.5),
        FloatParam("body_lr_factor", T("fine-tuning LR of pretrained layers (× head LR)",
                                       "预训练层的微调学习率（× 输出层学习率）"), 0.1,
                   minimum=0.001, maximum=1.0, log_scale=True),
        IntParam("epochs", T("target epochs", "目标任务训练轮数"), 150, minimum=10, maximum=2000),
        IntParam("pretrain_epochs", T("source pretraining epochs", "源任务预训练轮数"), 15, minimum=1, maximum=60),
        IntParam("seed", T("Random seed", "随机种子"), 0, minimum=0, maximum=9999,
                 help=T("Draws the teacher, the examples, the initial weights and the batch order.",
                        "决定教师网络、样本、初始权重与批次顺序的随机抽样。")),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)
