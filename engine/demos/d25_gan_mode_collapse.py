"""D25 — GAN mode collapse on 8 Gaussians on a circle, and what WGAN-GP changes.

The same generator (2-D noise → 2-D point) and the same discriminator network are trained twice:
- as a standard GAN (non-saturating loss, one discriminator step per generator step) with the generator's
  learning rate a few times the discriminator's: the generator keeps chasing whatever region the
  discriminator currently rates "real" and piles its points onto one mode;
- as a WGAN-GP (Gulrajani et al.): the discriminator becomes a critic whose scores estimate the Wasserstein
  distance, kept 1-Lipschitz by a gradient penalty, trained five steps per generator step. Its gradient
  stays informative where the fakes are, pointing them at the mass they are missing.
Both get the same number of network updates (generator plus discriminator steps). A mode counts as
covered when at least a quarter of its fair share of the generated points lands within 3σ of its centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import STEPS, T, both

MODES, RADIUS, SPREAD = 8, 2.0, 0.2
NEAR = 3 * SPREAD  # a generated point belongs to a mode within 3σ of its centre
FAIR_SHARE = 0.25  # …and the mode is covered when it gets a quarter of its fair share (1/8) of the points
HIDDEN, BATCH, LATENT = 64, 128, 2
LEARNING_RATE = 1e-3
CRITIC_STEPS, PENALTY = 5, 10.0  # WGAN-GP's published recipe
EVALUATION_POINTS, SHOWN, CHECKPOINTS = 1000, 400, 10
CLEAR_DIFFERENCE = 2  # modes: reruns with other seeds move a count by about one
METHODS = {"gan": T("standard GAN", "标准 GAN"), "wgan": T("WGAN-GP", "WGAN-GP")}

# Adversarial training amplifies tiny numeric differences between devices, so the mode counts are compared
# only loosely (relative tolerance: 1 mode on one device, up to 4 on the other); the step counts exactly.
CROSS_DEVICE_METRICS = {
    "modes_gan": 3.0,
    "modes_wgan": 1.0,
    "generator_steps_gan": 0.0,
    "generator_steps_wgan": 0.0,
}


@cache  # drawn from on every training step: computed once (callers index it, never write to it)
def centres() -> torch.Tensor:
    angles = 2 * math.pi * torch.arange(MODES) / MODES
    return RADIUS * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)


def draw_real(count: int, draws: torch.Generator) -> torch.Tensor:
    return centres()[torch.randint(0, MODES, (count,), generator=draws)] + SPREAD * torch.randn(count, 2,
                                                                                                generator=draws)


def network(inputs: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                         nn.Linear(HIDDEN, outputs))


def through(net: nn.Sequential, inputs: torch.Tensor) -> torch.Tensor:
    """`net(inputs)` without the module calls' bookkeeping (hooks, dispatch): for networks this small it was
    6 % of the demo's CPU."""
    first, _, second, _, last = net
    hidden = torch.relu(nn.functional.linear(inputs, first.weight, first.bias))
    hidden = torch.relu(nn.functional.linear(hidden, second.weight, second.bias))
    return nn.functional.linear(hidden, last.weight, last.bias)


def mode_counts(points: torch.Tensor) -> list[int]:
    """Generated points within NEAR of each mode's centre."""
    distances = torch.cdist(points, centres().to(points.device))
    nearest, which = distances.min(dim=1)
    return torch.bincount(which[nearest < NEAR], minlength=MODES).tolist()


def covered(counts: list[int], total: int) -> int:
    return sum(count >= FAIR_SHARE * total / MODES for count in counts)


def scores_and_slopes(critic: nn.Sequential, points: torch.Tensor, sloped: slice) -> tuple[torch.Tensor, torch.Tensor]:
    """The critic's scores at `points`, and their gradient with respect to the points in rows `sloped`, from
    one forward pass. For this ReLU network the input gradient is the product of the weights with each
    layer's inactive units masked out (ReLU's second derivative is zero): written out, the penalty's
    backward is an ordinary one instead of autograd's double backward, a third less CPU for the same
    numbers (tests/engine/test_d25_gan_mode_collapse.py holds them equal)."""
    first, _, second, _, last = critic
    hidden_1 = nn.functional.linear(points, first.weight, first.bias)
    hidden_2 = nn.functional.linear(torch.relu(hidden_1), second.weight, second.bias)
    scores = nn.functional.linear(torch.relu(hidden_2), last.weight, last.bias)
    slopes = ((last.weight * (hidden_2[sloped] > 0)) @ second.weight * (hidden_1[sloped] > 0)) @ first.weight
    return scores, slopes


