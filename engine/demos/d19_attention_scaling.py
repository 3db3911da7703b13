"""D19 — scaled dot-product attention: why the scores are divided by √d_k.

Queries and keys with independent entries of standard deviation σ give dot products q·k with variance
d_k σ⁴: their spread grows like √d_k. Fed to a softmax unscaled, wide scores put almost all the weight
on one key (the softmax saturates), and its Jacobian diag(p) − p pᵀ, through which every gradient of
attention flows back, shrinks toward zero. Dividing by √d_k keeps the scores' spread at σ² whatever d_k.

For each d_k the demo draws queries, keys and values, computes attention with and without the 1/√d_k,
and back-propagates a random upstream gradient: it reports the scores' spread, the largest attention
weight per query and the size of the gradient that reaches the softmax's input. Several independent
draws give each number a spread, so the conclusion can tell an effect from the draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from engine.progress import Progress
from engine.result import Chart, Conclusion, Heatmap, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import T

SMALLEST_DK = 4
QUERIES = 64
VALUE_DIM = 16
SATURATED = 0.9  # a mean largest weight above this: nearly one-hot attention
GRADIENT_GAP = 10.0  # the scaled gradient this many times the unscaled one in every draw: beyond the draws' spread
MODES = ("scaled", "unscaled")
NAMES = {"scaled": T("scaled by 1/√d_k", "除以 √d_k"), "unscaled": T("unscaled", "不缩放")}

CROSS_DEVICE_METRICS = {
    "largest_dk": 0.0,
    "score_std_unscaled": 1e-3,
    "score_std_scaled": 1e-3,
    "max_weight_unscaled": 1e-3,
    "max_weight_scaled": 1e-3,
    "gradient_ratio_lowest": 0.05,
}


def factor(value: float) -> str:
    """A ratio for the text: 6,518 rather than 6.52e+03, scientific only where digits would run on."""
    return f"{value:,.0f}" if 100 <= value < 1e7 else f"{value:.3g}"


def key_dims(largest: int) -> list[int]:
    dims = [SMALLEST_DK]
    while dims[-1] * 2 <= largest:
        dims.append(dims[-1] * 2)
    return dims


def attention_statistics(*, d_k: int, keys: int, entry_std: float, scaled: bool, draws: torch.Generator,
                         device: torch.device) -> dict:
    """One draw of attention at one d_k: the scores' spread, the mean largest weight, the mean entropy (in
    nats), the typical query's gradient at the softmax's input from a random upstream gradient, and the first
    query's weights. The median over queries, not the mean: a few queries whose two best keys happen to tie
    keep a sizeable gradient however saturated the rest are."""
    query = (torch.randn(QUERIES, d_k, generator=draws) * entry_std).to(device)
    key = (torch.randn(keys, d_k, generator=draws) * entry_std).to(device)
    value = torch.randn(keys, VALUE_DIM, generator=draws).to(device)
    upstream = torch.randn(QUERIES, VALUE_DIM, generator=draws).to(device)
    scores = (query @ key.T / (math.sqrt(d_k) if scaled else 1.0)).requires_grad_(True)
    weights = torch.softmax(scores, dim=-1)
    (weights @ value * upstream).sum().backward()
    weights = weights.detach()
    entropy = -(weights * torch.log(weights.clamp_min(1e-30))).sum(-1)
    return {"score_std": float(scores.detach().std()), "max_weight": float(weights.max(-1).values.mean()),
            "entropy": float(entropy.mean()), "gradient": float(scores.grad.norm(dim=-1).median()),
            "example": weights[0].cpu().tolist()}


@dataclass(frozen=True)
class Measurements:
    params: dict
    dims: list[int]
    draws: dict[str, list[list[dict]]]  # per mode: per d_k, one statistics dict per draw

    def values(self, mode: str, name: str) -> list[list[float]]:
        """Per d_k, the draws' values of one statistic."""
        return [[draw[name] for draw in per_dim] for per_dim in self.draws[mode]]

    def mean(self, mode: str, name: str) -> list[float]:
        return [sum(draws) / len(draws) for draws in self.values(mode, name)]

    @property
    def gradient_ratios(self) -> list[float]:
        """Per draw at the largest d_k whose unscaled gradient did not underflow to 0: the scaled gradient over
        the unscaled one (same queries and keys)."""
        return [scaled / unscaled for scaled, unscaled in
                zip(self.values("scaled", "gradient")[-1], self.values("unscaled", "gradient")[-1], strict=True)
                if unscaled > 0]

    @property
    def underflowed(self) -> int:
        """Draws whose unscaled gradient at the largest d_k was exactly 0: a float32 softmax at 0 and 1."""
        return sum(gradient == 0 for gradient in self.values("unscaled", "gradient")[-1])

    @property
    def predicted_std(self) -> float:
        """σ²√d_k: the unscaled scores' standard deviation at the largest d_k, from the variance of a dot product."""
        return self.params["entry_std"] ** 2 * math.sqrt(self.dims[-1])


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    dims = key_dims(params["max_dk"])
    progress.plan(len(dims) * params["draws"])
    draws: dict[str, list[list[dict]]] = {mode: [[] for _ in dims] for mode in MODES}
    for index, d_k in enumerate(dims):
        for draw in range(params["draws"]):
            for mode in MODES:  # both modes see the very same queries, keys and values
                stream = generator(stream=10_000 * draw + d_k)
                draws[mode][index].append(attention_statistics(
                    d_k=d_k, keys=params["keys"], entry_std=params["entry_std"], scaled=mode == "scaled",
                    draws=stream, device=device))
            progress.advance(T(f"d_k = {d_k}, draw {draw + 1}", f"d_k = {d_k}，第 {draw + 1} 次抽样"))
    return Measurements(params, dims, draws)


