"""D3 — zero initialisation: identical hidden units get identical gradients and never diverge.

A one-hidden-layer MLP classifies two concentric rings (not linearly separable, so it needs several
distinct hidden units). The same network is trained three times, from all-zero, all-constant and
random weights, with full-batch SGD. After training we measure how different the hidden units are:
the largest distance between any two hidden units' incoming weight vectors (bias included).
A logistic regression trained from zero shows the other half of the answer: without hidden units
there is no symmetry to break, and zero is a fine starting point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import ChoiceParam, DemoSpec, FloatParam, IntParam, Steps
from engine.text import T

DTYPE = torch.float64
SAMPLES = 256
SAME_UNIT_TOLERANCE = 1e-9
INITS = ("zero", "constant", "random")
INIT_NAMES = {
    "zero": T("all zeros", "全零"),
    "constant": T("all the same constant", "全部同一常数"),
    "random": T("random (Xavier normal)", "随机（Xavier 正态）"),
}
ACTIVATIONS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU}


def make_rings(*, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Two noisy concentric rings, radius 1 (class 0) and 2 (class 1)."""
    labels = (torch.arange(SAMPLES) % 2).to(DTYPE)
    angles = torch.rand(SAMPLES, generator=generator, dtype=DTYPE) * 2 * math.pi
    radii = 1.0 + labels + 0.15 * torch.randn(SAMPLES, generator=generator, dtype=DTYPE)
    points = torch.stack([radii * torch.cos(angles), radii * torch.sin(angles)], dim=1)
    return points, labels.unsqueeze(1)


def make_mlp(*, hidden: int, activation: str, init: str, constant: float, generator: torch.Generator) -> nn.Module:
    model = nn.Sequential(nn.Linear(2, hidden, dtype=DTYPE), ACTIVATIONS[activation](),
                          nn.Linear(hidden, 1, dtype=DTYPE))
    with torch.no_grad():
        for layer in (model[0], model[2]):
            fill(layer, init=init, constant=constant, generator=generator)
    return model


def fill(layer: nn.Linear, *, init: str, constant: float, generator: torch.Generator) -> None:
    if init == "zero":
        layer.weight.zero_()
    elif init == "constant":
        layer.weight.fill_(constant)
    else:
        fan_out, fan_in = layer.weight.shape
        std = math.sqrt(2.0 / (fan_in + fan_out))
        layer.weight.copy_(torch.randn(fan_out, fan_in, generator=generator, dtype=DTYPE) * std)
    layer.bias.zero_()  # biases at zero are harmless: the weights already differ, or they never will


