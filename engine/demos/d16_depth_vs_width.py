"""D16 — depth vs width: fit a highly oscillating 1-D function with the same parameter budget.

A deep-narrow ReLU MLP and a shallow-wide one (a single hidden layer) get (almost) the same number of
parameters and the same training (full-batch Adam on a dense grid of [0, 1]). Theory says depth buys
oscillations cheaply — composing a tent map k times gives 2^k teeth with width 2 — but gradient descent
has to find such solutions. The demo reports what training actually achieved, and counts the linear
pieces each ReLU network carved the interval into.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from engine.result import Chart, Metric, Result, Series, Table
from engine.runtime import current_device
from engine.spec import ChoiceParam, DemoSpec, FloatParam, IntParam
from engine.text import DONE, T

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


def fit(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor, *, steps: int, lr: float, on_step) -> list[float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        on_step(step)
    return losses


def run(params: dict, progress) -> Result:
    device = current_device()
    grid = torch.linspace(0, 1, TRAIN_POINTS).unsqueeze(1)
    test = (torch.arange(TEST_POINTS) + 0.5).div(TEST_POINTS).unsqueeze(1)  # between the training points
    kind, teeth = params["target"], params["teeth"]
    # the networks see x rescaled to [−1, 1] (centred inputs); targets are functions of x on [0, 1]
    x, y = (2 * grid - 1).to(device), target_function(grid, kind=kind, teeth=teeth).to(device)
    test_x, test_y = (2 * test - 1).to(device), target_function(test, kind=kind, teeth=teeth).to(device)
    widths = {"deep": deep_widths(budget=params["budget"], depth=params["depth"])}
    widths["shallow"] = shallow_widths(budget=parameter_count(widths["deep"]))
    total = 2 * params["steps"]
    outcomes = {}
    for index, (name, layer_widths) in enumerate(widths.items()):
        model = mlp(layer_widths).to(device)  # built on the CPU from the seeded global RNG: same start everywhere

        def on_step(step: int, offset: int = index * params["steps"], name: str = name) -> None:
            done = offset + step + 1
            if done % max(1, total // 20) == 0:
                progress(done / total, T(f"{name}: step {step + 1}", f"{name}：第 {step + 1} 步"))

        losses = fit(model, x, y, steps=params["steps"], lr=params["lr"], on_step=on_step)
        with torch.no_grad():
            test_mse = nn.functional.mse_loss(model(test_x), test_y).item()
            plot_x = torch.linspace(-1, 1, PLOT_POINTS, device=device).unsqueeze(1)
            curve = model(plot_x).squeeze(1).cpu().tolist()
        outcomes[name] = {"widths": layer_widths, "params": parameter_count(layer_widths), "losses": losses,
                          "test_mse": test_mse, "curve": curve, "pieces": linear_pieces(model, test_x)}
    progress(1.0, DONE)
    return build_result(params, outcomes)


def describe(widths: list[int]) -> str:
    return "–".join(str(width) for width in widths)


def build_result(params, outcomes: dict[str, dict]) -> Result:
    variance = target_function(torch.linspace(0, 1, TEST_POINTS), kind=params["target"],
                               teeth=params["teeth"]).var().item()
    summary = []
    for name, label in ARCHITECTURES.items():
        outcome = outcomes[name]
        summary += [
            Metric(f"{name}_params", T(f"Parameters, {label['en']} ({describe(outcome['widths'])})",
                                       f"参数量，{label['zh']}（{describe(outcome['widths'])}）"), outcome["params"]),
            Metric(f"{name}_test_mse", T(f"Test MSE, {label['en']}", f"测试均方误差，{label['zh']}"),
                   outcome["test_mse"]),
            Metric(f"{name}_explained", T(f"Variance explained, {label['en']}", f"解释方差，{label['zh']}"),
                   100 * (1 - outcome["test_mse"] / variance), "%"),
            Metric(f"{name}_linear_pieces", T(f"Linear pieces on [0, 1], {label['en']}",
                                              f"[0, 1] 上的线性段数，{label['zh']}"), outcome["pieces"]),
        ]
    deep, shallow = outcomes["deep"]["test_mse"], outcomes["shallow"]["test_mse"]
    summary.append(Metric("shallow_over_deep_mse", T("Test MSE, shallow / deep", "测试均方误差之比，浅/深"),
                          shallow / deep if deep > 0 else math.inf, "×"))
    return Result(summary=summary, conclusion=conclude(params, outcomes, variance), charts=charts(params, outcomes),
                  tables=[table(outcomes)])


def conclude(params, outcomes: dict[str, dict], variance: float) -> dict[str, str]:
    deep, shallow = outcomes["deep"], outcomes["shallow"]
    teeth, target = params["teeth"], TARGETS[params["target"]]
    periods = f"{teeth} period{'s' if teeth != 1 else ''}"
    setup = T(f"On a {target['en'].lower()} with {periods}, a deep-narrow net ({describe(deep['widths'])}, "
              f"{deep['params']} parameters) and a shallow-wide one ({describe(shallow['widths'])}, "
              f"{shallow['params']} parameters) ",
              f"拟合 {teeth} 个周期的{target['zh']}："
              f"深而窄的网络（{describe(deep['widths'])}，{deep['params']} 个参数）"
              f"与浅而宽的网络（{describe(shallow['widths'])}，{shallow['params']} 个参数）")
    ratio = shallow["test_mse"] / deep["test_mse"] if deep["test_mse"] > 0 else math.inf
    if ratio >= 1.5:
        verdict = T(f"ended with test MSE {deep['test_mse']:.3g} vs {shallow['test_mse']:.3g}: depth won by "
                    f"{ratio:.2g}× with the same budget.",
                    f"最终测试均方误差为 {deep['test_mse']:.3g} 对 {shallow['test_mse']:.3g}：同样的参数预算下，"
                    f"深度胜出 {ratio:.2g} 倍。")
    elif ratio <= 1 / 1.5:
        verdict = T(f"ended with test MSE {deep['test_mse']:.3g} vs {shallow['test_mse']:.3g}: here width won by "
                    f"{1 / ratio:.2g}× — depth can represent the oscillations cheaply, but this training run did "
                    "not find such a solution.",
                    f"最终测试均方误差为 {deep['test_mse']:.3g} 对 {shallow['test_mse']:.3g}：这次宽度胜出 "
                    f"{1 / ratio:.2g} 倍——深度虽能以很少参数表示振荡，但这次训练没有找到那样的解。")
    else:
        verdict = T(f"ended close: test MSE {deep['test_mse']:.3g} vs {shallow['test_mse']:.3g}; neither "
                    "architecture clearly won.",
                    f"结果接近：测试均方误差 {deep['test_mse']:.3g} 对 {shallow['test_mse']:.3g}，两者无明显胜负。")
    pieces = T(f" The deep net cut [0, 1] into {deep['pieces']} linear pieces, the shallow one into "
               f"{shallow['pieces']}.",
               f"深网络把 [0, 1] 分成 {deep['pieces']} 段线性区间，浅网络分成 {shallow['pieces']} 段。")
    if params["target"] == "triangle":
        pieces = T(pieces["en"] + f" An exact zig-zag with {teeth} periods needs {2 * teeth}.",
                   pieces["zh"] + f"精确表示 {teeth} 个周期的折线需要 {2 * teeth} 段。")
    if max(deep["test_mse"], shallow["test_mse"]) < 0.02 * variance:
        pieces = T(pieces["en"] + " Both fit the target well.", pieces["zh"] + "两者都拟合得很好。")
    return T(setup["en"] + verdict["en"] + pieces["en"], setup["zh"] + verdict["zh"] + pieces["zh"])


def charts(params, outcomes: dict[str, dict]) -> list[Chart]:
    plot_x = torch.linspace(0, 1, PLOT_POINTS)
    truth = target_function(plot_x, kind=params["target"], teeth=params["teeth"]).tolist()
    xs = plot_x.tolist()
    fits = [Series(T("target", "目标"), xs, truth)]
    fits += [Series(T(f"{label['en']} ({outcomes[name]['params']} params)",
                      f"{label['zh']}（{outcomes[name]['params']} 个参数）"), xs, outcomes[name]["curve"])
             for name, label in ARCHITECTURES.items()]
    losses = [Series(label, list(range(1, len(outcomes[name]["losses"]) + 1)), outcomes[name]["losses"])
              for name, label in ARCHITECTURES.items()]
    return [
        Chart(T("Target and fits", "目标与拟合"), T("x", "x"), T("y", "y"), fits),
        Chart(T("Training loss", "训练损失"), T("Adam step", "Adam 步数"), T("MSE", "均方误差"), losses,
              y_scale="log"),
    ]


def table(outcomes: dict[str, dict]) -> Table:
    columns = [T("network", "网络"), T("layer widths", "各层宽度"), T("parameters", "参数量"),
               T("test MSE", "测试均方误差"), T("linear pieces", "线性段数")]
    rows = [[ARCHITECTURES[name]["en"], describe(o["widths"]), o["params"], float(f"{o['test_mse']:.4g}"), o["pieces"]]
            for name, o in outcomes.items()]
    return Table(T("Same budget, different shapes", "相同预算，不同形状"), columns, rows)


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
    run=run,
    queue="demos",
)

# Parameter counts are exact; trained errors differ across BLAS libraries and can tip close races.
CROSS_DEVICE_METRICS = {
    "deep_params": 0.0,
    "shallow_params": 0.0,
    "deep_test_mse": 0.5,
    "shallow_test_mse": 0.5,
}
