"""D8 — batch normalisation: the same deep MLP trained with and without BN.

Two networks start from the very same weights (drawn on the CPU, so every device sees the same
numbers) and see the same mini-batches of a 3-arm spiral. The BN network inserts BatchNorm1d
(learned γ, β; batch statistics while training, running statistics in eval mode) between each
Linear and its activation. We track the loss and accuracy, and the mean and spread of what enters
every activation function, across training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Heatmap, Metric, Series
from engine.runtime import current_device, generator
from engine.spec import ChoiceParam, DemoSpec, FloatParam, IntParam, Steps
from engine.text import STEPS, T, both, number

CLASSES = 3
TRAIN_POINTS = 600
TEST_POINTS = 300
BATCH_SIZE = 64
SNAPSHOTS = 20
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
INIT_STD = {
    "xavier": lambda fan_in, fan_out: math.sqrt(2.0 / (fan_in + fan_out)),
    "he": lambda fan_in, fan_out: math.sqrt(2.0 / fan_in),
    "small": lambda fan_in, fan_out: 0.01,
}
VARIANTS = {"plain": T("without BN", "无 BN"), "bn": T("with BN", "有 BN")}


def make_spirals(count: int, *, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    labels = torch.arange(count) % CLASSES
    radius = torch.rand(count, generator=generator)
    angle = labels * (2 * math.pi / CLASSES) + 4.0 * radius + 0.2 * torch.randn(count, generator=generator)
    points = torch.stack([radius * torch.sin(angle), radius * torch.cos(angle)], dim=1)
    return points, labels


class MLP(nn.Module):
    def __init__(self, *, depth: int, width: int, activation: str, batchnorm: bool):
        super().__init__()
        widths = [2] + [width] * depth
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:], strict=False))
        self.norms = nn.ModuleList(nn.BatchNorm1d(width) if batchnorm else nn.Identity() for _ in range(depth))
        self.activation = ACTIVATIONS[activation]()
        self.head = nn.Linear(width, CLASSES)

    def forward(self, x: torch.Tensor, record: list | None = None) -> torch.Tensor:
        for linear, norm in zip(self.linears, self.norms, strict=True):
            pre = norm(linear(x))
            if record is not None:
                record.append(pre.detach())
            x = self.activation(pre)
        return self.head(x)


def initialise(model: MLP, weights: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for layer, weight in zip([*model.linears, model.head], weights, strict=True):
            layer.weight.copy_(weight)
            layer.bias.zero_()


def draw_weights(*, depth: int, width: int, init: str, generator: torch.Generator) -> list[torch.Tensor]:
    shapes = [(width, 2)] + [(width, width)] * (depth - 1) + [(CLASSES, width)]
    return [torch.randn(shape, generator=generator) * INIT_STD[init](shape[1], shape[0]) for shape in shapes]


def layer_statistics(model: MLP, inputs: torch.Tensor) -> tuple[list[float], list[float]]:
    """Mean and std of each layer's activation input, on a fixed probe batch, in training mode."""
    record: list = []
    with torch.no_grad():
        model(inputs, record)
    return [pre.mean().item() for pre in record], [pre.std().item() for pre in record]


