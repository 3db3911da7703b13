"""D4 — initialisation schemes: activation and gradient variance per layer, LeCun vs Xavier vs He.

One deep stack of Linear → activation layers, evaluated six times (tanh and ReLU × LeCun, Xavier, He).
Every run uses the very same standard-normal matrices, only scaled by each scheme's standard
deviation, so the curves differ by the scheme alone. Hidden widths alternate n, r·n, n, r·n … so
fan_in ≠ fan_out and Xavier (2/(fan_in+fan_out)) is not secretly LeCun (1/fan_in).
The backward pass sends a unit-variance random signal down from the top to measure ∂L/∂h per layer.
"""

from __future__ import annotations

import math

import torch

from engine.result import Chart, Metric, Result, Series, Table
from engine.runtime import current_device
from engine.spec import ChoiceParam, DemoSpec, IntParam
from engine.text import T, both

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
              top_signal: torch.Tensor, on_layer) -> tuple[list[float], list[float]]:
    """Forward variance of each layer's output, and backward variance of ∂L/∂h for the same layers.

    `on_layer(share)` reports the share of this pass done (forward layers count as the first half).
    """
    function = ACTIVATIONS[activation]
    hidden = inputs
    outputs = []
    for matrix in base:
        fan_out, fan_in = matrix.shape
        weight = matrix * math.sqrt(scheme_variance(scheme=scheme, fan_in=fan_in, fan_out=fan_out))
        hidden = function(hidden @ weight.T)
        hidden.retain_grad()
        outputs.append(hidden)
        on_layer(0.5 * len(outputs) / len(base))
    (hidden * top_signal).sum().backward()
    forward = [output.detach().var().item() for output in outputs]
    backward = [output.grad.var().item() for output in outputs]
    return forward, backward