def summary(measured: Measurements) -> list[Metric]:
    largest = measured.dims[-1]
    metrics = [Metric("largest_dk", T("largest key dimension d_k", "最大键维度 d_k"), largest)]
    for mode in MODES:
        name = NAMES[mode]
        metrics += [
            Metric(f"score_std_{mode}", T(f"score std at d_k = {largest}, {name['en']}",
                                          f"d_k = {largest} 时分数的标准差（{name['zh']}）"),
                   measured.mean(mode, "score_std")[-1]),
            Metric(f"max_weight_{mode}", T(f"mean largest attention weight, {name['en']}",
                                           f"平均最大注意力权重（{name['zh']}）"),
                   measured.mean(mode, "max_weight")[-1]),
            Metric(f"gradient_{mode}", T(f"typical query's gradient at the softmax input, {name['en']}",
                                         f"典型查询在 softmax 输入处的梯度（{name['zh']}）"),
                   measured.mean(mode, "gradient")[-1]),
        ]
    ratios = measured.gradient_ratios
    metrics += [Metric("predicted_std_unscaled", T("predicted unscaled std σ²√d_k", "预测的未缩放标准差 σ²√d_k"),
                       measured.predicted_std),
                Metric("underflowed_draws", T("draws whose unscaled gradient underflowed to 0",
                                              "不缩放梯度下溢为 0 的抽样数"), measured.underflowed)]
    if ratios:
        metrics += [Metric("gradient_ratio_lowest", T("gradient, scaled ÷ unscaled, lowest draw",
                                                      "梯度：缩放 ÷ 不缩放（最低）"), min(ratios), "×"),
                    Metric("gradient_ratio_highest", T("gradient, scaled ÷ unscaled, highest draw",
                                                       "梯度：缩放 ÷ 不缩放（最高）"), max(ratios), "×")]
    return metrics


def saturated(measured: Measurements, mode: str) -> bool:
    return measured.mean(mode, "max_weight")[-1] >= SATURATED


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(spread_finding(measured), saturation_finding(measured), gradient_finding(measured))


def spread_finding(measured: Measurements) -> Conclusion:
    largest, smallest = measured.dims[-1], measured.dims[0]
    unscaled, scaled = measured.mean("unscaled", "score_std"), measured.mean("scaled", "score_std")
    return Conclusion(T(
        f"From d_k = {smallest} to {largest} the unscaled scores' spread grew from {unscaled[0]:.2f} to "
        f"{unscaled[-1]:.2f} (σ²√d_k predicts {measured.predicted_std:.2f}); scaled, it stayed near "
        f"{scaled[-1]:.2f}.",
        f"d_k 从 {smallest} 增加到 {largest} 时，未缩放分数的标准差从 {unscaled[0]:.2f} 增加到 {unscaled[-1]:.2f}"
        f"（σ²√d_k 预测为 {measured.predicted_std:.2f}）；缩放后保持在 {scaled[-1]:.2f} 左右。"))


