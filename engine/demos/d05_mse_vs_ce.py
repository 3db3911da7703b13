"""D5: MSE vs cross-entropy for a sigmoid classifier.

With p = σ(z), cross-entropy gives ∂L/∂z = p − y, while MSE keeps a σ′(z) = p(1 − p) factor:
∂L/∂z = 2(p − y)·p(1 − p). When the prediction is saturated and wrong (p ≈ 0 for y = 1) that
factor is ≈ 0, so MSE barely moves while cross-entropy pushes hardest. The demo shows both
gradients against p (computed by autograd) and trains the same logistic neuron with each loss
from a saturated wrong start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import STEPS, T, both

CROSS_DEVICE_METRICS = {
    "ce_grad_at_start": 1e-4,
    "mse_grad_at_start": 1e-4,
    "grad_ratio_at_start": 1e-4,
    "final_p_true_ce": 0.1,
    "final_p_true_mse": 0.3,
}

LOSSES = ("ce", "mse")
LOSS_NAMES = {"ce": T("cross-entropy", "交叉熵"), "mse": T("MSE", "均方误差")}
FEATURES = 2
CLUSTER_DISTANCE = 2.0  # |μ|: class means at ±μ along the first axis
CLUSTER_NOISE = 0.3


def loss_value(*, loss: str, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean loss of sigmoid outputs; MSE is PyTorch's MSELoss on probabilities, CE is BCE."""
    if loss == "ce":
        return F.binary_cross_entropy_with_logits(logits, targets)
    return F.mse_loss(torch.sigmoid(logits), targets)


def logit_gradients(*, probabilities: torch.Tensor, loss: str) -> torch.Tensor:
    """∂L/∂z for a positive example (y = 1) at each predicted probability, by autograd."""
    logits = torch.logit(probabilities).detach().requires_grad_(True)
    targets = torch.ones_like(logits)
    # Sum of per-example losses so each element's gradient is its own ∂L/∂z.
    per_example = loss_value(loss=loss, logits=logits, targets=targets) * logits.numel()
    (gradient,) = torch.autograd.grad(per_example, logits)
    return gradient


