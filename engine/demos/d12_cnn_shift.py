"""D12 — CNN shift behaviour: convolution is shift-equivariant, pooled/strided networks only roughly invariant.

The same random filters run as three networks (stride 1; first layer strided; stride 1 followed by a
local max-pool). Inputs are shifted horizontally by 0…max_shift pixels, either circularly (`torch.roll`)
or by moving a crop window over a wider canvas (new content enters at the edge). We measure

* equivariance error: ‖f(shift_s x) − shift_t f(x)‖ / ‖f(x)‖ with t = s / (network stride), taking the
  better of ⌊·⌋ and ⌈·⌉ when s is not a multiple of the stride, over the region both maps cover;
* invariance error of what a classifier head would read: the globally averaged features, and the
  flattened locally pooled map that a fully connected layer sees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from engine.progress import Progress
from engine.result import Chart, Conclusion, Heatmap, Metric, Series
from engine.runtime import current_device, generator
from engine.spec import ChoiceParam, DemoSpec, IntParam, Steps
from engine.text import T, both

# Inputs and filters are drawn on the CPU, so both devices see the same data; the loose tolerance
# leaves room for TF32 convolutions on CUDA. Near-zero errors are left out: their digits are noise.
CROSS_DEVICE_METRICS = {
    "image_size": 1e-9,
    "equivariance_error_strided": 0.05,
    "invariance_error_global_strided": 0.05,
    "invariance_error_local_pool": 0.05,
}

# Below this relative error a map counts as exactly shifted (float32 rounding is ~1e-7).
EXACT = 1e-5
# Log-scale charts cannot show an exact zero; errors are drawn no lower than this.
CHART_FLOOR = 1e-10

_MODE_LABELS = {"circular": T("circular", "循环"), "zeros": T("zero", "补零"), "crop": T("crop-window", "裁剪窗口")}


def make_images(*, count: int, size: int, extra: int, blur: bool, generator: torch.Generator,
                device: torch.device) -> Tensor:
    """`count` single-channel images of `size`×(`size`+`extra`), white noise or noise blurred (σ = 1.5 px)."""
    # Drawn on the CPU generator so a CUDA run sees the very same images.
    images = torch.randn(count, 1, size, size + extra, generator=generator).to(device)
    if not blur:
        return images
    radius = 4
    offsets = torch.arange(-radius, radius + 1, device=device, dtype=torch.float32)
    kernel_1d = torch.exp(-offsets ** 2 / (2 * 1.5 ** 2))
    kernel_1d = kernel_1d / kernel_1d.sum()
    kernel = (kernel_1d[:, None] * kernel_1d[None, :])[None, None]
    blurred = F.conv2d(F.pad(images, (radius,) * 4, mode="circular"), kernel)
    return blurred / blurred.std()


def make_filters(*, channels: int, kernel: int, depth: int, generator: torch.Generator,
                 device: torch.device) -> list[tuple[Tensor, Tensor]]:
    """He-initialised random filters; equivariance is a property of the operation, not of training."""
    filters, fan_in_channels = [], 1
    for _ in range(depth):
        std = math.sqrt(2.0 / (fan_in_channels * kernel * kernel))
        weight = (torch.randn(channels, fan_in_channels, kernel, kernel, generator=generator) * std).to(device)
        bias = (torch.randn(channels, generator=generator) * 0.1).to(device)
        filters.append((weight, bias))
        fan_in_channels = channels
    return filters


def feature_maps(images: Tensor, filters: list[tuple[Tensor, Tensor]], *, first_stride: int, padding_mode: str,
                 pool: int) -> list[Tensor]:
    """Every layer's output: conv + ReLU per layer (first layer strided), then an optional max-pool."""
    outputs, hidden = [], images
    for index, (weight, bias) in enumerate(filters):
        padded = F.pad(hidden, same_padding(weight.shape[-1]), mode="circular" if padding_mode == "circular"
                       else "constant")
        hidden = F.relu(F.conv2d(padded, weight, bias, stride=first_stride if index == 0 else 1))
        outputs.append(hidden)
    if pool > 1:
        outputs.append(F.max_pool2d(hidden, pool))
    return outputs


