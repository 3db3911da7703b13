"""D1 — vanishing gradients: per-layer gradient norms of a deep MLP for activation × init × BN.

The network has `depth` hidden layers of `width` units (the input is `width`-dimensional too, so every
hidden weight matrix has the same shape and their gradient norms compare directly), then a linear
read-out. It regresses a smooth random target with plain SGD; at every step we record
‖∂L/∂W_l‖ for each hidden layer. Everything runs in float64 so that gradients of 1e-40 are measured,
not flushed to zero, and the random draws happen on the CPU so CPU and CUDA runs start identically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Heatmap, Metric, Series
from engine.runtime import current_device, generator
from engine.spec import BoolParam, ChoiceParam, DemoSpec, FloatParam, IntParam, Steps
from engine.text import STEPS, T, both, join, number, step_of

BATCH_SIZE = 32
HEATMAP_COLUMNS = 40
# A weight gradient norm above this at initialisation is an explosion whatever the layer-to-layer ratio:
# a sane network's are of order 1e-3 to 10 here, and one SGD step of that size wrecks every weight.
EXPLODED_GRADIENT_NORM = 1e6
# A loss that ends this many times above where it started has diverged, even while it is still a finite number.
DIVERGED_LOSS_GROWTH = 10.0
DTYPE = torch.float64

ACTIVATIONS = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
}
ACTIVATION_LABELS = {
    "sigmoid": both("Sigmoid"),
    "tanh": both("Tanh"),
    "relu": both("ReLU"),
    "leaky_relu": both("Leaky ReLU (0.01)"),
    "gelu": both("GELU"),
}
INIT_LABELS = {
    "normal": T("Naive N(0, 1)", "朴素 N(0, 1)"),
    "small": T("Small N(0, 0.01²)", "小随机数 N(0, 0.01²)"),
    "xavier": T("Xavier/Glorot: var 2/(fan_in+fan_out)", "Xavier/Glorot：方差 2/(fan_in+fan_out)"),
    "he": T("He/Kaiming: var 2/fan_in", "He/Kaiming：方差 2/fan_in"),
    "lecun": T("LeCun: var 1/fan_in", "LeCun：方差 1/fan_in"),
}


def init_std(*, scheme: str, fan_in: int, fan_out: int) -> float:
    """Standard deviation of the zero-mean normal each init scheme draws weights from."""
    return {
        "normal": 1.0,
        "small": 0.01,
        "xavier": math.sqrt(2.0 / (fan_in + fan_out)),
        "he": math.sqrt(2.0 / fan_in),
        "lecun": math.sqrt(1.0 / fan_in),
    }[scheme]


def linear_layer(*, fan_in: int, fan_out: int, scheme: str, generator: torch.Generator) -> nn.Linear:
    """A Linear layer drawn on the CPU from `generator` (same numbers on every device), bias zero."""
    layer = nn.Linear(fan_in, fan_out, dtype=DTYPE)
    std = init_std(scheme=scheme, fan_in=fan_in, fan_out=fan_out)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(fan_out, fan_in, generator=generator, dtype=DTYPE) * std)
        layer.bias.zero_()
    return layer


class DeepMLP(nn.Module):
    """Hidden blocks Linear → (BatchNorm) → activation, then a linear read-out to one output."""

    def __init__(self, *, depth: int, width: int, activation: str, init: str, batchnorm: bool,
                 generator: torch.Generator):
        super().__init__()
        self.linears = nn.ModuleList(
            linear_layer(fan_in=width, fan_out=width, scheme=init, generator=generator) for _ in range(depth))
        self.norms = nn.ModuleList(
            nn.BatchNorm1d(width, dtype=DTYPE) if batchnorm else nn.Identity() for _ in range(depth))
        self.activation = ACTIVATIONS[activation]()
        self.readout = linear_layer(fan_in=width, fan_out=1, scheme=init, generator=generator)

    def forward(self, x: torch.Tensor, record: list | None = None) -> torch.Tensor:
        for linear, norm in zip(self.linears, self.norms, strict=True):
            pre = norm(linear(x))
            x = self.activation(pre)
            if record is not None:
                record.append((pre.detach(), x.detach()))
        return self.readout(x)


def make_task(*, width: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed batch of inputs and a smooth target y = sin(2·u·x/√width) from a random direction u."""
    inputs = torch.randn(BATCH_SIZE, width, generator=generator, dtype=DTYPE)
    direction = torch.randn(width, 1, generator=generator, dtype=DTYPE)
    return inputs, torch.sin(2.0 * inputs @ direction / math.sqrt(width))


