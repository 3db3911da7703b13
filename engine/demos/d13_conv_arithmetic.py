"""D13 — convolution arithmetic: output size, parameter counts and receptive field, all measured.

The output-size formula is checked against real `nn.Conv2d` layers (including configurations where
it predicts no output at all, which Conv2d must then refuse); parameter counts come from real
modules built on the meta device (no memory), and receptive fields from the non-zero span of an
input gradient.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device, run_seed
from engine.spec import DemoSpec, IntParam, Steps
from engine.text import T

CROSS_DEVICE_METRICS = {
    "output_size": 1e-9,
    "formula_mismatches": 1e-9,
    "conv_weights": 1e-9,
    "dense_to_conv_ratio": 1e-6,
    "stacked_3x3_to_5x5_ratio": 1e-9,
    "receptive_field": 1e-9,
}

# Random configurations are drawn from these ranges (small so every check is a cheap forward pass).
_RANDOM_SIZE = (1, 40)
_RANDOM_KERNEL = (1, 7)
_RANDOM_STRIDE = (1, 4)
_RANDOM_PADDING = (0, 3)
_RANDOM_DILATION = (1, 3)


def conv_output_size(*, size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """out = floor((W + 2P − D(K−1) − 1)/S) + 1; a value ≤ 0 means the layer has no valid output."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_output_size_measured(*, height: int, width: int, kernel: tuple[int, int], stride: tuple[int, int],
                              padding: tuple[int, int], dilation: tuple[int, int],
                              device: torch.device) -> tuple[int, int] | None:
    """The (H, W) a real Conv2d produces, or None when PyTorch refuses the input as too small."""
    layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation, bias=False).to(device)
    try:
        with torch.no_grad():
            out = layer(torch.zeros(1, 1, height, width, device=device))
    except RuntimeError:
        return None
    return int(out.shape[2]), int(out.shape[3])


def _random_config(rng: random.Random) -> dict:
    def pair(bounds: tuple[int, int]) -> tuple[int, int]:
        return rng.randint(*bounds), rng.randint(*bounds)

    return {"height": rng.randint(*_RANDOM_SIZE), "width": rng.randint(*_RANDOM_SIZE),
            "kernel": pair(_RANDOM_KERNEL), "stride": pair(_RANDOM_STRIDE),
            "padding": pair(_RANDOM_PADDING), "dilation": pair(_RANDOM_DILATION)}


def formula_matches_conv2d(*, config: dict, device: torch.device) -> tuple[bool, bool]:
    """(formula agrees with Conv2d, formula predicts an empty output) for one 2-D configuration."""
    predicted = tuple(
        conv_output_size(size=config[axis], kernel=config["kernel"][i], stride=config["stride"][i],
                         padding=config["padding"][i], dilation=config["dilation"][i])
        for i, axis in enumerate(("height", "width")))
    empty = min(predicted) <= 0
    measured = conv_output_size_measured(device=device, **config)
    return (measured is None) if empty else (measured == predicted), empty


