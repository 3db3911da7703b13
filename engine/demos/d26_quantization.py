"""D26 — weight quantisation: int8 and int4, per-tensor against per-channel scales, and one outlier.

A small MLP is trained (in float) to classify a teacher network's labels, then its weight matrices are
rounded to b-bit integers with symmetric scales, q = round(w / s) clipped to ±(2^(b−1) − 1), and run
with w ≈ s·q. One scale per matrix (per-tensor) is set by its largest weight; one per output row
(per-channel) by each row's largest. Biases stay in float, as integer kernels keep them at 32 bits.

The outlier: one hidden unit's incoming weights are multiplied by a factor c and its outgoing weights
divided by c. ReLU is positively homogeneous, so the float network computes exactly the same function,
but the first matrix now holds one row c times larger than the rest. A per-tensor scale must stretch to
cover it, leaving the other rows only a few integer levels; per-channel scales are not disturbed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Heatmap, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both, training_step

FEATURES, TEACHER_HIDDEN, HIDDEN, CLASSES = 8, 16, 64, 4
TRAIN_SAMPLES, TEST_SAMPLES = 2048, 4000
LEARNING_RATE = 0.01
BITS = (2, 3, 4, 5, 6, 8)
GRANULARITIES = {"tensor": T("per-tensor", "逐张量"), "channel": T("per-channel", "逐通道")}
MODELS = {"plain": T("as trained", "原样"), "outlier": T("with one outlier unit", "含一个离群单元")}
OUTLIER_UNIT = 0
SIGNIFICANT = 2.0  # a change in accuracy counts when it exceeds this many standard errors of the test accuracy

# Training runs in float on both devices and may differ by a few test points; quantising is exact arithmetic.
CROSS_DEVICE_METRICS = {  # relative tolerances
    "float_accuracy": 0.02,
    "int8_tensor_plain": 0.02,
    "int8_channel_plain": 0.02,
    "int8_tensor_outlier": 0.04,
    "int8_channel_outlier": 0.02,
}


def quantize(weight: torch.Tensor, *, bits: int, per_channel: bool) -> torch.Tensor:
    """Symmetric round-to-nearest quantisation, returned dequantised (s·q) so the float model can run it."""
    levels = 2 ** (bits - 1) - 1
    largest = weight.abs().amax(dim=1, keepdim=True) if per_channel else weight.abs().max()
    scale = torch.clamp(largest, min=torch.finfo(weight.dtype).tiny) / levels
    return torch.clamp(torch.round(weight / scale), -levels, levels) * scale


def make_data(*, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Inputs N(0, I) labelled by a random tanh teacher; drawn on the CPU so every device gets the same."""
    draws = generator()
    teacher_in = torch.randn(FEATURES, TEACHER_HIDDEN, generator=draws) / math.sqrt(FEATURES)
    teacher_out = torch.randn(TEACHER_HIDDEN, CLASSES, generator=draws) / math.sqrt(TEACHER_HIDDEN)
    inputs = torch.randn(TRAIN_SAMPLES + TEST_SAMPLES, FEATURES, generator=draws)
    labels = (torch.tanh(2 * inputs @ teacher_in) @ teacher_out).argmax(dim=1)
    tensors = (inputs[:TRAIN_SAMPLES], labels[:TRAIN_SAMPLES], inputs[TRAIN_SAMPLES:], labels[TRAIN_SAMPLES:])
    return tuple(t.to(device) for t in tensors)


def make_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(FEATURES, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                         nn.Linear(HIDDEN, CLASSES))


