"""D9: batch size: loss against epochs, against updates and against wall time.

The same student MLP (same initial weights, same data, plain SGD) learns a teacher network's labels
with several batch sizes. Per epoch, small batches make more updates and get further; per update,
large batches are better because their gradient is less noisy; in wall time the winner depends on
how much one update costs on the device (per-update overhead favours large batches on a GPU).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device
from engine.spec import ChoiceParam, DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both, number
from engine.timing import Stopwatch, synchronize

# Wall-clock numbers: they (and the conclusion that quotes them) vary from run to run.
TIMING_METRICS = frozenset({"seconds_per_epoch_smallest_batch", "seconds_per_epoch_largest_batch",
                            "fastest_batch_to_target"})

CROSS_DEVICE_METRICS = {
    "final_loss_smallest_batch": 0.2,
    "final_loss_largest_batch": 0.2,
    "loss_at_equal_updates_smallest_batch": 0.2,
    "loss_at_equal_updates_largest_batch": 0.2,
    "updates_smallest_batch": 0.0,
    "updates_largest_batch": 0.0,
    "initial_loss": 1e-4,
}

FEATURES, TEACHER_HIDDEN, STUDENT_HIDDEN, CLASSES = 16, 32, 64, 4
BATCH_GROWTH = 4
CHECKPOINTS = 30
TARGET_FRACTION = 0.5  # the common target: halfway from the starting loss to the best final loss
# A run whose loss ends this many times above the common start has diverged, finite or not: cross-entropy
# starts near ln 4 ≈ 1.4 here, and runs that blow up end anywhere from 1e4 to 1e32 before they overflow.
DIVERGED_GROWTH = 10.0
# Losses within 1% of each other are a tie: the second decimal of a loss of 1.3 is below what one draw of
# the data, the weights and the batch order can tell apart.
TIE = 0.01


def batch_sizes(*, smallest: int, samples: int) -> list[int]:
    """smallest, 4×, 16×, … up to the full data set (the last one is always full-batch)."""
    sizes = [smallest]
    while sizes[-1] * BATCH_GROWTH < samples:
        sizes.append(sizes[-1] * BATCH_GROWTH)
    return [*sizes, samples] if sizes[-1] < samples else sizes


def make_teacher_data(*, samples: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs N(0, I) labelled by a random teacher MLP; drawn on the CPU so all devices agree."""
    teacher = nn.Sequential(nn.Linear(FEATURES, TEACHER_HIDDEN), nn.Tanh(), nn.Linear(TEACHER_HIDDEN, CLASSES))
    inputs = torch.randn(samples, FEATURES)
    with torch.no_grad():
        labels = teacher(inputs * 2).argmax(dim=1)
    return inputs.to(device), labels.to(device)


def make_student() -> nn.Sequential:
    return nn.Sequential(nn.Linear(FEATURES, STUDENT_HIDDEN), nn.ReLU(), nn.Linear(STUDENT_HIDDEN, CLASSES))


def learning_rate_for(*, batch: int, smallest: int, base: float, scaling: str) -> float:
    factor = {"none": 1.0, "sqrt": math.sqrt(batch / smallest), "linear": batch / smallest}[scaling]
    return base * factor


def checkpoint_updates(*, total: int, per_epoch: int, epochs: int) -> set[int]:
    """Log-spaced update counts (updates axis), every epoch end (epochs axis), and 1…epochs: the full-batch
    run makes one update per epoch, so every run is compared with it at exactly those counts."""
    logspaced = np.unique(np.round(np.geomspace(1, total, CHECKPOINTS)).astype(int))
    return {int(u) for u in logspaced} | set(range(per_epoch, total + 1, per_epoch)) | set(range(1, epochs + 1))


def new_curve() -> dict[str, list[float]]:
    return {"updates": [], "seconds": [], "loss": []}