def saturation_finding(measured: Measurements) -> Conclusion:
    largest = measured.dims[-1]
    weight = {mode: measured.mean(mode, "max_weight")[-1] for mode in MODES}
    if saturated(measured, "scaled"):
        return Conclusion(T(
            f"Both softmaxes saturated at d_k = {largest} (largest weight {weight['unscaled']:.2f} unscaled, "
            f"{weight['scaled']:.2f} scaled): with entries of standard deviation {measured.params['entry_std']:g} "
            f"the scaled scores still spread by σ² = {measured.params['entry_std'] ** 2:.2f}. Dividing by √d_k "
            f"removes the growth with d_k, not the size of the entries (layer normalisation keeps those near 1).",
            f"d_k = {largest} 时两种 softmax 都饱和了（最大权重：不缩放 {weight['unscaled']:.2f}，"
            f"缩放 {weight['scaled']:.2f}）：元素标准差为 {measured.params['entry_std']:g} 时，缩放后的分数仍有 "
            f"σ² = {measured.params['entry_std'] ** 2:.2f} 的离散度。除以 √d_k 去掉的是随 d_k 的增长，"
            f"而不是元素本身的大小（层归一化让它们保持在 1 附近）。"),
            {"softmax": "both_saturate"})
    if saturated(measured, "unscaled"):
        return Conclusion(T(
            f"Unscaled, the softmax saturated: at d_k = {largest} the largest weight averaged "
            f"{weight['unscaled']:.2f}, nearly all of it on one key. Scaled, it averaged {weight['scaled']:.2f}.",
            f"不缩放时 softmax 饱和了：d_k = {largest} 时最大权重平均为 {weight['unscaled']:.2f}，"
            f"几乎全部落在一个键上。缩放后平均为 {weight['scaled']:.2f}。"),
            {"softmax": "unscaled_saturates"})
    return Conclusion(T(
        f"Neither softmax saturated (largest weight {weight['unscaled']:.2f} unscaled, {weight['scaled']:.2f} "
        f"scaled): with d_k up to {largest} and entries of standard deviation {measured.params['entry_std']:g} "
        f"the scores stay small. Try a larger d_k or larger entries.",
        f"两种 softmax 都没有饱和（最大权重：不缩放 {weight['unscaled']:.2f}，缩放 {weight['scaled']:.2f}）："
        f"d_k 最大为 {largest}、元素标准差为 {measured.params['entry_std']:g} 时分数仍然较小。"
        f"试试更大的 d_k 或更大的元素。"),
        {"softmax": "no_saturation"})


def gradient_finding(measured: Measurements) -> Conclusion:
    ratios, draws, underflowed = measured.gradient_ratios, measured.params["draws"], measured.underflowed
    scaled = measured.mean("scaled", "gradient")[-1]
    if underflowed == draws:
        return Conclusion(T(
            f"Unscaled, the typical query's gradient through the softmax underflowed to exactly 0 in all {draws} "
            f"draws; scaled, it averaged {scaled:.3g}. A saturated softmax passes no gradient back to the queries "
            f"and keys.",
            f"不缩放时，典型查询穿过 softmax 的梯度在全部 {draws} 次抽样中都下溢为 0；缩放后平均为 {scaled:.3g}。"
            f"饱和的 softmax 不把梯度传回查询和键。"),
            {"gradient": "scaling_keeps_it"})
    low, high = min(ratios), max(ratios)
    zeros = T(f" (in {underflowed} more draws the unscaled one underflowed to exactly 0)",
              f"（另有 {underflowed} 次抽样中不缩放的梯度下溢为 0）") if underflowed else T("", "")
    if low >= GRADIENT_GAP:
        return Conclusion(T(
            f"The typical query's gradient through the softmax was {factor(low)}–{factor(high)}× larger scaled than "
            f"unscaled over {len(ratios)} draws{zeros['en']}: a saturated softmax passes almost no gradient back to "
            f"the queries and keys.",
            f"在 {len(ratios)} 次抽样中，典型查询穿过 softmax 的梯度缩放后是不缩放时的 {factor(low)}–{factor(high)} 倍"
            f"{zeros['zh']}：饱和的 softmax 几乎不把梯度传回查询和键。"),
            {"gradient": "scaling_keeps_it"})
    return Conclusion(T(
        f"The gradients through the softmax were not consistently {GRADIENT_GAP:g}× apart "
        f"(scaled ÷ unscaled {factor(low)}–{factor(high)} over {len(ratios)} draws{zeros['en']}).",
        f"穿过 softmax 的梯度没有稳定地相差 {GRADIENT_GAP:g} 倍（在 {len(ratios)} 次抽样中，缩放 ÷ 不缩放为 "
        f"{factor(low)}–{factor(high)}{zeros['zh']}）。"),
        {"gradient": "comparable"})