@dataclass(frozen=True)
class LayerStats:
    """Per hidden layer at step 0."""

    spreads: list[float]  # std of its outputs
    stuck: list[float]  # share of units with f′ ≈ 0
    slope_rms: list[float]  # root mean square of f′ over its units and the batch
    dead: list[bool]  # every output exactly 0 for every example: nothing passes, forward or backward


def activation_stats(model: DeepMLP, inputs: torch.Tensor) -> LayerStats:
    record: list = []
    with torch.no_grad():
        model(inputs, record)
    stats = LayerStats([], [], [], [])
    threshold = 0.05 * slope_peak(model.activation, inputs)
    for pre, post in record:
        slope = activation_slope(model.activation, pre)
        stats.spreads.append(post.std().item())
        stats.stuck.append((slope.abs() < threshold).double().mean().item())
        stats.slope_rms.append(slope.pow(2).mean().sqrt().item())
        stats.dead.append(not bool(post.any()))
    return stats


def activation_slope(activation: nn.Module, pre: torch.Tensor) -> torch.Tensor:
    """f′(z) element-wise, by autograd (works for every activation alike)."""
    with torch.enable_grad():
        z = pre.clone().requires_grad_(True)
        (slope,) = torch.autograd.grad(activation(z).sum(), z)
    return slope


def slope_peak(activation: nn.Module, like: torch.Tensor) -> float:
    """The largest |f′| over a dense grid: the reference for "this unit passes almost no gradient"."""
    grid = torch.linspace(-10, 10, 4001, dtype=DTYPE, device=like.device)
    return activation_slope(activation, grid).abs().max().item()


def layer_grad_norms(model: DeepMLP) -> list[float]:
    return [linear.weight.grad.norm().item() for linear in model.linears]