def same_padding(kernel: int) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) padding that keeps a stride-1 map the input's size: kernel − 1 in all, one more
    on the right and bottom for an even kernel. Padding kernel // 2 on both sides would make an even kernel's map
    one pixel wider than the input, and comparing it with the shifted map would then misalign them."""
    before = (kernel - 1) // 2
    after = kernel - 1 - before
    return before, after, before, after


def shifted_input(canvas: Tensor, *, shift: int, size: int, shift_mode: str) -> Tensor:
    """Content moved right by `shift` pixels: x_s[j] = x_0[j − s] (wrapped, or from the canvas)."""
    if shift_mode == "circular":
        return torch.roll(canvas[..., :size], shift, dims=-1)
    extra = canvas.shape[-1] - size
    return canvas[..., extra - shift: extra - shift + size]


def equivariance_error(shifted: Tensor, reference: Tensor, *, shift: int, stride: int, shift_mode: str) -> float:
    """Relative error between f(shifted input) and f(input) shifted by shift/stride feature pixels."""
    best = math.inf
    for step in {math.floor(shift / stride), math.ceil(shift / stride)}:
        if shift_mode == "circular":
            target, actual = torch.roll(reference, step, dims=-1), shifted
        else:
            width = reference.shape[-1]
            target, actual = reference[..., :width - step], shifted[..., step:]
        best = min(best, float((actual - target).norm() / target.norm().clamp_min(1e-12)))
    return best


def relative_change(new: Tensor, old: Tensor) -> float:
    return float((new - old).norm() / old.norm().clamp_min(1e-12))


def _networks(stride: int) -> list[tuple[str, dict[str, str], int, int]]:
    """(key, name, first-layer stride, pool size); total stride is stride × pool."""
    return [("stride1", T("conv, stride 1", "卷积，步幅 1"), 1, 1),
            ("strided", T(f"conv, stride {stride}", f"卷积，步幅 {stride}"), stride, 1),
            ("pooled", T(f"conv + max-pool {stride}", f"卷积 + 最大池化 {stride}"), 1, stride)]


@dataclass(frozen=True)
class Measurements:
    params: dict
    shifts: list[int]  # 0…max_shift; shift 0 is the reference, its errors are zero
    size: int  # the image size used: a multiple of the stride
    errors: dict[str, dict[str, list]]  # per network: equivariance, global, flat (per shift), layers (stride 1)

    def worst(self, network: str, error: str) -> float:
        return max(self.errors[network][error][1:])

    def strided_equivariance(self, *, on_grid: bool) -> float:
        """The strided network's worst equivariance error over shifts that are (not) a multiple of the stride."""
        stride = self.params["stride"]
        chosen = [e for s, e in zip(self.shifts, self.errors["strided"]["equivariance"], strict=True)
                  if s and (s % stride == 0) == on_grid]
        return max(chosen) if chosen else float("nan")