def penalty_of(slopes: torch.Tensor) -> torch.Tensor:
    """(‖∇ critic‖ − 1)²: the soft 1-Lipschitz constraint."""
    return ((slopes.norm(dim=1) - 1) ** 2).mean()


def discriminator_loss(method: str, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                       draws: torch.Generator) -> torch.Tensor:
    if method == "gan":
        # One pass for both batches.
        real_scores, fake_scores = through(critic, torch.cat([real, fake])).split(len(real))
        return (nn.functional.binary_cross_entropy_with_logits(real_scores, torch.ones_like(real_scores))
                + nn.functional.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores)))
    # The penalty is taken at random points between real and fake ones, in the same pass as their scores.
    mix = torch.rand(real.shape[0], 1, generator=draws).to(real.device)
    between = mix * real + (1 - mix) * fake
    scores, slopes = scores_and_slopes(critic, torch.cat([real, fake, between]), slice(2 * len(real), None))
    real_scores, fake_scores = scores[:len(real)], scores[len(real):2 * len(real)]
    return fake_scores.mean() - real_scores.mean() + PENALTY * penalty_of(slopes)


def generator_loss(method: str, scores: torch.Tensor) -> torch.Tensor:
    if method == "gan":  # non-saturating: maximise log D(G(z))
        return nn.functional.binary_cross_entropy_with_logits(scores, torch.ones_like(scores))
    return -scores.mean()


class Coverage(NamedTuple):
    """The modes a method covers, at the checkpoints of its generator steps reached so far."""

    generator_steps: int
    checkpoints: list[int]
    modes: list[int]


@dataclass(frozen=True)
class Run:
    """One method's training: coverage over time and its final samples."""

    generator_steps: int
    checkpoints: list[int]  # generator steps
    modes: list[int]  # modes covered at each checkpoint
    on_modes: list[float]  # share of points within 3σ of some mode, at each checkpoint
    final_counts: list[int]  # per mode, at the end
    samples: list[list[float]]