def train(model: DeepMLP, inputs: torch.Tensor, targets: torch.Tensor, *, steps: int, lr: float,
          progress: Progress) -> tuple[list[list[float]], list[float]]:
    """SGD on MSE. Returns the per-layer gradient norms at every step and the loss per step.

    Stops early once the loss is no longer finite: the numbers after a blow-up say nothing.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    norms_per_step, losses = [], []
    progress.live(lambda: [gradient_chart(norms_per_step, len(model.linears)), loss_chart(losses)])
    for step in range(steps + 1):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(inputs), targets)
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            break
        loss.backward()
        norms_per_step.append(layer_grad_norms(model))
        if step < steps:
            optimizer.step()
        progress.advance(step_of(step, steps))
    return norms_per_step, losses


def gradient_ratio(norms: list[float]) -> float:
    """‖∂L/∂W‖ of the last hidden layer over the first: > 1 means the gradient shrank toward the input."""
    first, last = norms[0], norms[-1]
    if not (math.isfinite(first) and math.isfinite(last)):
        return math.nan
    if first == 0:
        return math.inf
    return last / first


@dataclass(frozen=True)
class Measurements:
    params: dict
    norms_per_step: list[list[float]]  # per SGD step (0 = at initialisation), per hidden layer
    losses: list[float]
    layers: LayerStats

    @property
    def spreads(self) -> list[float]:
        return self.layers.spreads

    @property
    def stuck(self) -> list[float]:
        return self.layers.stuck

    @property
    def initial(self) -> list[float]:
        return self.norms_per_step[0] if self.norms_per_step else [math.nan] * self.params["depth"]

    @property
    def ratio(self) -> float:
        return gradient_ratio(self.initial)

    @property
    def per_layer(self) -> float:
        ratio = self.ratio
        return ratio ** (1.0 / (self.params["depth"] - 1)) if math.isfinite(ratio) and ratio > 0 else math.nan

    @property
    def weight_scale(self) -> float:
        """σ_w·√width: what a layer's weights alone do to the size of the backward signal."""
        width = self.params["width"]
        return init_std(scheme=self.params["init"], fan_in=width, fan_out=width) * math.sqrt(width)

    @property
    def slope_rms(self) -> float:
        """rms f′ of the layers the backward signal crosses on its way from the last hidden layer to the first
        (geometric mean over them); zero when a layer passes nothing."""
        crossed = self.layers.slope_rms[:-1]
        if min(crossed) <= 0:
            return 0.0
        return math.exp(sum(math.log(value) for value in crossed) / len(crossed))

    @property
    def backward_gain(self) -> float:
        """≈ σ_w·√width·rms f′: the factor by which each layer multiplies ∂L/∂h on its way to the input."""
        return self.weight_scale * self.slope_rms

    @property
    def first_dead_layer(self) -> int | None:
        return next((index + 1 for index, dead in enumerate(self.layers.dead) if dead), None)

    @property
    def diverged_at(self) -> int | None:
        """The first step whose loss was not finite, or None."""
        return next((step for step, loss in enumerate(self.losses) if not math.isfinite(loss)), None)

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None or self.losses[-1] > DIVERGED_LOSS_GROWTH * self.losses[0]


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    draws = generator()
    model = DeepMLP(depth=params["depth"], width=params["width"], activation=params["activation"],
                    init=params["init"], batchnorm=params["batchnorm"], generator=draws)
    inputs, targets = make_task(width=params["width"], generator=draws)
    model, inputs, targets = model.to(device), inputs.to(device), targets.to(device)
    model.train()
    progress.plan(params["steps"] + 1)
    progress.note(T("measuring activations", "测量各层激活值"))
    layers = activation_stats(model, inputs)
    norms_per_step, losses = train(model, inputs, targets, steps=params["steps"], lr=params["lr"],
                                   progress=progress)
    return Measurements(params, norms_per_step, losses, layers)


def summary(measured: Measurements) -> list[Metric]:
    depth, initial, losses = measured.params["depth"], measured.initial, measured.losses
    metrics = [
        Metric("first_layer_grad_norm", T("‖∂L/∂W‖ of layer 1 (next to the input), step 0",
                                          "第 1 层（靠近输入）的 ‖∂L/∂W‖，第 0 步"), initial[0]),
        Metric("last_layer_grad_norm", T(f"‖∂L/∂W‖ of layer {depth} (last hidden), step 0",
                                         f"第 {depth} 层（最后一个隐藏层）的 ‖∂L/∂W‖，第 0 步"), initial[-1]),
        Metric("grad_ratio_last_over_first", T("Last-layer / first-layer gradient norm",
                                               "最后一层 / 第一层梯度范数之比"), measured.ratio, "×"),
        Metric("grad_shrink_per_layer", T("Average shrink per layer toward the input (last/first)^(1/(L−1))",
                                          "向输入方向每层平均缩小倍数（末层/首层）^(1/(L−1))"),
               measured.per_layer, "×"),
        Metric("first_layer_activation_std", T("Std of layer-1 activations", "第 1 层激活值的标准差"),
               measured.spreads[0]),
        Metric("last_layer_activation_std", T(f"Std of layer-{depth} activations", f"第 {depth} 层激活值的标准差"),
               measured.spreads[-1]),
        Metric("stuck_unit_share", T("Share of units with f′ ≈ 0 (all layers, step 0)",
                                     "f′ ≈ 0 的单元占比（所有层，第 0 步）"),
               100.0 * sum(measured.stuck) / len(measured.stuck), "%"),
        Metric("backward_gain_per_layer", T("Backward gain per layer σ_w·√width·rms f′ (step 0)",
                                            "反向每层增益 σ_w·√width·rms f′（第 0 步）"), measured.backward_gain, "×"),
        Metric("initial_loss", T("Loss at step 0", "第 0 步损失"), losses[0]),
        end_of_training(measured),
    ]
    # A dead network's gradients are all exactly 0, and 0/0 is no ratio: such a number is left out, not shown blank.
    return [metric for metric in metrics if math.isfinite(metric.value)]


