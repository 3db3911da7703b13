"""D23: a tiny DDPM on a 2-D distribution, its noise schedules, and sample quality against sampling steps."""

import pytest
import torch

from engine.demos import d23_diffusion
from engine.demos.d23_diffusion import alpha_bars, mmd, sample, snr_crossing
from engine.progress import Progress
from engine.runtime import execute, warm_up
from tests.engine.results import cpu_seconds, metric


@pytest.fixture(scope="module")
def defaults():
    return execute("D23", device="cpu")


@pytest.mark.parametrize("kind", ["cosine", "linear"])
@pytest.mark.parametrize("timesteps", [20, 100, 200])
def test_it_builds_schedules_from_almost_clean_to_almost_pure_noise(kind, timesteps):
    bars = alpha_bars(kind, timesteps)
    assert len(bars) == timesteps
    assert (bars[1:] <= bars[:-1]).all()
    assert bars[0] > 0.95 and bars[-1] < 0.01


def test_it_keeps_the_cosine_schedules_snr_high_for_longer():
    assert snr_crossing(alpha_bars("cosine", 100)) > snr_crossing(alpha_bars("linear", 100))


def test_it_measures_zero_distance_only_between_equal_distributions():
    draws = torch.Generator().manual_seed(0)
    points = torch.randn(500, 2, generator=draws)
    assert mmd(points, points) == pytest.approx(0.0, abs=1e-3)
    same_law = mmd(points, torch.randn(500, 2, generator=draws))
    assert mmd(points, points + torch.tensor([1.0, 0.0])) > 2 * same_law
    assert mmd(points, 0.3 * points) > 2 * same_law


class GaussianOracle(torch.nn.Module):
    """The exact noise predictor for data N(0, s²I): E[ε | x_t] = √(1 − ᾱ) x_t / (ᾱ s² + 1 − ᾱ)."""

    def __init__(self, bars: torch.Tensor, scale: float):
        super().__init__()
        self.bars, self.scale = bars, scale

    def forward(self, points: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        kept = self.bars[steps][:, None]
        return (1 - kept).sqrt() * points / (kept * self.scale ** 2 + 1 - kept)


@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
@pytest.mark.parametrize("kind", ["cosine", "linear"])
def test_it_samples_the_data_distribution_given_the_exact_noise_predictor(sampler, kind, monkeypatch):
    """With a perfect ε-predictor for N(0, 0.5²I) the reverse process ends close to that distribution, closer
    with more steps: each step stands in E[x_0 | x_t] for x_0, which leaves the samples a little too narrow
    (a few per cent at T = 100 steps), the more so the bigger the steps."""
    monkeypatch.setattr(d23_diffusion, "SAMPLES", 4000)
    bars = alpha_bars(kind, 100)
    progress = Progress(lambda *args: None)
    progress.plan(1000)
    spread = {}
    for count in (10, 100):
        points, = sample(GaussianOracle(bars, 0.5), bars, count=count, sampler=sampler,
                         draws=[torch.Generator().manual_seed(1)], device=torch.device("cpu"), progress=progress)
        spread[count] = points.std(dim=0).mean().item()
    assert spread[100] == pytest.approx(0.5, abs=0.045)
    assert spread[10] < spread[100] < 0.52


def test_it_samples_better_with_more_steps_at_the_defaults(defaults):
    assert defaults["verdict"]["learned"] is True and defaults["verdict"]["more_steps_help"] is True
    assert metric(defaults, "mmd_1_steps") > 2 * metric(defaults, "best_mmd")
    assert metric(defaults, "plateau_steps") >= 5
    assert metric(defaults, "floor_mmd") < metric(defaults, "best_mmd") < metric(defaults, "noise_mmd")


def test_it_says_so_when_the_model_has_not_learned_the_target():
    result = execute("D23", {"train_steps": 50}, device="cpu")
    assert result["verdict"]["learned"] is False
    assert "not learned" in result["conclusion"]["en"]
    floor, noise = metric(result, "floor_mmd"), metric(result, "noise_mmd")
    assert metric(result, "best_mmd") - floor >= 0.5 * (noise - floor)


def test_it_repeats_with_a_seed_and_trains_anew_with_another():
    params = {"train_steps": 100, "timesteps": 20}
    first, again = execute("D23", {**params, "seed": 2}, device="cpu"), execute("D23", {**params, "seed": 2})
    other = execute("D23", {**params, "seed": 3}, device="cpu")
    assert first["summary"] == again["summary"]
    assert metric(first, "final_loss") != metric(other, "final_loss")


@pytest.mark.parametrize("params", [{"sampler": "ddim", "schedule": "linear"}, {"target": "gaussians"},
                                    {"timesteps": 20, "train_steps": 300}])
def test_it_concludes_what_its_numbers_say_at_other_settings(params):
    result = execute("D23", params, device="cpu")
    counts = [int(item["key"].split("_")[1]) for item in result["summary"] if item["key"].endswith("_steps")
              and item["key"].startswith("mmd_")]
    assert counts[-1] == min(params.get("timesteps", 100), 100)
    best = metric(result, "best_mmd")
    assert best == min(metric(result, f"mmd_{count}_steps") for count in counts)
    floor, noise = metric(result, "floor_mmd"), metric(result, "noise_mmd")
    assert result["verdict"]["learned"] == (best - floor < 0.5 * (noise - floor))
    if result["verdict"]["learned"]:
        plateau = int(metric(result, "plateau_steps"))
        assert result["verdict"]["more_steps_help"] == (plateau > 1)
        if plateau > 1:
            assert f"{metric(result, f'mmd_{plateau}_steps'):.3g} with {plateau}" in result["conclusion"]["en"]


def test_it_runs_its_defaults_within_two_seconds_of_cpu():
    warm_up()  # the first optimiser of a process imports torch._dynamo: a one-time cost, not the demo's
    assert cpu_seconds(lambda: execute("D23", device="cpu")) < 2.0