def charts(measured: Measurements) -> list[Chart]:
    dims, axis = measured.dims, T("key dimension d_k", "键维度 d_k")
    return [
        Chart(T("Spread of the scores", "分数的离散度"), axis, T("standard deviation of q·k", "q·k 的标准差"),
              [Series(NAMES[mode], dims, measured.mean(mode, "score_std")) for mode in MODES]
              + [Series(T("σ²√d_k (theory, unscaled)", "σ²√d_k（理论值，不缩放）"), dims,
                        [measured.params["entry_std"] ** 2 * math.sqrt(d) for d in dims])],
              x_scale="log", y_scale="log"),
        Chart(T("Largest attention weight per query", "每个查询的最大注意力权重"), axis,
              T("mean largest weight", "平均最大权重"),
              [Series(NAMES[mode], dims, measured.mean(mode, "max_weight")) for mode in MODES]
              + [Series(T("uniform (1 / keys)", "均匀分布（1 / 键数）"), dims,
                        [1 / measured.params["keys"]] * len(dims))],
              x_scale="log"),
        Chart(T("Gradient reaching the scores, typical query", "典型查询传到分数的梯度"), axis,
              T("median gradient norm", "梯度范数的中位数"),
              [Series(NAMES[mode], dims, measured.mean(mode, "gradient")) for mode in MODES],
              x_scale="log", y_scale="log"),
    ]


def heatmaps(measured: Measurements) -> list[Heatmap]:
    """The first query's weights over the keys, per d_k (first draw): one row each, so saturation shows as one
    bright cell per row."""
    keys = measured.params["keys"]
    return [Heatmap(title=T(f"Attention of one query over {keys} keys, {NAMES[mode]['en']}",
                            f"一个查询对 {keys} 个键的注意力（{NAMES[mode]['zh']}）"),
                    x_label=T("key", "键"), y_label=T("d_k", "d_k"),
                    x_ticks=[str(j + 1) for j in range(keys)], y_ticks=[str(d) for d in measured.dims],
                    values=[per_dim[0]["example"] for per_dim in measured.draws[mode]],
                    scale_group="weights")  # with and without 1/√d_k on one scale: the saturation is the point
            for mode in MODES]


def tables(measured: Measurements) -> list[Table]:
    rows = []
    for index, d_k in enumerate(measured.dims):
        for mode in MODES:
            gradients = measured.values(mode, "gradient")[index]
            rows.append([d_k, NAMES[mode]["en"], measured.mean(mode, "score_std")[index],
                         measured.mean(mode, "max_weight")[index], measured.mean(mode, "entropy")[index],
                         min(gradients), max(gradients)])
    return [Table(T("Per d_k, mean over the draws", "每个 d_k 的抽样平均"),
                  [T("d_k", "d_k"), T("scores", "分数"), T("score std", "分数标准差"),
                   T("largest weight", "最大权重"), T("entropy (nats)", "熵（奈特）"),
                   T("gradient, lowest draw", "梯度（最低）"), T("gradient, highest draw", "梯度（最高）")],
                  rows)]


SPEC = DemoSpec(
    id="D19",
    title=T("Scaled dot-product attention", "缩放点积注意力"),
    description=T("Draws queries and keys of growing dimension d_k and compares attention with and without the "
                  "1/√d_k factor: how wide the scores get, how peaked the softmax becomes and how much gradient "
                  "flows back through it.",
                  "抽取维度 d_k 递增的查询和键，比较有无 1/√d_k 因子的注意力：分数的离散度、softmax 的尖锐程度，"
                  "以及能反向传过它的梯度大小。"),
    params=(
        IntParam("max_dk", T("largest key dimension d_k", "最大键维度 d_k"), 1024, minimum=8, maximum=4096,
                 help=T("d_k doubles from 4 up to this", "d_k 从 4 开始翻倍，直到这个值")),
        IntParam("keys", T("keys per query", "每个查询的键数"), 32, minimum=2, maximum=256),
        FloatParam("entry_std", T("standard deviation σ of query and key entries", "查询和键元素的标准差 σ"), 1.0,
                   T("1 is what layer normalisation gives", "层归一化给出的是 1"), minimum=0.1, maximum=4.0),
        IntParam("draws", T("independent draws", "独立抽样次数"), 5, minimum=1, maximum=20),
        IntParam("seed", T("random seed", "随机种子"), 0, minimum=0, maximum=10_000),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, heatmaps=heatmaps, tables=tables),
    queue="demos",
    flush_denormal=True,  # gradients that vanish reach denormal floats (DemoSpec says why)
)
