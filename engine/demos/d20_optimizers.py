"""D20 — optimisers in an ill-conditioned valley: SGD, momentum, RMSProp, Adam and AdamW.

The loss is a quadratic valley f(w) = ½(u² + κ v²), where (u, v) are the offsets from the minimum w*
along the valley's axes: κ, the condition number, makes it κ times steeper across than along. Plain
gradient descent must keep its learning rate below 2/κ or it diverges across the valley, and with so
small a step it crawls along it. Momentum accumulates the steady push along the valley; RMSProp and
Adam divide each coordinate's step by its gradients' recent size, which evens out the two directions
when the valley lies along the coordinate axes (turn it by 45° and that advantage goes). AdamW adds
decoupled weight decay, which pulls the weights toward 0 and so away from a minimum that is not at 0.

Every optimiser is torch.optim's own, run at each learning rate of a log-spaced grid (one parameter
group per rate, so one optimiser steps them all). The sweep shows how wide a range of rates each one
tolerates; the trajectories and loss curves show each at its best rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from engine.progress import Progress
from engine.result import Chart, Conclusion, Heatmap, Metric, Series, Table
from engine.runtime import current_device
from engine.spec import ChoiceParam, DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both, join

MINIMUM = (1.0, 0.5)
START = (-2.0, 1.5)
BAND_STEP = 0.25  # the grid's spacing in decades: bands differing by no more are the same width
LEARNING_RATES = [10 ** (exponent * BAND_STEP) for exponent in range(-16, 1)]  # 1e-4 … 1
SOLVED = 1e-4  # a run "solves" the valley when its final loss is below this fraction of the starting loss
ILL_CONDITIONED = 10.0  # below this condition number the valley is a bowl: no zigzag across it
CLOSE = 2.0  # best losses within this factor of each other count as a tie

OPTIMISERS = ("sgd", "momentum", "rmsprop", "adam", "adamw")
NAMES = {"sgd": both("SGD"), "momentum": T("SGD + momentum 0.9", "SGD + 动量 0.9"), "rmsprop": both("RMSProp"),
         "adam": both("Adam"), "adamw": both("AdamW")}
ADAPTIVE = ("rmsprop", "adam", "adamw")

# Bands are counted on a grid: one rate at the band's edge may land on the other side on another device.
CROSS_DEVICE_METRICS = {
    "initial_loss": 1e-6,
    "solved_decades_momentum": 0.2,
    "solved_decades_rmsprop": 0.15,
    "solved_decades_adam": 0.15,
}


def make_optimiser(name: str, groups: list[dict], weight_decay: float) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(groups)
    if name == "momentum":
        return torch.optim.SGD(groups, momentum=0.9)
    if name == "rmsprop":
        return torch.optim.RMSprop(groups)
    if name == "adam":
        return torch.optim.Adam(groups)
    return torch.optim.AdamW(groups, weight_decay=weight_decay)


class Valley:
    """f(w) = ½(u² + κ v²) with (u, v) the offset from the minimum, turned by `angle` radians."""

    def __init__(self, *, condition: float, angle: float, device: torch.device):
        cos, sin = math.cos(angle), math.sin(angle)
        self.axes = torch.tensor([[cos, sin], [-sin, cos]], device=device)
        self.curvature = torch.tensor([1.0, condition], device=device)
        self.minimum = torch.tensor(MINIMUM, device=device)

    def loss(self, weights: torch.Tensor) -> torch.Tensor:
        """Per row of `weights` (…, 2)."""
        offset = (weights - self.minimum) @ self.axes.T
        return 0.5 * (self.curvature * offset**2).sum(-1)


def train(*, name: str, valley: Valley, steps: int, weight_decay: float, device: torch.device,
          progress: Progress, path: list[torch.Tensor] | None = None) -> dict[str, list]:
    """One optimiser at every learning rate of the grid at once: per rate, the path and the loss at every step.
    The weights after each step go to `path` (when given: the live charts read it meanwhile)."""
    weights = [torch.tensor(START, device=device, requires_grad=True) for _ in LEARNING_RATES]
    optimiser = make_optimiser(name, [{"params": [w], "lr": lr} for w, lr in zip(weights, LEARNING_RATES, strict=True)],
                               weight_decay)
    path = [] if path is None else path
    path.append(torch.stack([w.detach() for w in weights]))
    for _ in range(steps):
        optimiser.zero_grad()
        valley.loss(torch.stack(weights)).sum().backward()  # the rates' losses are independent: one backward
        optimiser.step()
        path.append(torch.stack([w.detach().clone() for w in weights]))
        progress.advance(T(f"{NAMES[name]['en']}: {len(LEARNING_RATES)} learning rates",
                           f"{NAMES[name]['zh']}：{len(LEARNING_RATES)} 个学习率"))
    return trajectory(valley, path)


def trajectory(valley: Valley, path: list[torch.Tensor]) -> dict[str, list]:
    """Per learning rate, the position and the loss at each step of `path` (each step's weights: rates × 2)."""
    positions = torch.stack(path)  # (steps + 1, rates, 2)
    losses = valley.loss(positions)  # (steps + 1, rates)
    return {"positions": positions.transpose(0, 1).cpu().tolist(), "losses": losses.T.cpu().tolist()}


def finite_or_inf(value: float) -> float:
    return value if math.isfinite(value) else math.inf


@dataclass(frozen=True)
class Measurements:
    params: dict
    initial_loss: float
    runs: dict[str, dict[str, list]]  # per optimiser: "positions" and "losses", per learning rate, per step

    def final_losses(self, name: str) -> list[float]:
        return [finite_or_inf(losses[-1]) for losses in self.runs[name]["losses"]]

    def best_index(self, name: str) -> int:
        finals = self.final_losses(name)
        return min(range(len(finals)), key=finals.__getitem__)

    def best_lr(self, name: str) -> float:
        return LEARNING_RATES[self.best_index(name)]

    def best_loss(self, name: str) -> float:
        return self.final_losses(name)[self.best_index(name)]

    def solved(self, name: str) -> list[float]:
        """The learning rates at which the run ended below SOLVED × the starting loss."""
        return [lr for lr, loss in zip(LEARNING_RATES, self.final_losses(name), strict=True)
                if loss <= SOLVED * self.initial_loss]

    def solved_decades(self, name: str) -> float:
        """How wide the band of solving rates is, in powers of ten (0 for none; one grid step for one rate)."""
        solved = self.solved(name)
        return math.log10(max(solved) / min(solved)) + BAND_STEP if solved else 0.0

    def diverged(self, name: str) -> list[float]:
        """The learning rates at which the run ended above where it started."""
        return [lr for lr, loss in zip(LEARNING_RATES, self.final_losses(name), strict=True)
                if loss > self.initial_loss]


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    angle = math.pi / 4 if params["orientation"] == "rotated" else 0.0
    valley = Valley(condition=params["condition"], angle=angle, device=device)
    initial = float(valley.loss(torch.tensor(START, device=device)))
    progress.plan(len(OPTIMISERS) * params["steps"])
    runs, paths = {}, {name: [] for name in OPTIMISERS}

    def runs_so_far() -> dict[str, dict[str, list]]:
        """The finished optimisers' runs, and the one training now up to its current step."""
        return {name: runs[name] if name in runs else trajectory(valley, path) for name, path in paths.items() if path}

    progress.live(lambda: charts(Measurements(params, initial, runs_so_far())))
    for name in OPTIMISERS:
        runs[name] = train(name=name, valley=valley, steps=params["steps"], weight_decay=params["weight_decay"],
                           device=device, progress=progress, path=paths[name])
    return Measurements(params, initial, runs)


def summary(measured: Measurements) -> list[Metric]:
    metrics = [Metric("initial_loss", T("starting loss", "初始损失"), measured.initial_loss)]
    for name in OPTIMISERS:
        label = NAMES[name]
        metrics += [
            Metric(f"best_loss_{name}", T(f"{label['en']}: lowest final loss", f"{label['zh']}：最低最终损失"),
                   measured.best_loss(name)),
            Metric(f"best_lr_{name}", T(f"{label['en']}: best learning rate", f"{label['zh']}：最佳学习率"),
                   measured.best_lr(name)),
            Metric(f"solved_decades_{name}", T(f"{label['en']}: width of the solving learning rates",
                                               f"{label['zh']}：能解决问题的学习率范围宽度"),
                   measured.solved_decades(name), T("decades", "个数量级")),
        ]
    return metrics


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(winner_finding(measured), window_finding(measured), decay_finding(measured))


def winner_finding(measured: Measurements) -> Conclusion:
    best = {name: measured.best_loss(name) for name in OPTIMISERS}
    winner = min(OPTIMISERS, key=best.get)
    tied = [name for name in OPTIMISERS if best[name] <= max(best[winner], 1e-30) * CLOSE]
    steps = measured.params["steps"]
    names = {"en": ", ".join(NAMES[name]["en"] for name in tied), "zh": "、".join(NAMES[name]["zh"] for name in tied)}
    sgd = T("", "") if "sgd" in tied else T(f"; plain SGD {best['sgd']:.2e}", f"；普通 SGD 为 {best['sgd']:.2e}")
    return Conclusion(T(
        f"After {steps} steps, each at its best learning rate, the lowest loss was {best[winner]:.2e} "
        f"({names['en']}{sgd['en']}; {measured.initial_loss:.3g} at the start).",
        f"{steps} 步后，各自用最佳学习率，最低损失为 {best[winner]:.2e}（{names['zh']}{sgd['zh']}；"
        f"初始为 {measured.initial_loss:.3g}）。"),
        {"best": winner})


def window_finding(measured: Measurements) -> Conclusion:
    widths = {name: measured.solved_decades(name) for name in OPTIMISERS}
    widest = max(OPTIMISERS, key=widths.get)  # the first of a tie: the simplest optimiser
    steps = measured.params["steps"]
    band = T(f"The band of learning rates that solved the valley (loss below {SOLVED:g} of the start) was "
             f"{widths['sgd']:.2g} decades wide for plain SGD",
             f"能解决问题（损失降到初始的 {SOLVED:g} 以下）的学习率范围：普通 SGD 为 {widths['sgd']:.2g} 个数量级")
    if widths[widest] == 0:
        return Conclusion(T(
            f"No optimiser solved the valley in {steps} steps at any learning rate: give them more steps or a "
            f"rounder valley.",
            f"{steps} 步内没有任何优化器在任何学习率下解决这个谷：给更多步数或更圆的谷。"),
            {"widest_range": "none", "sgd_range": "none_solved"})
    if max(widths[name] for name in ADAPTIVE) <= widths["sgd"] + BAND_STEP:
        return sgd_as_wide(measured, widths, band)
    widest_band = T(f" and {widths[widest]:.2g} for {NAMES[widest]['en']}, the widest.",
                    f"，{NAMES[widest]['zh']} 为 {widths[widest]:.2g} 个数量级，最宽。")
    text = join(T(band["en"] + widest_band["en"], band["zh"] + widest_band["zh"]), why_sgd_narrower(measured),
                why_widest(measured, widest))
    return Conclusion(text, {"widest_range": widest, "sgd_range": "narrower"})


def sgd_as_wide(measured: Measurements, widths: dict[str, float], band: dict[str, str]) -> Conclusion:
    """Plain SGD's band as wide as every adaptive optimiser's: say why, and what momentum still adds."""
    condition = measured.params["condition"]
    if condition < ILL_CONDITIONED:
        why = T(f"In a nearly round bowl (κ = {condition:g}) there is nothing for per-coordinate step sizes to "
                f"even out.",
                f"在几乎是圆的碗里（κ = {condition:g}），逐坐标的步长没有什么可拉平的。")
    elif measured.params["orientation"] == "rotated":
        why = T("Turned by 45°, every coordinate mixes the steep and the flat direction, so rescaling coordinates "
                "does not even the valley out.",
                "旋转 45° 后，每个坐标都混合了陡和平的方向，逐坐标缩放不能把谷拉平。")
    else:
        why = T("", "")
    if widths["momentum"] > widths["sgd"] + BAND_STEP:
        momentum = T(f"Only momentum's band was wider ({widths['momentum']:.2g} decades): at the same rate it moves up "
                     f"to 1/(1 − 0.9) = 10× further per step.",
                     f"只有动量的范围更宽（{widths['momentum']:.2g} 个数量级）：同样的学习率下它每步最多走 "
                     f"1/(1 − 0.9) = 10 倍远。")
        verdict = {"widest_range": "momentum", "sgd_range": "as_wide_as_adaptive"}
    else:
        momentum, verdict = T("", ""), {"widest_range": "sgd", "sgd_range": "as_wide"}
    return Conclusion(join(T(band["en"] + ", as wide as the adaptive optimisers'.",
                             band["zh"] + "，不比自适应优化器窄。"), why, momentum), verdict)


def why_sgd_narrower(measured: Measurements) -> dict[str, str]:
    condition, steps = measured.params["condition"], measured.params["steps"]
    if condition < ILL_CONDITIONED:
        return T(f"The bowl is nearly round (κ = {condition:g}): plain SGD loses only at small rates, where {steps} "
                 f"steps do not carry it to the minimum.",
                 f"这个碗几乎是圆的（κ = {condition:g}）：普通 SGD 只在小学习率处落后，{steps} 步不够它走到最小值。")
    return T(f"Plain SGD must keep its rate below 2/κ = {2 / condition:.2g} or diverge across the valley, and at such "
             f"rates it crawls along it.",
             f"普通 SGD 的学习率必须低于 2/κ = {2 / condition:.2g}，否则会在谷的横向发散；而用这么小的学习率，"
             f"它沿谷底前进很慢。")


def why_widest(measured: Measurements, widest: str) -> dict[str, str]:
    rotated = measured.params["orientation"] == "rotated"
    if widest in ADAPTIVE and not rotated:
        return T("Along the axes each coordinate is one direction of the valley, so dividing each coordinate's step "
                 "by the size of its gradients evens the valley out.",
                 "谷沿坐标轴时，每个坐标正好是谷的一个方向，按各坐标梯度的大小缩放步长就把谷拉平了。")
    if widest in ADAPTIVE:
        return T("Even with the valley turned by 45° the adaptive step sizes helped most.",
                 "即使谷旋转了 45°，自适应步长仍然帮助最大。")
    if rotated:
        return T("Turned by 45°, every coordinate mixes the steep and the flat direction, so rescaling coordinates "
                 "no longer evens the valley out; momentum's accumulated push along it helps more.",
                 "旋转 45° 后，每个坐标都混合了陡和平的方向，逐坐标缩放不再能把谷拉平；"
                 "动量沿谷底累积的推动帮助更大。")
    return T("Momentum accumulates the steady push toward the minimum while any zigzag across the valley cancels "
             "out.", "动量朝最小值方向累积稳定的推动，而谷的横向来回振荡互相抵消。")


def decay_finding(measured: Measurements) -> Conclusion:
    decay = measured.params["weight_decay"]
    adam, adamw = measured.best_loss("adam"), measured.best_loss("adamw")
    if decay > 0 and adamw > CLOSE * max(adam, 1e-30):
        return Conclusion(T(
            f"AdamW's decoupled weight decay ({decay:g}) pulls the weights toward 0, away from the minimum at "
            f"{MINIMUM}: its best loss {adamw:.2e} stayed above Adam's {adam:.2e}. Weight decay regularises; on a "
            f"loss with nothing to regularise it only costs.",
            f"AdamW 的解耦权重衰减（{decay:g}）把权重拉向 0，偏离位于 {MINIMUM} 的最小值：它的最佳损失 {adamw:.2e} "
            f"高于 Adam 的 {adam:.2e}。权重衰减是正则化；在没有什么需要正则化的损失上，它只有代价。"),
            {"weight_decay": "costs_here"})
    return Conclusion(T(
        f"AdamW (weight decay {decay:g}) ended within {CLOSE:g}× of Adam ({adamw:.2e} against {adam:.2e}).",
        f"AdamW（权重衰减 {decay:g}）与 Adam 相差不到 {CLOSE:g} 倍（{adamw:.2e} 对 {adam:.2e}）。"),
        {"weight_decay": "no_visible_cost"})


def charts(measured: Measurements) -> list[Chart]:
    """Each optimiser at its best learning rate (while training: the best so far, the running one up to its step)."""
    trained = list(measured.runs)
    best = {name: measured.best_index(name) for name in trained}

    def at_best(name: str) -> str:
        return f"{measured.best_lr(name):.2g}"

    def steps(name: str) -> list[int]:
        return list(range(len(measured.runs[name]["losses"][0])))

    return [
        Chart(T("Paths through the valley, each at its best learning rate", "穿过谷的路径（各用最佳学习率）"),
              T("w₁", "w₁"), T("w₂", "w₂"),
              [Series(T(f"{NAMES[name]['en']} (lr {at_best(name)})", f"{NAMES[name]['zh']}（学习率 {at_best(name)}）"),
                      [point[0] for point in measured.runs[name]["positions"][best[name]]],
                      [point[1] for point in measured.runs[name]["positions"][best[name]]]) for name in trained]
              + [Series(T("minimum", "最小值"), [MINIMUM[0]], [MINIMUM[1]])]),
        Chart(T("Loss at the best learning rate", "最佳学习率下的损失"), T("step", "步"), T("loss", "损失"),
              [Series(NAMES[name], steps(name), measured.runs[name]["losses"][best[name]]) for name in trained],
              y_scale="log"),
        Chart(T("Final loss against learning rate", "最终损失随学习率变化"), T("learning rate", "学习率"),
              T("loss after the last step", "最后一步后的损失"),
              [Series(NAMES[name], LEARNING_RATES, [min(loss, 1e30) for loss in measured.final_losses(name)])
               for name in trained]
              + [Series(T("solved below this", "低于此线即解决"), LEARNING_RATES,
                        [SOLVED * measured.initial_loss] * len(LEARNING_RATES))],
              x_scale="log", y_scale="log"),
    ]


def heatmaps(measured: Measurements) -> list[Heatmap]:
    return [Heatmap(title=T("Final loss, optimiser × learning rate", "最终损失：优化器 × 学习率"),
                    x_label=T("learning rate", "学习率"), y_label=T("optimiser", "优化器"),
                    x_ticks=[f"{lr:.2g}" for lr in LEARNING_RATES], y_ticks=[NAMES[name]["en"] for name in OPTIMISERS],
                    values=[[min(loss, 1e30) for loss in measured.final_losses(name)] for name in OPTIMISERS],
                    log_color=True)]


def tables(measured: Measurements) -> list[Table]:
    def band(name: str) -> str:
        solved = measured.solved(name)
        return f"{min(solved):.2g}–{max(solved):.2g}" if solved else "—"

    return [Table(T("Each optimiser at a glance", "各优化器一览"),
                  [T("optimiser", "优化器"), T("best learning rate", "最佳学习率"),
                   T("lowest final loss", "最低最终损失"), T("solving learning rates", "能解决问题的学习率"),
                   T("diverging learning rates", "发散的学习率个数")],
                  [[NAMES[name]["en"], measured.best_lr(name), measured.best_loss(name), band(name),
                    len(measured.diverged(name))] for name in OPTIMISERS])]


ORIENTATIONS = {"aligned": T("valley along the w₁ axis", "谷沿 w₁ 轴"),
                "rotated": T("valley turned by 45°", "谷旋转 45°")}

SPEC = DemoSpec(
    id="D20",
    title=T("Optimisers in an ill-conditioned valley", "病态谷中的优化器"),
    description=T("Runs torch.optim's SGD, SGD with momentum, RMSProp, Adam and AdamW down a narrow quadratic valley "
                  "at 17 learning rates each: their paths, their losses and how wide a range of learning rates each "
                  "one tolerates.",
                  "用 torch.optim 的 SGD、带动量的 SGD、RMSProp、Adam 和 AdamW 在狭窄的二次谷中下降，"
                  "每个优化器试 17 个学习率：它们的路径、损失，以及各自能容忍的学习率范围。"),
    params=(
        FloatParam("condition", T("condition number κ (steep ÷ flat curvature)", "条件数 κ（陡 ÷ 平的曲率）"), 100.0,
                   T("1 is a round bowl", "1 是圆碗"), minimum=1.0, maximum=1000.0, log_scale=True),
        ChoiceParam("orientation", T("valley direction", "谷的方向"), "aligned", choices=("aligned", "rotated"),
                    choice_labels=ORIENTATIONS),
        IntParam("steps", T("optimiser steps", "优化步数"), 200, minimum=20, maximum=1000),
        FloatParam("weight_decay", T("AdamW weight decay", "AdamW 权重衰减"), 0.01, minimum=0.0, maximum=0.5),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, heatmaps=heatmaps, tables=tables),
    queue="demos",
    flush_denormal=True,  # gradients that vanish reach denormal floats (DemoSpec says why)
)
