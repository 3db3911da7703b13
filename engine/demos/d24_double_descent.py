"""D24 — double descent: test error against model size through the interpolation threshold.

Random-features regression: the inputs x ∈ R^8 pass through p random ReLU features φ(x) = relu(Wx)/√p
(W drawn once, never trained) and only the linear read-out is fitted, by least squares. Below p = n
(the number of training samples) least squares cannot fit the data exactly; from p = n on it can, and
among the many exact fits it returns the one of smallest norm (the pseudo-inverse). Classical
bias–variance reasoning predicts test error to rise for good once the model can memorise; instead it
peaks where p ≈ n, the only size whose exact fit needs a huge, noise-amplifying weight vector, and
falls again beyond it. A ridge penalty λ‖w‖² caps that norm, and the peak goes away.

Each setting is repeated over independent draws (data, target, features): the curves are medians and
the verdict counts a peak only when it stands out of the spread between draws.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import torch

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both

INPUTS = 8
TEST_SAMPLES = 1000
WIDEST = 8  # the widest model has this many times as many features as there are training samples
MIN_DRAWS_FOR_SPREAD = 3  # fewer draws have no spread worth comparing
PEAK_FACTOR = 1.5  # a peak stands out when its median error is this many times both neighbours' medians
FITS = {"min_norm": T("minimum-norm least squares", "最小范数最小二乘"), "ridge": T("ridge", "岭回归")}

# Float64 on both devices; only the pseudo-inverse at p = n is ill-conditioned enough for libraries to differ.
CROSS_DEVICE_METRICS = {
    "threshold": 0.0,
    "best_small_error": 0.01,
    "widest_error": 0.01,
    "ridge_peak_error": 0.01,
}


def feature_counts(samples: int) -> list[int]:
    """A few small models, a dense sweep through the threshold p = n, then a few up to WIDEST·n."""
    small = [1, 2, 4, samples // 4, samples // 2]
    around = range(max(1, round(0.6 * samples)), round(1.5 * samples) + 1, max(1, samples // 20))
    wide = [2 * samples, 3 * samples, 4 * samples, 6 * samples, WIDEST * samples]
    return sorted({count for count in [*small, *around, samples, *wide] if count >= 1})


def target(x: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """A linear trend plus a wiggle the ReLU features can only approximate (so the model is never exact)."""
    return x @ direction / INPUTS ** 0.5 + 0.5 * torch.sin(2 * x[:, 0])


def fit_read_out(features: torch.Tensor, labels: torch.Tensor, *, ridge: float) -> torch.Tensor:
    """Least-squares read-out weights; ridge = 0 gives the minimum-norm solution (exact fit beyond p = n)."""
    if ridge == 0:
        return torch.linalg.pinv(features) @ labels
    samples, count = features.shape
    if count <= samples:
        gram = features.T @ features + ridge * torch.eye(count, dtype=features.dtype, device=features.device)
        return torch.linalg.solve(gram, features.T @ labels)
    # the same solution written through the n × n kernel matrix, cheaper when p > n
    kernel = features @ features.T + ridge * torch.eye(samples, dtype=features.dtype, device=features.device)
    return features.T @ torch.linalg.solve(kernel, labels)


MEASURED = ("test", "train", "norm")  # test MSE, training MSE, norm of the read-out weights
SEEDS_APART = 10_000  # draw k of seed s uses stream s + k·10000: no two (seed, draw) pairs share numbers


def one_draw(*, params: dict, counts: list[int], draw: int, device: torch.device,
             progress: Progress) -> dict[str, dict[str, list]]:
    """For each kind of fit, the MEASURED numbers per feature count, from one draw of data and features."""
    draws = generator(stream=draw * SEEDS_APART)
    samples, options = params["samples"], {"dtype": torch.float64, "generator": draws}
    direction = torch.randn(INPUTS, **options)
    train_x, test_x = torch.randn(samples, INPUTS, **options), torch.randn(TEST_SAMPLES, INPUTS, **options)
    train_y = target(train_x, direction) + params["noise"] * torch.randn(samples, **options)
    projection = torch.randn(INPUTS, counts[-1], **options) / INPUTS ** 0.5
    train_x, test_x, train_y, projection = (t.to(device) for t in (train_x, test_x, train_y, projection))
    test_y = target(test_x, direction.to(device))  # noiseless: the error is the model's, not the labels'
    found: dict[str, dict[str, list]] = {name: {which: [] for which in MEASURED} for name in FITS}
    for count in counts:
        train_features = torch.relu(train_x @ projection[:, :count]) / count ** 0.5
        test_features = torch.relu(test_x @ projection[:, :count]) / count ** 0.5
        for name, ridge in (("min_norm", 0.0), ("ridge", params["ridge"])):
            weights = fit_read_out(train_features, train_y, ridge=ridge)
            found[name]["test"].append(((test_features @ weights - test_y) ** 2).mean().item())
            found[name]["train"].append(((train_features @ weights - train_y) ** 2).mean().item())
            found[name]["norm"].append(weights.norm().item())
        progress.advance(T(f"draw {draw + 1} of {params['draws']}", f"第 {draw + 1}/{params['draws']} 次抽样"))
    return found


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """Lower quartile, median, upper quartile (all three the value itself for a single draw)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    low, middle, high = statistics.quantiles(values, n=4, method="inclusive")
    return low, middle, high


