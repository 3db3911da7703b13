"""D25: a standard GAN collapsing onto few modes of 8 Gaussians, and WGAN-GP covering more."""

import pytest
import torch

from engine.demos.d25_gan_mode_collapse import (
    MODES,
    centres,
    covered,
    mode_counts,
    network,
    penalty_of,
    scores_and_slopes,
)
from engine.runtime import execute, warm_up
from tests.engine.results import cpu_seconds, metric


@pytest.fixture(scope="module")
def defaults():
    return execute("D25", device="cpu")


def test_it_counts_a_mode_only_when_enough_points_sit_on_it():
    on_every_mode = centres().repeat(50, 1)
    assert covered(mode_counts(on_every_mode), len(on_every_mode)) == MODES
    on_one_mode = centres()[:1].repeat(400, 1)
    assert covered(mode_counts(on_one_mode), len(on_one_mode)) == 1
    between_modes = torch.zeros(400, 2)  # the centre of the circle is near no mode
    assert mode_counts(between_modes) == [0] * MODES
    mostly_one = torch.cat([centres()[:1].repeat(393, 1), centres()[1:]])  # one point on each other mode
    assert covered(mode_counts(mostly_one), len(mostly_one)) == 1


@pytest.mark.parametrize(("slope", "penalty"), [(1.0, 0.0), (2.0, 1.0), (0.5, 0.25)])
def test_it_penalises_a_critic_gradient_away_from_norm_one(slope, penalty):
    slopes = torch.tensor([[0.6, 0.8]]).repeat(64, 1) * slope
    assert penalty_of(slopes).item() == pytest.approx(penalty, abs=1e-6)


def test_its_written_out_input_gradient_is_autograds_and_trains_the_critic_alike():
    torch.manual_seed(0)
    critic = network(2, 1)
    points = 3 * torch.randn(96, 2)
    scores, slopes = scores_and_slopes(critic, points, slice(32, None))
    assert torch.allclose(scores, critic(points))
    inputs = points[32:].clone().requires_grad_(True)
    expected, = torch.autograd.grad(critic(inputs).sum(), inputs, create_graph=True)
    assert torch.allclose(slopes, expected, atol=1e-6)
    by_hand = torch.autograd.grad(penalty_of(slopes), [critic[0].weight, critic[2].weight, critic[4].weight])
    by_autograd = torch.autograd.grad(penalty_of(expected), [critic[0].weight, critic[2].weight, critic[4].weight])
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(by_hand, by_autograd, strict=True))


def test_it_shows_the_standard_gan_collapsing_and_wgan_gp_covering_more(defaults):
    assert defaults["verdict"] == {"gan": "collapsed", "comparison": "wgan_covers_more"}
    assert metric(defaults, "modes_gan") <= 2
    assert metric(defaults, "modes_wgan") >= metric(defaults, "modes_gan") + 2
    gan_updates = 2 * metric(defaults, "generator_steps_gan")
    assert abs(6 * metric(defaults, "generator_steps_wgan") - gan_updates) <= 6  # the same number of updates


def test_it_finds_no_collapse_when_the_discriminator_keeps_pace():
    result = execute("D25", {"gan_lr_ratio": 1.0}, device="cpu")
    assert result["verdict"]["gan"] != "collapsed"
    assert metric(result, "modes_gan") >= 3


def test_it_repeats_with_a_seed_and_trains_anew_with_another():
    first, again = execute("D25", {"seed": 4, "steps": 60}, device="cpu"), execute("D25", {"seed": 4, "steps": 60})
    other = execute("D25", {"seed": 5, "steps": 60}, device="cpu")
    assert first["summary"] == again["summary"]
    assert first["charts"][0] != other["charts"][0]


@pytest.mark.parametrize("params", [{"steps": 30}, {"gan_lr_ratio": 0.5, "seed": 3}, {"gan_lr_ratio": 5.0, "seed": 1}])
def test_it_concludes_what_its_numbers_say_at_other_settings(params):
    result = execute("D25", params, device="cpu")
    gan, wgan = metric(result, "modes_gan"), metric(result, "modes_wgan")
    assert result["verdict"]["gan"] == ("collapsed" if gan <= 2 else "partial" if gan < MODES else "all_modes")
    assert result["verdict"]["comparison"] == ("wgan_covers_more" if wgan - gan >= 2 else
                                               "gan_covers_more" if gan - wgan >= 2 else "similar")
    assert f"covers {wgan:.0f}" in result["conclusion"]["en"] or f"fewer ({wgan:.0f})" in result["conclusion"]["en"]


def test_it_runs_its_defaults_within_two_seconds_of_cpu():
    warm_up()  # the first optimiser of a process imports torch._dynamo: a one-time cost, not the demo's
    assert cpu_seconds(lambda: execute("D25", device="cpu")) < 2.0
