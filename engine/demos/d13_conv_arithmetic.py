"""D13 — convolution arithmetic: output size, parameter counts and receptive field, all measured.

The output-size formula is checked against real `nn.Conv2d` layers (including configurations where
it predicts no output at all, which Conv2d must then refuse); parameter counts come from real
modules built on the meta device (no memory), and receptive fields from the non-zero span of an
input gradient.
"""

from __future__ import annotations

import math
import random

import torch
from torch import nn

from engine.result import Chart, Metric, Result, Series, Table
from engine.runtime import current_device
from engine.spec import DemoSpec, IntParam
from engine.text import DONE, T

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


def _parameter_rows(*, channels: int, kernel: int) -> tuple[list[list], dict[str, int]]:
    """Weights of real layers next to their closed form, C channels in and out, no bias."""
    c = channels
    counts = {
        "one_1x1": weight_count(conv_stack(channels=c, kernel=1, layers=1)),
        "one_3x3": weight_count(conv_stack(channels=c, kernel=3, layers=1)),
        "two_3x3": weight_count(conv_stack(channels=c, kernel=3, layers=2)),
        "one_5x5": weight_count(conv_stack(channels=c, kernel=5, layers=1)),
        "three_3x3": weight_count(conv_stack(channels=c, kernel=3, layers=3)),
        "one_7x7": weight_count(conv_stack(channels=c, kernel=7, layers=1)),
        "user": weight_count(conv_stack(channels=c, kernel=kernel, layers=1)),
    }
    rows = [
        ["1×1", "C_in·C_out = C²", 1, counts["one_1x1"]],
        ["3×3", "9C²", 3, counts["one_3x3"]],
        ["3×3 + 3×3", "18C²", 5, counts["two_3x3"]],
        ["5×5", "25C²", 5, counts["one_5x5"]],
        ["3×3 ×3", "27C²", 7, counts["three_3x3"]],
        ["7×7", "49C²", 7, counts["one_7x7"]],
    ]
    return rows, counts