def end_of_training(measured: Measurements) -> Metric:
    """The last loss; once it is no longer finite there is none to show, so the step where that happened instead
    (the last finite loss would be an earlier one, often step 0's, and read as if nothing had changed)."""
    if measured.diverged_at is None:
        return Metric("final_loss", T("Loss at the last step", "最后一步损失"), measured.losses[-1])
    return Metric("diverged_at_step", T("Step at which the loss stopped being finite", "损失变为非有限值的步数"),
                  measured.diverged_at, STEPS)


def conclude(measured: Measurements) -> Conclusion:
    params, depth = measured.params, measured.params["depth"]
    activation, init = ACTIVATION_LABELS[params["activation"]], INIT_LABELS[params["init"]]
    batchnorm = " + BatchNorm" if params["batchnorm"] else ""
    setup = T(f"{activation['en']} + {init['en']}{batchnorm}", f"{activation['zh']} + {init['zh']}{batchnorm}")
    initial = measured.initial
    if not all(math.isfinite(norm) for norm in initial) or not math.isfinite(measured.losses[0]):
        return Conclusion(T(
            f"With {setup['en']} the forward or backward pass overflowed even in float64: the signal exploded "
            f"across {depth} layers, so nothing can be learned.",
            f"{setup['zh']} 下，即使用 float64，前向或反向传播也溢出了：信号在 {depth} 层中爆炸，网络无法学习。"),
            {"gradient": "overflowed", "training": "diverged"})
    if measured.first_dead_layer is not None and max(initial) == 0:
        return dead_layer_finding(measured, setup)
    return Conclusion.join(
        Conclusion(T(f"With {setup['en']} at depth {depth},", f"深度 {depth}、{setup['zh']}：")),
        gradient_finding(measured.ratio, measured.per_layer, depth, smallest=min(initial), largest=max(initial)),
        gain_finding(measured),
        forward_finding(measured.spreads),
        training_finding(measured))


def dead_layer_finding(measured: Measurements, setup: dict[str, str]) -> Conclusion:
    """A layer whose units are all off for every example outputs zeros: every weight gradient is exactly 0, which
    is no explosion and no overflow but a network that cannot learn at all."""
    layer, depth = measured.first_dead_layer, measured.params["depth"]
    return Conclusion(T(
        f"With {setup['en']} at depth {depth}, hidden layer {layer} is dead: every one of its "
        f"{measured.params['width']} units is off for every example, so it outputs only zeros. Nothing reaches "
        f"the layers after it and no gradient gets back through it, so every hidden layer's gradient is exactly "
        f"0 and SGD cannot change them. Narrow ReLU layers die this way by chance; a wider layer, another seed "
        f"or a leaky activation avoids it.",
        f"深度 {depth}、{setup['zh']}：第 {layer} 个隐藏层是死层，它的 {measured.params['width']} 个单元对每个样本"
        f"都不激活，只输出 0。之后的层收不到信号，梯度也传不回来，因此每个隐藏层的梯度都恰好为 0，SGD 无法改变它们。"
        f"窄的 ReLU 层会偶然这样死掉；加宽、换一个随机种子或用 Leaky ReLU 可以避免。"),
        {"gradient": "dead", "training": "stuck"})