@dataclass(frozen=True)
class Curve:
    """One kind of fit over all draws, per feature count."""

    test: list[list[float]]  # [count index][draw]
    train: list[list[float]]
    norm: list[list[float]]

    def median(self, which: str) -> list[float]:
        return [quartiles(values)[1] for values in getattr(self, which)]


@dataclass(frozen=True)
class Peak:
    """Where the test error peaks near the threshold, and whether the peak stands out of the spread."""

    count: int
    error: float  # median at the peak
    best_small: float  # best median with fewer features than the threshold region
    widest: float  # median at the widest model
    stands_out: bool  # median ≥ PEAK_FACTOR × both neighbours
    beyond_spread: bool  # the peak's lower quartile above both neighbours' upper quartiles (needs 3+ draws)

    @property
    def shape(self) -> str:
        if self.stands_out and self.beyond_spread:
            return "double_descent"
        if self.stands_out:
            return "within_spread"
        return "no_peak"


def find_peak(curve: Curve, counts: list[int], samples: int) -> Peak:
    near = [i for i, count in enumerate(counts) if 0.6 * samples <= count <= 1.5 * samples]
    small = [i for i, count in enumerate(counts) if count < 0.6 * samples]
    spread = [quartiles(values) for values in curve.test]
    peak = max(near, key=lambda i: spread[i][1])
    best_small = min(small, key=lambda i: spread[i][1])
    widest = len(counts) - 1
    error = spread[peak][1]
    stands_out = error >= PEAK_FACTOR * max(spread[best_small][1], spread[widest][1])
    enough_draws = len(curve.test[peak]) >= MIN_DRAWS_FOR_SPREAD
    beyond_spread = enough_draws and spread[peak][0] > max(spread[best_small][2], spread[widest][2])
    return Peak(counts[peak], error, spread[best_small][1], spread[widest][1], stands_out, beyond_spread)


@dataclass(frozen=True)
class Measurements:
    params: dict
    counts: list[int]
    curves: dict[str, Curve]  # per FITS name

    def peak(self, name: str) -> Peak:
        return find_peak(self.curves[name], self.counts, self.params["samples"])

    @property
    def threshold_index(self) -> int:
        return self.counts.index(self.params["samples"])


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    counts = feature_counts(params["samples"])
    progress.plan(params["draws"] * len(counts))
    per_draw = []
    for draw in range(params["draws"]):
        per_draw.append(one_draw(params=params, counts=counts, draw=draw, device=device, progress=progress))
    curves = {name: Curve(**{which: [list(values) for values in zip(*(found[name][which] for found in per_draw),
                                                                    strict=True)]
                             for which in MEASURED})
              for name in FITS}
    return Measurements(params, counts, curves)