def _size_chart(*, input_size: int, kernel: int, stride: int, padding: int, dilation: int,
                device: torch.device, progress) -> tuple[Chart, int]:
    sizes = list(range(1, input_size + 1))
    predicted, measured, mismatches = [], [], 0
    for index, size in enumerate(sizes):
        formula = conv_output_size(size=size, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        shape = conv_output_size_measured(height=size, width=size, kernel=(kernel, kernel), stride=(stride, stride),
                                          padding=(padding, padding), dilation=(dilation, dilation), device=device)
        real = 0 if shape is None else shape[0]
        mismatches += int(max(formula, 0) != real)
        predicted.append(max(formula, 0))
        measured.append(real)
        if index % max(1, len(sizes) // 5) == 0:
            progress(0.3 * index / len(sizes), T("output size against input size", "输出尺寸与输入尺寸"))
    chart = Chart(
        title=T(f"Output size for K={kernel}, S={stride}, P={padding}, D={dilation}",
                f"输出尺寸（K={kernel}, S={stride}, P={padding}, D={dilation}）"),
        x_label=T("input size W", "输入尺寸 W"), y_label=T("output size (0 = no output)", "输出尺寸（0 表示无输出）"),
        series=[Series(T("formula ⌊(W+2P−D(K−1)−1)/S⌋+1", "公式 ⌊(W+2P−D(K−1)−1)/S⌋+1"), sizes, predicted),
                Series(T("real nn.Conv2d", "真实 nn.Conv2d"), sizes, measured)])
    return chart, mismatches


def _random_checks(*, count: int, device: torch.device, progress) -> tuple[int, int]:
    """(mismatches, configurations predicted empty) over `count` random rectangular configurations."""
    rng = random.Random(torch.initial_seed())
    mismatches = empty_total = 0
    for index in range(count):
        agrees, empty = formula_matches_conv2d(config=_random_config(rng), device=device)
        mismatches += int(not agrees)
        empty_total += int(empty)
        if index % max(1, count // 8) == 0:
            progress(0.3 + 0.4 * index / count,
                     T("random configurations against nn.Conv2d", "随机配置与 nn.Conv2d 对照"))
    return mismatches, empty_total


def _receptive_chart(*, kernel: int, stride: int, dilation: int, depth: int, device: torch.device,
                     progress) -> tuple[Chart, int, int]:
    layers = list(range(1, depth + 1))
    stacks = [(T("3×3, stride 1", "3×3，步幅 1"), 3, 1, 1), (T("5×5, stride 1", "5×5，步幅 1"), 5, 1, 1),
              (T(f"{kernel}×{kernel}, stride {stride}, dilation {dilation}",
                 f"{kernel}×{kernel}，步幅 {stride}，膨胀 {dilation}"), kernel, stride, dilation)]
    series, disagreements, user_field = [], 0, 1
    for index, (name, k, s, d) in enumerate(stacks):
        fields = []
        for n in layers:
            measured = receptive_field_measured(kernel=k, stride=s, dilation=d, depth=n, device=device)
            disagreements += int(measured != receptive_field_formula(kernel=k, stride=s, dilation=d, depth=n))
            fields.append(measured)
        series.append(Series(name, layers, fields))
        user_field = fields[-1]
        progress(0.7 + 0.08 * (index + 1), T("receptive fields", "感受野"))
    spans_decades = max(series[-1].y) / max(1, min(series[-1].y)) > 30
    chart = Chart(title=T("Receptive field against depth (measured from input gradients)",
                          "感受野随层数变化（由输入梯度测得）"),
                  x_label=T("stacked layers", "堆叠层数"), y_label=T("receptive field (pixels)", "感受野（像素）"),
                  series=series, y_scale="log" if spans_decades else "linear")
    return chart, user_field, disagreements


def _weights_chart(*, channels: int) -> Chart:
    widths = [2 ** i for i in range(int(math.log2(channels)) + 1)]
    layouts = [(T("one 5×5", "一个 5×5"), 5, 1), (T("two 3×3", "两个 3×3"), 3, 2),
               (T("one 3×3", "一个 3×3"), 3, 1), (T("one 1×1", "一个 1×1"), 1, 1)]
    series = [Series(name, widths, [weight_count(conv_stack(channels=c, kernel=k, layers=n)) for c in widths])
              for name, k, n in layouts]
    return Chart(title=T("Weights against channels C (C in = C out)", "权重数随通道数 C 变化（输入=输出通道）"),
                 x_label=T("channels C", "通道数 C"), y_label=T("weights", "权重数"),
                 series=series, x_scale="log", y_scale="log")


def _conclusion(*, output_size: int, mismatches: int, checked: int, empty: int, ratio_3x3: float,
                dense_ratio: float | None, field: int, field_errors: int, kernel: int) -> dict[str, str]:
    if mismatches == 0:
        check = T(f"The formula matched a real nn.Conv2d in all {checked} configurations checked "
                  f"({empty} of them too small for any output, which Conv2d refused as predicted).",
                  f"公式与真实 nn.Conv2d 在全部 {checked} 个配置中一致（其中 {empty} 个输入太小、无输出，"
                  f"Conv2d 也如预测般拒绝）。")
    else:
        check = T(f"The formula disagreed with nn.Conv2d in {mismatches} of {checked} configurations.",
                  f"公式与 nn.Conv2d 在 {checked} 个配置中有 {mismatches} 个不一致。")
    if output_size <= 0:
        size = T(" Your settings leave no output: the dilated kernel is larger than the padded input.",
                 " 你的设置没有输出：膨胀后的卷积核比填充后的输入还大。")
    else:
        size = T(f" Your layer gives a {output_size}×{output_size} map, and a dense layer with the same input "
                 f"and output would need {dense_ratio:,.0f}× the weights of the {kernel}×{kernel} convolution.",
                 f" 你的层输出 {output_size}×{output_size} 特征图；同样输入输出的全连接层所需权重是 "
                 f"{kernel}×{kernel} 卷积的 {dense_ratio:,.0f} 倍。")
    stack = T(f" Two stacked 3×3 layers see 5×5 with {ratio_3x3:.0%} of a 5×5 layer's weights (18C² vs 25C²).",
              f" 两个 3×3 堆叠的感受野为 5×5，权重只有一个 5×5 的 {ratio_3x3:.0%}（18C² 对 25C²）。")
    if field_errors == 0:
        rf = T(f" The measured receptive field of your stack is {field} pixels, as the formula predicts.",
               f" 实测你的堆叠感受野为 {field} 像素，与公式一致。")
    else:
        rf = T(f" The measured receptive field disagreed with the formula {field_errors} times.",
               f" 实测感受野与公式有 {field_errors} 处不一致。")
    return {lang: check[lang] + size[lang] + stack[lang] + rf[lang] for lang in ("en", "zh")}


def run(params: dict, progress) -> Result:
    device = current_device()
    w, k, s, p, d, c = (params[name] for name in ("input_size", "kernel_size", "stride", "padding",
                                                   "dilation", "channels"))
    output_size = conv_output_size(size=w, kernel=k, stride=s, padding=p, dilation=d)
    size_chart, size_mismatches = _size_chart(input_size=w, kernel=k, stride=s, padding=p, dilation=d,
                                              device=device, progress=progress)
    random_mismatches, empty = _random_checks(count=params["random_configs"], device=device, progress=progress)
    progress(0.7, T("receptive fields", "感受野"))
    mismatches, checked = size_mismatches + random_mismatches, w + params["random_configs"]
    empty += sum(conv_output_size(size=x, kernel=k, stride=s, padding=p, dilation=d) <= 0 for x in range(1, w + 1))
    rf_chart, field, field_errors = _receptive_chart(kernel=k, stride=s, dilation=d, depth=params["depth"],
                                                     device=device, progress=progress)
    rows, counts = _parameter_rows(channels=c, kernel=k)
    conv_weights = counts["user"]
    dense_weights = (w * w * c) * (output_size * output_size * c) if output_size > 0 else 0
    dense_ratio = dense_weights / conv_weights if output_size > 0 else None
    ratio_3x3 = counts["two_3x3"] / counts["one_5x5"]
    shapes = f"{w}×{w}×{c} → {max(output_size, 0)}×{max(output_size, 0)}×{c}"
    rows.append([T(f"dense {shapes}", f"全连接 {shapes}"), "(W²C)·(out²C)", "—", dense_weights])
    progress(0.95, T("parameter counts", "参数量"))
    summary = [
        Metric("output_size", T("output size of your layer", "你的层的输出尺寸"), max(output_size, 0), "px"),
        Metric("configs_checked", T("configurations checked against nn.Conv2d", "与 nn.Conv2d 对照的配置数"), checked),
        Metric("formula_mismatches", T("formula vs nn.Conv2d mismatches", "公式与 nn.Conv2d 不一致数"), mismatches),
        Metric("conv_weights", T(f"weights of one {k}×{k} conv, {c}→{c}", f"一个 {k}×{k} 卷积的权重（{c}→{c}）"),
               conv_weights),
        Metric("dense_to_conv_ratio", T("dense / conv weights", "全连接 / 卷积权重比"),
               dense_ratio if dense_ratio is not None else float("nan"), "×"),
        Metric("stacked_3x3_to_5x5_ratio", T("two 3×3 / one 5×5 weights", "两个 3×3 / 一个 5×5 权重比"), ratio_3x3),
        Metric("receptive_field", T(f"receptive field after {params['depth']} layers",
                                    f"{params['depth']} 层后的感受野"), field, "px"),
    ]
    table = Table(title=T(f"Weights per layout, C = {c} channels in and out (no bias)",
                          f"各结构的权重数，输入输出均为 C = {c} 通道（不含偏置）"),
                  columns=[T("layers", "层"), T("closed form", "公式"), T("receptive field", "感受野"),
                           T("weights (counted)", "权重数（实际统计）")],
                  rows=rows)
    progress(1.0, DONE)
    return Result(summary=summary,
                  conclusion=_conclusion(output_size=output_size, mismatches=mismatches, checked=checked,
                                         empty=empty, ratio_3x3=ratio_3x3, dense_ratio=dense_ratio, field=field,
                                         field_errors=field_errors, kernel=k),
                  charts=[size_chart, rf_chart, _weights_chart(channels=c)], tables=[table])


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
    run=run,
    queue="demos",
)