def gradient_finding(ratio: float, per_layer: float, depth: int, *, smallest: float, largest: float) -> Conclusion:
    spread = max(ratio, 1 / ratio)
    if ratio >= 100:
        shrink = number(per_layer, decimals=2)
        return Conclusion(T(
            f"the gradient vanished: layer 1 gets a gradient {ratio:.3g}× smaller than layer {depth} "
            f"(it shrinks about {shrink}× per layer toward the input), so the early layers barely learn.",
            f"梯度消失：第 1 层的梯度比第 {depth} 层小 {ratio:.3g} 倍（向输入方向每层约缩小 {shrink} 倍），"
            "前面的层几乎学不动。"), {"gradient": "vanished"})
    if ratio <= 0.01:
        return Conclusion(T(
            f"the gradient exploded toward the input: layer 1 gets {spread:.3g}× more gradient than "
            f"layer {depth} (about {number(1 / per_layer, decimals=2)}× more per layer).",
            f"梯度向输入方向爆炸：第 1 层的梯度是第 {depth} 层的 {spread:.3g} 倍"
            f"（每层约放大 {number(1 / per_layer, decimals=2)} 倍）。"), {"gradient": "exploded_toward_input"})
    if smallest > EXPLODED_GRADIENT_NORM:  # a ratio near 1 between two enormous gradients is no comfort
        return Conclusion(T(
            f"the gradients exploded: every layer's ‖∂L/∂W‖ is huge ({smallest:.3g} to {largest:.3g}), "
            f"even though the first and last layers differ only {spread:.3g}×.",
            f"梯度爆炸：每一层的 ‖∂L/∂W‖ 都极大（{smallest:.3g} 到 {largest:.3g}），"
            f"尽管首层与末层只相差 {spread:.3g} 倍。"), {"gradient": "exploded"})
    if 0.1 <= ratio <= 10:
        return Conclusion(T(f"the gradient stayed flat: first and last layers differ only {spread:.2f}×.",
                            f"梯度保持平稳：首层与末层只相差 {spread:.2f} 倍。"), {"gradient": "flat"})
    direction_en, direction_zh = ("shrank", "变小") if ratio > 1 else ("grew", "变大")
    return Conclusion(T(f"the gradient {direction_en} {spread:.3g}× toward the input: a moderate drift, "
                        "neither flat nor a full collapse.",
                        f"梯度向输入方向{direction_zh}了 {spread:.3g} 倍：有一定漂移，但既不平稳也未完全消失。"),
                      {"gradient": direction_en})


def forward_finding(spreads: list[float]) -> Conclusion:
    """The forward signal matters too: a "flat" gradient ratio can hide activations that blew up."""
    growth = spreads[-1] / spreads[0] if spreads[0] > 0 else math.inf
    if not math.isfinite(growth) or growth > 100:
        return Conclusion(T(f"In the forward pass the activations blew up (std {spreads[0]:.3g} → {spreads[-1]:.3g}).",
                            f"前向传播中激活值爆炸（标准差 {spreads[0]:.3g} → {spreads[-1]:.3g}）。"),
                          {"forward": "blew_up"})
    if growth < 0.01:
        return Conclusion(T(f"In the forward pass the activations collapsed toward zero (std {spreads[0]:.3g} → "
                            f"{spreads[-1]:.3g}).",
                            f"前向传播中激活值塌缩到接近 0（标准差 {spreads[0]:.3g} → {spreads[-1]:.3g}）。"),
                          {"forward": "collapsed"})
    return Conclusion(both(""), {"forward": "steady"})


def gain_finding(measured: Measurements) -> Conclusion:
    """Why the gradient shrinks or grows: each layer multiplies ∂L/∂h by about σ_w·√width·rms f′. With BatchNorm
    the layer's own scale drops out, and with unbounded activations the weight gradient also carries the forward
    signal, so the estimate speaks only for saturating activations without BatchNorm."""
    params = measured.params
    if params["batchnorm"] or params["activation"] not in ("sigmoid", "tanh"):
        return Conclusion(both(""))
    gain, scale, slope = measured.backward_gain, measured.weight_scale, measured.slope_rms
    direction = T("shrinks", "缩小") if gain < 1 else T("grows", "增大")
    sentence = T(
        f"Each layer multiplies the backward signal by about σ_w·√width·rms f′ = {number(scale)} × "
        f"{number(slope)} = {number(gain)}, so it {direction['en']} toward the input.",
        f"每一层把反向信号乘以约 σ_w·√width·rms f′ = {number(scale)} × {number(slope)} = {number(gain)}，"
        f"所以它向输入方向{direction['zh']}。")
    if params["init"] != "normal":
        return Conclusion(sentence)
    width = params["width"]
    if gain < 1:
        condition = T(f"With N(0, 1) weights σ_w·√width is √{width}, so whether the gradient vanishes depends on the "
                      "width: wide enough layers lift the gain above 1.",
                      f"N(0, 1) 权重下 σ_w·√width 就是 √{width}，所以梯度是否消失取决于宽度：层足够宽时增益会超过 1。")
    else:
        condition = T(f"With N(0, 1) weights σ_w·√width is √{width}: at this width it outweighs the small f′, so "
                      "the gradient does not vanish; narrower layers bring the gain below 1.",
                      f"N(0, 1) 权重下 σ_w·√width 就是 √{width}：在这个宽度下它压过了较小的 f′，梯度并未消失；"
                      "更窄的层会使增益低于 1。")
    return Conclusion(join(sentence, condition))