def summary(measured: Measurements) -> list[Metric]:
    plain, ridged = measured.peak("min_norm"), measured.peak("ridge")
    at_threshold = measured.threshold_index
    return [
        Metric("threshold", T("Interpolation threshold (features = training samples)",
                              "插值阈值（特征数 = 训练样本数）"), measured.params["samples"], T("features", "个特征")),
        Metric("peak_features", T("Features at the test-error peak", "测试误差峰值处的特征数"), plain.count,
               T("features", "个特征")),
        Metric("peak_error", T("Test MSE at the peak, minimum norm", "峰值处测试均方误差，最小范数"), plain.error),
        Metric("best_small_error", T("Best test MSE below the threshold", "阈值以下最好的测试均方误差"),
               plain.best_small),
        Metric("widest_error", T(f"Test MSE at {WIDEST}× as many features", f"特征数为 {WIDEST} 倍时的测试均方误差"),
               plain.widest),
        Metric("train_error_at_threshold", T("Training MSE at the threshold", "阈值处训练均方误差"),
               statistics.median(measured.curves["min_norm"].train[at_threshold])),
        Metric("ridge_peak_error", T("Highest ridge test MSE near the threshold", "阈值附近岭回归最高测试均方误差"),
               ridged.error),
    ]


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(min_norm_finding(measured), ridge_finding(measured))


def min_norm_finding(measured: Measurements) -> Conclusion:
    peak, samples, draws = measured.peak("min_norm"), measured.params["samples"], measured.params["draws"]
    numbers = T(f"{peak.error:.3g} at {peak.count} features against {peak.best_small:.3g} below the threshold "
                f"and {peak.widest:.3g} at {WIDEST * samples}",
                f"{peak.count} 个特征处为 {peak.error:.3g}，阈值以下为 {peak.best_small:.3g}，"
                f"{WIDEST * samples} 个特征处为 {peak.widest:.3g}")
    if peak.shape == "double_descent":
        return Conclusion(T(
            f"Double descent: with {samples} training samples the minimum-norm fit's test MSE peaks where the "
            f"features reach the number of samples ({numbers['en']}, medians of {draws} draws, the peak above "
            "their spread), then falls again as the model grows: the exact fit at p ≈ n needs a huge weight "
            "vector that amplifies the noise.",
            f"双下降：训练样本为 {samples} 个时，最小范数解的测试均方误差在特征数达到样本数处出现峰值"
            f"（{numbers['zh']}，{draws} 次抽样的中位数，峰值高出抽样间的波动），随后模型越大误差又下降："
            "在 p ≈ n 处精确拟合需要一个范数极大的权重向量，把噪声放大了。"), {"min_norm": "double_descent"})
    if peak.shape == "within_spread":
        return Conclusion(T(
            f"The minimum-norm fit's median test MSE rises near the threshold ({numbers['en']}), but "
            f"{draws} draw{'s' if draws > 1 else ''} cannot separate it from the spread between draws.",
            f"最小范数解的测试均方误差中位数在阈值附近升高（{numbers['zh']}），但 {draws} 次抽样还不足以把它"
            "与抽样间的波动区分开。"), {"min_norm": "within_spread"})
    return Conclusion(T(
        f"No peak at the threshold this time: the minimum-norm fit's test MSE is {numbers['en']}.",
        f"这次阈值处没有峰值：最小范数解的测试均方误差{numbers['zh']}。"), {"min_norm": "no_peak"})


