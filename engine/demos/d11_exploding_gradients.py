"""D11 — exploding gradients in an RNN, trained from the same start with and without gradient clipping.

A tanh RNN learns a delay task (output the input from `delay` steps earlier at every step). Its
recurrent matrix starts orthogonal times a spectral radius ρ; with ρ ≥ 1 and a large learning rate,
products of step Jacobians can grow and the gradient norm spikes. Both runs start from the same
weights and see the same batches; one clips the total gradient norm to `max_norm` (what
`torch.nn.utils.clip_grad_norm_` does), the other applies the raw gradient. The gradient norm is
recorded before clipping, so spikes are visible in both runs.
"""

from __future__ import annotations

import copy
import math
import statistics
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Heatmap, Metric, Series
from engine.runtime import current_device, generator
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both, training_step

BATCH = 32
SPIKE = 10.0  # a step whose gradient norm exceeds 10× the run's median counts as a spike
HEATMAP_COLUMNS = 40
PARAMETER_NAMES = {"recurrent.weight_ih_l0": "W_ih", "recurrent.weight_hh_l0": "W_hh",
                   "recurrent.bias_ih_l0": "b_ih", "recurrent.bias_hh_l0": "b_hh",
                   "head.weight": "W_out", "head.bias": "b_out"}

# Training an RNN near the edge of stability is chaotic in its details (which step spikes); the
# outcome (diverged or not, final loss) is what must agree between devices.
CROSS_DEVICE_METRICS = {
    "unclipped_diverged": 1e-9,
    "final_loss_clipped": 0.3,
}


