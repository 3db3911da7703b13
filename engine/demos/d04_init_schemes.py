"""D4 — initialisation schemes: activation and gradient variance per layer, LeCun vs Xavier vs He.

One deep stack of Linear → activation layers, evaluated six times (tanh and ReLU × LeCun, Xavier, He).
Every run uses the very same standard-normal matrices, only scaled by each scheme's standard
deviation, so the curves differ by the scheme alone. Hidden widths alternate n, r·n, n, r·n … so
fan_in ≠ fan_out and Xavier (2/(fan_in+fan_out)) is not secretly LeCun (1/fan_in).
The backward pass sends a unit-variance random signal down from the top to measure ∂L/∂h per layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import ChoiceParam, DemoSpec, IntParam, Steps
from engine.text import T, both, join, number

DTYPE = torch.float64
BATCH_SIZE = 128
SCHEMES = ("lecun", "xavier", "he")
ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu}
SCHEME_NAMES = {"lecun": "LeCun", "xavier": "Xavier", "he": "He"}
ACTIVATION_NAMES = {"tanh": "tanh", "relu": "ReLU"}
STABLE_BAND = (0.1, 10.0)  # variance ratios inside this band count as "kept" (finite width adds noise)


def scheme_variance(*, scheme: str, fan_in: int, fan_out: int) -> float:
    return {"lecun": 1.0 / fan_in, "xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in}[scheme]


def layer_widths(*, width: int, depth: int, ratio: int) -> list[int]:
    """Input width first, then one entry per layer: n, r·n, n, r·n, …"""
    return [width] + [width * ratio if layer % 2 == 0 else width for layer in range(depth)]


def propagate(*, activation: str, scheme: str, base: list[torch.Tensor], inputs: torch.Tensor,
              top_signal: torch.Tensor, progress: Progress) -> tuple[list[float], list[float]]:
    """Forward variance of each layer's output, and backward variance of ∂L/∂h for the same layers.

    Advances `progress` a unit per forward layer and as many for the backward pass, which costs about the same
    (too much for one silent step: it is announced before it starts).
    """
    message = both(f"{activation} + {scheme}")
    function = ACTIVATIONS[activation]
    hidden = inputs
    outputs = []
    for matrix in base:
        fan_out, fan_in = matrix.shape
        weight = matrix * math.sqrt(scheme_variance(scheme=scheme, fan_in=fan_in, fan_out=fan_out))
        hidden = function(hidden @ weight.T)
        hidden.retain_grad()
        outputs.append(hidden)
        progress.advance(message)
    progress.note(T(f"{activation} + {scheme}: backward", f"{activation} + {scheme}：反向传播"))
    (hidden * top_signal).sum().backward()
    progress.advance(message, units=len(base))
    forward = [output.detach().var().item() for output in outputs]
    backward = [output.grad.var().item() for output in outputs]
    return forward, backward


Curves = dict[tuple[str, str], tuple[list[float], list[float]]]  # (activation, scheme) → (forward, backward)


@dataclass(frozen=True)
class Measurements:
    params: dict
    curves: Curves  # per layer: Var[h] forward, Var[∂L/∂h] backward


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    draws = generator()
    widths = layer_widths(width=params["width"], depth=params["depth"], ratio=int(params["ratio"]))
    base = [torch.randn(fan_out, fan_in, generator=draws, dtype=DTYPE).to(device)
            for fan_in, fan_out in zip(widths, widths[1:], strict=False)]
    inputs = torch.randn(BATCH_SIZE, widths[0], generator=draws, dtype=DTYPE).to(device).requires_grad_(True)
    top_signal = torch.randn(BATCH_SIZE, widths[-1], generator=draws, dtype=DTYPE).to(device)
    combinations = [(activation, scheme) for activation in ACTIVATIONS for scheme in SCHEMES]
    progress.plan(len(combinations) * 2 * params["depth"])
    return Measurements(params, {
        (activation, scheme): propagate(activation=activation, scheme=scheme, base=base, inputs=inputs,
                                        top_signal=top_signal, progress=progress)
        for activation, scheme in combinations})


def ratio_of(values: list[float]) -> float:
    return values[-1] / values[0] if values[0] > 0 else math.nan


def summary(measured: Measurements) -> list[Metric]:
    metrics = []
    for (activation, scheme), (forward, backward) in measured.curves.items():
        name = f"{ACTIVATION_NAMES[activation]} + {SCHEME_NAMES[scheme]}"
        metrics.append(Metric(f"{activation}_{scheme}_forward_ratio",
                              T(f"{name}: activation variance, last / first layer",
                                f"{name}：激活方差，末层 / 首层"), ratio_of(forward), "×"))
        metrics.append(Metric(f"{activation}_{scheme}_backward_ratio",
                              T(f"{name}: gradient variance, first / last layer",
                                f"{name}：梯度方差，首层 / 末层"), backward[0] / backward[-1], "×"))
    return metrics


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(stability_finding(measured.params["depth"], measured.curves), relu_finding(measured.curves))


def stability_finding(depth: int, curves: Curves) -> Conclusion:
    kept, drifted, verdict = [], [], {}
    for (activation, scheme), (forward, backward) in curves.items():
        name = f"{ACTIVATION_NAMES[activation]} + {SCHEME_NAMES[scheme]}"
        ratios = (ratio_of(forward), backward[0] / backward[-1])
        steady = all(STABLE_BAND[0] <= ratio <= STABLE_BAND[1] for ratio in ratios)
        (kept if steady else drifted).append((name, *ratios))
        verdict[f"{activation}_{scheme}"] = "steady" if steady else "drifted"
    kept_en = ", ".join(name for name, *_ in kept) or "none of them"
    kept_zh = "、".join(name for name, *_ in kept) or "没有任何组合"
    sentences = [T(f"Over {depth} layers, the activation and gradient variances both stay within 10× of their "
                   f"first-layer values for: {kept_en}.",
                   f"经过 {depth} 层，激活方差与梯度方差都保持在首层的 10 倍以内的有：{kept_zh}。")]
    if drifted:
        sentences.append(T(
            "The others drift (forward last/first, backward first/last): "
            + "; ".join(f"{name} ×{forward:.3g}, ×{backward:.3g}" for name, forward, backward in drifted) + ".",
            "其余组合发生漂移（前向 末层/首层，反向 首层/末层）："
            + "；".join(f"{name} ×{forward:.3g}、×{backward:.3g}" for name, forward, backward in drifted) + "。"))
    return Conclusion(join(*sentences), verdict)


def relu_finding(curves: Curves) -> Conclusion:
    relu_he = ratio_of(curves[("relu", "he")][0])
    relu_lecun = ratio_of(curves[("relu", "lecun")][0])
    if not (relu_he > 0 and relu_lecun > 0 and relu_he > 10 * relu_lecun):
        return Conclusion(both(""), {"relu_needs_he": False})
    he, lecun = number(relu_he, decimals=2), number(relu_lecun, digits=2)
    finding = T(f"ReLU zeroes half its inputs, so it needs He's factor 2: He ends at ×{he} where LeCun ends at "
                f"×{lecun}.",
                f"ReLU 会把一半输入置零，所以需要 He 的因子 2：He 最终为 ×{he}，而 LeCun 为 ×{lecun}。")
    if STABLE_BAND[0] <= relu_he <= STABLE_BAND[1]:
        return Conclusion(finding, {"relu_needs_he": True})
    # He keeps the variance only on average: at a small width each layer's random gain strays from 1, and
    # over many layers those strays multiply.
    return Conclusion(join(finding, T(
        "He drifted too, though far less: at this width each layer's gain scatters around 1, and the "
        "scatter compounds over the layers.",
        "He 也发生了漂移，只是小得多：在这个宽度下每层的增益在 1 附近随机波动，这些波动会逐层累积。")),
        {"relu_needs_he": True})


def charts(measured: Measurements) -> list[Chart]:
    layer_axis = T("layer", "层")

    def series(direction: int) -> list[Series]:
        return [Series(f"{ACTIVATION_NAMES[a]} + {SCHEME_NAMES[s]}", list(range(1, len(values[direction]) + 1)),
                       values[direction]) for (a, s), values in measured.curves.items()]
    return [
        Chart(T("Activation variance per layer (forward)", "各层激活方差（前向）"), layer_axis,
              both("Var[h]"), series(0), y_scale="log"),
        Chart(T("Gradient variance per layer (backward)", "各层梯度方差（反向）"), layer_axis,
              both("Var[∂L/∂h]"), series(1), y_scale="log"),
    ]


def tables(measured: Measurements) -> list[Table]:
    columns = [T("activation", "激活函数"), T("init", "初始化"), T("Var[h] layer 1", "第 1 层 Var[h]"),
               T("Var[h] last layer", "末层 Var[h]"), T("forward ratio", "前向比值"),
               T("backward ratio", "反向比值")]
    rows = [[ACTIVATION_NAMES[a], SCHEME_NAMES[s], float(f"{f[0]:.4g}"), float(f"{f[-1]:.4g}"),
             float(f"{ratio_of(f):.4g}"), float(f"{b[0] / b[-1]:.4g}")] for (a, s), (f, b) in measured.curves.items()]
    return [Table(T("Variance through the network", "方差在网络中的传播"), columns, rows)]


SPEC = DemoSpec(
    id="D4",
    title=T("Initialisation schemes: LeCun, Xavier, He", "初始化方案：LeCun、Xavier、He"),
    description=T(
        "The same deep network with tanh or ReLU, initialised with LeCun (1/fan_in), Xavier "
        "(2/(fan_in+fan_out)) or He (2/fan_in). Watch which keeps the activation and gradient variance "
        "steady layer after layer.",
        "同一个深层网络，激活函数为 tanh 或 ReLU，分别用 LeCun（1/fan_in）、Xavier（2/(fan_in+fan_out)）"
        "和 He（2/fan_in）初始化。观察哪一种能让激活方差和梯度方差逐层保持稳定。"),
    params=(
        IntParam("depth", T("Layers", "层数"), 30, minimum=2, maximum=100),
        IntParam("width", T("Base width n", "基础宽度 n"), 64, minimum=16, maximum=256),
        ChoiceParam("ratio", T("Width ratio r (widths n, r·n, n, …)", "宽度比 r（宽度依次为 n, r·n, n, …）"), "2",
                    choices=("1", "2", "4"),
                    help=T("With r = 1 every fan_in equals fan_out and Xavier coincides with LeCun.",
                           "r = 1 时 fan_in 等于 fan_out，Xavier 与 LeCun 相同。")),
        IntParam("seed", T("Random seed", "随机种子"), 0, minimum=0, maximum=9999),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)

# The same CPU-drawn matrices on both devices and no training: only float64 rounding differs.
CROSS_DEVICE_METRICS = {f"{activation}_{scheme}_{direction}_ratio": 1e-6
                        for activation in ACTIVATIONS for scheme in SCHEMES for direction in ("forward", "backward")}