def ridge_finding(measured: Measurements) -> Conclusion:
    ridged, plain, ridge = measured.peak("ridge"), measured.peak("min_norm"), measured.params["ridge"]
    if ridged.shape == "no_peak":
        return Conclusion(T(
            f"Ridge with λ = {ridge:g} has no peak: its highest test MSE near the threshold is {ridged.error:.3g}.",
            f"λ = {ridge:g} 的岭回归没有峰值：它在阈值附近的最高测试均方误差为 {ridged.error:.3g}。"),
            {"ridge": "no_peak"})
    return Conclusion(T(
        f"Ridge with λ = {ridge:g} still peaks near the threshold ({ridged.error:.3g} against "
        f"{plain.error:.3g} without it): the penalty is too weak to cap the weights there.",
        f"λ = {ridge:g} 的岭回归在阈值附近仍有峰值（{ridged.error:.3g}，不加正则时为 {plain.error:.3g}）："
        "惩罚太弱，压不住那里的权重。"), {"ridge": ridged.shape})


def charts(measured: Measurements) -> list[Chart]:
    counts = measured.counts
    tested = [Series(FITS[name], counts, measured.curves[name].median("test")) for name in FITS]
    trained = [Series(FITS[name], counts, measured.curves[name].median("train")) for name in FITS]
    norms = [Series(FITS[name], counts, measured.curves[name].median("norm")) for name in FITS]
    features = T("random features p", "随机特征数 p")
    return [
        Chart(T("Test error against model size (median over draws)", "测试误差与模型大小（各次抽样的中位数）"),
              features, T("test MSE", "测试均方误差"), tested, x_scale="log", y_scale="log"),
        Chart(T("Training error: zero from p = n on", "训练误差：从 p = n 起为零"), features,
              T("training MSE", "训练均方误差"), trained, x_scale="log"),
        Chart(T("Norm of the read-out weights", "读出层权重的范数"), features, both("‖w‖"), norms,
              x_scale="log", y_scale="log"),
    ]


def tables(measured: Measurements) -> list[Table]:
    columns = [T("features p", "特征数 p"), T("test MSE, lower quartile", "测试均方误差，下四分位"),
               T("median", "中位数"), T("upper quartile", "上四分位"), T("ridge, median", "岭回归，中位数")]
    samples = measured.params["samples"]
    shown = [i for i, count in enumerate(measured.counts) if count in (samples // 2, samples, 2 * samples)
             or count == measured.peak("min_norm").count]
    rows = [[measured.counts[i], *(float(f"{q:.4g}") for q in quartiles(measured.curves["min_norm"].test[i])),
             float(f"{statistics.median(measured.curves['ridge'].test[i]):.4g}")] for i in shown]
    return [Table(T("Spread between draws near the threshold", "阈值附近各次抽样的波动"), columns, rows)]


SPEC = DemoSpec(
    id="D24",
    title=T("Double descent", "双下降"),
    description=T(
        "Fit random-features regression models of growing size by least squares and watch the test error "
        "peak where the model can first fit the training data exactly, then fall again; ridge removes the peak.",
        "用最小二乘拟合规模不断增大的随机特征回归模型，观察测试误差在模型刚好能精确拟合训练数据处出现峰值、"
        "随后再次下降；岭回归能消除这个峰值。"),
    params=(
        IntParam("samples", T("Training samples n", "训练样本数 n"), 40, minimum=10, maximum=200),
        FloatParam("noise", T("Label noise (standard deviation)", "标签噪声（标准差）"), 0.3, minimum=0.0,
                   maximum=2.0),
        FloatParam("ridge", T("Ridge penalty λ", "岭回归惩罚 λ"), 0.1, minimum=1e-6, maximum=100.0,
                   log_scale=True),
        IntParam("draws", T("Independent draws", "独立抽样次数"), 7, minimum=1, maximum=30),
        IntParam("seed", T("Random seed", "随机种子"), 0, minimum=0, maximum=9999),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)