def train(model: nn.Sequential, inputs: torch.Tensor, labels: torch.Tensor, *, steps: int,
          progress: Progress) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    for step in range(1, steps + 1):
        loss = nn.functional.cross_entropy(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        progress.advance(training_step(step))


def with_outlier(weights: list[torch.Tensor], biases: list[torch.Tensor], *,
                 factor: float) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The same function, one first-layer row `factor` times larger: relu(c·z)/c = relu(z) for c > 0."""
    weights, biases = [w.clone() for w in weights], [b.clone() for b in biases]
    weights[0][OUTLIER_UNIT] *= factor
    biases[0][OUTLIER_UNIT] *= factor
    weights[1][:, OUTLIER_UNIT] /= factor
    return weights, biases


def forward(weights: list[torch.Tensor], biases: list[torch.Tensor], inputs: torch.Tensor) -> torch.Tensor:
    hidden = inputs
    for index, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
        hidden = hidden @ weight.T + bias
        if index < len(weights) - 1:
            hidden = torch.relu(hidden)
    return hidden


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return 100 * (logits.argmax(dim=1) == labels).float().mean().item()


@dataclass(frozen=True)
class Quantized:
    """One model quantised one way at one bit width."""

    accuracy: float  # % on the test set
    weight_error: float  # ‖Ŵ − W‖ / ‖W‖ of the first layer, where the outlier sits


@dataclass(frozen=True)
class Measurements:
    params: dict
    float_accuracy: dict[str, float]  # per MODELS name: the float network, before any rounding
    results: dict[tuple[str, str, int], Quantized]  # (model, granularity, bits)

    def accuracy(self, model: str, granularity: str, bits: int) -> float:
        return self.results[model, granularity, bits].accuracy

    @property
    def standard_error(self) -> float:
        """Of the test accuracy, in percentage points: the test set's own sampling noise."""
        share = self.float_accuracy["plain"] / 100
        return 100 * math.sqrt(max(share * (1 - share), 1e-4) / TEST_SAMPLES)

    def drop(self, model: str, granularity: str, bits: int) -> float:
        return self.float_accuracy["plain"] - self.accuracy(model, granularity, bits)

    def lossy(self, model: str, granularity: str, bits: int) -> bool:
        return self.drop(model, granularity, bits) > SIGNIFICANT * self.standard_error

    def outlier_cost(self, granularity: str, bits: int) -> float:
        """Accuracy the outlier takes away from the same quantisation of the network as trained."""
        return self.accuracy("plain", granularity, bits) - self.accuracy("outlier", granularity, bits)

    def outlier_hurts(self, granularity: str, bits: int) -> bool:
        return self.outlier_cost(granularity, bits) > SIGNIFICANT * self.standard_error


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    progress.plan(params["steps"] + 1)
    train_x, train_y, test_x, test_y = make_data(device=device)
    model = make_model().to(device)  # built on the CPU from the seeded global RNG: same start everywhere
    train(model, train_x, train_y, steps=params["steps"], progress=progress)
    layers = [layer for layer in model if isinstance(layer, nn.Linear)]
    trained = ([layer.weight.detach() for layer in layers], [layer.bias.detach() for layer in layers])
    versions = {"plain": trained, "outlier": with_outlier(*trained, factor=params["outlier"])}
    float_accuracy, results = {}, {}
    with torch.no_grad():
        for name, (weights, biases) in versions.items():
            float_accuracy[name] = accuracy(forward(weights, biases, test_x), test_y)
            for granularity in GRANULARITIES:
                for bits in BITS:
                    rounded = [quantize(w, bits=bits, per_channel=granularity == "channel") for w in weights]
                    error = ((rounded[0] - weights[0]).norm() / weights[0].norm()).item()
                    results[name, granularity, bits] = Quantized(
                        accuracy(forward(rounded, biases, test_x), test_y), error)
    progress.advance(T("quantising", "量化中"))
    return Measurements(params, float_accuracy, results)


def summary(measured: Measurements) -> list[Metric]:
    metrics = [Metric("float_accuracy", T("Test accuracy in float", "浮点模型测试准确率"),
                      measured.float_accuracy["plain"], "%"),
               Metric("standard_error", T("Standard error of a test accuracy", "测试准确率的标准误差"),
                      measured.standard_error, "%")]
    for model, model_label in MODELS.items():
        for bits in (8, 4):
            for granularity, label in GRANULARITIES.items():
                metrics.append(Metric(
                    f"int{bits}_{granularity}_{model}",
                    T(f"int{bits} {label['en']}, {model_label['en']}", f"int{bits} {label['zh']}，{model_label['zh']}"),
                    measured.accuracy(model, granularity, bits), "%"))
    return metrics


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(bits_finding(measured, 8), bits_finding(measured, 4), outlier_finding(measured))


def drop_text(measured: Measurements, model: str, granularity: str, bits: int) -> dict[str, str]:
    drop = measured.drop(model, granularity, bits)
    return T(f"{measured.accuracy(model, granularity, bits):.1f} % ({-drop:+.1f} points)",
             f"{measured.accuracy(model, granularity, bits):.1f}%（{-drop:+.1f} 个百分点）")


def outlier_text(measured: Measurements, granularity: str, bits: int) -> dict[str, str]:
    cost = measured.outlier_cost(granularity, bits)
    return T(f"{measured.accuracy('outlier', granularity, bits):.1f} % ({-cost:+.1f} points against no outlier)",
             f"{measured.accuracy('outlier', granularity, bits):.1f}%（比无离群值时 {-cost:+.1f} 个百分点）")


def bits_finding(measured: Measurements, bits: int) -> Conclusion:
    tensor, channel = (drop_text(measured, "plain", granularity, bits) for granularity in GRANULARITIES)
    lossy = {granularity: measured.lossy("plain", granularity, bits) for granularity in GRANULARITIES}
    within = T(f"within the test set's sampling error (±{SIGNIFICANT * measured.standard_error:.1f} points)",
               f"在测试集的抽样误差之内（±{SIGNIFICANT * measured.standard_error:.1f} 个百分点）")
    if not any(lossy.values()):
        return Conclusion(T(
            f"int{bits} weights cost nothing measurable: per-tensor {tensor['en']}, per-channel {channel['en']}, "
            f"{within['en']}.",
            f"int{bits} 权重没有可测的损失：逐张量 {tensor['zh']}，逐通道 {channel['zh']}，{within['zh']}。"),
            {f"int{bits}": "lossless"})
    if lossy["tensor"] and not lossy["channel"]:
        return Conclusion(T(
            f"At int{bits} one scale per tensor loses accuracy ({tensor['en']}) where one per output channel "
            f"does not ({channel['en']}).",
            f"int{bits} 时，每个张量一个缩放因子会损失准确率（{tensor['zh']}），每个输出通道一个则不会"
            f"（{channel['zh']}）。"), {f"int{bits}": "per_channel_needed"})
    return Conclusion(T(
        f"int{bits} weights lose accuracy: per-tensor {tensor['en']}, per-channel {channel['en']}.",
        f"int{bits} 权重损失了准确率：逐张量 {tensor['zh']}，逐通道 {channel['zh']}。"), {f"int{bits}": "lossy"})


def outlier_finding(measured: Measurements) -> Conclusion:
    factor = measured.params["outlier"]
    setup = Conclusion(T(
        f"Scaling one hidden unit's incoming weights by {factor:g} (and its outgoing ones down by the same) leaves "
        f"the float network as it was ({measured.float_accuracy['outlier']:.1f} %).",
        f"把一个隐藏单元的输入权重放大 {factor:g} 倍（输出权重缩小同样倍数）后，浮点网络与原来一样"
        f"（{measured.float_accuracy['outlier']:.1f}%）。"))
    return Conclusion.join(setup, outlier_at(measured, 8), outlier_at(measured, 4))


def outlier_at(measured: Measurements, bits: int) -> Conclusion:
    tensor, channel = (outlier_text(measured, granularity, bits) for granularity in GRANULARITIES)
    hurts = {granularity: measured.outlier_hurts(granularity, bits) for granularity in GRANULARITIES}
    key = f"outlier_int{bits}"
    if hurts["tensor"] and not hurts["channel"]:
        return Conclusion(T(
            f"At int{bits} per-tensor falls to {tensor['en']}: the one large row sets the scale and the other "
            f"rows keep only a few levels; per-channel holds at {channel['en']}.",
            f"int{bits} 逐张量降到 {tensor['zh']}：这一行大权重决定了缩放因子，其余各行只剩下几个量化级别；"
            f"逐通道保持在 {channel['zh']}。"), {key: "per_tensor_hurt"})
    if not any(hurts.values()):
        return Conclusion(T(
            f"At int{bits} both cope: per-tensor {tensor['en']}, per-channel {channel['en']}.",
            f"int{bits} 时两者都能应付：逐张量 {tensor['zh']}，逐通道 {channel['zh']}。"), {key: "harmless"})
    return Conclusion(T(
        f"At int{bits} per-tensor gives {tensor['en']}, per-channel {channel['en']}.",
        f"int{bits} 时逐张量为 {tensor['zh']}，逐通道为 {channel['zh']}。"), {key: "both_hurt"})


def series_label(model: str, granularity: str) -> dict[str, str]:
    return T(f"{GRANULARITIES[granularity]['en']}, {MODELS[model]['en']}",
             f"{GRANULARITIES[granularity]['zh']}，{MODELS[model]['zh']}")


def charts(measured: Measurements) -> list[Chart]:
    keys = [(model, granularity) for model in MODELS for granularity in GRANULARITIES]
    accuracy_series = [Series(series_label(*key), list(BITS), [measured.accuracy(*key, bits) for bits in BITS])
                       for key in keys]
    accuracy_series.append(Series(T("float", "浮点"), list(BITS), [measured.float_accuracy["plain"]] * len(BITS)))
    error_series = [Series(series_label(*key), list(BITS), [measured.results[(*key, bits)].weight_error
                                                           for bits in BITS]) for key in keys]
    bits_label = T("bits per weight", "每个权重的位数")
    return [
        Chart(T("Test accuracy against bit width", "测试准确率与位宽"), bits_label,
              T("test accuracy (%)", "测试准确率（%）"), accuracy_series),
        Chart(T("First layer's relative weight error", "第一层权重的相对误差"), bits_label,
              both("‖Ŵ − W‖ / ‖W‖"), error_series, y_scale="log"),
    ]


def heatmaps(measured: Measurements) -> list[Heatmap]:
    keys = [(model, granularity) for model in MODELS for granularity in GRANULARITIES]
    return [Heatmap(T("Accuracy drop from float (points)", "相对浮点模型的准确率下降（百分点）"),
                    T("bits per weight", "每个权重的位数"), T("scales and model", "缩放方式与模型"),
                    [str(bits) for bits in BITS], [series_label(*key)["en"] for key in keys],
                    [[measured.drop(*key, bits) for bits in BITS] for key in keys])]


def tables(measured: Measurements) -> list[Table]:
    columns = [T("weights", "权重"), T("scales", "缩放方式"), T("model", "模型"),
               T("test accuracy (%)", "测试准确率（%）"), T("first-layer weight error", "第一层权重误差")]
    rows = [[f"int{bits}", GRANULARITIES[granularity]["en"], MODELS[model]["en"],
             round(measured.accuracy(model, granularity, bits), 2),
             float(f"{measured.results[model, granularity, bits].weight_error:.3g}")]
            for bits in (8, 4) for model in MODELS for granularity in GRANULARITIES]
    return [Table(T("int8 and int4", "int8 与 int4"), columns, rows)]


SPEC = DemoSpec(
    id="D26",
    title=T("Quantisation: int8, int4 and an outlier", "量化：int8、int4 与离群值"),
    description=T(
        "Round a trained network's weights to 8, 4 or fewer bits with one scale per tensor or one per output "
        "channel, and see what accuracy survives, also when one unit's weights are much larger than the rest.",
        "把训练好的网络权重舍入到 8 位、4 位或更少，每个张量一个缩放因子或每个输出通道一个，"
        "看准确率还剩多少，以及当某个单元的权重远大于其余权重时会怎样。"),
    params=(
        FloatParam("outlier", T("Outlier factor c", "离群放大倍数 c"), 30.0, minimum=1.0, maximum=1000.0,
                   log_scale=True),
        IntParam("steps", T("Training steps (Adam, full batch)", "训练步数（Adam，全批量）"), 150, minimum=20,
                 maximum=2000),
        IntParam("seed", T("Random seed", "随机种子"), 0, minimum=0, maximum=9999),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, heatmaps=heatmaps, tables=tables),
    queue="demos",
)