def measure(params: dict, progress: Progress) -> Measurements:
    """All errors per network and shift; the heavy part of the demo."""
    device = current_device()
    stride, max_shift, shift_mode = params["stride"], params["max_shift"], params["shift_mode"]
    progress.note(T("building images and filters", "生成图像和卷积核"))
    draws = generator()
    size = params["image_size"] - params["image_size"] % stride
    canvas = make_images(count=params["images"], size=size, extra=max_shift, blur=params["image"] == "blurred",
                         generator=draws, device=device)
    filters = make_filters(channels=params["channels"], kernel=params["kernel_size"], depth=params["depth"],
                           generator=draws, device=device)
    shifts = list(range(max_shift + 1))
    networks = _networks(stride)
    progress.plan(len(shifts) * len(networks))
    errors = {key: {"equivariance": [], "global": [], "flat": [], "layers": []} for key, *_ in networks}
    references = {}
    for shift in shifts:
        images = shifted_input(canvas, shift=shift, size=size, shift_mode=shift_mode)
        for key, _name, first_stride, pool in networks:
            maps = feature_maps(images, filters, first_stride=first_stride, padding_mode=params["padding_mode"],
                                pool=pool)
            if shift == 0:
                references[key] = maps
            base = references[key]
            bucket = errors[key]
            if key == "stride1":
                bucket["layers"].append([equivariance_error(m, r, shift=shift, stride=1, shift_mode=shift_mode)
                                         for m, r in zip(maps, base, strict=True)])
            bucket["equivariance"].append(equivariance_error(maps[-1], base[-1], shift=shift,
                                                             stride=first_stride * pool, shift_mode=shift_mode))
            bucket["global"].append(relative_change(maps[-1].mean(dim=(2, 3)), base[-1].mean(dim=(2, 3))))
            bucket["flat"].append(relative_change(maps[-1].flatten(1), base[-1].flatten(1)))
            progress.advance(T(f"shift {shift} of {max_shift}", f"平移 {shift}/{max_shift}"))
    return Measurements(params, shifts, size, errors)


def _floored(values: list[float]) -> list[float]:
    return [max(v, CHART_FLOOR) for v in values]


def charts(measured: Measurements) -> list[Chart]:
    shifts, errors = measured.shifts[1:], measured.errors
    names = {key: name for key, name, *_ in _networks(measured.params["stride"])}
    floor_note = T(f" (floored at {CHART_FLOOR:g})", f"（下限 {CHART_FLOOR:g}）")
    shift_label = T("input shift (pixels)", "输入平移（像素）")
    equivariance = Chart(
        title=T("Equivariance error of the last feature map", "最后一层特征图的等变误差"),
        x_label=shift_label,
        y_label=T("‖f(shifted x) − shifted f(x)‖ / ‖f(x)‖" + floor_note["en"],
                  "‖f（平移 x）− 平移 f(x)‖ / ‖f(x)‖" + floor_note["zh"]),
        series=[Series(names[key], shifts, _floored(errors[key]["equivariance"][1:])) for key in names],
        y_scale="log")
    invariance = Chart(
        title=T("Invariance error of what a classifier head reads", "分类头所见特征的不变性误差"),
        x_label=shift_label,
        y_label=T("relative change of the features" + floor_note["en"], "特征的相对变化" + floor_note["zh"]),
        series=[Series(T(f"{names[key]['en']} → global average", f"{names[key]['zh']} → 全局平均"), shifts,
                       _floored(errors[key]["global"][1:])) for key in names]
        + [Series(T(f"{names['pooled']['en']} → flattened (FC input)", f"{names['pooled']['zh']} → 展平（全连接输入）"),
                  shifts, _floored(errors["pooled"]["flat"][1:]))],
        y_scale="log")
    return [equivariance, invariance]


def heatmaps(measured: Measurements) -> list[Heatmap]:
    rows = list(zip(*measured.errors["stride1"]["layers"], strict=True))
    return [Heatmap(title=T("Equivariance error per layer, stride-1 network", "步幅 1 网络每层的等变误差"),
                    x_label=T("input shift (pixels)", "输入平移（像素）"), y_label=T("layer", "层"),
                    x_ticks=[str(s) for s in measured.shifts[1:]],
                    y_ticks=[f"conv {i + 1}" for i in range(len(rows))],
                    values=[[max(v, CHART_FLOOR) for v in row[1:]] for row in rows], log_color=True)]