def train(method: str, *, steps: int, params: dict, device: torch.device, progress: Progress,
          coverage: dict[str, Coverage]) -> Run:
    """The modes covered at each checkpoint go to `coverage[method]` (the live chart reads it meanwhile)."""
    draws = generator(stream=1 if method == "wgan" else 0)
    fixed_noise = torch.randn(EVALUATION_POINTS, LATENT, generator=generator(stream=2)).to(device)
    maker, critic = network(LATENT, 2).to(device), network(2, 1).to(device)
    if method == "gan":  # the generator outpaces the discriminator: the regime where GANs collapse
        rates, betas, critic_steps = (LEARNING_RATE * params["gan_lr_ratio"], LEARNING_RATE), (0.5, 0.999), 1
    else:
        rates, betas, critic_steps = (LEARNING_RATE, LEARNING_RATE), (0.5, 0.9), CRITIC_STEPS
    maker_optimizer = torch.optim.Adam(maker.parameters(), lr=rates[0], betas=betas, fused=True)
    critic_optimizer = torch.optim.Adam(critic.parameters(), lr=rates[1], betas=betas, fused=True)
    every = max(1, steps // CHECKPOINTS)
    checkpoints, modes, on_modes = [], [], []
    coverage[method] = Coverage(steps, checkpoints, modes)
    message = T(f"training the {METHODS[method]['en']}", f"正在训练：{METHODS[method]['zh']}")
    for step in range(1, steps + 1):
        for _ in range(critic_steps):
            real = draw_real(BATCH, draws).to(device)
            with torch.no_grad():
                fake = through(maker, torch.randn(BATCH, LATENT, generator=draws).to(device))
            loss = discriminator_loss(method, critic, real, fake, draws)
            critic_optimizer.zero_grad()
            loss.backward()
            critic_optimizer.step()
        critic.requires_grad_(False)  # the generator's step needs gradients through the critic, not for it
        noise = torch.randn(BATCH, LATENT, generator=draws).to(device)
        loss = generator_loss(method, through(critic, through(maker, noise)))
        maker_optimizer.zero_grad()
        loss.backward()
        maker_optimizer.step()
        critic.requires_grad_(True)
        progress.advance(message, units=1 + critic_steps)
        if step % every == 0 or step == steps:
            with torch.no_grad():
                points = through(maker, fixed_noise)
            counts = mode_counts(points)
            checkpoints.append(step)
            modes.append(covered(counts, len(points)))
            on_modes.append(100 * sum(counts) / len(points))
    return Run(steps, checkpoints, modes, on_modes, counts, points[:SHOWN].cpu().tolist())


@dataclass(frozen=True)
class Measurements:
    params: dict
    runs: dict[str, Run]  # per METHODS name

    def modes(self, method: str) -> int:
        return self.runs[method].modes[-1]


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    gan_steps = params["steps"]
    wgan_steps = max(1, round(2 * gan_steps / (1 + CRITIC_STEPS)))  # the same number of network updates
    progress.plan(2 * gan_steps + (1 + CRITIC_STEPS) * wgan_steps)
    coverage: dict[str, Coverage] = {}
    progress.live(lambda: [coverage_chart(coverage)])
    runs = {"gan": train("gan", steps=gan_steps, params=params, device=device, progress=progress, coverage=coverage),
            "wgan": train("wgan", steps=wgan_steps, params=params, device=device, progress=progress,
                          coverage=coverage)}
    return Measurements(params, runs)


def summary(measured: Measurements) -> list[Metric]:
    metrics = []
    for method, label in METHODS.items():
        run = measured.runs[method]
        metrics += [
            Metric(f"modes_{method}", T(f"Modes covered, {label['en']}", f"覆盖的模式数，{label['zh']}"),
                   run.modes[-1], T(f"of {MODES}", f"/ {MODES}")),
            Metric(f"on_modes_{method}", T(f"Points within 3σ of a mode, {label['en']}",
                                           f"落在某个模式 3σ 以内的点，{label['zh']}"), run.on_modes[-1], "%"),
            Metric(f"generator_steps_{method}", T(f"Generator steps, {label['en']}", f"生成器步数，{label['zh']}"),
                   run.generator_steps, STEPS),
        ]
    return metrics


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(gan_finding(measured), comparison_finding(measured))


def gan_finding(measured: Measurements) -> Conclusion:
    modes, ratio = measured.modes("gan"), measured.params["gan_lr_ratio"]
    setup = T(f"With its generator learning {ratio:g}× as fast as its discriminator, the standard GAN",
              f"生成器学习率是判别器的 {ratio:g} 倍时，标准 GAN ")
    if modes <= 2:
        return Conclusion(T(f"{setup['en']} collapsed: its points cover {modes} of the {MODES} modes.",
                            f"{setup['zh']}发生了模式坍缩：它的点只覆盖 {MODES} 个模式中的 {modes} 个。"),
                          {"gan": "collapsed"})
    if modes < MODES:
        return Conclusion(T(f"{setup['en']} covers {modes} of the {MODES} modes.",
                            f"{setup['zh']}覆盖了 {MODES} 个模式中的 {modes} 个。"), {"gan": "partial"})
    return Conclusion(T(f"{setup['en']} covers all {MODES} modes: no collapse this time.",
                        f"{setup['zh']}覆盖了全部 {MODES} 个模式：这次没有坍缩。"), {"gan": "all_modes"})


def comparison_finding(measured: Measurements) -> Conclusion:
    gan, wgan = measured.modes("gan"), measured.modes("wgan")
    updates = T("with the same number of network updates", "在网络更新次数相同的情况下")
    if wgan - gan >= CLEAR_DIFFERENCE:
        return Conclusion(T(
            f"WGAN-GP, {updates['en']}, covers {wgan}: its critic's gradient keeps pointing the generator at the "
            "modes it misses instead of at the one the discriminator currently rates real.",
            f"{updates['zh']}，WGAN-GP 覆盖了 {wgan} 个：它的评论家（critic）给出的梯度一直把生成器引向尚未覆盖的模式，"
            "而不是判别器此刻认为最真实的那一个。"), {"comparison": "wgan_covers_more"})
    if gan - wgan >= CLEAR_DIFFERENCE:
        return Conclusion(T(
            f"WGAN-GP, {updates['en']}, covers fewer ({wgan}): with this few updates its critic has not yet "
            "shaped the generator; train longer.",
            f"{updates['zh']}，WGAN-GP 覆盖得更少（{wgan} 个）：更新次数这么少，"
            "评论家还没来得及塑造生成器，请训练更久。"),
            {"comparison": "gan_covers_more"})
    return Conclusion(T(
        f"WGAN-GP, {updates['en']}, covers {wgan}: a difference of at most one mode, within what reruns with "
        "other seeds change.",
        f"{updates['zh']}，WGAN-GP 覆盖了 {wgan} 个：相差至多一个模式，在换随机种子重跑的波动之内。"),
        {"comparison": "similar"})


def charts(measured: Measurements) -> list[Chart]:
    real = draw_real(SHOWN, generator(stream=3))
    clouds = [Series(T("real data", "真实数据"), real[:, 0].tolist(), real[:, 1].tolist())]
    for method, label in METHODS.items():
        samples = measured.runs[method].samples
        clouds.append(Series(label, [point[0] for point in samples], [point[1] for point in samples]))
    per_mode = [Series(label, list(range(1, MODES + 1)), measured.runs[method].final_counts)
                for method, label in METHODS.items()]
    return [
        Chart(T("Generated points against the real data", "生成的点与真实数据"), both("x₁"), both("x₂"), clouds,
              kind="scatter"),
        coverage_chart({method: Coverage(run.generator_steps, run.checkpoints, run.modes)
                        for method, run in measured.runs.items()}),
        Chart(T("Generated points per mode at the end", "训练结束时每个模式上的生成点数"), T("mode", "模式"),
              T(f"points of {EVALUATION_POINTS}", f"{EVALUATION_POINTS} 个点中的数量"), per_mode, kind="bar"),
    ]


def coverage_chart(coverage: dict[str, Coverage]) -> Chart:
    """The modes covered at the checkpoints each method has reached (a method not begun has no line yet)."""
    return Chart(T("Modes covered during training", "训练过程中覆盖的模式数"),
                 T("share of training done (%)", "训练进度（%）"), T("modes covered", "覆盖的模式数"),
                 [coverage_series(label, coverage[method]) for method, label in METHODS.items() if method in coverage])


def coverage_series(label: dict[str, str], coverage: Coverage) -> Series:
    return Series(label, [100 * step / coverage.generator_steps for step in coverage.checkpoints], coverage.modes)


def tables(measured: Measurements) -> list[Table]:
    columns = [T("method", "方法"), T("generator steps", "生成器步数"), T("discriminator steps", "判别器步数"),
               T("modes covered", "覆盖的模式数"), T("points on a mode (%)", "落在模式上的点（%）")]
    critic_steps = {"gan": 1, "wgan": CRITIC_STEPS}
    rows = [[METHODS[method]["en"], run.generator_steps, run.generator_steps * critic_steps[method],
             run.modes[-1], round(run.on_modes[-1], 1)] for method, run in measured.runs.items()]
    return [Table(T("Same number of network updates", "相同的网络更新次数"), columns, rows)]


SPEC = DemoSpec(
    id="D25",
    title=T("GAN mode collapse and WGAN-GP", "GAN 模式坍缩与 WGAN-GP"),
    description=T(
        "Train a standard GAN and a WGAN-GP on eight Gaussians arranged on a circle, and count how many of the "
        "modes each generator covers.",
        "在排成一圈的 8 个高斯分布上分别训练标准 GAN 和 WGAN-GP，数一数每个生成器覆盖了多少个模式。"),
    params=(
        IntParam("steps", T("Generator steps of the standard GAN", "标准 GAN 的生成器步数"), 360, minimum=30,
                 maximum=3000),
        FloatParam("gan_lr_ratio", T("Standard GAN: generator / discriminator learning rate",
                                     "标准 GAN：生成器与判别器学习率之比"), 3.0, minimum=0.2, maximum=5.0),
        IntParam("seed", T("Random seed", "随机种子"), 0, minimum=0, maximum=9999),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)