def train(model: nn.Module, points, labels, *, steps: int, lr: float, progress: Progress,
          message: dict[str, str], losses: list[float] | None = None) -> list[float]:
    """Full-batch SGD; the loss per step goes to `losses` (when given: the live chart reads it meanwhile)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = [] if losses is None else losses
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(points), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        progress.advance(message)
    return losses


def hidden_unit_vectors(model: nn.Sequential) -> torch.Tensor:
    """Each hidden unit as one row: its incoming weights, its bias, and its outgoing weight."""
    first, last = model[0], model[2]
    return torch.cat([first.weight, first.bias.unsqueeze(1), last.weight.T], dim=1).detach()


def max_pairwise_difference(vectors: torch.Tensor) -> float:
    return torch.cdist(vectors, vectors).max().item()


def distinct_units(vectors: torch.Tensor) -> int:
    """How many hidden units differ from every earlier one by more than SAME_UNIT_TOLERANCE."""
    representatives: list[torch.Tensor] = []
    for row in vectors:
        if all((row - seen).norm().item() > SAME_UNIT_TOLERANCE for seen in representatives):
            representatives.append(row)
    return len(representatives)


def accuracy(model: nn.Module, points, labels) -> float:
    with torch.no_grad():
        return ((model(points) > 0).to(DTYPE) == labels).to(DTYPE).mean().item()


@dataclass(frozen=True)
class Measurements:
    params: dict
    outcomes: dict[str, dict]  # init → losses, gap (largest unit difference), distinct units, accuracy
    logistic: dict[str, float]  # start ("zero", "random") → final loss of the logistic regression


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    draws = generator()
    points, labels = make_rings(generator=draws)
    points, labels = points.to(device), labels.to(device)
    progress.plan(params["steps"] * (len(INITS) + 2))  # three MLPs, then two logistic regressions
    losses = {init: [] for init in INITS}
    progress.live(lambda: [loss_chart(losses)])  # complete while the logistic regressions (uncharted) train
    outcomes = {}
    for init in INITS:
        model = make_mlp(hidden=params["hidden"], activation=params["activation"], init=init,
                         constant=params["constant"], generator=draws).to(device)
        message = T(f"training from {INIT_NAMES[init]['en']}", f"从{INIT_NAMES[init]['zh']}开始训练")
        train(model, points, labels, steps=params["steps"], lr=params["lr"], progress=progress, message=message,
              losses=losses[init])
        vectors = hidden_unit_vectors(model)
        outcomes[init] = {"losses": losses[init], "gap": max_pairwise_difference(vectors),
                          "distinct": distinct_units(vectors), "accuracy": accuracy(model, points, labels)}
    logistic = logistic_regression_from_zero(
        points, labels, steps=params["steps"], lr=params["lr"], generator=draws, progress=progress)
    return Measurements(params, outcomes, logistic)


def logistic_regression_from_zero(points, labels, *, steps, lr, generator, progress: Progress) -> dict[str, float]:
    """Logistic regression on features that make the rings separable (x², y²), from zero and from random.

    The loss is convex, so both starts reach the same optimum: zero init is only a problem for hidden units.
    """
    features = torch.cat([points, points ** 2], dim=1)
    losses = {}
    for start in ("zero", "random"):
        model = nn.Linear(4, 1, dtype=DTYPE)
        with torch.no_grad():
            fill(model, init=start, constant=0.0, generator=generator)
        model = model.to(features.device)
        losses[start] = train(model, features, labels, steps=steps, lr=lr, progress=progress,
                              message=T("logistic regression", "逻辑回归"))[-1]
    return losses


def summary(measured: Measurements) -> list[Metric]:
    hidden, outcomes, logistic = measured.params["hidden"], measured.outcomes, measured.logistic
    metrics = []
    for init in INITS:
        name = INIT_NAMES[init]
        outcome = outcomes[init]
        metrics += [
            Metric(f"{init}_max_unit_difference", T(f"Max difference between hidden units, {name['en']}",
                                                    f"隐藏单元间最大差异，{name['zh']}"), outcome["gap"]),
            Metric(f"{init}_distinct_units", T(f"Distinct hidden units out of {hidden}, {name['en']}",
                                               f"{hidden} 个隐藏单元中互不相同的个数，{name['zh']}"),
                   outcome["distinct"]),
            Metric(f"{init}_accuracy", T(f"Training accuracy, {name['en']}", f"训练准确率，{name['zh']}"),
                   100 * outcome["accuracy"], "%"),
        ]
    return [
        *metrics,
        Metric("logistic_zero_loss", T("Logistic regression from zero: final loss", "逻辑回归从零开始：最终损失"),
               logistic["zero"]),
        Metric("logistic_random_loss", T("Logistic regression from random: final loss", "逻辑回归随机初始化：最终损失"),
               logistic["random"]),
    ]


def conclude(measured: Measurements) -> Conclusion:
    params, outcomes, logistic = measured.params, measured.outcomes, measured.logistic
    random = outcomes["random"]
    return Conclusion.join(
        *(symmetry_finding(init, outcomes[init], params["hidden"]) for init in ("zero", "constant")),
        Conclusion(T(f"Random init gives {random['distinct']} distinct units and "
                     f"{100 * random['accuracy']:.0f}% accuracy.",
                     f"随机初始化得到 {random['distinct']} 个不同的单元，准确率 {100 * random['accuracy']:.0f}%。")),
        logistic_finding(logistic, params["steps"]))


def symmetry_finding(init: str, outcome: dict, hidden: int) -> Conclusion:
    name = INIT_NAMES[init]
    if outcome["distinct"] == 1:
        return Conclusion(T(
            f"From {name['en']}, all {hidden} hidden units are still identical after training (largest "
            f"difference {outcome['gap']:.2g}): the network acts like one unit and reaches "
            f"{100 * outcome['accuracy']:.0f}% accuracy.",
            f"从{name['zh']}开始，训练后 {hidden} 个隐藏单元仍完全相同（最大差异 {outcome['gap']:.2g}）："
            f"网络相当于只有一个单元，准确率 {100 * outcome['accuracy']:.0f}%。"), {f"{init}_init_units": "identical"})
    return Conclusion(T(
        f"From {name['en']}, the hidden units drifted apart ({outcome['distinct']} distinct, largest "
        f"difference {outcome['gap']:.2g}): rounding broke the symmetry this time.",
        f"从{name['zh']}开始，隐藏单元出现了分化（{outcome['distinct']} 个不同，最大差异 "
        f"{outcome['gap']:.2g}）：这次是舍入误差打破了对称。"), {f"{init}_init_units": "drifted_apart"})


def logistic_finding(logistic: dict[str, float], steps: int) -> Conclusion:
    gap = abs(logistic["zero"] - logistic["random"])
    if gap <= 0.01 * max(logistic["random"], 1e-12) + 1e-6:
        return Conclusion(T(f"A logistic regression (no hidden layer) from zero ends at the same loss as from random "
                            f"({logistic['zero']:.4g}): zero init only hurts hidden units.",
                            f"没有隐藏层的逻辑回归从零开始与随机初始化收敛到相同损失（{logistic['zero']:.4g}）："
                            "零初始化只对隐藏单元有害。"), {"logistic_from_zero": "same_loss"})
    return Conclusion(T(f"A logistic regression from zero ends at loss {logistic['zero']:.4g} vs "
                        f"{logistic['random']:.4g} from random: not yet converged in {steps} steps.",
                        f"逻辑回归从零开始的最终损失为 {logistic['zero']:.4g}，随机初始化为 "
                        f"{logistic['random']:.4g}：{steps} 步内尚未收敛。"), {"logistic_from_zero": "not_converged"})


def charts(measured: Measurements) -> list[Chart]:
    return [loss_chart({init: outcome["losses"] for init, outcome in measured.outcomes.items()})]


def loss_chart(losses: dict[str, list[float]]) -> Chart:
    """The loss per SGD step from each initialisation (while training: the steps so far)."""
    return Chart(T("Training loss", "训练损失"), T("SGD step", "SGD 步数"), T("binary cross-entropy", "二元交叉熵"),
                 [Series(INIT_NAMES[init], list(range(1, len(values) + 1)), values) for init, values in losses.items()])


def tables(measured: Measurements) -> list[Table]:
    hidden = measured.params["hidden"]
    columns = [T("initialisation", "初始化"), T("max unit difference", "单元间最大差异"),
               T(f"distinct units (of {hidden})", f"不同单元数（共 {hidden}）"), T("accuracy %", "准确率 %")]
    rows = [[INIT_NAMES[init]["en"], float(f"{o['gap']:.3g}"), o["distinct"], round(100 * o["accuracy"], 1)]
            for init, o in measured.outcomes.items()]
    return [Table(T("Hidden units after training", "训练后的隐藏单元"), columns, rows)]


SPEC = DemoSpec(
    id="D3",
    title=T("Zero initialisation and symmetry", "零初始化与对称性"),
    description=T(
        "Train the same one-hidden-layer network from all zeros, from one constant, and from random weights. "
        "Identical units receive identical gradients, so they stay identical; random init breaks the symmetry.",
        "同一个单隐藏层网络分别从全零、同一常数和随机权重开始训练。相同的单元得到相同的梯度，因此始终相同；"
        "随机初始化打破了对称性。"),
    params=(
        IntParam("hidden", T("Hidden units", "隐藏单元数"), 16, minimum=2, maximum=64),
        ChoiceParam("activation", T("Activation", "激活函数"), "tanh", choices=tuple(ACTIVATIONS)),
        FloatParam("constant", T("Value for the constant init", "常数初始化的取值"), 0.5, minimum=0.01, maximum=2.0),
        IntParam("steps", T("Training steps", "训练步数"), 300, minimum=10, maximum=3000),
        FloatParam("lr", T("Learning rate", "学习率"), 0.5, minimum=0.01, maximum=2.0, log_scale=True),
        IntParam("seed", T("Random seed", "随机种子"), 0, minimum=0, maximum=9999),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)

# Symmetric runs are exactly reproducible (distinct count 1); trained accuracies and losses drift slightly.
CROSS_DEVICE_METRICS = {
    "zero_distinct_units": 1e-9,
    "constant_distinct_units": 1e-9,
    "random_accuracy": 0.1,
    "logistic_zero_loss": 0.05,
}