def summary(measured: Measurements) -> list[Metric]:
    stride = measured.params["stride"]
    metrics = [
        Metric("image_size", T("image size used (multiple of the stride)", "实际图像尺寸（步幅的倍数）"),
               measured.size, "px"),
        Metric("equivariance_error_stride1", T("stride 1: worst equivariance error", "步幅 1：最大等变误差"),
               measured.worst("stride1", "equivariance")),
        Metric("equivariance_error_strided", T(f"stride {stride}: worst equivariance error, shifts not a multiple "
                                               f"of {stride}", f"步幅 {stride}：非 {stride} 倍数平移的最大等变误差"),
               measured.strided_equivariance(on_grid=False)),
        Metric("equivariance_error_strided_on_grid", T(f"stride {stride}: worst error, shifts a multiple of {stride}",
                                                       f"步幅 {stride}：{stride} 倍数平移的最大误差"),
               measured.strided_equivariance(on_grid=True)),
        Metric("invariance_error_global_stride1", T("stride 1 + global average: worst invariance error",
                                                    "步幅 1 + 全局平均：最大不变性误差"),
               measured.worst("stride1", "global")),
        Metric("invariance_error_global_strided", T(f"stride {stride} + global average: worst invariance error",
                                                    f"步幅 {stride} + 全局平均：最大不变性误差"),
               measured.worst("strided", "global")),
        Metric("invariance_error_local_pool", T("local max-pool, flattened: worst invariance error",
                                                "局部最大池化后展平：最大不变性误差"),
               measured.worst("pooled", "flat")),
    ]
    # Shifts all smaller than the stride leave no shift on its grid: that error is left out, not shown blank.
    return [metric for metric in metrics if math.isfinite(metric.value)]


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(stride1_finding(measured), stride_finding(measured), invariance_finding(measured))


def stride1_finding(measured: Measurements) -> Conclusion:
    eq1 = measured.worst("stride1", "equivariance")
    if eq1 < EXACT:
        return Conclusion(T(
            f"With stride 1 the convolution is equivariant: shifting the input shifted every feature map "
            f"exactly (worst error {eq1:.1e}).",
            f"步幅为 1 时卷积是平移等变的：输入平移后特征图精确地随之平移（最大误差 {eq1:.1e}）。"),
            {"stride1": "equivariant"})
    padding, shifting = _MODE_LABELS[measured.params["padding_mode"]], _MODE_LABELS[measured.params["shift_mode"]]
    return Conclusion(T(
        f"Even with stride 1 the maps are not exact shifts (worst error {eq1:.2g}): with {padding['en']} "
        f"padding and {shifting['en']} shifts the borders differ; equivariance is exact only for circular "
        f"shifts with circular padding.",
        f"即使步幅为 1，特征图也不是精确平移（最大误差 {eq1:.2g}）：{padding['zh']}填充加{shifting['zh']}"
        f"平移使边界不同；只有循环平移加循环填充时等变才精确。"), {"stride1": "borders_differ"})


def stride_finding(measured: Measurements) -> Conclusion:
    stride, eq1 = measured.params["stride"], measured.worst("stride1", "equivariance")
    eq_off, eq_on = measured.strided_equivariance(on_grid=False), measured.strided_equivariance(on_grid=True)
    if eq_off > max(2 * eq1, 0.05):
        on_grid = (T(f", while shifts by a multiple of {stride} stay exact ({eq_on:.1e})",
                     f"，而 {stride} 倍数的平移仍精确（{eq_on:.1e}）") if eq_on < EXACT else both(""))
        return Conclusion(T(
            f"Stride {stride} breaks it for shifts that are not a multiple of {stride} "
            f"(error {eq_off:.2g}){on_grid['en']}.",
            f"步幅 {stride} 在平移量不是 {stride} 的倍数时破坏等变（误差 {eq_off:.2g}）{on_grid['zh']}。"),
            {"stride": "breaks_equivariance", "on_grid_exact": eq_on < EXACT})
    if eq1 >= EXACT:
        return Conclusion(T(
            f"Stride {stride}'s error ({eq_off:.2g}) is within twice the border error of stride 1 ({eq1:.2g}): "
            f"here the borders, not the stride, decide how far the maps are from shifted copies.",
            f"步幅 {stride} 的误差（{eq_off:.2g}）不超过步幅 1 边界误差（{eq1:.2g}）的两倍："
            f"这里决定特征图偏离平移副本多少的是边界，而不是步幅。"), {"stride": "within_border_error"})
    return Conclusion(T(
        f"Stride {stride} added little here (error {eq_off:.2g}): these inputs hold little detail "
        f"finer than the stride.",
        f"这里步幅 {stride} 影响不大（误差 {eq_off:.2g}）：输入中细于步幅的细节很少。"), {"stride": "added_little"})