def run(params: dict, progress) -> Result:
    device = current_device()
    generator = torch.Generator().manual_seed(params["seed"])
    widths = layer_widths(width=params["width"], depth=params["depth"], ratio=int(params["ratio"]))
    base = [torch.randn(fan_out, fan_in, generator=generator, dtype=DTYPE).to(device)
            for fan_in, fan_out in zip(widths, widths[1:], strict=False)]
    inputs = torch.randn(BATCH_SIZE, widths[0], generator=generator, dtype=DTYPE).to(device).requires_grad_(True)
    top_signal = torch.randn(BATCH_SIZE, widths[-1], generator=generator, dtype=DTYPE).to(device)
    curves = {}
    combinations = [(a, s) for a in ACTIVATIONS for s in SCHEMES]
    report_every = max(1, params["depth"] // 5)
    for index, (activation, scheme) in enumerate(combinations):

        def on_layer(share: float, index: int = index, label: dict = both(f"{activation} + {scheme}")) -> None:
            if round(share * 2 * params["depth"]) % report_every == 0:
                progress((index + share) / len(combinations), label)

        curves[(activation, scheme)] = propagate(activation=activation, scheme=scheme, base=base,
                                                 inputs=inputs, top_signal=top_signal, on_layer=on_layer)
        progress((index + 1) / len(combinations), both(f"{activation} + {scheme}"))
    return build_result(params, curves)


def ratio_of(values: list[float]) -> float:
    return values[-1] / values[0] if values[0] > 0 else math.nan


def build_result(params, curves: dict[tuple[str, str], tuple[list[float], list[float]]]) -> Result:
    summary = []
    for (activation, scheme), (forward, backward) in curves.items():
        name = f"{ACTIVATION_NAMES[activation]} + {SCHEME_NAMES[scheme]}"
        summary.append(Metric(f"{activation}_{scheme}_forward_ratio",
                              T(f"{name}: activation variance, last / first layer",
                                f"{name}：激活方差，末层 / 首层"), ratio_of(forward), "×"))
        summary.append(Metric(f"{activation}_{scheme}_backward_ratio",
                              T(f"{name}: gradient variance, first / last layer",
                                f"{name}：梯度方差，首层 / 末层"), backward[0] / backward[-1], "×"))
    return Result(summary=summary, conclusion=conclude(params, curves), charts=charts(curves),
                  tables=[table(curves)])


def conclude(params, curves) -> dict[str, str]:
    depth = params["depth"]
    kept, drifted = [], []
    for (activation, scheme), (forward, backward) in curves.items():
        name = f"{ACTIVATION_NAMES[activation]} + {SCHEME_NAMES[scheme]}"
        ratios = (ratio_of(forward), backward[0] / backward[-1])
        inside = all(STABLE_BAND[0] <= ratio <= STABLE_BAND[1] for ratio in ratios)
        (kept if inside else drifted).append((name, *ratios))
    kept_en = ", ".join(name for name, *_ in kept) or "none of them"
    kept_zh = "、".join(name for name, *_ in kept) or "没有任何组合"
    en = (f"Over {depth} layers, the activation and gradient variances both stay within 10× of their first-layer "
          f"values for: {kept_en}.")
    zh = f"经过 {depth} 层，激活方差与梯度方差都保持在首层的 10 倍以内的有：{kept_zh}。"
    if drifted:
        en += " The others drift (forward last/first, backward first/last): " + "; ".join(
            f"{name} ×{forward:.3g}, ×{backward:.3g}" for name, forward, backward in drifted) + "."
        zh += "其余组合发生漂移（前向 末层/首层，反向 首层/末层）：" + ";".join(
            f"{name} ×{forward:.3g}、×{backward:.3g}" for name, forward, backward in drifted) + "。"
    relu_he = ratio_of(curves[("relu", "he")][0])
    relu_lecun = ratio_of(curves[("relu", "lecun")][0])
    if relu_he > 0 and relu_lecun > 0 and relu_he > 10 * relu_lecun:
        en += (f" ReLU zeroes half its inputs, so it needs He's factor 2: He ends at ×{relu_he:.2f} where LeCun "
               f"ends at ×{relu_lecun:.2g}.")
        zh += f"ReLU 会把一半输入置零，所以需要 He 的因子 2:He 最终为 ×{relu_he:.2f}，而 LeCun 为 ×{relu_lecun:.2g}。"
    return T(en, zh)


def charts(curves) -> list[Chart]:
    layer_axis = T("layer", "层")

    def series(direction: int) -> list[Series]:
        return [Series(f"{ACTIVATION_NAMES[a]} + {SCHEME_NAMES[s]}", list(range(1, len(values[direction]) + 1)),
                       values[direction]) for (a, s), values in curves.items()]
    return [
        Chart(T("Activation variance per layer (forward)", "各层激活方差（前向）"), layer_axis,
              T("Var[h]", "Var[h]"), series(0), y_scale="log"),
        Chart(T("Gradient variance per layer (backward)", "各层梯度方差（反向）"), layer_axis,
              T("Var[∂L/∂h]", "Var[∂L/∂h]"), series(1), y_scale="log"),
    ]


def table(curves) -> Table:
    columns = [T("activation", "激活函数"), T("init", "初始化"), T("Var[h] layer 1", "第 1 层 Var[h]"),
               T("Var[h] last layer", "末层 Var[h]"), T("forward ratio", "前向比值"),
               T("backward ratio", "反向比值")]
    rows = [[ACTIVATION_NAMES[a], SCHEME_NAMES[s], float(f"{f[0]:.4g}"), float(f"{f[-1]:.4g}"),
             float(f"{ratio_of(f):.4g}"), float(f"{b[0] / b[-1]:.4g}")] for (a, s), (f, b) in curves.items()]
    return Table(T("Variance through the network", "方差在网络中的传播"), columns, rows)


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
    run=run,
    queue="demos",
)

# The same CPU-drawn matrices on both devices and no training: only float64 rounding differs.
CROSS_DEVICE_METRICS = {f"{activation}_{scheme}_{direction}_ratio": 1e-6
                        for activation in ACTIVATIONS for scheme in SCHEMES for direction in ("forward", "backward")}