class DelayRNN(nn.Module):
    def __init__(self, *, hidden: int, radius: float):
        super().__init__()
        self.recurrent = nn.RNN(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        with torch.no_grad():
            orthogonal, _ = torch.linalg.qr(torch.randn(hidden, hidden))
            self.recurrent.weight_hh_l0.copy_(orthogonal * radius)

    def forward(self, inputs: Tensor) -> Tensor:
        outputs, _ = self.recurrent(inputs)
        return self.head(outputs).squeeze(-1)


def delay_batch(*, length: int, delay: int, generator: torch.Generator, device: torch.device) -> tuple[Tensor, Tensor]:
    """Uniform inputs in [−1, 1]; the target at step t is the input at t − delay (drawn on the CPU)."""
    inputs = torch.rand(BATCH, length, 1, generator=generator) * 2 - 1
    return inputs.to(device), inputs[:, :length - delay, 0].to(device)


def new_record() -> dict:
    return {"losses": [], "norms": [], "per_tensor": [], "diverged_at": None}


def train(model: DelayRNN, *, params: dict, clip: bool, device: torch.device, progress: Progress,
          record: dict | None = None) -> dict:
    """SGD for `steps` steps; records loss, pre-clip gradient norm and per-tensor norms in `record` (when
    given: the live charts read it meanwhile); stops at NaN/inf."""
    optimizer = torch.optim.SGD(model.parameters(), lr=params["learning_rate"])
    draws = generator()  # the same batches for both runs
    max_norm = params["max_norm"] if clip else math.inf
    record = new_record() if record is None else record
    losses, norms, per_tensor = record["losses"], record["norms"], record["per_tensor"]
    for step in range(1, params["steps"] + 1):
        inputs, targets = delay_batch(length=params["length"], delay=params["delay"], generator=draws, device=device)
        loss = F.mse_loss(model(inputs)[:, params["delay"]:], targets)
        optimizer.zero_grad()
        loss.backward()
        per_tensor.append([float(p.grad.norm()) for p in model.parameters()])
        norm = float(nn.utils.clip_grad_norm_(model.parameters(), max_norm))
        losses.append(float(loss.detach()))
        norms.append(norm)
        progress.advance(training_step(step))
        if not (math.isfinite(norm) and math.isfinite(losses[-1])):
            record["diverged_at"] = step
            break
        optimizer.step()
    return record


def finite_median(values: list[float]) -> float:
    finite = [value for value in values if math.isfinite(value)]
    return statistics.median(finite) if finite else math.nan


def spike_statistics(norms: list[float], *, max_norm: float, typical: float) -> dict:
    """Spikes are steps whose norm exceeds SPIKE × `typical` (the clipped run's median norm)."""
    finite = [n for n in norms if math.isfinite(n)]
    return {"median": finite_median(norms),
            "max": max(norms) if norms else math.nan,
            "largest_finite": max(finite) if finite else math.nan,
            "first": norms[0] if norms else math.nan,
            "spikes": sum(not n <= SPIKE * typical for n in norms),
            "clipped_fraction": sum(not n <= max_norm for n in norms) / len(norms) if norms else math.nan}


def final_loss(run: dict) -> float:
    """Mean loss over the last 10% of steps; NaN when the run diverged."""
    if run["diverged_at"] is not None:
        return math.nan
    tail = run["losses"][-max(1, len(run["losses"]) // 10):]
    return sum(tail) / len(tail)


@dataclass(frozen=True)
class Measurements:
    params: dict
    clipped: dict  # train()'s record of each run
    unclipped: dict
    names: list[str]  # the parameter tensors, in model.parameters() order

    @property
    def typical(self) -> float:
        """The typical gradient norm: the clipped run's median, before clipping."""
        return finite_median(self.clipped["norms"])

    @property
    def stats_clip(self) -> dict:
        return spike_statistics(self.clipped["norms"], max_norm=self.params["max_norm"], typical=self.typical)

    @property
    def stats_raw(self) -> dict:
        return spike_statistics(self.unclipped["norms"], max_norm=self.params["max_norm"], typical=self.typical)


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    # Built on the CPU from the global RNG that `execute` seeds (nn.RNN's own init draws from nothing else).
    start = DelayRNN(hidden=params["hidden"], radius=params["spectral_radius"])
    names = [PARAMETER_NAMES[name] for name, _ in start.named_parameters()]
    progress.plan(2 * params["steps"])
    unclipped, clipped = new_record(), new_record()
    progress.live(lambda: charts(Measurements(params, clipped=clipped, unclipped=unclipped, names=names)))
    train(copy.deepcopy(start).to(device), params=params, clip=False, device=device, progress=progress,
          record=unclipped)
    # A run that diverged takes its unused steps out of the plan: the bar moves on in small steps.
    trained = len(unclipped["losses"])
    progress.drop(params["steps"] - trained, training_step(trained))
    train(copy.deepcopy(start).to(device), params=params, clip=True, device=device, progress=progress,
          record=clipped)
    return Measurements(params, clipped=clipped, unclipped=unclipped, names=names)


def summary(measured: Measurements) -> list[Metric]:
    stats_clip, stats_raw, typical = measured.stats_clip, measured.stats_raw, measured.typical
    diverged_at = measured.unclipped["diverged_at"]
    metrics = [
        Metric("grad_norm_median", T("typical gradient norm (median, clipped run, before clipping)",
                                     "典型梯度范数（中位数，裁剪训练，裁剪前）"), typical),
        Metric("spike_ratio", T("clipped run: largest / median gradient norm", "裁剪训练：最大 / 中位梯度范数"),
               stats_clip["max"] / typical, "×"),
        Metric("clipped_fraction", T("fraction of steps clipped", "被裁剪的步数比例"), stats_clip["clipped_fraction"]),
        Metric("spikes_clipped", T(f"clipped run: steps above {SPIKE:g}× the typical norm",
                                   f"裁剪训练：超过典型范数 {SPIKE:g} 倍的步数"), stats_clip["spikes"]),
        Metric("spikes_unclipped", T(f"unclipped run: steps above {SPIKE:g}× the typical norm",
                                     f"不裁剪训练：超过典型范数 {SPIKE:g} 倍的步数"), stats_raw["spikes"]),
        Metric("unclipped_largest_norm", T("unclipped run: largest finite gradient norm",
                                           "不裁剪训练：最大有限梯度范数"), stats_raw["largest_finite"]),
        Metric("unclipped_diverged", T("unclipped run diverged (1 = yes)", "不裁剪训练是否发散（1 为是）"),
               float(diverged_at is not None)),
        Metric("unclipped_diverged_at", T("unclipped run: step where it diverged", "不裁剪训练：发散的步"),
               math.nan if diverged_at is None else diverged_at),
        Metric("final_loss_clipped", T("final loss with clipping", "裁剪后的最终损失"), final_loss(measured.clipped)),
        Metric("final_loss_unclipped", T("final loss without clipping", "不裁剪的最终损失"),
               final_loss(measured.unclipped)),
    ]
    # A run that never diverged has no divergence step, and one that diverged no final loss: left out, not blank.
    return [metric for metric in metrics if math.isfinite(metric.value)]


def charts(measured: Measurements) -> list[Chart]:
    clipped, unclipped = measured.clipped, measured.unclipped
    max_norm, steps = measured.params["max_norm"], measured.params["steps"]

    def padded(values: list[float]) -> tuple[list[int], list[float]]:
        # Steps after a divergence (or, while training, not yet taken) have no value: they are drawn as a gap.
        return list(range(1, steps + 1)), values + [math.nan] * (steps - len(values))

    norm_chart = Chart(
        title=T("Gradient norm per step (before clipping)", "每步梯度范数（裁剪前）"),
        x_label=T("training step", "训练步"), y_label=both("‖∇θ L‖"), y_scale="log",
        series=[Series(T("without clipping", "不裁剪"), *padded(unclipped["norms"])),
                Series(T(f"with clipping (max-norm {max_norm:g})", f"裁剪（最大范数 {max_norm:g}）"),
                       *padded(clipped["norms"])),
                Series(T("clipping threshold", "裁剪阈值"), [1, steps], [max_norm, max_norm])])
    loss_chart = Chart(
        title=T("Training loss", "训练损失"), x_label=T("training step", "训练步"), y_label=T("MSE", "均方误差"),
        y_scale="log",
        series=[Series(T("without clipping", "不裁剪"), *padded(unclipped["losses"])),
                Series(T("with clipping", "裁剪"), *padded(clipped["losses"]))])
    return [norm_chart, loss_chart]


def heatmaps(measured: Measurements) -> list[Heatmap]:
    """Largest per-tensor gradient norm in each block of steps (rows: parameter tensors), clipped run."""
    per_tensor, names = measured.clipped["per_tensor"], measured.names
    steps = len(per_tensor)
    width = max(1, math.ceil(steps / HEATMAP_COLUMNS))
    blocks = range(0, steps, width)
    values = [[max(row[i] for row in per_tensor[start:start + width]) for start in blocks] for i in range(len(names))]
    return [Heatmap(title=T("Gradient norm per parameter tensor, clipped run (before clipping)",
                            "裁剪训练中各参数张量的梯度范数（裁剪前）"),
                    x_label=T(f"training steps (max over blocks of {width})", f"训练步（每 {width} 步取最大）"),
                    y_label=T("parameter", "参数"),
                    x_ticks=[str(start + 1) for start in blocks], y_ticks=names, values=values, log_color=True)]


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(unclipped_finding(measured), clipped_finding(measured))


def unclipped_finding(measured: Measurements) -> Conclusion:
    stats_raw, typical, diverged_at = measured.stats_raw, measured.typical, measured.unclipped["diverged_at"]
    if diverged_at is not None:
        return Conclusion(T(
            f"Without clipping the gradient norm ran away from {stats_raw['first']:.2g} to "
            f"{stats_raw['largest_finite']:.2g} and then to infinity at step {diverged_at}: each "
            f"huge step enlarged W_hh, which enlarged the next gradient.",
            f"不裁剪时梯度范数从 {stats_raw['first']:.2g} 失控增长到 {stats_raw['largest_finite']:.2g}，"
            f"并在第 {diverged_at} 步变为无穷：每个巨大的更新放大了 W_hh，又放大了下一次梯度。"),
            {"unclipped": "diverged"})
    if stats_raw["spikes"]:
        return Conclusion(T(
            f"Without clipping {stats_raw['spikes']} steps spiked above {SPIKE:g}× the typical norm "
            f"({typical:.2g}), up to {stats_raw['max']:.3g}, but training did not blow up.",
            f"不裁剪时有 {stats_raw['spikes']} 步的梯度范数超过典型值（{typical:.2g}）的 {SPIKE:g} 倍，"
            f"最高 {stats_raw['max']:.3g}，但训练没有崩溃。"), {"unclipped": "spiked"})
    return Conclusion(T(
        f"No gradient spikes in this run: without clipping the largest norm was "
        f"{stats_raw['max'] / typical:.1f}× the typical {typical:.2g}; try a larger spectral radius or "
        f"learning rate.",
        f"本次没有梯度突增：不裁剪时最大范数只是典型值 {typical:.2g} 的 {stats_raw['max'] / typical:.1f} 倍；"
        f"可以调大谱半径或学习率。"), {"unclipped": "no_spikes"})


def clipped_finding(measured: Measurements) -> Conclusion:
    clipped, unclipped, max_norm = measured.clipped, measured.unclipped, measured.params["max_norm"]
    loss_clip, loss_raw = final_loss(clipped), final_loss(unclipped)
    loss_start = statistics.mean(clipped["losses"][:5])
    share = measured.stats_clip["clipped_fraction"]
    if clipped["diverged_at"] is not None:
        return Conclusion(T(
            f"Even with clipping the run diverged at step {clipped['diverged_at']}: clipping bounds each "
            f"step, but this learning rate is too large.",
            f"即使裁剪，训练也在第 {clipped['diverged_at']} 步发散：裁剪限制了每一步，但学习率太大。"),
            {"clipped": "diverged"})
    if loss_clip >= loss_start:
        return Conclusion(T(
            f"Clipping at {max_norm:g} (active on {share:.0%} of steps) kept the numbers finite, but at this "
            f"learning rate the network did not learn: loss {loss_clip:.3g} against {loss_start:.3g} at the start.",
            f"以 {max_norm:g} 裁剪（作用于 {share:.0%} 的步）使数值保持有限，但在这个学习率下网络没有学会："
            f"损失 {loss_clip:.3g}，开始时为 {loss_start:.3g}。"), {"clipped": "did_not_learn"})
    if unclipped["diverged_at"] is not None:
        only = T("only ", "仅") if share < 0.2 else both("")
        return Conclusion(T(
            f"From the same start and batches, clipping at {max_norm:g} acted on {only['en']}{share:.0%} of "
            f"steps and training went on to a loss of {loss_clip:.3g} (largest pre-clip norm "
            f"{measured.stats_clip['max']:.2g}).",
            f"同样的起点和批次，以 {max_norm:g} 裁剪{only['zh']}作用于 {share:.0%} 的步，训练继续并把损失降到 "
            f"{loss_clip:.3g}（裁剪前最大范数 {measured.stats_clip['max']:.2g}）。"), {"clipped": "trained"})
    if loss_clip < 0.8 * loss_raw:
        return Conclusion(T(
            f"Clipping (active on {share:.0%} of steps) ended at a loss of {loss_clip:.3g} against "
            f"{loss_raw:.3g} without it.",
            f"裁剪（作用于 {share:.0%} 的步）最终损失 {loss_clip:.3g}，不裁剪为 {loss_raw:.3g}。"),
            {"clipped": "trained_better"})
    if loss_clip > 1.25 * loss_raw:
        return Conclusion(T(
            f"Here clipping slowed training (loss {loss_clip:.3g} against {loss_raw:.3g}): the threshold "
            f"{max_norm:g} cut {share:.0%} of ordinary steps, not just spikes.",
            f"这里裁剪拖慢了训练（损失 {loss_clip:.3g} 对 {loss_raw:.3g}）："
            f"阈值 {max_norm:g} 裁掉了 {share:.0%} 的普通步，而不只是突增。"), {"clipped": "slowed"})
    return Conclusion(T(
        f"Both runs finished (loss {loss_clip:.3g} clipped, {loss_raw:.3g} unclipped); clipping was "
        f"active on {share:.0%} of steps and made little difference here.",
        f"两次训练都完成了（裁剪 {loss_clip:.3g}，不裁剪 {loss_raw:.3g}）；裁剪作用于 {share:.0%} 的步，"
        f"这里影响不大。"), {"clipped": "little_difference"})


SPEC = DemoSpec(
    id="D11",
    title=T("Exploding gradients and gradient clipping", "梯度爆炸与梯度裁剪"),
    description=T("Trains the same RNN from the same start twice, with and without max-norm gradient clipping, and "
                  "shows gradient-norm spikes, loss curves and how often clipping acted.",
                  "从同一起点训练同一个 RNN 两次（有无最大范数梯度裁剪），"
                  "展示梯度范数突增、损失曲线以及裁剪生效的频率。"),
    params=(
        FloatParam("spectral_radius", T("initial spectral radius ρ of W_hh", "W_hh 的初始谱半径 ρ"), 1.5,
                   minimum=0.5, maximum=3.0),
        FloatParam("learning_rate", T("learning rate (SGD)", "学习率（SGD）"), 0.5, minimum=0.001, maximum=2.0,
                   log_scale=True),
        FloatParam("max_norm", T("clipping max-norm", "裁剪最大范数"), 1.0, minimum=0.01, maximum=100.0,
                   log_scale=True),
        IntParam("length", T("sequence length", "序列长度"), 30, minimum=10, maximum=100),
        IntParam("delay", T("delay to recall (steps)", "需要回忆的延迟（步）"), 5, minimum=1, maximum=9),
        IntParam("hidden", T("hidden units", "隐藏单元数"), 32, minimum=4, maximum=64),
        IntParam("steps", T("training steps", "训练步数"), 200, minimum=20, maximum=1000),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts,
              heatmaps=heatmaps),
    queue="demos",
    flush_denormal=True,  # recurrent gradients that vanish reach denormal floats (DemoSpec says why)
)
