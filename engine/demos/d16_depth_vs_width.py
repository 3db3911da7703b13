"""D16 — depth vs width: fit a highly oscillating 1-D function with the same parameter budget.

A deep-narrow ReLU MLP and a shallow-wide one (a single hidden layer) get (almost) the same number of
parameters and the same training (full-batch Adam on a dense grid of [0, 1]). Theory says depth buys
oscillations cheaply — composing a tent map k times gives 2^k teeth with width 2 — but gradient descent
has to find such solutions. The demo reports what training actually achieved, and counts the linear
pieces each ReLU network carved the interval into.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device
from engine.spec import ChoiceParam, DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both, join

TRAIN_POINTS = 512
TEST_POINTS = 4096
PLOT_POINTS = 512
TARGETS = {
    "triangle": T("Triangle wave (zig-zag)", "三角波（锯齿折线）"),
    "sawtooth": T("Sawtooth (with jumps)", "锯齿波（带跳变）"),
    "sine": T("Sine", "正弦"),
}
ARCHITECTURES = {"deep": T("deep-narrow", "深而窄"), "shallow": T("shallow-wide", "浅而宽")}


def target_function(x: torch.Tensor, *, kind: str, teeth: int) -> torch.Tensor:
    """`teeth` periods on [0, 1], values in [−1, 1]."""
    phase = torch.remainder(teeth * x, 1.0)
    if kind == "triangle":
        return 1.0 - 4.0 * (phase - 0.5).abs()
    if kind == "sawtooth":
        return 2.0 * phase - 1.0
    return torch.sin(2 * math.pi * teeth * x)


def mlp(widths: list[int]) -> nn.Sequential:
    """ReLU MLP with He-normal weights (PyTorch's default scale starves a deep-narrow ReLU stack) and
    PyTorch's default uniform biases, which spread the first layer's kinks over the input range."""
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(widths, widths[1:], strict=False):
        linear = nn.Linear(fan_in, fan_out)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no ReLU after the output layer


def parameter_count(widths: list[int]) -> int:
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(widths, widths[1:], strict=False))


def deep_widths(*, budget: int, depth: int) -> list[int]:
    """The widest equal-width stack of `depth` hidden layers whose parameter count stays within `budget`."""
    width = 1
    while parameter_count([1] + [width + 1] * depth + [1]) <= budget:
        width += 1
    return [1] + [width] * depth + [1]


def shallow_widths(*, budget: int) -> list[int]:
    """One hidden layer of h units costs 3h + 1 parameters: pick the h closest to `budget`."""
    return [1, max(1, round((budget - 1) / 3)), 1]


def linear_pieces(model: nn.Sequential, x: torch.Tensor) -> int:
    """How many linear pieces the ReLU network cuts the sorted grid `x` into (activation-pattern changes + 1)."""
    patterns = []
    hidden = x
    with torch.no_grad():
        for layer in model:
            hidden = layer(hidden)
            if isinstance(layer, nn.ReLU):
                patterns.append(hidden > 0)
    pattern = torch.cat(patterns, dim=1)
    return int((pattern[1:] != pattern[:-1]).any(dim=1).sum().item()) + 1


def fit(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor, *, steps: int, lr: float, name: str,
        progress: Progress) -> list[float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        progress.advance(T(f"{name}: step {step + 1}", f"{name}：第 {step + 1} 步"))
    return losses


def describe(widths: list[int]) -> str:
    return "–".join(str(width) for width in widths)


@dataclass(frozen=True)
class Fit:
    """One trained network."""

    widths: list[int]
    params: int
    losses: list[float]  # per Adam step
    test_mse: float
    curve: list[float]  # the network's output on PLOT_POINTS points of [0, 1]
    pieces: int  # linear pieces it cuts [0, 1] into


@dataclass(frozen=True)
class Measurements:
    params: dict
    fits: dict[str, Fit]  # per ARCHITECTURES name

    @property
    def variance(self) -> float:
        """Of the target on the test grid: a test MSE this large explains nothing."""
        grid = torch.linspace(0, 1, TEST_POINTS)
        return target_function(grid, kind=self.params["target"], teeth=self.params["teeth"]).var().item()

    @property
    def shallow_over_deep(self) -> float:
        deep, shallow = self.fits["deep"].test_mse, self.fits["shallow"].test_mse
        return shallow / deep if deep > 0 else math.inf


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    grid = torch.linspace(0, 1, TRAIN_POINTS).unsqueeze(1)
    test = (torch.arange(TEST_POINTS) + 0.5).div(TEST_POINTS).unsqueeze(1)  # between the training points
    kind, teeth = params["target"], params["teeth"]
    # the networks see x rescaled to [−1, 1] (centred inputs); targets are functions of x on [0, 1]
    x, y = (2 * grid - 1).to(device), target_function(grid, kind=kind, teeth=teeth).to(device)
    test_x, test_y = (2 * test - 1).to(device), target_function(test, kind=kind, teeth=teeth).to(device)
    widths = {"deep": deep_widths(budget=params["budget"], depth=params["depth"])}
    widths["shallow"] = shallow_widths(budget=parameter_count(widths["deep"]))
    progress.plan(len(widths) * params["steps"])
    fits = {}
    for name, layer_widths in widths.items():
        model = mlp(layer_widths).to(device)  # built on the CPU from the seeded global RNG: same start everywhere
        losses = fit(model, x, y, steps=params["steps"], lr=params["lr"], name=name, progress=progress)
        with torch.no_grad():
            test_mse = nn.functional.mse_loss(model(test_x), test_y).item()
            plot_x = torch.linspace(-1, 1, PLOT_POINTS, device=device).unsqueeze(1)
            curve = model(plot_x).squeeze(1).cpu().tolist()
        fits[name] = Fit(layer_widths, parameter_count(layer_widths), losses, test_mse, curve,
                         linear_pieces(model, test_x))
    return Measurements(params, fits)


def summary(measured: Measurements) -> list[Metric]:
    metrics = []
    for name, label in ARCHITECTURES.items():
        outcome = measured.fits[name]
        metrics += [
            Metric(f"{name}_params", T(f"Parameters, {label['en']} ({describe(outcome.widths)})",
                                       f"参数量，{label['zh']}（{describe(outcome.widths)}）"), outcome.params),
            Metric(f"{name}_test_mse", T(f"Test MSE, {label['en']}", f"测试均方误差，{label['zh']}"),
                   outcome.test_mse),
            Metric(f"{name}_explained", T(f"Variance explained, {label['en']}", f"解释方差，{label['zh']}"),
                   100 * (1 - outcome.test_mse / measured.variance), "%"),
            Metric(f"{name}_linear_pieces", T(f"Linear pieces on [0, 1], {label['en']}",
                                              f"[0, 1] 上的线性段数，{label['zh']}"), outcome.pieces),
        ]
    return metrics + [Metric("shallow_over_deep_mse", T("Test MSE, shallow / deep", "测试均方误差之比，浅/深"),
                             measured.shallow_over_deep, "×")]


def conclude(measured: Measurements) -> Conclusion:
    deep, shallow = measured.fits["deep"], measured.fits["shallow"]
    teeth, target = measured.params["teeth"], TARGETS[measured.params["target"]]
    periods = f"{teeth} period{'s' if teeth != 1 else ''}"
    setup = Conclusion(T(
        f"On a {target['en'].lower()} with {periods}, a deep-narrow net ({describe(deep.widths)}, "
        f"{deep.params} parameters) and a shallow-wide one ({describe(shallow.widths)}, {shallow.params} parameters)",
        f"拟合 {teeth} 个周期的{target['zh']}：深而窄的网络（{describe(deep.widths)}，{deep.params} 个参数）"
        f"与浅而宽的网络（{describe(shallow.widths)}，{shallow.params} 个参数）"))
    pieces = T(f"The deep net cut [0, 1] into {deep.pieces} linear pieces, the shallow one into {shallow.pieces}.",
               f"深网络把 [0, 1] 分成 {deep.pieces} 段线性区间，浅网络分成 {shallow.pieces} 段。")
    if measured.params["target"] == "triangle":
        pieces = join(pieces, T(f"An exact zig-zag with {teeth} periods needs {2 * teeth}.",
                                f"精确表示 {teeth} 个周期的折线需要 {2 * teeth} 段。"))
    return Conclusion.join(setup, winner_finding(measured), Conclusion(pieces), fit_finding(measured))


def winner_finding(measured: Measurements) -> Conclusion:
    deep, shallow, ratio = measured.fits["deep"].test_mse, measured.fits["shallow"].test_mse, measured.shallow_over_deep
    if ratio >= 1.5:
        return Conclusion(T(
            f"ended with test MSE {deep:.3g} vs {shallow:.3g}: depth won by {ratio:.2g}× with the same budget.",
            f"最终测试均方误差为 {deep:.3g} 对 {shallow:.3g}：同样的参数预算下，深度胜出 {ratio:.2g} 倍。"),
            {"winner": "depth"})
    if ratio <= 1 / 1.5:
        return Conclusion(T(
            f"ended with test MSE {deep:.3g} vs {shallow:.3g}: here width won by {1 / ratio:.2g}× — depth can "
            "represent the oscillations cheaply, but this training run did not find such a solution.",
            f"最终测试均方误差为 {deep:.3g} 对 {shallow:.3g}：这次宽度胜出 {1 / ratio:.2g} 倍——"
            "深度虽能以很少参数表示振荡，但这次训练没有找到那样的解。"), {"winner": "width"})
    return Conclusion(T(f"ended close: test MSE {deep:.3g} vs {shallow:.3g}; neither architecture clearly won.",
                        f"结果接近：测试均方误差 {deep:.3g} 对 {shallow:.3g}，两者无明显胜负。"), {"winner": "neither"})


def fit_finding(measured: Measurements) -> Conclusion:
    if max(fit.test_mse for fit in measured.fits.values()) < 0.02 * measured.variance:
        return Conclusion(T("Both fit the target well.", "两者都拟合得很好。"), {"both_fit_well": True})
    return Conclusion(both(""), {"both_fit_well": False})


def charts(measured: Measurements) -> list[Chart]:
    plot_x = torch.linspace(0, 1, PLOT_POINTS)
    truth = target_function(plot_x, kind=measured.params["target"], teeth=measured.params["teeth"]).tolist()
    xs, fits = plot_x.tolist(), measured.fits
    curves = [Series(T("target", "目标"), xs, truth)]
    curves += [Series(T(f"{label['en']} ({fits[name].params} params)", f"{label['zh']}（{fits[name].params} 个参数）"),
                      xs, fits[name].curve) for name, label in ARCHITECTURES.items()]
    losses = [Series(label, list(range(1, len(fits[name].losses) + 1)), fits[name].losses)
              for name, label in ARCHITECTURES.items()]
    return [
        Chart(T("Target and fits", "目标与拟合"), both("x"), both("y"), curves),
        Chart(T("Training loss", "训练损失"), T("Adam step", "Adam 步数"), T("MSE", "均方误差"), losses,
              y_scale="log"),
    ]


def tables(measured: Measurements) -> list[Table]:
    columns = [T("network", "网络"), T("layer widths", "各层宽度"), T("parameters", "参数量"),
               T("test MSE", "测试均方误差"), T("linear pieces", "线性段数")]
    rows = [[ARCHITECTURES[name]["en"], describe(fit.widths), fit.params, float(f"{fit.test_mse:.4g}"), fit.pieces]
            for name, fit in measured.fits.items()]
    return [Table(T("Same budget, different shapes", "相同预算，不同形状"), columns, rows)]


SPEC = DemoSpec(
    id="D16",
    title=T("Depth vs width", "深度与宽度"),
    description=T(
        "Fit a highly oscillating function with a deep-narrow and a shallow-wide ReLU network of the same "
        "parameter budget, and see which one actually fits it better.",
        "用参数量相同的深而窄与浅而宽两个 ReLU 网络拟合一个高频振荡函数，看哪一个实际拟合得更好。"),
    params=(
        ChoiceParam("target", T("Target function", "目标函数"), "triangle", choices=tuple(TARGETS),
                    choice_labels=TARGETS),
        IntParam("teeth", T("Periods on [0, 1]", "[0, 1] 上的周期数"), 6, minimum=1, maximum=32),
        IntParam("budget", T("Parameter budget", "参数预算"), 400, minimum=50, maximum=3000),
        IntParam("depth", T("Hidden layers of the deep net", "深网络的隐藏层数"), 5, minimum=2, maximum=10),
        IntParam("steps", T("Adam steps", "Adam 步数"), 600, minimum=50, maximum=3000),
        FloatParam("lr", T("Learning rate", "学习率"), 0.005, minimum=1e-4, maximum=0.1, log_scale=True),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)

# Parameter counts are exact; trained errors differ across BLAS libraries and can tip close races.
CROSS_DEVICE_METRICS = {
    "deep_params": 0.0,
    "shallow_params": 0.0,
    "deep_test_mse": 0.5,
    "shallow_test_mse": 0.5,
}
