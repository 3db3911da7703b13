"""D6: softmax vs sigmoid on the same logits.

Softmax turns K logits into one distribution over mutually exclusive classes (sums to 1, unchanged
when a constant is added to every logit); sigmoid gives each output its own yes/no probability
(multi-label, no constraint on the sum). With two classes they coincide:
softmax([a, b])₀ = 1 / (1 + e^{b−a}) = σ(a − b), checked here on many random logit pairs.
"""

from __future__ import annotations

import math

import torch

from engine.result import Chart, Metric, Result, Series, Table
from engine.runtime import current_device
from engine.spec import DemoSpec, FloatParam, IntParam
from engine.text import DONE, T

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


def _random_pairs(*, count: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    # Drawn on the CPU so CPU and CUDA runs check the very same pairs.
    pairs = PAIR_SCALE * torch.randn(2, count)
    return pairs[0].to(device), pairs[1].to(device)


def _temperature_chart(logits: torch.Tensor, temperature: float) -> Chart:
    temperatures = torch.logspace(math.log10(0.05), math.log10(20.0), SWEEP_TEMPERATURES, device=logits.device)
    probabilities = torch.softmax(logits[None, :] / temperatures[:, None], dim=-1)
    series = [Series(T(f"class {i + 1} (z = {logits[i].item():g})", f"类别 {i + 1}（z = {logits[i].item():g}）"),
                     temperatures.tolist(), probabilities[:, i].tolist()) for i in range(len(logits))]
    return Chart(T(f"Softmax probabilities against temperature (this run: T = {temperature:g})",
                   f"softmax 概率随温度变化（本次 T = {temperature:g}）"),
                 T("temperature T", "温度 T"), T("probability", "概率"), series, x_scale="log")


def _conclusion(*, softmax_sum: float, sigmoid_sum: float, shift: float, shift_diff: float,
                sigmoid_shift_diff: float, pairs: int, pair_error: float, top: float, classes: int,
                naive_finite: bool) -> dict[str, str]:
    parts_en = [f"Softmax outputs sum to {softmax_sum:.6f}; sigmoid outputs sum to {sigmoid_sum:.3f}"]
    parts_zh = [f"softmax 输出之和为 {softmax_sum:.6f}；sigmoid 输出之和为 {sigmoid_sum:.3f}"]
    if abs(sigmoid_sum - 1) < 0.01:
        parts_en[-1] += " (close to 1 here only by coincidence: each sigmoid is an independent yes/no)."
        parts_zh[-1] += "（这里接近 1 只是巧合：每个 sigmoid 都是独立的是/否概率）。"
    else:
        parts_en[-1] += ", not 1: each sigmoid is an independent yes/no probability (multi-label)."
        parts_zh[-1] += "，不是 1：每个 sigmoid 是独立的是/否概率（多标签）。"
    if shift == 0:
        parts_en.append("With shift 0 nothing moves; set a shift to see softmax's invariance.")
        parts_zh.append("平移量为 0 时什么也不变；设置一个平移量来观察 softmax 的平移不变性。")
    elif shift_diff < 1e-5:
        parts_en.append(f"Adding {shift:g} to every logit changed softmax by at most {shift_diff:.1e} "
                        f"(shift-invariant) but sigmoid by up to {sigmoid_shift_diff:.3f}.")
        parts_zh.append(f"所有 logit 加 {shift:g} 后，softmax 最多变化 {shift_diff:.1e}（平移不变），"
                        f"sigmoid 却最多变化 {sigmoid_shift_diff:.3f}。")
    else:
        parts_en.append(f"Adding {shift:g} changed softmax by {shift_diff:.1e}: floating-point rounding, "
                        "not a real dependence on the shift.")
        parts_zh.append(f"加 {shift:g} 后 softmax 变化了 {shift_diff:.1e}：这是浮点舍入，并非真的依赖平移量。")
    if pair_error < 1e-5:
        parts_en.append(f"For {pairs} random logit pairs, two-class softmax equals σ(z₁ − z₂) "
                        f"within {pair_error:.1e}.")
        parts_zh.append(f"{pairs} 对随机 logit 中，二分类 softmax 与 σ(z₁ − z₂) 的差不超过 {pair_error:.1e}。")
    else:
        parts_en.append(f"Two-class softmax and σ(z₁ − z₂) differed by up to {pair_error:.1e}.")
        parts_zh.append(f"二分类 softmax 与 σ(z₁ − z₂) 最多相差 {pair_error:.1e}。")
    if top > 0.99:
        parts_en.append(f"At this temperature the top class takes {top:.3f}: almost one-hot.")
        parts_zh.append(f"在此温度下最大类别占 {top:.3f}：几乎是 one-hot。")
    elif top < 1.5 / classes:
        parts_en.append(f"At this temperature the top class takes only {top:.3f}: close to uniform.")
        parts_zh.append(f"在此温度下最大类别只占 {top:.3f}：接近均匀分布。")
    if not naive_finite:
        parts_en.append("Naive exp(z)/Σexp(z) overflows on these logits; subtracting the maximum does not.")
        parts_zh.append("朴素的 exp(z)/Σexp(z) 在这些 logit 上溢出；先减去最大值则不会。")
    return T(" ".join(parts_en), "".join(parts_zh))


def run(params: dict, progress) -> Result:
    device = current_device()
    temperature, shift = params["temperature"], params["shift"]
    raw = torch.tensor([params[name] for name in LOGIT_NAMES], device=device)
    logits = raw / temperature
    softmax, sigmoid = torch.softmax(logits, dim=-1), torch.sigmoid(logits)
    shifted = (raw + shift) / temperature
    shift_diff = (torch.softmax(shifted, dim=-1) - softmax).abs().max().item()
    sigmoid_shift_diff = (torch.sigmoid(shifted) - sigmoid).abs().max().item()
    naive_finite = bool(torch.isfinite(naive_softmax(logits)).all().item())
    progress(0.3, T("single logits", "单个 logit"))
    first, second = _random_pairs(count=params["pairs"], device=device)
    gaps = two_class_gap(first=first, second=second)
    pair_error = gaps.max().item()
    progress(0.7, T("random pairs", "随机 logit 对"))
    entropy = torch.special.entr(softmax).sum().item()
    top = softmax.max().item()
    shown = slice(0, min(SCATTER_POINTS, params["pairs"]))
    pair_softmax = torch.softmax(torch.stack([first[shown], second[shown]], dim=-1), dim=-1)[:, 0]
    classes = list(range(1, len(LOGIT_NAMES) + 1))
    result = Result(
        summary=[
            Metric("softmax_sum", T("sum of softmax outputs", "softmax 输出之和"), softmax.sum().item()),
            Metric("sigmoid_sum", T("sum of sigmoid outputs", "sigmoid 输出之和"), sigmoid.sum().item()),
            Metric("top_probability", T("largest softmax probability", "最大 softmax 概率"), top),
            Metric("softmax_entropy", T("softmax entropy", "softmax 熵"), entropy, "nats"),
            Metric("softmax_shift_max_diff", T("max softmax change under the shift", "平移后 softmax 最大变化"),
                   shift_diff),
            Metric("sigmoid_shift_max_diff", T("max sigmoid change under the shift", "平移后 sigmoid 最大变化"),
                   sigmoid_shift_diff),
            Metric("two_class_max_error", T("max |softmax₂ − σ(z₁ − z₂)| over random pairs",
                                            "随机对上 |二分类 softmax − σ(z₁ − z₂)| 最大值"), pair_error),
            Metric("naive_softmax_finite", T("naive softmax stays finite (1 = yes)", "朴素 softmax 未溢出（1 = 是）"),
                   float(naive_finite)),
        ],
        conclusion=_conclusion(softmax_sum=softmax.sum().item(), sigmoid_sum=sigmoid.sum().item(), shift=shift,
                               shift_diff=shift_diff, sigmoid_shift_diff=sigmoid_shift_diff, pairs=params["pairs"],
                               pair_error=pair_error, top=top, classes=len(LOGIT_NAMES), naive_finite=naive_finite),
        charts=[
            Chart(T(f"Outputs for logits / T (T = {temperature:g})", f"logit / T 的输出（T = {temperature:g}）"),
                  T("class", "类别"), T("probability", "概率"),
                  [Series(T("softmax", "softmax"), classes, softmax.tolist()),
                   Series(T("sigmoid", "sigmoid"), classes, sigmoid.tolist()),
                   Series(T(f"softmax after +{shift:g}", f"平移 +{shift:g} 后的 softmax"), classes,
                          torch.softmax(shifted, dim=-1).tolist()),
                   Series(T(f"sigmoid after +{shift:g}", f"平移 +{shift:g} 后的 sigmoid"), classes,
                          torch.sigmoid(shifted).tolist())], kind="bar"),
            _temperature_chart(raw, temperature),
            Chart(T("Two-class softmax against σ(z₁ − z₂) for random pairs",
                    "随机 logit 对：二分类 softmax 与 σ(z₁ − z₂)"),
                  T("σ(z₁ − z₂)", "σ(z₁ − z₂)"), T("softmax([z₁, z₂])₁", "softmax([z₁, z₂])₁"),
                  [Series(T("random pairs", "随机对"), torch.sigmoid(first[shown] - second[shown]).tolist(),
                          pair_softmax.tolist())], kind="scatter"),
        ],
        tables=[Table(T("Per-class outputs", "各类别输出"),
                      [T("class", "类别"), T("logit", "logit"), T("softmax", "softmax"), T("sigmoid", "sigmoid")],
                      [[i + 1, raw[i].item(), softmax[i].item(), sigmoid[i].item()] for i in range(len(raw))])],
    )
    progress(1.0, DONE)
    return result


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
    run=run,
    queue="demos",
)