def training_finding(measured: Measurements) -> Conclusion:
    losses, steps = measured.losses, measured.params["steps"]
    if measured.diverged_at is not None:
        return Conclusion(T(f"Training then diverged: the loss stopped being finite at step {measured.diverged_at}.",
                            f"随后训练发散：损失在第 {measured.diverged_at} 步变为非有限值。"),
                          {"training": "diverged"})
    if measured.diverged:
        return Conclusion(T(f"Training then diverged: over {steps} SGD steps the loss grew from {number(losses[0])} "
                            f"to {number(losses[-1])}.",
                            f"随后训练发散：经过 {steps} 步 SGD，损失从 {number(losses[0])} 增大到 "
                            f"{number(losses[-1])}。"), {"training": "diverged"})
    return Conclusion(T(f"Over {steps} SGD steps the loss went from {number(losses[0])} to {number(losses[-1])}.",
                        f"经过 {steps} 步 SGD，损失从 {number(losses[0])} 变为 {number(losses[-1])}。"),
                      {"training": "trained"})


LAYER_AXIS = T("hidden layer (1 = next to the input)", "隐藏层（1 = 靠近输入）")


def gradient_chart(norms_per_step: list[list[float]], depth: int) -> Chart:
    """Per layer, the gradient norm at step 0 and at the latest step (while training, the step it is at)."""
    layers = list(range(1, depth + 1))
    gradient_series = []
    if norms_per_step:
        gradient_series.append(Series(T("step 0", "第 0 步"), layers, norms_per_step[0]))
    if len(norms_per_step) > 1:  # a run that diverged at once has only step 0
        gradient_series.append(Series(T(f"step {len(norms_per_step) - 1}", f"第 {len(norms_per_step) - 1} 步"),
                                      layers, norms_per_step[-1]))
    return Chart(T("Gradient norm per layer", "各层梯度范数"), LAYER_AXIS, both("‖∂L/∂W‖"), gradient_series,
                 y_scale="log")


def loss_chart(losses: list[float]) -> Chart:
    return Chart(T("Training loss", "训练损失"), T("SGD step", "SGD 步数"), T("MSE", "均方误差"),
                 [Series(T("loss", "损失"), list(range(len(losses))), losses)], y_scale="log")


def charts(measured: Measurements) -> list[Chart]:
    layers, layer_axis = list(range(1, measured.params["depth"] + 1)), LAYER_AXIS
    return [
        gradient_chart(measured.norms_per_step, measured.params["depth"]),
        Chart(T("Activation spread per layer (step 0)", "各层激活值离散度（第 0 步）"), layer_axis,
              T("std of activations", "激活值标准差"), [Series(T("std", "标准差"), layers, measured.spreads)],
              y_scale="log"),
        Chart(T("Units passing almost no gradient (step 0)", "几乎不传梯度的单元（第 0 步）"), layer_axis,
              T("share with |f′| < 5% of its peak", "|f′| 小于峰值 5% 的占比"),
              [Series(T("share", "占比"), layers, measured.stuck)]),
        loss_chart(measured.losses),
    ]