def make_clusters(*, samples: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Two Gaussian blobs at ±μ; drawn on the CPU so every device trains on the same numbers."""
    labels = (torch.arange(samples) % 2).float()
    signs = labels * 2 - 1
    centres = torch.zeros(samples, FEATURES)
    centres[:, 0] = signs * CLUSTER_DISTANCE
    inputs = centres + CLUSTER_NOISE * torch.randn(samples, FEATURES, generator=generator())
    return inputs.to(device), labels.to(device)


def train_neuron(*, loss: str, inputs: torch.Tensor, labels: torch.Tensor, start_logit: float,
                 learning_rate: float, steps: int, progress: Progress,
                 history: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    """Full-batch gradient descent on z = w·x + b, starting with true-class margin ≈ start_logit. Fills
    `history` (when given: the live charts read it meanwhile) with the loss, p_true and accuracy per step."""
    message = T(f"training with {loss}", f"用 {loss} 训练")
    weight = torch.zeros(FEATURES, device=inputs.device)
    weight[0] = start_logit / CLUSTER_DISTANCE  # margin (2y−1)·z ≈ start_logit for every example
    weight.requires_grad_(True)
    bias = torch.zeros((), device=inputs.device, requires_grad=True)
    history = {"loss": [], "p_true": [], "accuracy": []} if history is None else history
    for step in range(steps + 1):
        logits = inputs @ weight + bias
        value = loss_value(loss=loss, logits=logits, targets=labels)
        p_true = torch.where(labels > 0.5, torch.sigmoid(logits), torch.sigmoid(-logits))
        history["loss"].append(value.item())
        history["p_true"].append(p_true.mean().item())
        history["accuracy"].append((p_true > 0.5).float().mean().item())
        if step == steps:
            break
        weight_grad, bias_grad = torch.autograd.grad(value, (weight, bias))
        with torch.no_grad():
            weight -= learning_rate * weight_grad
            bias -= learning_rate * bias_grad
        progress.advance(message)
    return history


def first_step_correct(history: dict[str, list[float]]) -> float:
    """First step where the mean probability of the true class passes 0.5 (NaN: never)."""
    for step, p_true in enumerate(history["p_true"]):
        if p_true > 0.5:
            return float(step)
    return math.nan


@dataclass(frozen=True)
class Measurements:
    params: dict
    start_grads: dict[str, float]  # loss → |∂L/∂z| at the starting probability
    histories: dict[str, dict[str, list[float]]]  # loss → loss, p_true, accuracy per step
    probabilities: list[float]  # the x axis of the gradient chart
    gradients: dict[str, list[float]]  # loss → |∂L/∂z| at each of those probabilities

    @property
    def ratio(self) -> float:
        return self.start_grads["ce"] / self.start_grads["mse"]

    @property
    def fix(self) -> dict[str, float]:
        return {name: first_step_correct(self.histories[name]) for name in LOSSES}

    @property
    def final(self) -> dict[str, float]:
        return {name: self.histories[name]["p_true"][-1] for name in LOSSES}


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    start_logit, steps = params["start_logit"], params["steps"]
    inputs, labels = make_clusters(samples=params["samples"], device=device)
    start = torch.tensor([1 / (1 + math.exp(-start_logit))], dtype=torch.float64, device=device)
    start_grads = {name: logit_gradients(probabilities=start, loss=name).abs().item() for name in LOSSES}
    progress.plan(len(LOSSES) * steps)
    histories = {name: {"loss": [], "p_true": [], "accuracy": []} for name in LOSSES}
    progress.live(lambda: training_charts(histories))
    for name in LOSSES:
        train_neuron(loss=name, inputs=inputs, labels=labels, start_logit=start_logit,
                     learning_rate=params["learning_rate"], steps=steps, progress=progress, history=histories[name])
    probabilities = torch.logspace(-4, math.log10(0.9999), 121, dtype=torch.float64, device=device)
    gradients = {name: logit_gradients(probabilities=probabilities, loss=name).abs().tolist() for name in LOSSES}
    return Measurements(params, start_grads, histories, probabilities.tolist(), gradients)


def summary(measured: Measurements) -> list[Metric]:
    start_grads, fix, final = measured.start_grads, measured.fix, measured.final
    metrics = [
        Metric("ce_grad_at_start", T("|∂CE/∂z| at the start", "起点处 |∂CE/∂z|"), start_grads["ce"]),
        Metric("mse_grad_at_start", T("|∂MSE/∂z| at the start", "起点处 |∂MSE/∂z|"), start_grads["mse"]),
        Metric("grad_ratio_at_start", T("gradient ratio CE / MSE at the start", "起点处梯度比 CE / MSE"),
               measured.ratio, "×"),
        Metric("steps_to_correct_ce", T("steps until right (CE)", "变为正确所需步数（交叉熵）"), fix["ce"], STEPS),
        Metric("steps_to_correct_mse", T("steps until right (MSE)", "变为正确所需步数（MSE）"), fix["mse"], STEPS),
        Metric("final_p_true_ce", T("final mean p(true class), CE", "最终真实类别平均概率（交叉熵）"), final["ce"]),
        Metric("final_p_true_mse", T("final mean p(true class), MSE", "最终真实类别平均概率（MSE）"), final["mse"]),
    ]
    # A loss that never made the prediction right within the steps has no such step: left out, not shown blank.
    return [metric for metric in metrics if math.isfinite(metric.value)]


def _steps_text(steps_to_fix: float, total: int) -> dict[str, str]:
    if math.isnan(steps_to_fix):
        return T(f"never within {total} steps", f"{total} 步内始终没有")
    return T(f"after {steps_to_fix:.0f} steps", f"{steps_to_fix:.0f} 步后")


def conclude(measured: Measurements) -> Conclusion:
    start_logit, steps = measured.params["start_logit"], measured.params["steps"]
    fix, final, ratio = measured.fix, measured.final, measured.ratio
    p_start = 1 / (1 + math.exp(-start_logit))
    if start_logit >= 0:
        return Conclusion(T(
            f"The start is not wrong (p = {p_start:.3g} for the true class), so there is nothing to escape: "
            f"both losses only refine it (final p: CE {final['ce']:.3f}, MSE {final['mse']:.3f}).",
            f"起点并不错误（真实类别 p = {p_start:.3g}），没有需要逃离的饱和区：两种损失只是微调"
            f"（最终 p：交叉熵 {final['ce']:.3f}，MSE {final['mse']:.3f}）。"), {"start": "right"})
    head = Conclusion(T(f"At p = {p_start:.3g} for the true class, cross-entropy's gradient is {ratio:.3g}× MSE's.",
                        f"真实类别 p = {p_start:.3g} 时，交叉熵的梯度是 MSE 的 {ratio:.3g} 倍。"),
                      {"start": "wrong", "ce_became_right": not math.isnan(fix["ce"]),
                       "mse_became_right": not math.isnan(fix["mse"])})
    return Conclusion.join(head, race_finding(fix, ratio, steps))


def race_finding(fix: dict[str, float], ratio: float, steps: int) -> Conclusion:
    """Which loss made the prediction right first, from the saturated wrong start."""
    ce_text, mse_text = _steps_text(fix["ce"], steps), _steps_text(fix["mse"], steps)
    ce_faster = (math.isnan(fix["mse"]) and not math.isnan(fix["ce"])) or fix["ce"] < fix["mse"]
    if ce_faster and ratio >= 10:
        return Conclusion(T(f"Training from this saturated wrong start, cross-entropy became right {ce_text['en']}, "
                            f"MSE {mse_text['en']}: the σ′(z) factor in MSE's gradient stalls it.",
                            f"从这个饱和且错误的起点训练，交叉熵{ce_text['zh']}变为正确，MSE {mse_text['zh']}："
                            f"MSE 梯度中的 σ′(z) 因子让它停滞。"), {"faster": "ce", "mse_stalled": True})
    if ce_faster:
        return Conclusion(T(f"The start is only mildly wrong, so the gap is small: cross-entropy became right "
                            f"{ce_text['en']}, MSE {mse_text['en']}.",
                            f"起点只是轻微错误，差距不大：交叉熵{ce_text['zh']}变为正确，MSE {mse_text['zh']}。"),
                          {"faster": "ce", "mse_stalled": False})
    return Conclusion(T(f"In this run MSE was not slower (CE right {ce_text['en']}, MSE {mse_text['en']}): "
                        f"the learning rate or the number of steps hides the difference.",
                        f"本次运行中 MSE 并不更慢（交叉熵{ce_text['zh']}变为正确，MSE {mse_text['zh']}）："
                        f"学习率或步数掩盖了差异。"), {"faster": "mse_not_slower", "mse_stalled": False})


def charts(measured: Measurements) -> list[Chart]:
    return [
        Chart(T("|∂L/∂z| for a positive example (y = 1)", "正样本（y = 1）的 |∂L/∂z|"),
              T("predicted probability p = σ(z)", "预测概率 p = σ(z)"), both("|∂L/∂z|"),
              [Series(LOSS_NAMES[name], measured.probabilities, measured.gradients[name]) for name in LOSSES],
              x_scale="log", y_scale="log"),
        *training_charts(measured.histories),
    ]


def training_charts(histories: dict[str, dict[str, list[float]]]) -> list[Chart]:
    """The true class's probability and the loss per step, for each loss (while training: the steps so far)."""
    def steps_axis(name: str) -> list[int]:
        return list(range(len(histories[name]["loss"])))

    return [
        Chart(T("Mean probability of the true class while training", "训练中真实类别的平均概率"),
              T("gradient-descent step", "梯度下降步数"), T("mean p(true class)", "真实类别平均概率"),
              [Series(LOSS_NAMES[n], steps_axis(n), histories[n]["p_true"]) for n in LOSSES]),
        Chart(T("Training loss", "训练损失"), T("gradient-descent step", "梯度下降步数"),
              T("loss", "损失"), [Series(LOSS_NAMES[n], steps_axis(n), histories[n]["loss"]) for n in LOSSES],
              y_scale="log"),
    ]


def tables(measured: Measurements) -> list[Table]:
    start_grads = measured.start_grads
    return [Table(T("Gradient formulas with p = σ(z)", "p = σ(z) 时的梯度公式"),
                  [T("loss", "损失"), both("∂L/∂z"), T("at the start", "起点处")],
                  [["CE", "p − y", start_grads["ce"]], ["MSE", "2(p − y)·p(1 − p)", start_grads["mse"]]])]


SPEC = DemoSpec(
    id="D5",
    title=T("MSE vs cross-entropy", "MSE 与交叉熵"),
    description=T("Gradient of each loss with respect to the logit against the predicted probability, and a "
                  "logistic neuron trained with each loss from a saturated wrong start.",
                  "两种损失对 logit 的梯度随预测概率的变化，"
                  "以及从饱和且错误的起点分别用两种损失训练一个逻辑回归神经元。"),
    params=(
        FloatParam("start_logit", T("initial logit of the true class", "真实类别的初始 logit"), -6.0,
                   T("Negative = confidently wrong; −6 means p ≈ 0.0025.", "负数表示自信地错；−6 即 p ≈ 0.0025。"),
                   minimum=-12.0, maximum=6.0),
        FloatParam("learning_rate", T("learning rate", "学习率"), 0.1, minimum=0.001, maximum=2.0, log_scale=True),
        IntParam("steps", T("training steps", "训练步数"), 150, minimum=10, maximum=5000),
        IntParam("samples", T("training examples", "训练样本数"), 64, minimum=8, maximum=4096),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)