def train_variant(model: MLP, data: dict, *, steps: int, lr: float, batches: torch.Tensor, progress: Progress,
                  name: dict[str, str]) -> dict:
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    snapshot_every = max(1, steps // SNAPSHOTS)
    history = {"loss": [], "accuracy": [], "snapshot_steps": [], "means": [], "stds": []}
    for step in range(steps):
        if step % snapshot_every == 0:
            record_snapshot(model, data["probe"], step, history)
        indices = batches[step]
        model.train()
        logits = model(data["train_x"][indices])
        loss = nn.functional.cross_entropy(logits, data["train_y"][indices])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history["loss"].append(loss.item())
        history["accuracy"].append((logits.argmax(1) == data["train_y"][indices]).float().mean().item())
        progress.advance(T(f"{name['en']}, step {step + 1}/{steps}", f"{name['zh']}，第 {step + 1}/{steps} 步"))
    record_snapshot(model, data["probe"], steps, history)
    model.eval()  # BN switches to its running statistics, as at inference
    with torch.no_grad():
        history["test_accuracy"] = (model(data["test_x"]).argmax(1) == data["test_y"]).float().mean().item()
    return history


def record_snapshot(model: MLP, probe: torch.Tensor, step: int, history: dict) -> None:
    model.train()
    means, stds = layer_statistics(model, probe)
    history["snapshot_steps"].append(step)
    history["means"].append(means)
    history["stds"].append(stds)


def smoothed_tail(values: list[float]) -> float:
    """Mean over the last 10% of steps: one noisy mini-batch is not "the final loss"."""
    tail = values[-max(1, len(values) // 10):]
    finite = [value for value in tail if math.isfinite(value)]
    return sum(finite) / len(finite) if finite else math.nan


def steps_to_reach(accuracies: list[float], target: float) -> float:
    """First step after which the running mean of 10 mini-batch accuracies reaches `target` (NaN if never)."""
    for step in range(len(accuracies)):
        window = accuracies[max(0, step - 9):step + 1]
        if sum(window) / len(window) >= target:
            return float(step + 1)
    return math.nan


@dataclass(frozen=True)
class Measurements:
    params: dict
    histories: dict[str, dict]  # per variant ("plain", "bn"): train_variant's history

    def final_loss(self, variant: str) -> float:
        return smoothed_tail(self.histories[variant]["loss"])

    def test_accuracy(self, variant: str) -> float:
        """In percent, measured in eval mode."""
        return 100 * self.histories[variant]["test_accuracy"]

    def steps_to_80(self, variant: str) -> float:
        return steps_to_reach(self.histories[variant]["accuracy"], 0.8)

    def final_stds(self, variant: str) -> list[float]:
        """Per layer: the std of the activation input at the end of training."""
        return self.histories[variant]["stds"][-1]


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    draws = generator()
    train_x, train_y = make_spirals(TRAIN_POINTS, generator=draws)
    test_x, test_y = make_spirals(TEST_POINTS, generator=draws)
    data = {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y, "probe": train_x[:256]}
    data = {name: tensor.to(device) for name, tensor in data.items()}
    weights = draw_weights(depth=params["depth"], width=params["width"], init=params["init"], generator=draws)
    batches = torch.randint(0, TRAIN_POINTS, (params["steps"], BATCH_SIZE), generator=draws).to(device)
    progress.plan(len(VARIANTS) * params["steps"])
    histories = {}
    for variant, name in VARIANTS.items():
        model = MLP(depth=params["depth"], width=params["width"], activation=params["activation"],
                    batchnorm=variant == "bn")
        initialise(model, weights)
        histories[variant] = train_variant(model.to(device), data, steps=params["steps"], lr=params["lr"],
                                           batches=batches, progress=progress, name=name)
    return Measurements(params, histories)


def summary(measured: Measurements) -> list[Metric]:
    metrics = []
    for variant, name in VARIANTS.items():
        stds = measured.final_stds(variant)
        metrics += [
            Metric(f"{variant}_final_loss", T(f"Training loss at the end, {name['en']}",
                                              f"训练结束时的损失，{name['zh']}"), measured.final_loss(variant)),
            Metric(f"{variant}_test_accuracy", T(f"Test accuracy (eval mode), {name['en']}",
                                                 f"测试准确率（eval 模式），{name['zh']}"),
                   measured.test_accuracy(variant), "%"),
            Metric(f"{variant}_steps_to_80", T(f"Steps to 80% training accuracy, {name['en']}",
                                               f"训练准确率达到 80% 所需步数，{name['zh']}"),
                   measured.steps_to_80(variant), STEPS),
            Metric(f"{variant}_last_layer_std", T(f"Std of the last layer's activation input, {name['en']}",
                                                  f"最后一层激活输入的标准差，{name['zh']}"), stds[-1]),
            Metric(f"{variant}_layer_std_spread", T(f"Largest / smallest layer std at the end, {name['en']}",
                                                    f"训练结束时各层标准差的最大/最小比，{name['zh']}"),
                   max(stds) / min(stds) if min(stds) > 0 else math.inf, "×"),
        ]
    # A diverged network has no final loss, and one that never reached 80% no step count: such numbers are
    # left out (the conclusion says what happened), not shown blank.
    return [metric for metric in metrics if math.isfinite(metric.value)]


def conclude(measured: Measurements) -> Conclusion:
    plain_loss, bn_loss = measured.final_loss("plain"), measured.final_loss("bn")
    if not math.isfinite(plain_loss) or not math.isfinite(bn_loss):
        return divergence_finding(measured)
    plain_stds, bn_stds = measured.final_stds("plain"), measured.final_stds("bn")
    statistics = T(f"The std of the activation inputs runs from {min(plain_stds):.2g} to {max(plain_stds):.2g} "
                   f"across layers without BN, and from {min(bn_stds):.2g} to {max(bn_stds):.2g} with BN.",
                   f"各层激活输入的标准差：无 BN 时在 {min(plain_stds):.2g} 到 {max(plain_stds):.2g} 之间，"
                   f"有 BN 时在 {min(bn_stds):.2g} 到 {max(bn_stds):.2g} 之间。")
    return Conclusion.join(loss_finding(measured), speed_finding(measured), eval_gap_finding(measured),
                           Conclusion(statistics))


def divergence_finding(measured: Measurements) -> Conclusion:
    """One network's loss stopped being finite. When it is the plain one and the BN one trained, that is the
    finding of the BatchNorm paper (a learning rate that blows up the plain network is fine with BN), not a
    reason to lower the learning rate."""
    lr, plain_ok, bn_ok = measured.params["lr"], math.isfinite(measured.final_loss("plain")), \
        math.isfinite(measured.final_loss("bn"))
    if bn_ok:
        accuracy = number(measured.test_accuracy("bn"), decimals=0)
        return Conclusion(T(
            f"At learning rate {lr:g} the network without BN diverged (its loss stopped being finite), while the "
            f"same network with BN trained to {accuracy}% test accuracy: normalising each layer's input lets a "
            f"deep network take a learning rate that blows up the plain one.",
            f"学习率为 {lr:g} 时，无 BN 的网络发散（损失变为非有限值），而同一网络加上 BN 训练到了 {accuracy}% 的"
            f"测试准确率：对每层输入做归一化，使深层网络能承受让普通网络爆炸的学习率。"),
            {"batchnorm": "helped", "plain": "diverged"})
    if plain_ok:
        accuracy = number(measured.test_accuracy("plain"), decimals=0)
        return Conclusion(T(
            f"At learning rate {lr:g} the network with BN diverged (its loss stopped being finite), while the one "
            f"without BN trained to {accuracy}% test accuracy.",
            f"学习率为 {lr:g} 时，有 BN 的网络发散（损失变为非有限值），"
            f"而无 BN 的网络训练到了 {accuracy}% 的测试准确率。"),
            {"batchnorm": "hurt", "bn": "diverged"})
    return Conclusion(T(f"At learning rate {lr:g} both networks diverged (non-finite loss): lower the learning rate.",
                        f"学习率为 {lr:g} 时两个网络都发散了（损失为非有限值）：请降低学习率。"),
                      {"batchnorm": "diverged"})


def loss_finding(measured: Measurements) -> Conclusion:
    plain_loss, bn_loss = measured.final_loss("plain"), measured.final_loss("bn")
    plain_test, bn_test = measured.test_accuracy("plain"), measured.test_accuracy("bn")
    steps = measured.params["steps"]
    if bn_loss < 0.8 * plain_loss and bn_test >= plain_test:
        return Conclusion(T(
            f"BatchNorm helped: after {steps} steps the loss is {bn_loss:.3g} with BN vs {plain_loss:.3g} "
            f"without, and test accuracy {bn_test:.0f}% vs {plain_test:.0f}%.",
            f"BatchNorm 有帮助：{steps} 步后，有 BN 的损失为 {bn_loss:.3g}，无 BN 为 {plain_loss:.3g}；"
            f"测试准确率 {bn_test:.0f}% 对 {plain_test:.0f}%。"), {"batchnorm": "helped"})
    if plain_loss < 0.8 * bn_loss:
        return Conclusion(T(
            f"Here the network without BN trained better: loss {plain_loss:.3g} vs {bn_loss:.3g} with BN "
            f"(test accuracy {plain_test:.0f}% vs {bn_test:.0f}%).",
            f"这次无 BN 的网络训练得更好：损失 {plain_loss:.3g}，有 BN 为 {bn_loss:.3g}"
            f"（测试准确率 {plain_test:.0f}% 对 {bn_test:.0f}%）。"), {"batchnorm": "hurt"})
    return Conclusion(T(
        f"BN made little difference here: loss {bn_loss:.3g} with BN vs {plain_loss:.3g} without "
        f"(test accuracy {bn_test:.0f}% vs {plain_test:.0f}%).",
        f"这次 BN 影响不大：有 BN 的损失为 {bn_loss:.3g}，无 BN 为 {plain_loss:.3g}"
        f"（测试准确率 {bn_test:.0f}% 对 {plain_test:.0f}%）。"), {"batchnorm": "little_difference"})


def speed_finding(measured: Measurements) -> Conclusion:
    plain_steps, bn_steps = measured.steps_to_80("plain"), measured.steps_to_80("bn")
    if math.isnan(plain_steps) and math.isnan(bn_steps):
        return Conclusion(T("Neither reached 80% training accuracy.", "两者都没有达到 80% 的训练准确率。"),
                          {"reached_80": "neither"})
    if math.isnan(plain_steps):
        return Conclusion(T(f"Only the BN network reached 80% training accuracy (after {bn_steps:.0f} steps).",
                            f"只有 BN 网络达到了 80% 的训练准确率（{bn_steps:.0f} 步）。"), {"reached_80": "bn_only"})
    if math.isnan(bn_steps):
        return Conclusion(T(f"Only the network without BN reached 80% training accuracy (after {plain_steps:.0f} "
                            f"steps).",
                            f"只有无 BN 的网络达到了 80% 的训练准确率（{plain_steps:.0f} 步）。"),
                          {"reached_80": "plain_only"})
    return Conclusion(T(f"80% training accuracy took {bn_steps:.0f} steps with BN and {plain_steps:.0f} without.",
                        f"达到 80% 训练准确率：有 BN 用了 {bn_steps:.0f} 步，无 BN 用了 {plain_steps:.0f} 步。"),
                      {"reached_80": "both"})


def eval_gap_finding(measured: Measurements) -> Conclusion:
    """In eval mode BN uses running averages of the batch statistics; if the weights moved fast they lag."""
    train_accuracy = 100 * smoothed_tail(measured.histories["bn"]["accuracy"])
    test_accuracy = measured.test_accuracy("bn")
    if train_accuracy - test_accuracy < 15:
        return Conclusion(both(""), {"bn_eval_lags": False})
    return Conclusion(T(
        f"The BN network scores {train_accuracy:.0f}% on training batches but {test_accuracy:.0f}% in eval mode: "
        "its running statistics still lag the fast-moving weights.",
        f"BN 网络在训练批上达到 {train_accuracy:.0f}%，但在 eval 模式下只有 {test_accuracy:.0f}%："
        "其滑动平均统计量仍跟不上快速变化的权重。"), {"bn_eval_lags": True})


def charts(measured: Measurements) -> list[Chart]:
    histories = measured.histories
    step_axis = T("SGD step", "SGD 步数")
    layer_axis = T("layer", "层")

    def per_step(key: str) -> list[Series]:
        return [Series(VARIANTS[v], list(range(1, len(h[key]) + 1)), h[key]) for v, h in histories.items()]

    def per_layer(key: str) -> list[Series]:
        return [Series(VARIANTS[v], list(range(1, len(h[key][-1]) + 1)), h[key][-1]) for v, h in histories.items()]

    return [
        Chart(T("Training loss", "训练损失"), step_axis, T("cross-entropy (mini-batch)", "交叉熵（小批量）"),
              per_step("loss"), y_scale="log"),
        Chart(T("Training accuracy", "训练准确率"), step_axis, T("accuracy (mini-batch)", "准确率（小批量）"),
              per_step("accuracy")),
        Chart(T("Std of each activation's input, end of training", "训练结束时各层激活输入的标准差"), layer_axis,
              T("std", "标准差"), per_layer("stds"), y_scale="log"),
        Chart(T("Mean of each activation's input, end of training", "训练结束时各层激活输入的均值"), layer_axis,
              T("mean", "均值"), per_layer("means")),
    ]


def heatmaps(measured: Measurements) -> list[Heatmap]:
    return [std_heatmap(variant, measured.histories[variant]) for variant in VARIANTS]


def std_heatmap(variant: str, history: dict) -> Heatmap:
    rows = list(zip(*history["stds"], strict=True))  # layers × snapshots
    return Heatmap(T(f"Std of activation inputs across training, {VARIANTS[variant]['en']}",
                     f"训练过程中激活输入的标准差，{VARIANTS[variant]['zh']}"),
                   T("SGD step", "SGD 步数"), T("layer", "层"), [str(s) for s in history["snapshot_steps"]],
                   [str(layer + 1) for layer in range(len(rows))], [list(row) for row in rows], log_color=True,
                   scale_group="std")  # with and without BN on one scale: the spread is the point


SPEC = DemoSpec(
    id="D8",
    title=T("Batch normalisation", "批归一化"),
    description=T(
        "The same deep MLP, from the same weights and on the same mini-batches, trained with and without "
        "BatchNorm: training curves, and the mean and spread of what enters each activation function.",
        "同一个深层 MLP，相同初始权重、相同小批量，分别在有和没有 BatchNorm 的情况下训练："
        "对比训练曲线，以及每层激活函数输入的均值与离散度。"),
    params=(
        IntParam("depth", T("Hidden layers", "隐藏层数"), 8, minimum=2, maximum=30),
        IntParam("width", T("Units per layer", "每层单元数"), 64, minimum=8, maximum=128),
        ChoiceParam("activation", T("Activation", "激活函数"), "sigmoid", choices=tuple(ACTIVATIONS)),
        ChoiceParam("init", T("Weight initialisation", "权重初始化"), "xavier", choices=tuple(INIT_STD),
                    choice_labels={"xavier": both("Xavier"), "he": both("He"),
                                   "small": T("Small N(0, 0.01²)", "小随机数 N(0, 0.01²)")}),
        FloatParam("lr", T("Learning rate (SGD, momentum 0.9)", "学习率（SGD，动量 0.9）"), 0.05, minimum=1e-3,
                   maximum=1.0, log_scale=True),
        IntParam("steps", T("Training steps", "训练步数"), 200, minimum=20, maximum=1000),
        IntParam("seed", T("Random seed", "随机种子"), 0, minimum=0, maximum=9999),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, heatmaps=heatmaps),
    queue="demos",
)

# Trained quantities in float32 on different BLAS libraries: compare loosely.
CROSS_DEVICE_METRICS = {
    "plain_final_loss": 0.3,
    "bn_final_loss": 0.3,
    "bn_test_accuracy": 0.15,
    "plain_test_accuracy": 0.15,
}