def weight_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def conv_stack(*, channels: int, kernel: int, layers: int) -> nn.Module:
    """`layers` same-size convolutions C→C without bias, on the meta device (counted, never allocated)."""
    return nn.Sequential(*(nn.Conv2d(channels, channels, kernel, padding=kernel // 2, bias=False, device="meta")
                           for _ in range(layers)))


def receptive_field_formula(*, kernel: int, stride: int, dilation: int, depth: int) -> int:
    """r_L = r_{L−1} + D(K−1)·∏ strides of the earlier layers, with r_0 = 1."""
    field, jump = 1, 1
    for _ in range(depth):
        field += dilation * (kernel - 1) * jump
        jump *= stride
    return field


def receptive_field_measured(*, kernel: int, stride: int, dilation: int, depth: int, device: torch.device) -> int:
    """Width of the input region that reaches one output unit, from the non-zero input gradient.

    All-ones weights and input keep every path positive, so no gradient cancels by accident. One
    spatial axis (Conv1d) is enough: a K×K kernel's receptive field is the same along each axis.
    """
    expected = receptive_field_formula(kernel=kernel, stride=stride, dilation=dilation, depth=depth)
    length = 2 * expected + stride ** depth
    signal = torch.ones(1, 1, length, device=device, requires_grad=True)
    hidden = signal
    for _ in range(depth):
        layer = nn.Conv1d(1, 1, kernel, stride=stride, dilation=dilation, bias=False).to(device)
        nn.init.ones_(layer.weight)
        hidden = layer(hidden)
    hidden[0, 0, hidden.shape[2] // 2].backward()
    reached = torch.nonzero(signal.grad[0, 0] > 0).flatten()
    return int(reached.max() - reached.min() + 1)


RECEPTIVE_STACKS = ((3, 1, 1), (5, 1, 1))  # (kernel, stride, dilation) drawn next to the learner's stack
CHARTED_LAYOUTS = ("one_5x5", "two_3x3", "one_3x3", "one_1x1")  # of `weight_layouts`, drawn against C


@dataclass(frozen=True)
class Measurements:
    params: dict
    predicted_sizes: list[int]  # per input size 1 … W: the formula's output size, 0 when it predicts none
    real_sizes: list[int]  # per input size: what nn.Conv2d produced, 0 when it refused the input
    random_mismatches: int  # of the random configurations
    random_empty: int  # random configurations the formula predicts no output for
    receptive_fields: list[list[int]]  # per stack (RECEPTIVE_STACKS, then the learner's), per depth 1 … L
    receptive_errors: int  # measured receptive fields that disagree with the formula
    weights: dict[str, int]  # per layout of `weight_layouts`, at C channels
    weights_by_channels: dict[str, list[int]]  # per CHARTED_LAYOUTS name, per entry of `channel_counts`

    @property
    def output_size(self) -> int:
        p = self.params
        return conv_output_size(size=p["input_size"], kernel=p["kernel_size"], stride=p["stride"],
                                padding=p["padding"], dilation=p["dilation"])

    @property
    def mismatches(self) -> int:
        return self.random_mismatches + sum(p != r for p, r in zip(self.predicted_sizes, self.real_sizes, strict=True))

    @property
    def checked(self) -> int:
        return self.params["input_size"] + self.params["random_configs"]

    @property
    def empty(self) -> int:
        return self.random_empty + self.predicted_sizes.count(0)

    @property
    def field(self) -> int:
        """The receptive field of the learner's stack at full depth."""
        return self.receptive_fields[-1][-1]

    @property
    def dense_weights(self) -> int:
        """A dense layer from the W×W×C input to the out×out×C output (0 when there is no output)."""
        width, channels, out = self.params["input_size"], self.params["channels"], max(self.output_size, 0)
        return (width * width * channels) * (out * out * channels)

    @property
    def dense_ratio(self) -> float:
        return self.dense_weights / self.weights["user"] if self.output_size > 0 else math.nan

    @property
    def ratio_3x3(self) -> float:
        return self.weights["two_3x3"] / self.weights["one_5x5"]


def weight_layouts(kernel: int) -> dict[str, tuple[int, int]]:
    """The layouts whose weights are counted: name → (kernel, stacked layers)."""
    return {"one_1x1": (1, 1), "one_3x3": (3, 1), "two_3x3": (3, 2), "one_5x5": (5, 1), "three_3x3": (3, 3),
            "one_7x7": (7, 1), "user": (kernel, 1)}


def channel_counts(channels: int) -> list[int]:
    return [2 ** i for i in range(int(math.log2(channels)) + 1)]


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    width, kernel, stride, padding, dilation = (params[name] for name in ("input_size", "kernel_size", "stride",
                                                                          "padding", "dilation"))
    stacks = [*RECEPTIVE_STACKS, (kernel, stride, dilation)]
    progress.plan(width + params["random_configs"] + len(stacks) * params["depth"])
    predicted, real = measure_sizes(input_size=width, kernel=kernel, stride=stride, padding=padding,
                                    dilation=dilation, device=device, progress=progress)
    random_mismatches, random_empty = random_checks(count=params["random_configs"], device=device, progress=progress)
    fields, field_errors = measure_receptive_fields(stacks=stacks, depth=params["depth"], device=device,
                                                    progress=progress)
    progress.note(T("parameter counts", "参数量"))
    channels, layouts = params["channels"], weight_layouts(kernel)
    weights = {name: weight_count(conv_stack(channels=channels, kernel=k, layers=n))
               for name, (k, n) in layouts.items()}
    by_channels = {name: [weight_count(conv_stack(channels=c, kernel=layouts[name][0], layers=layouts[name][1]))
                          for c in channel_counts(channels)] for name in CHARTED_LAYOUTS}
    return Measurements(params, predicted, real, random_mismatches, random_empty, fields, field_errors, weights,
                        by_channels)


def measure_sizes(*, input_size: int, kernel: int, stride: int, padding: int, dilation: int,
                  device: torch.device, progress: Progress) -> tuple[list[int], list[int]]:
    """(formula, real Conv2d) output sizes for every square input from 1 to `input_size`; 0 = no output."""
    predicted, real = [], []
    for size in range(1, input_size + 1):
        formula = conv_output_size(size=size, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        shape = conv_output_size_measured(height=size, width=size, kernel=(kernel, kernel), stride=(stride, stride),
                                          padding=(padding, padding), dilation=(dilation, dilation), device=device)
        predicted.append(max(formula, 0))
        real.append(0 if shape is None else shape[0])
        progress.advance(T("output size against input size", "输出尺寸与输入尺寸"))
    return predicted, real


def random_checks(*, count: int, device: torch.device, progress: Progress) -> tuple[int, int]:
    """(mismatches, configurations predicted empty) over `count` random rectangular configurations."""
    rng = random.Random(run_seed())  # Python's integer draws
    mismatches = empty_total = 0
    for _ in range(count):
        agrees, empty = formula_matches_conv2d(config=_random_config(rng), device=device)
        mismatches += int(not agrees)
        empty_total += int(empty)
        progress.advance(T("random configurations against nn.Conv2d", "随机配置与 nn.Conv2d 对照"))
    return mismatches, empty_total


def measure_receptive_fields(*, stacks: list[tuple[int, int, int]], depth: int, device: torch.device,
                             progress: Progress) -> tuple[list[list[int]], int]:
    """Per stack, the measured receptive field after 1 … `depth` layers; and how often the formula disagreed."""
    fields, disagreements = [], 0
    for kernel, stride, dilation in stacks:
        fields.append([])
        for layers in range(1, depth + 1):
            measured = receptive_field_measured(kernel=kernel, stride=stride, dilation=dilation, depth=layers,
                                                device=device)
            expected = receptive_field_formula(kernel=kernel, stride=stride, dilation=dilation, depth=layers)
            disagreements += int(measured != expected)
            fields[-1].append(measured)
            progress.advance(T("receptive fields", "感受野"))
    return fields, disagreements


def summary(measured: Measurements) -> list[Metric]:
    k, c, depth = (measured.params[name] for name in ("kernel_size", "channels", "depth"))
    return [
        Metric("output_size", T("output size of your layer", "你的层的输出尺寸"), max(measured.output_size, 0), "px"),
        Metric("configs_checked", T("configurations checked against nn.Conv2d", "与 nn.Conv2d 对照的配置数"),
               measured.checked),
        Metric("formula_mismatches", T("formula vs nn.Conv2d mismatches", "公式与 nn.Conv2d 不一致数"),
               measured.mismatches),
        Metric("conv_weights", T(f"weights of one {k}×{k} conv, {c}→{c}", f"一个 {k}×{k} 卷积的权重（{c}→{c}）"),
               measured.weights["user"]),
        Metric("dense_to_conv_ratio", T("dense / conv weights", "全连接 / 卷积权重比"), measured.dense_ratio, "×"),
        Metric("stacked_3x3_to_5x5_ratio", T("two 3×3 / one 5×5 weights", "两个 3×3 / 一个 5×5 权重比"),
               measured.ratio_3x3),
        Metric("receptive_field", T(f"receptive field after {depth} layers", f"{depth} 层后的感受野"),
               measured.field, "px"),
    ]


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(formula_finding(measured), output_finding(measured), Conclusion(T(
        f"Two stacked 3×3 layers see 5×5 with {measured.ratio_3x3:.0%} of a 5×5 layer's weights (18C² vs 25C²).",
        f"两个 3×3 堆叠的感受野为 5×5，权重只有一个 5×5 的 {measured.ratio_3x3:.0%}（18C² 对 25C²）。")),
        receptive_finding(measured))


def formula_finding(measured: Measurements) -> Conclusion:
    checked, mismatches = measured.checked, measured.mismatches
    if mismatches == 0:
        return Conclusion(T(
            f"The formula matched a real nn.Conv2d in all {checked} configurations checked "
            f"({measured.empty} of them too small for any output, which Conv2d refused as predicted).",
            f"公式与真实 nn.Conv2d 在全部 {checked} 个配置中一致（其中 {measured.empty} 个输入太小、无输出，"
            f"Conv2d 也如预测般拒绝）。"), {"formula": "matched"})
    return Conclusion(T(f"The formula disagreed with nn.Conv2d in {mismatches} of {checked} configurations.",
                        f"公式与 nn.Conv2d 在 {checked} 个配置中有 {mismatches} 个不一致。"), {"formula": "disagreed"})


def output_finding(measured: Measurements) -> Conclusion:
    if measured.output_size <= 0:
        return Conclusion(T("Your settings leave no output: the dilated kernel is larger than the padded input.",
                            "你的设置没有输出：膨胀后的卷积核比填充后的输入还大。"), {"layer_output": "none"})
    out, kernel = measured.output_size, measured.params["kernel_size"]
    return Conclusion(T(
        f"Your layer gives a {out}×{out} map, and a dense layer with the same input and output would need "
        f"{measured.dense_ratio:,.0f}× the weights of the {kernel}×{kernel} convolution.",
        f"你的层输出 {out}×{out} 特征图；同样输入输出的全连接层所需权重是 "
        f"{kernel}×{kernel} 卷积的 {measured.dense_ratio:,.0f} 倍。"), {"layer_output": "map"})


def receptive_finding(measured: Measurements) -> Conclusion:
    if measured.receptive_errors == 0:
        return Conclusion(T(f"The measured receptive field of your stack is {measured.field} pixels, as the formula "
                            f"predicts.", f"实测你的堆叠感受野为 {measured.field} 像素，与公式一致。"),
                          {"receptive_field": "matched"})
    return Conclusion(T(f"The measured receptive field disagreed with the formula {measured.receptive_errors} times.",
                        f"实测感受野与公式有 {measured.receptive_errors} 处不一致。"), {"receptive_field": "disagreed"})


def charts(measured: Measurements) -> list[Chart]:
    return [size_chart(measured), receptive_chart(measured), weights_chart(measured)]


def size_chart(measured: Measurements) -> Chart:
    k, s, p, d = (measured.params[name] for name in ("kernel_size", "stride", "padding", "dilation"))
    sizes = list(range(1, measured.params["input_size"] + 1))
    return Chart(
        title=T(f"Output size for K={k}, S={s}, P={p}, D={d}", f"输出尺寸（K={k}, S={s}, P={p}, D={d}）"),
        x_label=T("input size W", "输入尺寸 W"), y_label=T("output size (0 = no output)", "输出尺寸（0 表示无输出）"),
        series=[Series(T("formula ⌊(W+2P−D(K−1)−1)/S⌋+1", "公式 ⌊(W+2P−D(K−1)−1)/S⌋+1"), sizes,
                       measured.predicted_sizes),
                Series(T("real nn.Conv2d", "真实 nn.Conv2d"), sizes, measured.real_sizes)])


def receptive_chart(measured: Measurements) -> Chart:
    k, s, d = (measured.params[name] for name in ("kernel_size", "stride", "dilation"))
    names = [T("3×3, stride 1", "3×3，步幅 1"), T("5×5, stride 1", "5×5，步幅 1"),
             T(f"{k}×{k}, stride {s}, dilation {d}", f"{k}×{k}，步幅 {s}，膨胀 {d}")]
    layers = list(range(1, measured.params["depth"] + 1))
    user = measured.receptive_fields[-1]
    spans_decades = max(user) / max(1, min(user)) > 30
    return Chart(title=T("Receptive field against depth (measured from input gradients)",
                         "感受野随层数变化（由输入梯度测得）"),
                 x_label=T("stacked layers", "堆叠层数"), y_label=T("receptive field (pixels)", "感受野（像素）"),
                 series=[Series(name, layers, fields) for name, fields in zip(names, measured.receptive_fields,
                                                                              strict=True)],
                 y_scale="log" if spans_decades else "linear")


def weights_chart(measured: Measurements) -> Chart:
    names = {"one_5x5": T("one 5×5", "一个 5×5"), "two_3x3": T("two 3×3", "两个 3×3"),
             "one_3x3": T("one 3×3", "一个 3×3"), "one_1x1": T("one 1×1", "一个 1×1")}
    widths = channel_counts(measured.params["channels"])
    return Chart(title=T("Weights against channels C (C in = C out)", "权重数随通道数 C 变化（输入=输出通道）"),
                 x_label=T("channels C", "通道数 C"), y_label=T("weights", "权重数"),
                 series=[Series(names[name], widths, counts) for name, counts in measured.weights_by_channels.items()],
                 x_scale="log", y_scale="log")


def tables(measured: Measurements) -> list[Table]:
    """Weights of real layers next to their closed form, C channels in and out, no bias."""
    width, c, weights = measured.params["input_size"], measured.params["channels"], measured.weights
    out = max(measured.output_size, 0)
    shapes = f"{width}×{width}×{c} → {out}×{out}×{c}"
    rows = [
        ["1×1", "C_in·C_out = C²", 1, weights["one_1x1"]],
        ["3×3", "9C²", 3, weights["one_3x3"]],
        ["3×3 + 3×3", "18C²", 5, weights["two_3x3"]],
        ["5×5", "25C²", 5, weights["one_5x5"]],
        ["3×3 ×3", "27C²", 7, weights["three_3x3"]],
        ["7×7", "49C²", 7, weights["one_7x7"]],
        [T(f"dense {shapes}", f"全连接 {shapes}"), "(W²C)·(out²C)", "—", measured.dense_weights],
    ]
    return [Table(title=T(f"Weights per layout, C = {c} channels in and out (no bias)",
                          f"各结构的权重数，输入输出均为 C = {c} 通道（不含偏置）"),
                  columns=[T("layers", "层"), T("closed form", "公式"), T("receptive field", "感受野"),
                           T("weights (counted)", "权重数（实际统计）")],
                  rows=rows)]


SPEC = DemoSpec(
    id="D13",
    title=T("Convolution arithmetic", "卷积的算术"),
    description=T("Checks the output-size formula against real nn.Conv2d layers, counts the weights of 1×1, 3×3, "
                  "stacked 3×3 and 5×5 convolutions against a dense layer, and measures receptive fields.",
                  "用真实 nn.Conv2d 验证输出尺寸公式，统计 1×1、3×3、堆叠 3×3、5×5 卷积与全连接层的权重数，"
                  "并实测感受野。"),
    params=(
        IntParam("input_size", T("input size W (pixels)", "输入尺寸 W（像素）"), 32, minimum=4, maximum=128),
        IntParam("kernel_size", T("kernel size K", "卷积核大小 K"), 3, minimum=1, maximum=11),
        IntParam("stride", T("stride S", "步幅 S"), 1, minimum=1, maximum=4),
        IntParam("padding", T("padding P", "填充 P"), 1, minimum=0, maximum=5),
        IntParam("dilation", T("dilation D", "膨胀 D"), 1, minimum=1, maximum=4),
        IntParam("channels", T("channels C", "通道数 C"), 64, minimum=1, maximum=1024,
                 help=T("input and output channels for the weight counts", "用于权重统计的输入与输出通道数")),
        IntParam("depth", T("stacked layers (receptive field)", "堆叠层数（感受野）"), 4, minimum=1, maximum=6),
        IntParam("random_configs", T("random configurations checked", "随机验证的配置数"), 100,
                 minimum=10, maximum=1000,
                 help=T("random H, W, K, S, P, D checked against nn.Conv2d",
                        "随机 H、W、K、S、P、D 与 nn.Conv2d 对照")),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)