def train_with_batch(*, model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, batch: int, epochs: int,
                     learning_rate: float, permutations: list[torch.Tensor], progress: Progress,
                     curve: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    """Plain SGD; training time is measured without the evaluation passes that draw the curves. The loss at
    each checkpoint goes to `curve` (when given: the live charts read it meanwhile)."""
    samples = inputs.shape[0]
    per_epoch = math.ceil(samples / batch)
    checks = checkpoint_updates(total=per_epoch * epochs, per_epoch=per_epoch, epochs=epochs)
    message = T(f"batch size {batch}", f"批量大小 {batch}")
    loss_fn = nn.CrossEntropyLoss()
    curve = new_curve() if curve is None else curve
    curve["updates"].append(0)
    curve["seconds"].append(0.0)
    curve["loss"].append(_full_loss(model, inputs, labels))
    watch = Stopwatch(inputs.device)
    updates = 0
    watch.start()  # runs through the epochs, stopped only for the evaluations
    for epoch in range(epochs):
        order = permutations[epoch]
        for first in range(0, samples, batch):
            chosen = order[first:first + batch]
            model.zero_grad(set_to_none=True)
            loss_fn(model(inputs[chosen]), labels[chosen]).backward()
            with torch.no_grad():
                for parameter in model.parameters():
                    parameter -= learning_rate * parameter.grad
            updates += 1
            advance_off_the_clock(progress, watch, message)
            if updates in checks:
                curve["seconds"].append(watch.stop())
                curve["updates"].append(updates)
                curve["loss"].append(_full_loss(model, inputs, labels))
                watch.start()
        if not math.isfinite(curve["loss"][-1]):
            break  # diverged: the rest would be NaN too
    return curve


def advance_off_the_clock(progress: Progress, watch: Stopwatch, message: dict[str, str]) -> None:
    """One more update done. A report, and the live charts built for it, is not training time: the clock
    stops for it (only then, about twenty times a run: each stop waits for the GPU)."""
    if not progress.due():
        progress.advance(message)
        return
    watch.stop()
    progress.advance(message)
    watch.start()


def _warm_up(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, sizes: list[int]) -> None:
    """One throwaway step per batch shape, so library start-up (e.g. cuBLAS) is not billed to the first run."""
    scratch = copy.deepcopy(model)
    for batch in sizes:
        nn.functional.cross_entropy(scratch(inputs[:batch]), labels[:batch]).backward()
    synchronize(inputs.device)


def _full_loss(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return nn.functional.cross_entropy(model(inputs), labels).item()


def loss_at_update(curve: dict[str, list[float]], update: int) -> float:
    """Loss at the last checkpoint at or before `update`."""
    index = max(i for i, u in enumerate(curve["updates"]) if u <= update)
    return curve["loss"][index]


def seconds_to_reach(curve: dict[str, list[float]], target: float) -> float:
    for seconds, loss in zip(curve["seconds"], curve["loss"], strict=True):
        if loss <= target:
            return seconds
    return math.nan


@dataclass(frozen=True)
class Measurements:
    params: dict
    sizes: list[int]
    rates: dict[int, float]  # learning rate per batch size
    curves: dict[int, dict[str, list[float]]]  # per batch size: loss at checkpoints, by update and by second
    device: str  # "cpu" or "cuda": the conclusion says where the wall times were measured

    @property
    def small(self) -> int:
        return self.sizes[0]

    @property
    def large(self) -> int:
        return self.sizes[-1]

    @property
    def finals(self) -> dict[int, float]:
        return {b: self.curves[b]["loss"][-1] for b in self.sizes}

    @property
    def diverged(self) -> list[int]:
        """Batch sizes whose final loss is not finite or more than DIVERGED_GROWTH× the starting loss."""
        return [b for b, v in self.finals.items() if not math.isfinite(v) or v > DIVERGED_GROWTH * self.initial]

    @property
    def initial(self) -> float:
        return self.curves[self.small]["loss"][0]  # every run starts from the same weights

    @property
    def equal_updates(self) -> int:
        return self.curves[self.large]["updates"][-1]  # what the largest batch managed in all its epochs

    @property
    def at_equal(self) -> dict[int, float]:
        return {b: loss_at_update(self.curves[b], self.equal_updates) for b in self.sizes}

    @property
    def target(self) -> float:
        """The common target: TARGET_FRACTION of the way from the starting loss to the best final loss."""
        finite = [v for v in self.finals.values() if math.isfinite(v)]
        best = min(finite) if finite else math.nan
        return self.initial - TARGET_FRACTION * (self.initial - best) if best < self.initial else math.nan

    @property
    def to_target(self) -> dict[int, float]:
        return {b: seconds_to_reach(self.curves[b], self.target) for b in self.sizes}

    @property
    def fastest(self) -> int | float:
        """The batch size that reached the target first in wall time (NaN if none did)."""
        reached = {b: s for b, s in self.to_target.items() if math.isfinite(s)}
        return min(reached, key=reached.get) if reached else math.nan

    @property
    def per_epoch_seconds(self) -> dict[int, float]:
        return {b: self.curves[b]["seconds"][-1] / self.params["epochs"] for b in self.sizes}


def measure(params: dict, progress: Progress) -> Measurements:
    # The draws come from the global RNG that `execute` seeds, not from generator(): the teacher's and the
    # student's nn.Linear default init draw from it too, and the data drawn between them decides where it is.
    device = current_device()
    samples, epochs, smallest = params["samples"], params["epochs"], int(params["smallest_batch"])
    inputs, labels = make_teacher_data(samples=samples, device=device)
    sizes = batch_sizes(smallest=smallest, samples=samples)
    start = make_student().to(device)
    permutations = [torch.randperm(samples).to(device) for _ in range(epochs)]  # same order for every size
    _warm_up(start, inputs, labels, sizes)
    rates = {batch: learning_rate_for(batch=batch, smallest=smallest, base=params["learning_rate"],
                                      scaling=params["lr_scaling"]) for batch in sizes}
    progress.plan(sum(math.ceil(samples / b) * epochs for b in sizes))  # updates: small batches are most of the work
    curves = {batch: new_curve() for batch in sizes}
    progress.live(lambda: charts(Measurements(params, sizes, rates, curves, device.type)))
    for batch in sizes:
        train_with_batch(model=copy.deepcopy(start), inputs=inputs, labels=labels, batch=batch, epochs=epochs,
                         learning_rate=rates[batch], permutations=permutations, progress=progress,
                         curve=curves[batch])
    return Measurements(params, sizes, rates, curves, device.type)


def summary(measured: Measurements) -> list[Metric]:
    small, large, equal_updates = measured.small, measured.large, measured.equal_updates
    finals, at_equal, per_epoch_seconds = measured.finals, measured.at_equal, measured.per_epoch_seconds
    return [
        Metric("initial_loss", T("loss at the common start", "共同起点的损失"), measured.initial),
        Metric("final_loss_smallest_batch", T(f"final loss, batch {small}", f"最终损失，批大小 {small}"),
               finals[small]),
        Metric("final_loss_largest_batch", T(f"final loss, batch {large}", f"最终损失，批大小 {large}"),
               finals[large]),
        Metric("loss_at_equal_updates_smallest_batch", T(f"loss after {equal_updates} updates, batch {small}",
                                                         f"{equal_updates} 次更新后的损失，批大小 {small}"),
               at_equal[small]),
        Metric("loss_at_equal_updates_largest_batch", T(f"loss after {equal_updates} updates, batch {large}",
                                                        f"{equal_updates} 次更新后的损失，批大小 {large}"),
               at_equal[large]),
        Metric("updates_smallest_batch", T(f"updates, batch {small}", f"更新次数，批大小 {small}"),
               measured.curves[small]["updates"][-1]),
        Metric("updates_largest_batch", T(f"updates, batch {large}", f"更新次数，批大小 {large}"),
               measured.curves[large]["updates"][-1]),
        Metric("seconds_per_epoch_smallest_batch", T(f"training time per epoch, batch {small}",
                                                     f"每轮训练时间，批大小 {small}"), per_epoch_seconds[small], "s"),
        Metric("seconds_per_epoch_largest_batch", T(f"training time per epoch, batch {large}",
                                                    f"每轮训练时间，批大小 {large}"), per_epoch_seconds[large], "s"),
        Metric("fastest_batch_to_target", T(f"first batch size to reach loss {measured.target:.3g}",
                                            f"最先达到损失 {measured.target:.3g} 的批大小"), measured.fastest),
    ]


def tables(measured: Measurements) -> list[Table]:
    samples, finals = measured.params["samples"], measured.finals
    to_target, per_epoch_seconds = measured.to_target, measured.per_epoch_seconds
    return [Table(T("Per batch size", "各批大小"),
                  [T("batch size", "批大小"), T("learning rate", "学习率"), T("updates per epoch", "每轮更新次数"),
                   T("final loss", "最终损失"), T("seconds per epoch", "每轮秒数"),
                   T("seconds to target", "达到目标的秒数")],
                  [[b, measured.rates[b], math.ceil(samples / b), finals[b], per_epoch_seconds[b],
                    to_target[b] if math.isfinite(to_target[b]) else None] for b in measured.sizes])]


def charts(measured: Measurements) -> list[Chart]:
    curves, sizes, samples = measured.curves, measured.sizes, measured.params["samples"]

    def series(x_of) -> list[Series]:
        return [Series(T(f"batch {b}", f"批大小 {b}"), x_of(b), curves[b]["loss"]) for b in sizes]

    def epochs_of(b: int) -> list[float]:
        return [u / math.ceil(samples / b) for u in curves[b]["updates"]]

    loss = T("training loss (cross-entropy)", "训练损失（交叉熵）")
    return [
        Chart(T("Loss against epochs", "损失 vs 轮数"), T("epochs", "轮数"), loss, series(epochs_of), y_scale="log"),
        Chart(T("Loss against updates", "损失 vs 更新次数"), T("parameter updates", "参数更新次数"), loss,
              [Series(s.name, s.x[1:], s.y[1:]) for s in series(lambda b: curves[b]["updates"])],
              x_scale="log", y_scale="log"),
        Chart(T("Loss against wall time (training only)", "损失 vs 墙钟时间（仅训练）"), T("seconds", "秒"), loss,
              series(lambda b: curves[b]["seconds"]), y_scale="log"),
    ]


def tied(first: float, second: float) -> bool:
    return abs(first - second) <= TIE * max(abs(first), abs(second))


def conclude(measured: Measurements) -> Conclusion:
    diverged = measured.diverged
    if not diverged:
        per_epoch = per_epoch_finding(measured)
        return Conclusion.join(per_epoch, per_update_finding(measured, per_epoch=per_epoch.verdict["per_epoch"]),
                               wall_time_finding(measured), start_finding(measured))
    finding = divergence_finding(measured)
    if measured.small in diverged or measured.large in diverged:
        return finding  # the comparisons below would set a blown-up run against a trained one
    per_epoch = per_epoch_finding(measured)
    return Conclusion.join(finding, per_epoch, per_update_finding(measured, per_epoch=per_epoch.verdict["per_epoch"]))


def divergence_finding(measured: Measurements) -> Conclusion:
    finals = measured.finals
    ended = "; ".join(f"{b}: {number(finals[b])}" for b in measured.diverged)
    ended_zh = "；".join(f"{b}：{number(finals[b])}" for b in measured.diverged)
    start = number(measured.initial)
    remedy = T("lower the learning rate.", "请降低学习率。") if measured.params["lr_scaling"] == "none" else \
        T("scaling the learning rate with the batch size needs a ceiling or warm-up.",
          "按批大小放大学习率需要上限或预热。")
    return Conclusion(T(
        f"Training diverged at batch size {', '.join(map(str, measured.diverged))} (final loss {ended}, against "
        f"{start} at the start; over {DIVERGED_GROWTH:g}× the start or not finite counts as diverged): the learning "
        f"rate is too large there; {remedy['en']}",
        f"批大小 {'、'.join(map(str, measured.diverged))} 的训练发散（最终损失 {ended_zh}，起点为 {start}；"
        f"超过起点的 {DIVERGED_GROWTH:g} 倍或非有限值即算发散）：那里的学习率过大；{remedy['zh']}"),
        {"training": "diverged"})


def per_epoch_finding(measured: Measurements) -> Conclusion:
    small, large, epochs, finals = measured.small, measured.large, measured.params["epochs"], measured.finals
    first, second = number(finals[small], decimals=3), number(finals[large], decimals=3)
    if tied(finals[small], finals[large]):
        return Conclusion(T(
            f"After {epochs} epochs batch {small} ({first}) and batch {large} ({second}) ended level, within "
            f"{TIE:.0%} of each other.",
            f"{epochs} 轮后批大小 {small}（{first}）与批大小 {large}（{second}）持平，相差不到 {TIE:.0%}。"),
            {"per_epoch": "tie"})
    if finals[small] < finals[large]:
        return Conclusion(T(
            f"After {epochs} epochs batch {small} reached loss {first} and batch {large} "
            f"{second}: per epoch, small batches win because they make more updates.",
            f"{epochs} 轮后批大小 {small} 的损失为 {first}，"
            f"批大小 {large} 为 {second}：按轮数算小批量更好，因为它更新次数更多。"),
            {"per_epoch": "small_wins"})
    return Conclusion(T(
        f"After {epochs} epochs batch {large} ({second}) was ahead of batch {small} ({first}) even per epoch.",
        f"{epochs} 轮后批大小 {large}（{second}）即使按轮数也领先于批大小 {small}（{first}）。"),
        {"per_epoch": "large_wins"})


def per_update_finding(measured: Measurements, *, per_epoch: str) -> Conclusion:
    small, large, equal_updates, at_equal = measured.small, measured.large, measured.equal_updates, measured.at_equal
    first, second = number(at_equal[small], decimals=3), number(at_equal[large], decimals=3)
    if tied(at_equal[small], at_equal[large]):
        return Conclusion(T(
            f"Per update they are level: after {equal_updates} updates batch {large} is at {second}, "
            f"batch {small} at {first}.",
            f"按更新次数两者持平：{equal_updates} 次更新后批大小 {large} 为 {second}，批大小 {small} 为 {first}。"),
            {"per_update": "tie"})
    if at_equal[large] < at_equal[small]:
        lead = T("Per update it is the other way round", "按更新次数则相反") if per_epoch == "small_wins" \
            else T(f"Per update batch {large} is ahead too", f"按更新次数批大小 {large} 同样领先")
        return Conclusion(T(
            f"{lead['en']}: after {equal_updates} updates batch {large} is at {second}, batch {small} at {first} "
            f"(less gradient noise).",
            f"{lead['zh']}：{equal_updates} 次更新后批大小 {large} 为 {second}，批大小 {small} 为 {first}"
            f"（梯度噪声更小）。"), {"per_update": "large_wins"})
    return Conclusion(T(
        f"Even per update batch {small} was ahead ({first} vs {second} after {equal_updates} updates).",
        f"即使按更新次数，批大小 {small} 也领先（{equal_updates} 次更新后 {first} 对 {second}）。"),
        {"per_update": "small_wins"})


def wall_time_finding(measured: Measurements) -> Conclusion:
    fastest, target = measured.fastest, measured.target
    if isinstance(fastest, int):
        device, loss = measured.device.upper(), number(target, decimals=3)
        seconds = number(measured.to_target[fastest], decimals=3)
        return Conclusion(T(
            f"In wall time on {device}, batch {fastest} reached loss {loss} first ({seconds} s).",
            f"在 {device} 上按墙钟时间，批大小 {fastest} 最先达到损失 {loss}（{seconds} 秒）。"), {"target": "reached"})
    return Conclusion(T("No run reached the common target loss.", "没有任何运行达到共同的目标损失。"),
                      {"target": "missed"})


def start_finding(measured: Measurements) -> Conclusion:
    worse = [b for b, v in measured.finals.items() if v > measured.initial]
    if not worse:
        return Conclusion(both(""), {"training": "descended"})
    return Conclusion(T(
        f"Batch size(s) {', '.join(map(str, worse))} ended above the starting loss {measured.initial:.3f}: too large "
        f"a learning rate.",
        f"批大小 {'、'.join(map(str, worse))} 的最终损失高于起点 {measured.initial:.3f}：其学习率过大。"),
        {"training": "ended_above_start"})


SPEC = DemoSpec(
    id="D9",
    title=T("Batch size", "批大小"),
    description=T("The same network and data trained with plain SGD at several batch sizes: loss against epochs, "
                  "against the number of updates and against wall time.",
                  "同一网络、同一数据，用纯 SGD 以多个批大小训练：损失分别随轮数、更新次数和墙钟时间的变化。"),
    params=(
        IntParam("samples", T("training samples", "训练样本数"), 1024, minimum=256, maximum=4096),
        IntParam("epochs", T("epochs", "轮数"), 5, minimum=1, maximum=20),
        ChoiceParam("smallest_batch", T("smallest batch size", "最小批大小"), "8",
                    T("Then ×4 each step up to the full data set.", "之后每次 ×4，直到全量数据。"),
                    choices=("4", "8", "16", "32", "64")),
        FloatParam("learning_rate", T("learning rate (smallest batch)", "学习率（最小批）"), 0.2,
                   minimum=0.001, maximum=1.0, log_scale=True),
        ChoiceParam("lr_scaling", T("learning-rate scaling with batch size", "学习率随批大小的缩放"), "none",
                    choices=("none", "sqrt", "linear"),
                    choice_labels={"none": T("same for all", "全部相同"), "sqrt": both("× √(B / B_min)"),
                                   "linear": T("× B / B_min (linear rule)", "× B / B_min（线性规则）")}),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)
