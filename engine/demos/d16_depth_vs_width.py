"""D16 — depth vs width: fit a highly oscillating 1-D function with the same parameter budget.

A deep-narrow ReLU MLP and a shallow-wide one (a single hidden layer) get (almost) the same number of
parameters and the same training (full-batch Adam on a dense grid of [0, 1]). Theory says depth buys
oscillations cheaply — composing a tent map k times gives 2^k teeth with width 2 — but gradient descent
has to find such solutions. The demo reports what training actually achieved, and counts the linear
pieces each ReLU network carved the interval into.

Which architecture wins depends on the draw of the initial weights, so every run trains each shape from
several seeds side by side (one batched network per shape: Adam is element-wise, so the copies never
interact) and the conclusion calls a winner only when every seed agrees.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import ChoiceParam, DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both, join, number

# Training grid: at least 16 points per period, never fewer than 256 (about 40 per period at the default 6)
MIN_TRAIN_POINTS = 256
POINTS_PER_PERIOD = 16
TEST_POINTS = 4096
PLOT_POINTS = 512
CLEAR_RATIO = 1.5  # one architecture "won" when its test MSE is this many times lower, in every seed
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


class SideBySide(nn.Module):
    """One ReLU MLP of the given widths per seed, trained at once: layer l of copy k computes h·W[k] + b[k] by a
    batched matmul. Each copy is drawn like `mlp` (He-normal weights, PyTorch's uniform biases) from its own
    seed's generator, so a copy is the same network whichever other seeds run beside it."""

    def __init__(self, widths: list[int], draws: list[torch.Generator]):
        super().__init__()
        self.widths = widths
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        for fan_in, fan_out in zip(widths, widths[1:], strict=False):
            weight = [torch.randn(fan_in, fan_out, generator=g) * math.sqrt(2.0 / fan_in) for g in draws]
            bias = [(torch.rand(1, fan_out, generator=g) * 2 - 1) / math.sqrt(fan_in) for g in draws]
            self.weights.append(nn.Parameter(torch.stack(weight)))
            self.biases.append(nn.Parameter(torch.stack(bias)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (points, 1), the same for every copy; returns (copies, points, 1)."""
        hidden = x.expand(len(self.weights[0]), *x.shape)
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            hidden = layer(hidden, weight, bias)
            if index < len(self.weights) - 1:
                hidden = torch.relu(hidden)
        return hidden

    def network(self, copy: int) -> nn.Sequential:
        """Copy `copy` as an ordinary nn.Sequential (for counting its linear pieces and drawing it)."""
        model = mlp(self.widths).to(self.weights[0].device)
        linears = [layer for layer in model if isinstance(layer, nn.Linear)]
        with torch.no_grad():
            for linear, weight, bias in zip(linears, self.weights, self.biases, strict=True):
                linear.weight.copy_(weight[copy].T)
                linear.bias.copy_(bias[copy, 0])
        return model


def layer(hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """hidden·weight + bias per copy. A layer one unit wide on either side is an outer product or a dot product:
    written element-wise it costs a fifth of the batched matmul, whose small-matrix path is slow on a CPU."""
    if weight.shape[1] == 1:
        return torch.addcmul(bias, hidden, weight)
    if weight.shape[2] == 1:
        return (hidden * weight.transpose(1, 2)).sum(dim=2, keepdim=True) + bias
    return torch.baddbmm(bias, hidden, weight)


def fit(models: dict[str, SideBySide], x: torch.Tensor, y: torch.Tensor, *, steps: int, lr: float,
        progress: Progress, seed: int) -> dict[str, list[list[float]]]:
    """Adam on the sum of every copy's MSE, both shapes in one step: the copies share no parameter and Adam is
    element-wise, so each trains as it would alone, at half the per-step overhead. Returns each copy's losses;
    meanwhile the live chart shows the first copy's (the run's own `seed`)."""
    parameters = [parameter for model in models.values() for parameter in model.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=lr, fused=True)  # one kernel per step, the same update
    losses: dict[str, list[torch.Tensor]] = {name: [] for name in models}
    progress.live(lambda: [loss_chart({name: torch.stack(history)[:, 0].tolist() if history else []
                                       for name, history in losses.items()}, seed=seed)])
    for step in range(steps):
        per_copy = {name: (model(x) - y).pow(2).mean(dim=(1, 2)) for name, model in models.items()}
        optimizer.zero_grad()
        sum(loss.sum() for loss in per_copy.values()).backward()
        optimizer.step()
        for name, loss in per_copy.items():
            losses[name].append(loss.detach())
        progress.advance(T(f"Adam step {step + 1}", f"Adam 第 {step + 1} 步"))
    return {name: torch.stack(history).T.cpu().tolist() for name, history in losses.items()}


def describe(widths: list[int]) -> str:
    return "–".join(str(width) for width in widths)


@dataclass(frozen=True)
class Fit:
    """One trained network: one shape from one seed."""

    widths: list[int]
    params: int
    losses: list[float]  # per Adam step
    test_mse: float
    curve: list[float]  # the network's output on PLOT_POINTS points of [0, 1]
    pieces: int  # linear pieces it cuts [0, 1] into


@dataclass(frozen=True)
class Measurements:
    params: dict
    fits: dict[str, list[Fit]]  # per ARCHITECTURES name, one per seed (the first is the run's own seed)

    @property
    def variance(self) -> float:
        """Of the target on the test grid: a test MSE this large explains nothing."""
        grid = torch.linspace(0, 1, TEST_POINTS)
        return target_function(grid, kind=self.params["target"], teeth=self.params["teeth"]).var().item()

    @property
    def seeds(self) -> list[int]:
        return [self.params["seed"] + copy for copy in range(self.params["seeds"])]

    @property
    def ratios(self) -> list[float]:
        """Shallow test MSE over deep, per seed: above 1 depth did better."""
        return [shallow.test_mse / deep.test_mse if deep.test_mse > 0 else math.inf
                for deep, shallow in zip(self.fits["deep"], self.fits["shallow"], strict=True)]

    @property
    def shallow_over_deep(self) -> float:
        return statistics.median(self.ratios)

    def median_mse(self, name: str) -> float:
        return statistics.median(fit.test_mse for fit in self.fits[name])


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    kind, teeth = params["target"], params["teeth"]
    grid = torch.linspace(0, 1, max(MIN_TRAIN_POINTS, POINTS_PER_PERIOD * teeth)).unsqueeze(1)
    test = (torch.arange(TEST_POINTS) + 0.5).div(TEST_POINTS).unsqueeze(1)  # between the training points
    # the networks see x rescaled to [−1, 1] (centred inputs); targets are functions of x on [0, 1]
    x, y = (2 * grid - 1).to(device), target_function(grid, kind=kind, teeth=teeth).to(device)
    test_x, test_y = (2 * test - 1).to(device), target_function(test, kind=kind, teeth=teeth).to(device)
    widths = {"deep": deep_widths(budget=params["budget"], depth=params["depth"])}
    widths["shallow"] = shallow_widths(budget=parameter_count(widths["deep"]))
    draws = [generator(copy) for copy in range(params["seeds"])]  # seed, seed + 1, …: deep drawn first, then shallow
    progress.plan(params["steps"])
    models = {name: SideBySide(layer_widths, draws).to(device) for name, layer_widths in widths.items()}
    losses = fit(models, x, y, steps=params["steps"], lr=params["lr"], progress=progress, seed=params["seed"])
    fits = {name: [evaluate(model.network(copy), widths[name], losses[name][copy], test_x, test_y)
                   for copy in range(params["seeds"])] for name, model in models.items()}
    return Measurements(params, fits)


def evaluate(model: nn.Sequential, widths: list[int], losses: list[float], test_x: torch.Tensor,
             test_y: torch.Tensor) -> Fit:
    with torch.no_grad():
        test_mse = nn.functional.mse_loss(model(test_x), test_y).item()
        plot_x = torch.linspace(-1, 1, PLOT_POINTS, device=test_x.device).unsqueeze(1)
        curve = model(plot_x).squeeze(1).cpu().tolist()
    return Fit(widths, parameter_count(widths), losses, test_mse, curve, linear_pieces(model, test_x))


def summary(measured: Measurements) -> list[Metric]:
    metrics = []
    seeds = T(f"median of {len(measured.seeds)} seeds", f"{len(measured.seeds)} 个种子的中位数") \
        if len(measured.seeds) > 1 else T("one seed", "一个种子")
    for name, label in ARCHITECTURES.items():
        first, mse = measured.fits[name][0], measured.median_mse(name)
        metrics += [
            Metric(f"{name}_params", T(f"Parameters, {label['en']} ({describe(first.widths)})",
                                       f"参数量，{label['zh']}（{describe(first.widths)}）"), first.params),
            Metric(f"{name}_test_mse", T(f"Test MSE, {label['en']} ({seeds['en']})",
                                         f"测试均方误差，{label['zh']}（{seeds['zh']}）"), mse),
            Metric(f"{name}_explained", T(f"Variance explained, {label['en']} ({seeds['en']})",
                                          f"解释方差，{label['zh']}（{seeds['zh']}）"),
                   100 * (1 - mse / measured.variance), "%"),
            Metric(f"{name}_linear_pieces", T(f"Linear pieces on [0, 1], {label['en']} (seed {measured.seeds[0]})",
                                              f"[0, 1] 上的线性段数，{label['zh']}（种子 {measured.seeds[0]}）"),
                   first.pieces),
        ]
    ratios = measured.ratios
    return metrics + [
        Metric("shallow_over_deep_mse", T(f"Test MSE, shallow / deep ({seeds['en']})",
                                          f"测试均方误差之比，浅/深（{seeds['zh']}）"),
               measured.shallow_over_deep, "×"),
        Metric("shallow_over_deep_mse_lowest", T("Test MSE, shallow / deep: lowest seed",
                                                 "测试均方误差之比，浅/深：最低的种子"), min(ratios), "×"),
        Metric("shallow_over_deep_mse_highest", T("Test MSE, shallow / deep: highest seed",
                                                  "测试均方误差之比，浅/深：最高的种子"), max(ratios), "×"),
    ]


def conclude(measured: Measurements) -> Conclusion:
    deep, shallow = measured.fits["deep"][0], measured.fits["shallow"][0]
    teeth, target = measured.params["teeth"], TARGETS[measured.params["target"]]
    periods = f"{teeth} period{'s' if teeth != 1 else ''}"
    setup = Conclusion(T(
        f"On a {target['en'].lower()} with {periods}, a deep-narrow net ({describe(deep.widths)}, "
        f"{deep.params} parameters) and a shallow-wide one ({describe(shallow.widths)}, {shallow.params} parameters)",
        f"拟合 {teeth} 个周期的{target['zh']}：深而窄的网络（{describe(deep.widths)}，{deep.params} 个参数）"
        f"与浅而宽的网络（{describe(shallow.widths)}，{shallow.params} 个参数）"))
    seed = measured.seeds[0]
    pieces = T(f"With seed {seed} the deep net cut [0, 1] into {deep.pieces} linear pieces, the shallow "
               f"one into {shallow.pieces}.",
               f"种子 {seed} 下，深网络把 [0, 1] 分成 {deep.pieces} 段线性区间，浅网络分成 {shallow.pieces} 段。")
    if measured.params["target"] == "triangle":
        pieces = join(pieces, T(f"An exact zig-zag with {teeth} periods needs {2 * teeth}.",
                                f"精确表示 {teeth} 个周期的折线需要 {2 * teeth} 段。"))
    return Conclusion.join(setup, winner_finding(measured), Conclusion(pieces), fit_finding(measured))


def winner_finding(measured: Measurements) -> Conclusion:
    """A winner only when every seed agrees by CLEAR_RATIO; seeds pointing both ways mean the difference is within
    the spread of the draw, which one seed alone cannot show."""
    deep, shallow = number(measured.median_mse("deep")), number(measured.median_mse("shallow"))
    ratios, count = measured.ratios, len(measured.seeds)
    lowest, highest, median = number(min(ratios), digits=2), number(max(ratios), digits=2), \
        number(measured.shallow_over_deep, digits=2)
    spread = T(f" (shallow/deep from {lowest}× to {highest}× across {count} seeds)",
               f"（{count} 个种子的浅/深之比从 {lowest} 倍到 {highest} 倍）") if count > 1 else \
        T(" (one seed: run several to see whether it holds)", "（只有一个种子：多跑几个种子才能看出是否稳定）")
    if min(ratios) >= CLEAR_RATIO:
        return Conclusion(T(
            f"ended with test MSE {deep} vs {shallow}: depth won by {median}× with the same budget{spread['en']}.",
            f"最终测试均方误差为 {deep} 对 {shallow}：同样的参数预算下，深度胜出 {median} 倍{spread['zh']}。"),
            {"winner": "depth"})
    if max(ratios) <= 1 / CLEAR_RATIO:
        factor = number(1 / measured.shallow_over_deep, digits=2)
        return Conclusion(T(
            f"ended with test MSE {deep} vs {shallow}: here width won by {factor}× "
            f"{spread['en'].strip()}; depth can represent the oscillations cheaply, but training did not find such "
            "a solution.",
            f"最终测试均方误差为 {deep} 对 {shallow}：这次宽度胜出 {factor} 倍"
            f"{spread['zh']}；深度虽能以很少参数表示振荡，但训练没有找到那样的解。"), {"winner": "width"})
    if min(ratios) < 1 < max(ratios):
        return Conclusion(T(
            f"ended with median test MSE {deep} vs {shallow}, but the seeds disagree{spread['en']}: the "
            "difference is within the spread of the draw, so neither architecture won.",
            f"最终测试均方误差中位数为 {deep} 对 {shallow}，但各种子结论不一致{spread['zh']}：差别在随机抽样的波动"
            "范围之内，两者都没有胜出。"), {"winner": "within_spread"})
    if min(ratios) > 1 or max(ratios) < 1:
        ahead = ARCHITECTURES["deep" if min(ratios) > 1 else "shallow"]
        return Conclusion(T(
            f"ended with test MSE {deep} vs {shallow}: the {ahead['en']} net did better with every seed, but not by "
            f"{CLEAR_RATIO:g}× with all of them{spread['en']}, so it leads without clearly winning.",
            f"最终测试均方误差为 {deep} 对 {shallow}：{ahead['zh']}的网络在每个种子下都更好，但并非都好出 "
            f"{CLEAR_RATIO:g} 倍{spread['zh']}，所以只是领先，没有明显胜出。"),
            {"winner": "leans_depth" if min(ratios) > 1 else "leans_width"})
    return Conclusion(T(f"ended level: test MSE {deep} vs {shallow}{spread['en']}; neither architecture won.",
                        f"结果持平：测试均方误差 {deep} 对 {shallow}{spread['zh']}，两者都没有胜出。"),
                      {"winner": "neither"})


def fit_finding(measured: Measurements) -> Conclusion:
    if max(fit.test_mse for fits in measured.fits.values() for fit in fits) < 0.02 * measured.variance:
        return Conclusion(T("Both fit the target well.", "两者都拟合得很好。"), {"both_fit_well": True})
    return Conclusion(both(""), {"both_fit_well": False})


def charts(measured: Measurements) -> list[Chart]:
    plot_x = torch.linspace(0, 1, PLOT_POINTS)
    truth = target_function(plot_x, kind=measured.params["target"], teeth=measured.params["teeth"]).tolist()
    xs, fits, seed = plot_x.tolist(), {name: fits[0] for name, fits in measured.fits.items()}, measured.seeds[0]
    curves = [Series(T("target", "目标"), xs, truth)]
    curves += [Series(T(f"{label['en']} ({fits[name].params} params)", f"{label['zh']}（{fits[name].params} 个参数）"),
                      xs, fits[name].curve) for name, label in ARCHITECTURES.items()]
    return [
        Chart(T(f"Target and fits (seed {seed})", f"目标与拟合（种子 {seed}）"), both("x"), both("y"), curves),
        loss_chart({name: fit.losses for name, fit in fits.items()}, seed=seed),
    ]


def loss_chart(losses: dict[str, list[float]], *, seed: int) -> Chart:
    """Each shape's MSE at the Adam steps taken so far, for one seed."""
    return Chart(T(f"Training loss (seed {seed})", f"训练损失（种子 {seed}）"), T("Adam step", "Adam 步数"),
                 T("MSE", "均方误差"), [Series(label, list(range(1, len(losses[name]) + 1)), losses[name])
                                        for name, label in ARCHITECTURES.items()], y_scale="log")


def tables(measured: Measurements) -> list[Table]:
    columns = [T("network", "网络"), T("seed", "种子"), T("layer widths", "各层宽度"), T("parameters", "参数量"),
               T("test MSE", "测试均方误差"), T("linear pieces", "线性段数")]
    rows = [[ARCHITECTURES[name]["en"], seed, describe(fit.widths), fit.params, float(f"{fit.test_mse:.4g}"),
             fit.pieces]
            for name, fits in measured.fits.items() for seed, fit in zip(measured.seeds, fits, strict=True)]
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
        IntParam("seed", T("Random seed", "随机种子"), 0, minimum=0, maximum=9999,
                 help=T("Draws the initial weights of the first pair of networks.", "决定第一对网络的初始权重。")),
        IntParam("seeds", T("Seeds side by side", "并行的种子数"), 3, minimum=1, maximum=5,
                 help=T("Seed, seed + 1, …: a winner is named only when every seed agrees.",
                        "种子、种子 + 1、……：只有所有种子结论一致时才判定胜负。")),
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
