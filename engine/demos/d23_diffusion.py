"""D23 — a tiny diffusion model (DDPM) learning a 2-D distribution, and how many sampling steps it needs.

Forward process: x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε with ε ~ N(0, I); the schedule ᾱ_t falls from ≈1 to ≈0
over T steps, so the signal-to-noise ratio SNR(t) = ᾱ_t / (1 − ᾱ_t) falls from large to ≈0. A small MLP
ε_θ(x_t, t) learns to predict the noise (the DDPM loss). Sampling starts from pure noise and walks back
through K of the T timesteps, evenly spaced: ancestral DDPM steps (fresh noise at every step, with the
variances recomputed for the spaced steps) or deterministic DDIM steps.

Quality is measured, not judged by eye: the maximum mean discrepancy (MMD) between generated points and
fresh points of the target. Two independent samples of the target itself are not at distance 0; their
MMD is the floor that finite samples allow. Sampling is repeated with
a few seeds to show the spread.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import ChoiceParam, DemoSpec, IntParam, Steps
from engine.text import STEPS, T, both, training_step

BATCH = 256
HIDDEN = 64
FREQUENCIES = 8  # sinusoidal features of t/T, as in transformers' position encodings
LEARNING_RATE = 3e-3
SAMPLES = 600  # generated points per sampling run, and target points they are compared with
SAMPLE_SEEDS = 3
BANDWIDTHS = (0.1, 0.4)
# A kernel value below e^−80 (1.8e-35) adds nothing to a mean of at most 1; exp of a float32 that would underflow
# towards a denormal takes a slow path ten times as long (most pairs of points, at the narrow bandwidth).
NEGLIGIBLE_EXPONENT = -80.0
SHOWN = 300  # points per scatter cloud
STEP_COUNTS = (1, 5, 10, 20, 50, 100, 200)
CLIP = 3.0  # predicted x_0 are clipped to a box well outside the data, as DDPM clips images to [−1, 1]
LEARNED = 0.5  # the model has learned the target when its best MMD is under halfway from the floor to pure noise
TARGETS = {"circle": T("a circle", "圆环"), "gaussians": T("8 Gaussians on a circle", "圆上的 8 个高斯")}
SCHEDULES = {"cosine": T("cosine", "余弦"), "linear": T("linear", "线性")}
SAMPLERS = {"ddpm": T("DDPM (ancestral)", "DDPM（祖先采样）"), "ddim": T("DDIM (deterministic)", "DDIM（确定性）")}

# Training in float32 takes a slightly different path on each device; distances agree loosely.
CROSS_DEVICE_METRICS = {
    "floor_mmd": 1e-4,
    "noise_mmd": 1e-4,
    "best_mmd": 0.5,
    "snr_crossing_cosine": 1e-6,
    "snr_crossing_linear": 1e-6,
}


def alpha_bars(kind: str, timesteps: int) -> torch.Tensor:
    """ᾱ_t for t = 1…T. Linear: β from 1e-4 to 0.02 rescaled to T steps (DDPM's values at T = 1000).
    Cosine: Nichol & Dhariwal's ᾱ(t) = cos²((t/T + s)/(1 + s) · π/2), floored so √ᾱ_T stays invertible."""
    if kind == "linear":
        betas = torch.linspace(1e-4, 0.02, timesteps, dtype=torch.float64) * (1000 / timesteps)
        return torch.cumprod(1 - betas.clamp(max=0.999), dim=0).float()
    offset = 0.008
    phases = (torch.arange(timesteps + 1, dtype=torch.float64) / timesteps + offset) / (1 + offset)
    curve = torch.cos(phases * math.pi / 2) ** 2
    return (curve[1:] / curve[0]).clamp(min=1e-4).float()


def snr_crossing(bars: torch.Tensor) -> float:
    """The fraction t/T of the way where the SNR first falls below 1 (ᾱ < ½)."""
    below = (bars < 0.5).nonzero()
    return (below[0].item() + 1) / len(bars) if len(below) else 1.0


def draw_target(kind: str, count: int, draws: torch.Generator) -> torch.Tensor:
    if kind == "gaussians":
        angles = 2 * math.pi * torch.randint(0, 8, (count,), generator=draws) / 8
        spread = 0.08
    else:
        angles = 2 * math.pi * torch.rand(count, generator=draws)
        spread = 0.02
    centres = torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    return centres + spread * torch.randn(count, 2, generator=draws)


class Denoiser(nn.Module):
    """ε_θ(x_t, t): an MLP on the point and sinusoidal features of t/T."""

    def __init__(self, timesteps: int):
        super().__init__()
        self.timesteps = timesteps
        self.register_buffer("frequencies", torch.exp(torch.linspace(0, math.log(100), FREQUENCIES)))
        self.layers = nn.Sequential(nn.Linear(2 + 2 * FREQUENCIES, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, HIDDEN),
                                    nn.SiLU(), nn.Linear(HIDDEN, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, 2))

    def forward(self, points: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        phases = (steps.float() / self.timesteps)[:, None] * self.frequencies[None]
        return self.layers(torch.cat([points, torch.sin(phases), torch.cos(phases)], dim=1))


def train(model: Denoiser, bars: torch.Tensor, *, params: dict, device: torch.device, progress: Progress,
          losses: list[float]) -> None:
    """Each step's loss goes to `losses` (the live chart reads it meanwhile)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, fused=True)  # one kernel per step
    draws = generator()
    for step in range(1, params["train_steps"] + 1):
        clean = draw_target(params["target"], BATCH, draws).to(device)
        steps = torch.randint(0, len(bars), (BATCH,), generator=draws).to(device)
        noise = torch.randn(BATCH, 2, generator=draws).to(device)
        kept = bars[steps][:, None]
        loss = nn.functional.mse_loss(model(kept.sqrt() * clean + (1 - kept).sqrt() * noise, steps), noise)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        progress.advance(training_step(step))


def sample(model: Denoiser, bars: torch.Tensor, *, count: int, sampler: str, draws: list[torch.Generator],
           device: torch.device, progress: Progress) -> torch.Tensor:
    """From noise back to data in `count` evenly spaced timesteps (DDPM's respacing: the variances of each
    jump come from ᾱ at its two ends, so fewer steps still form a valid reverse process). One run of SAMPLES
    points per generator in `draws`, all through the network at once (one call per step, not one per seed);
    each run's noise comes from its own generator, as if it ran alone. Returns (runs, SAMPLES, 2)."""
    def noise_of_each_run() -> torch.Tensor:
        return torch.cat([torch.randn(SAMPLES, 2, generator=draw) for draw in draws]).to(device)

    visited = torch.linspace(len(bars) - 1, 0, count).round().long().tolist()
    points = noise_of_each_run()
    one = torch.tensor(1.0, device=device)
    for index, step in enumerate(visited):
        now, then = bars[step], (bars[visited[index + 1]] if index + 1 < count else one)
        noise = model(points, torch.full((len(points),), step, device=device))
        clean = ((points - (1 - now).sqrt() * noise) / now.sqrt()).clamp(-CLIP, CLIP)
        if sampler == "ddim":
            points = then.sqrt() * clean + (1 - then).sqrt() * noise
        else:
            beta = 1 - now / then
            mean = (then.sqrt() * beta * clean + (1 - beta).sqrt() * (1 - then) * points) / (1 - now)
            points = mean + (beta * (1 - then) / (1 - now)).sqrt() * noise_of_each_run() if index + 1 < count \
                else mean
        progress.advance(T(f"sampling in {count} step{'s' if count > 1 else ''}", f"以 {count} 步采样"),
                         units=len(draws))
    return points.view(len(draws), SAMPLES, 2)


def kernel(first: torch.Tensor, second: torch.Tensor) -> float:
    """The mean of a sum of Gaussian kernels at BANDWIDTHS over all pairs: the narrow kernel sees whether points
    sit on the target's fine structure, the wide one whether the mass is spread over it in the right amounts."""
    squared = torch.cdist(first, second).square()
    return sum(torch.exp((-squared / (2 * width ** 2)).clamp(min=NEGLIGIBLE_EXPONENT))
               for width in BANDWIDTHS).mean().item()


class Reference:
    """Points of the target that samples are compared with; their kernel with themselves is computed once, as
    every sample's MMD to them needs it."""

    def __init__(self, points: torch.Tensor):
        self.points = points
        self.self_kernel = kernel(points, points)

    def mmd(self, points: torch.Tensor) -> float:
        """Maximum mean discrepancy of `points` to the reference (the biased estimate, its square root): 0 only
        for equal distributions."""
        squared = kernel(points, points) + self.self_kernel - 2 * kernel(points, self.points)
        return math.sqrt(max(squared, 0.0))


def mmd(first: torch.Tensor, second: torch.Tensor) -> float:
    return Reference(second).mmd(first)


@dataclass(frozen=True)
class Measurements:
    params: dict
    bars: dict[str, list[float]]  # ᾱ_t per SCHEDULES name
    losses: list[float]
    step_counts: list[int]
    distances: dict[int, list[float]]  # MMD to the target per sampling step count, one per sampling seed
    floor: list[float]  # MMD between two samples of the target itself
    noise: float  # MMD of pure N(0, I) noise to the target
    clouds: dict[int, list[list[float]]]  # a few generated points per step count, for the scatter plot
    target_cloud: list[list[float]]

    def mean(self, count: int) -> float:
        return statistics.fmean(self.distances[count])

    def spread(self, count: int) -> float:
        return max(self.distances[count]) - min(self.distances[count])

    @property
    def best(self) -> int:
        return min(self.step_counts, key=self.mean)

    @property
    def plateau(self) -> int:
        """The fewest steps whose mean MMD is within the seeds' spread of the best mean."""
        best = self.best
        return next(count for count in self.step_counts
                    if self.mean(count) - self.mean(best) <= max(self.spread(count), self.spread(best)))

    @property
    def learned(self) -> bool:
        floor = statistics.fmean(self.floor)
        return self.mean(self.best) - floor < LEARNED * (self.noise - floor)


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    counts = [count for count in STEP_COUNTS if count <= params["timesteps"]]
    progress.plan(params["train_steps"] + SAMPLE_SEEDS * sum(counts))
    schedules = {kind: alpha_bars(kind, params["timesteps"]) for kind in SCHEDULES}
    bars = schedules[params["schedule"]].to(device)
    model = Denoiser(params["timesteps"]).to(device)  # built on the CPU from the seeded global RNG
    losses: list[float] = []
    progress.live(lambda: [loss_chart(losses, steps=params["train_steps"])])
    train(model, bars, params=params, device=device, progress=progress, losses=losses)
    with torch.no_grad():
        measured = measure_samples(model, bars, counts=counts, params=params, device=device, progress=progress)
    return Measurements(params, {kind: values.tolist() for kind, values in schedules.items()}, losses, counts,
                        **measured)


def measure_samples(model: Denoiser, bars: torch.Tensor, *, counts: list[int], params: dict, device: torch.device,
                    progress: Progress) -> dict:
    draws = [generator(stream=1 + seed) for seed in range(SAMPLE_SEEDS)]
    references = [Reference(draw_target(params["target"], SAMPLES, draw).to(device)) for draw in draws]
    floor = [reference.mmd(draw_target(params["target"], SAMPLES, draw).to(device))
             for reference, draw in zip(references, draws, strict=True)]
    distances, clouds = {}, {}
    for count in counts:
        runs = sample(model, bars, count=count, sampler=params["sampler"], draws=draws, device=device,
                      progress=progress)
        distances[count] = [reference.mmd(points) for reference, points in zip(references, runs, strict=True)]
        clouds[count] = runs[0, :SHOWN].cpu().tolist()
    draws = generator(stream=1 + SAMPLE_SEEDS)
    reference = draw_target(params["target"], SAMPLES, draws).to(device)
    noise = mmd(torch.randn(SAMPLES, 2, generator=draws).to(device), reference)
    return {"distances": distances, "floor": floor, "noise": noise, "clouds": clouds,
            "target_cloud": reference[:SHOWN].cpu().tolist()}


def summary(measured: Measurements) -> list[Metric]:
    metrics = [Metric(f"snr_crossing_{kind}", T(f"SNR falls below 1 at t/T, {label['en']} schedule",
                                               f"{label['zh']}调度下 SNR 降到 1 以下时的 t/T"),
                      snr_crossing(torch.tensor(measured.bars[kind]))) for kind, label in SCHEDULES.items()]
    metrics += [Metric(f"mmd_{count}_steps", T(f"MMD to the target, {count} sampling steps",
                                               f"{count} 步采样与目标的 MMD"), measured.mean(count))
                for count in measured.step_counts]
    return metrics + [
        Metric("best_mmd", T("Best MMD (mean over sampling seeds)", "最好的 MMD（各采样种子的平均）"),
               measured.mean(measured.best)),
        Metric("floor_mmd", T("MMD between two target samples (the floor)", "两份目标样本之间的 MMD（下限）"),
               statistics.fmean(measured.floor)),
        Metric("noise_mmd", T("MMD of pure noise to the target", "纯噪声与目标的 MMD"), measured.noise),
        Metric("plateau_steps", T("Fewest sampling steps within the spread of the best",
                                  "达到最好水平（波动以内）的最少步数"), measured.plateau, STEPS),
        Metric("final_loss", T("Final training loss (noise MSE)", "最终训练损失（噪声均方误差）"),
               statistics.fmean(measured.losses[-50:])),
    ]


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(steps_finding(measured), schedule_finding(measured))


def steps_finding(measured: Measurements) -> Conclusion:
    fewest, best, plateau = measured.step_counts[0], measured.best, measured.plateau
    sampler = SAMPLERS[measured.params["sampler"]]
    floor, spread = statistics.fmean(measured.floor), max(measured.spread(best), measured.spread(plateau))
    if not measured.learned:
        return Conclusion(T(
            f"The model has not learned the target: its best MMD ({measured.mean(best):.3g}) is not far below "
            f"pure noise's ({measured.noise:.3g}); train it longer.",
            f"模型还没学会目标分布：它最好的 MMD（{measured.mean(best):.3g}）并不比纯噪声的（{measured.noise:.3g}）"
            "低多少，请训练更久。"), {"learned": False, "more_steps_help": False})
    floor_text = (T(f" and near the floor of {floor:.3g} that two target samples reach",
                    f"，接近两份目标样本之间的下限 {floor:.3g}")
                  if measured.mean(best) - floor <= spread else
                  T(f", still above the floor of {floor:.3g}: the rest is the network's error, not the sampler's",
                    f"，仍高于下限 {floor:.3g}：剩下的是网络的误差，而不是采样器的"))
    if plateau > fewest:
        return Conclusion(T(
            f"With the {sampler['en']} sampler, more steps give better samples: the MMD to the target falls from "
            f"{measured.mean(fewest):.3g} with {fewest} step to {measured.mean(plateau):.3g} with {plateau}; "
            f"beyond that it stays within the spread of the sampling seeds (±{spread:.2g}){floor_text['en']}.",
            f"使用 {sampler['zh']}采样器时，步数越多样本越好：与目标的 MMD 从 {fewest} 步的 "
            f"{measured.mean(fewest):.3g} 降到 {plateau} 步的 {measured.mean(plateau):.3g}；再多的步数只在采样种子的"
            f"波动（±{spread:.2g}）以内变化{floor_text['zh']}。"), {"learned": True, "more_steps_help": True})
    return Conclusion(T(
        f"With the {sampler['en']} sampler even {fewest} step is within the sampling seeds' spread of the best "
        f"MMD ({measured.mean(best):.3g}){floor_text['en']}.",
        f"使用 {sampler['zh']}采样器时，{fewest} 步就已在最好 MMD（{measured.mean(best):.3g}）的采样波动以内"
        f"{floor_text['zh']}。"), {"learned": True, "more_steps_help": False})


def schedule_finding(measured: Measurements) -> Conclusion:
    cosine, linear = (snr_crossing(torch.tensor(measured.bars[kind])) for kind in ("cosine", "linear"))
    later = "cosine" if cosine > linear else "linear"
    return Conclusion(T(
        f"The SNR falls below 1 at {cosine:.0%} of the way with the cosine schedule and at {linear:.0%} with the "
        f"linear one: the {SCHEDULES[later]['en']} schedule keeps more of its steps at a high SNR, where the "
        "shape of the data is still visible.",
        f"余弦调度在 {cosine:.0%} 处 SNR 降到 1 以下，线性调度在 {linear:.0%} 处："
        f"{SCHEDULES[later]['zh']}调度把更多步数留在高 SNR 区间，那里数据的形状仍然可见。"),
        {"later_snr_crossing": later})


def charts(measured: Measurements) -> list[Chart]:
    timesteps = measured.params["timesteps"]
    ticks = list(range(1, timesteps + 1))
    snr = [Series(SCHEDULES[kind], ticks, [math.log10(bar / (1 - bar)) for bar in bars])
           for kind, bars in measured.bars.items()]
    counts = measured.step_counts
    quality = [Series(T("generated vs target (mean of seeds)", "生成样本与目标（种子平均）"), counts,
                      [measured.mean(count) for count in counts]),
               Series(T("two target samples (floor)", "两份目标样本（下限）"), counts,
                      [statistics.fmean(measured.floor)] * len(counts))]
    shown = sorted({counts[0], measured.plateau, counts[-1]})
    clouds = [Series(T("target", "目标"), [p[0] for p in measured.target_cloud], [p[1] for p in measured.target_cloud])]
    clouds += [Series(T(f"{count} steps", f"{count} 步"), [p[0] for p in measured.clouds[count]],
                      [p[1] for p in measured.clouds[count]]) for count in shown]
    return [
        Chart(T("Signal-to-noise ratio of the schedules", "各噪声调度的信噪比"), T("timestep t", "时间步 t"),
              both("log10 SNR"), snr),
        Chart(T("Sample quality against sampling steps", "样本质量与采样步数"), T("sampling steps", "采样步数"),
              T("maximum mean discrepancy (MMD)", "最大均值差异（MMD）"), quality, x_scale="log", y_scale="log"),
        Chart(T("Samples", "样本"), both("x₁"), both("x₂"), clouds, kind="scatter"),
        loss_chart(measured.losses, steps=measured.params["train_steps"]),
    ]


def loss_chart(losses: list[float], *, steps: int) -> Chart:
    """The loss of the steps taken so far out of `steps`, thinned alike at every length (so the chart while
    training is the start of the final one)."""
    every = max(1, steps // 200)
    return Chart(T("Training loss", "训练损失"), T("step", "步数"), T("noise MSE", "噪声均方误差"),
                 [Series(T("loss", "损失"), list(range(1, len(losses) + 1, every)), losses[::every])], y_scale="log")


def tables(measured: Measurements) -> list[Table]:
    columns = [T("sampling steps", "采样步数"), T("mean MMD", "平均 MMD"), T("lowest", "最低"), T("highest", "最高")]
    rows = [[count, *(float(f"{value:.4g}") for value in (measured.mean(count), min(measured.distances[count]),
                                                          max(measured.distances[count])))]
            for count in measured.step_counts]
    return [Table(T(f"Over {SAMPLE_SEEDS} sampling seeds", f"{SAMPLE_SEEDS} 个采样种子"), columns, rows)]


SPEC = DemoSpec(
    id="D23",
    title=T("Diffusion: a tiny DDPM", "扩散模型：一个小型 DDPM"),
    description=T(
        "Train a small denoising diffusion model on a 2-D distribution, compare the noise schedules' "
        "signal-to-noise ratios, and measure how sample quality depends on the number of sampling steps.",
        "在二维分布上训练一个小型去噪扩散模型，比较不同噪声调度的信噪比，并测量样本质量如何随采样步数变化。"),
    params=(
        ChoiceParam("target", T("Target distribution", "目标分布"), "circle", choices=tuple(TARGETS),
                    choice_labels=TARGETS),
        ChoiceParam("schedule", T("Noise schedule", "噪声调度"), "cosine", choices=tuple(SCHEDULES),
                    choice_labels=SCHEDULES),
        ChoiceParam("sampler", T("Sampler", "采样器"), "ddpm", choices=tuple(SAMPLERS), choice_labels=SAMPLERS),
        IntParam("timesteps", T("Diffusion timesteps T", "扩散时间步数 T"), 100, minimum=20, maximum=200),
        IntParam("train_steps", T("Training steps", "训练步数"), 800, minimum=50, maximum=5000),
        IntParam("seed", T("Random seed", "随机种子"), 0, minimum=0, maximum=9999),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)