def invariance_finding(measured: Measurements) -> Conclusion:
    stride = measured.params["stride"]
    glob1, glob_s = measured.worst("stride1", "global"), measured.worst("strided", "global")
    flat = measured.worst("pooled", "flat")
    if glob1 < EXACT:
        return Conclusion(T(
            f"Global averaging then makes the stride-1 features invariant, yet after stride {stride} they "
            f"still move by up to {glob_s:.2g}, and a locally max-pooled map fed to a dense layer changes "
            f"by up to {flat:.2g}: pooled and strided networks are only approximately shift-invariant.",
            f"全局平均使步幅 1 的特征平移不变，但步幅 {stride} 后仍变化至多 {glob_s:.2g}，局部最大池化后展平"
            f"送入全连接层的特征变化至多 {flat:.2g}：带池化/步幅的网络只是近似平移不变。"),
            {"global_average": "invariant"})
    return Conclusion(T(
        f"No feature vector stayed fixed: global averages moved by up to {glob1:.2g} (stride 1) and "
        f"{glob_s:.2g} (stride {stride}), the flattened max-pooled map by up to {flat:.2g}.",
        f"没有特征向量保持不变：全局平均变化至多 {glob1:.2g}（步幅 1）和 {glob_s:.2g}（步幅 {stride}），"
        f"展平的最大池化特征至多 {flat:.2g}。"), {"global_average": "moved"})


SPEC = DemoSpec(
    id="D12",
    title=T("CNN shift behaviour: equivariance vs invariance", "CNN 的平移行为：等变与不变"),
    description=T("Shifts inputs by a few pixels and measures how feature maps and pooled features change, for "
                  "stride-1, strided and max-pooled networks with the same filters.",
                  "将输入平移若干像素，测量同一组卷积核在步幅 1、带步幅和最大池化网络中特征图与池化特征的变化。"),
    params=(
        IntParam("image_size", T("image size (pixels)", "图像尺寸（像素）"), 32, minimum=24, maximum=64,
                 help=T("rounded down to a multiple of the stride", "向下取整为步幅的倍数")),
        IntParam("images", T("images", "图像数"), 16, minimum=1, maximum=32),
        ChoiceParam("image", T("image content", "图像内容"), "noise", choices=("noise", "blurred"),
                    choice_labels={"noise": T("white noise", "白噪声"), "blurred": T("blurred noise", "模糊噪声")}),
        IntParam("channels", T("channels per layer", "每层通道数"), 8, minimum=1, maximum=16),
        IntParam("kernel_size", T("kernel size", "卷积核大小"), 3, minimum=1, maximum=7),
        IntParam("depth", T("conv layers", "卷积层数"), 3, minimum=1, maximum=4),
        IntParam("stride", T("stride / pool size", "步幅 / 池化大小"), 2, minimum=2, maximum=4,
                 help=T("first-layer stride of the strided network and window of the max-pool",
                        "带步幅网络第一层的步幅，也是最大池化的窗口")),
        ChoiceParam("padding_mode", T("padding", "填充方式"), "circular", choices=("circular", "zeros"),
                    choice_labels={k: _MODE_LABELS[k] for k in ("circular", "zeros")}),
        ChoiceParam("shift_mode", T("how the input moves", "输入如何平移"), "circular", choices=("circular", "crop"),
                    choice_labels={k: _MODE_LABELS[k] for k in ("circular", "crop")},
                    help=T("circular: wrap around; crop: a window slides over a wider image",
                           "循环：回绕平移；裁剪：窗口在更宽的图像上滑动")),
        IntParam("max_shift", T("largest shift (pixels)", "最大平移（像素）"), 8, minimum=1, maximum=12),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, heatmaps=heatmaps),
    queue="demos",
)
