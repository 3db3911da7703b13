"""D6: softmax vs sigmoid on the same logits.

Softmax turns K logits into one distribution over mutually exclusive classes (sums to 1, unchanged
when a constant is added to every logit); sigmoid gives each output its own yes/no probability
(multi-label, no constraint on the sum). With two classes they coincide:
softmax([a, b])₀ = 1 / (1 + e^{b−a}) = σ(a − b), checked here on many random logit pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both

CROSS_DEVICE_METRICS = {
    "softmax_sum": 1e-5,
    "sigmoid_sum": 1e-4,
    "top_probability": 1e-4,
    "softmax_entropy": 1e-3,
    "sigmoid_shift_max_diff": 1e-4,
}

LOGIT_NAMES = ("logit_1", "logit_2", "logit_3")
PAIR_SCALE = 5.0  # spread of the random logit pairs: wide enough to reach saturated outputs
SWEEP_TEMPERATURES = 61
SCATTER_POINTS = 300


def two_class_gap(*, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """|softmax([a, b])₀ − σ(a − b)| for each pair."""
    softmax_first = torch.softmax(torch.stack([first, second], dim=-1), dim=-1)[..., 0]
    return (softmax_first - torch.sigmoid(first - second)).abs()


def naive_softmax(logits: torch.Tensor) -> torch.Tensor:
    """exp(z) / Σ exp(z) without subtracting the maximum: overflows for large logits."""
    exps = torch.exp(logits)
    return exps / exps.sum()


@dataclass(frozen=True)
class Measurements:
    params: dict
    logits: list[float]  # as the device holds them (float32)
    softmax: list[float]  # of logits / T, per class
    sigmoid: list[float]
    shifted_softmax: list[float]  # of (logits + shift) / T
    shifted_sigmoid: list[float]
    softmax_sum: float
    sigmoid_sum: float
    top: float
    entropy: float
    shift_diff: float  # the largest change the shift made to a softmax output
    sigmoid_shift_diff: float
    naive_finite: bool
    temperatures: list[float]  # the sweep of the temperature chart
    temperature_curves: list[list[float]]  # per class: its softmax probability at each temperature
    pair_error: float  # the largest |softmax([a, b])₀ − σ(a − b)| over all random pairs
    shown_sigmoid: list[float]  # σ(a − b) of the pairs drawn in the scatter chart
    shown_softmax: list[float]  # softmax([a, b])₀ of the same pairs


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    temperature, shift = params["temperature"], params["shift"]
    raw = torch.tensor([params[name] for name in LOGIT_NAMES], device=device)
    logits = raw / temperature
    softmax, sigmoid = torch.softmax(logits, dim=-1), torch.sigmoid(logits)
    shifted = (raw + shift) / temperature
    shifted_softmax, shifted_sigmoid = torch.softmax(shifted, dim=-1), torch.sigmoid(shifted)
    temperatures = torch.logspace(math.log10(0.05), math.log10(20.0), SWEEP_TEMPERATURES, device=device)
    sweep = torch.softmax(raw[None, :] / temperatures[:, None], dim=-1)
    progress.plan(2)  # all of it takes milliseconds, even a million pairs: two phases say enough
    progress.advance(T("single logits", "单个 logit"))
    # Drawn on the CPU so CPU and CUDA runs check the very same pairs.
    first, second = (PAIR_SCALE * torch.randn(2, params["pairs"], generator=generator())).to(device)
    pair_error = two_class_gap(first=first, second=second).max().item()
    progress.advance(T("random pairs", "随机 logit 对"))
    shown = slice(0, min(SCATTER_POINTS, params["pairs"]))
    return Measurements(
        params, raw.tolist(), softmax.tolist(), sigmoid.tolist(), shifted_softmax.tolist(), shifted_sigmoid.tolist(),
        softmax_sum=softmax.sum().item(), sigmoid_sum=sigmoid.sum().item(), top=softmax.max().item(),
        entropy=torch.special.entr(softmax).sum().item(),
        shift_diff=(shifted_softmax - softmax).abs().max().item(),
        sigmoid_shift_diff=(shifted_sigmoid - sigmoid).abs().max().item(),
        naive_finite=bool(torch.isfinite(naive_softmax(logits)).all().item()),
        temperatures=temperatures.tolist(), temperature_curves=sweep.T.tolist(), pair_error=pair_error,
        shown_sigmoid=torch.sigmoid(first[shown] - second[shown]).tolist(),
        shown_softmax=torch.softmax(torch.stack([first[shown], second[shown]], dim=-1), dim=-1)[:, 0].tolist())


def summary(measured: Measurements) -> list[Metric]:
    return [
        Metric("softmax_sum", T("sum of softmax outputs", "softmax 输出之和"), measured.softmax_sum),
        Metric("sigmoid_sum", T("sum of sigmoid outputs", "sigmoid 输出之和"), measured.sigmoid_sum),
        Metric("top_probability", T("largest softmax probability", "最大 softmax 概率"), measured.top),
        Metric("softmax_entropy", T("softmax entropy", "softmax 熵"), measured.entropy, "nats"),
        Metric("softmax_shift_max_diff", T("max softmax change under the shift", "平移后 softmax 最大变化"),
               measured.shift_diff),
        Metric("sigmoid_shift_max_diff", T("max sigmoid change under the shift", "平移后 sigmoid 最大变化"),
               measured.sigmoid_shift_diff),
        Metric("two_class_max_error", T("max |softmax₂ − σ(z₁ − z₂)| over random pairs",
                                        "随机对上 |二分类 softmax − σ(z₁ − z₂)| 最大值"), measured.pair_error),
        Metric("naive_softmax_finite", T("naive softmax stays finite (1 = yes)", "朴素 softmax 未溢出（1 = 是）"),
               float(measured.naive_finite)),
    ]


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(sum_finding(measured), shift_finding(measured), pair_finding(measured),
                           temperature_finding(measured), overflow_finding(measured.naive_finite))


def sum_finding(measured: Measurements) -> Conclusion:
    sums = T(f"Softmax outputs sum to {measured.softmax_sum:.6f}; sigmoid outputs sum to {measured.sigmoid_sum:.3f}",
             f"softmax 输出之和为 {measured.softmax_sum:.6f}；sigmoid 输出之和为 {measured.sigmoid_sum:.3f}")
    if abs(measured.sigmoid_sum - 1) < 0.01:
        return Conclusion(T(sums["en"] + " (close to 1 here only by coincidence: each sigmoid is an independent "
                            "yes/no).", sums["zh"] + "（这里接近 1 只是巧合：每个 sigmoid 都是独立的是/否概率）。"),
                          {"sigmoid_sum": "near_one_by_chance"})
    return Conclusion(T(sums["en"] + ", not 1: each sigmoid is an independent yes/no probability (multi-label).",
                        sums["zh"] + "，不是 1：每个 sigmoid 是独立的是/否概率（多标签）。"),
                      {"sigmoid_sum": "not_one"})


def shift_finding(measured: Measurements) -> Conclusion:
    shift, shift_diff = measured.params["shift"], measured.shift_diff
    if shift == 0:
        return Conclusion(T("With shift 0 nothing moves; set a shift to see softmax's invariance.",
                            "平移量为 0 时什么也不变；设置一个平移量来观察 softmax 的平移不变性。"), {"shift": "none"})
    if shift_diff < 1e-5:
        return Conclusion(T(f"Adding {shift:g} to every logit changed softmax by at most {shift_diff:.1e} "
                            f"(shift-invariant) but sigmoid by up to {measured.sigmoid_shift_diff:.3f}.",
                            f"所有 logit 加 {shift:g} 后，softmax 最多变化 {shift_diff:.1e}（平移不变），"
                            f"sigmoid 却最多变化 {measured.sigmoid_shift_diff:.3f}。"), {"shift": "softmax_invariant"})
    return Conclusion(T(f"Adding {shift:g} changed softmax by {shift_diff:.1e}: floating-point rounding, "
                        "not a real dependence on the shift.",
                        f"加 {shift:g} 后 softmax 变化了 {shift_diff:.1e}：这是浮点舍入，并非真的依赖平移量。"),
                      {"shift": "rounding"})


def pair_finding(measured: Measurements) -> Conclusion:
    pairs, pair_error = measured.params["pairs"], measured.pair_error
    if pair_error < 1e-5:
        return Conclusion(T(f"For {pairs} random logit pairs, two-class softmax equals σ(z₁ − z₂) "
                            f"within {pair_error:.1e}.",
                            f"{pairs} 对随机 logit 中，二分类 softmax 与 σ(z₁ − z₂) 的差不超过 {pair_error:.1e}。"),
                          {"two_class_softmax": "equals_sigmoid"})
    return Conclusion(T(f"Two-class softmax and σ(z₁ − z₂) differed by up to {pair_error:.1e}.",
                        f"二分类 softmax 与 σ(z₁ − z₂) 最多相差 {pair_error:.1e}。"),
                      {"two_class_softmax": "differs"})


def temperature_finding(measured: Measurements) -> Conclusion:
    top = measured.top
    if top > 0.99:
        return Conclusion(T(f"At this temperature the top class takes {top:.3f}: almost one-hot.",
                            f"在此温度下最大类别占 {top:.3f}：几乎是 one-hot。"), {"distribution": "one_hot"})
    if top < 1.5 / len(LOGIT_NAMES):
        return Conclusion(T(f"At this temperature the top class takes only {top:.3f}: close to uniform.",
                            f"在此温度下最大类别只占 {top:.3f}：接近均匀分布。"), {"distribution": "near_uniform"})
    return Conclusion(both(""), {"distribution": "in_between"})


def overflow_finding(naive_finite: bool) -> Conclusion:
    if naive_finite:
        return Conclusion(both(""), {"naive_softmax_overflows": False})
    return Conclusion(T("Naive exp(z)/Σexp(z) overflows on these logits; subtracting the maximum does not.",
                        "朴素的 exp(z)/Σexp(z) 在这些 logit 上溢出；先减去最大值则不会。"),
                      {"naive_softmax_overflows": True})


def charts(measured: Measurements) -> list[Chart]:
    temperature, shift = measured.params["temperature"], measured.params["shift"]
    classes = list(range(1, len(LOGIT_NAMES) + 1))
    return [
        Chart(T(f"Outputs for logits / T (T = {temperature:g})", f"logit / T 的输出（T = {temperature:g}）"),
              T("class", "类别"), T("probability", "概率"),
              [Series(both("softmax"), classes, measured.softmax),
               Series(both("sigmoid"), classes, measured.sigmoid),
               Series(T(f"softmax after +{shift:g}", f"平移 +{shift:g} 后的 softmax"), classes,
                      measured.shifted_softmax),
               Series(T(f"sigmoid after +{shift:g}", f"平移 +{shift:g} 后的 sigmoid"), classes,
                      measured.shifted_sigmoid)], kind="bar"),
        Chart(T(f"Softmax probabilities against temperature (this run: T = {temperature:g})",
                f"softmax 概率随温度变化（本次 T = {temperature:g}）"),
              T("temperature T", "温度 T"), T("probability", "概率"),
              [Series(T(f"class {i + 1} (z = {logit:g})", f"类别 {i + 1}（z = {logit:g}）"), measured.temperatures,
                      curve) for i, (logit, curve) in enumerate(zip(measured.logits, measured.temperature_curves,
                                                                     strict=True))], x_scale="log"),
        Chart(T("Two-class softmax against σ(z₁ − z₂) for random pairs", "随机 logit 对：二分类 softmax 与 σ(z₁ − z₂)"),
              both("σ(z₁ − z₂)"), both("softmax([z₁, z₂])₁"),
              [Series(T("random pairs", "随机对"), measured.shown_sigmoid, measured.shown_softmax)], kind="scatter"),
    ]


def tables(measured: Measurements) -> list[Table]:
    return [Table(T("Per-class outputs", "各类别输出"),
                  [T("class", "类别"), both("logit"), both("softmax"), both("sigmoid")],
                  [[i + 1, logit, measured.softmax[i], measured.sigmoid[i]]
                   for i, logit in enumerate(measured.logits)])]


def _logit(name: str, label_en: str, label_zh: str, default: float) -> FloatParam:
    return FloatParam(name, T(label_en, label_zh), default, minimum=-20.0, maximum=20.0)


SPEC = DemoSpec(
    id="D6",
    title=T("Softmax vs sigmoid", "Softmax 与 Sigmoid"),
    description=T("Softmax and sigmoid outputs for three logits: their sums, softmax's shift invariance, "
                  "temperature, and two-class softmax = sigmoid of the logit difference.",
                  "三个 logit 的 softmax 与 sigmoid 输出：两者之和、softmax 的平移不变性、温度，"
                  "以及二分类 softmax 等于 logit 差的 sigmoid。"),
    params=(
        _logit("logit_1", "logit z₁", "logit z₁", 2.0),
        _logit("logit_2", "logit z₂", "logit z₂", 1.0),
        _logit("logit_3", "logit z₃", "logit z₃", 0.1),
        FloatParam("temperature", T("temperature T", "温度 T"), 1.0,
                   T("Outputs use z / T: small T sharpens softmax, large T flattens it.",
                     "输出使用 z / T：T 小则 softmax 更尖锐，T 大则更平坦。"),
                   minimum=0.05, maximum=20.0, log_scale=True),
        FloatParam("shift", T("constant added to every logit", "加到每个 logit 上的常数"), 10.0,
                   minimum=-100.0, maximum=100.0),
        IntParam("pairs", T("random logit pairs to check", "检验的随机 logit 对数"), 2000,
                 minimum=10, maximum=1_000_000),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)