def heatmaps(measured: Measurements) -> list[Heatmap]:
    """Layers × steps; at most HEATMAP_COLUMNS evenly spaced steps so the page stays light."""
    depth, norms_per_step = measured.params["depth"], measured.norms_per_step
    total = measured.params["steps"] + 1
    columns = sorted({round(i * (total - 1) / (HEATMAP_COLUMNS - 1)) for i in range(HEATMAP_COLUMNS)}) \
        if total > HEATMAP_COLUMNS else list(range(total))
    values = [[norms_per_step[step][layer] if step < len(norms_per_step) else math.nan for step in columns]
              for layer in range(depth)]
    return [Heatmap(T("‖∂L/∂W‖ per layer across training", "训练过程中各层的 ‖∂L/∂W‖"),
                    T("SGD step", "SGD 步数"), T("hidden layer", "隐藏层"), [str(step) for step in columns],
                    [str(layer + 1) for layer in range(depth)], values, log_color=True)]


SPEC = DemoSpec(
    id="D1",
    title=T("Vanishing gradients", "梯度消失"),
    description=T(
        "A deep MLP regresses a smooth target with SGD. Watch the gradient norm of every hidden layer: each "
        "layer multiplies the backward signal by about σ_w·√width·rms f′, so it shrinks toward the input where "
        "that gain is below 1 and grows where it is above. Sigmoid (f′ ≤ 0.25) with naive N(0, 1) weights "
        "shrinks it at the default width, but σ_w·√width grows with the width: at width 256 the gain passes 1. "
        "ReLU with He init keeps the gain near 1 and the gradient flat.",
        "一个深层 MLP 用 SGD 拟合平滑目标。观察每个隐藏层的梯度范数：每一层把反向信号乘以约 σ_w·√width·rms f′，"
        "增益小于 1 时梯度向输入方向缩小，大于 1 时增大。sigmoid（f′ ≤ 0.25）配朴素 N(0, 1) 权重在默认宽度下"
        "会逐层衰减，但 σ_w·√width 随宽度增大：宽度 256 时增益超过 1。ReLU 配 He 初始化使增益接近 1，梯度保持平稳。"),
    params=(
        IntParam("depth", T("Hidden layers", "隐藏层数"), 20, minimum=2, maximum=50,
                 help=T("Number of Linear+activation blocks.", "线性层+激活函数块的数量。")),
        IntParam("width", T("Units per layer", "每层单元数"), 32, minimum=8, maximum=256,
                 help=T("Also the input size, so all hidden weight matrices have the same shape.",
                        "同时也是输入维度，使所有隐藏层权重矩阵形状相同。")),
        ChoiceParam("activation", T("Activation", "激活函数"), "sigmoid", choices=tuple(ACTIVATIONS),
                    choice_labels=ACTIVATION_LABELS),
        ChoiceParam("init", T("Weight initialisation", "权重初始化"), "normal", choices=tuple(INIT_LABELS),
                    choice_labels=INIT_LABELS),
        BoolParam("batchnorm", T("Batch normalisation", "批归一化"), False,
                  help=T("Insert BatchNorm between each Linear and its activation.",
                         "在每个线性层与激活函数之间插入 BatchNorm。")),
        IntParam("steps", T("Training steps", "训练步数"), 60, minimum=1, maximum=200),
        FloatParam("lr", T("Learning rate", "学习率"), 0.05, minimum=1e-4, maximum=1.0, log_scale=True),
        IntParam("seed", T("Random seed", "随机种子"), 0, minimum=0, maximum=9999,
                 help=T("Draws the weights and the data.", "决定权重与数据的随机抽样。")),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, heatmaps=heatmaps),
    queue="demos",
)

# Step-0 quantities are closed-form given identical CPU-drawn weights (float64): tight. Losses after
# training accumulate float differences between BLAS libraries: looser.
CROSS_DEVICE_METRICS = {
    "first_layer_grad_norm": 1e-6,
    "last_layer_grad_norm": 1e-6,
    "grad_ratio_last_over_first": 1e-6,
    "first_layer_activation_std": 1e-6,
    "initial_loss": 1e-6,
    "final_loss": 0.1,
}
