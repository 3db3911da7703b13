"""D22: without a cache a decoded token's cost grows with the prefix; with one it stays nearly flat."""

import pytest
import torch

from engine.demos import d22_kv_cache as demo
from engine.runtime import execute
from tests.engine.results import cpu_seconds, summary_values


@pytest.fixture(scope="module")
def default_run():
    return execute("D22", {}, device="cpu")


def test_it_makes_the_step_grow_with_the_prefix_only_without_the_cache(default_run):
    metrics = summary_values(default_run)
    # 8 → 512 tokens is 64× the work per step; on a busy machine the measured growth is smaller, never tiny.
    assert metrics["growth_no_cache"] >= 8
    assert metrics["growth_cache"] <= metrics["growth_no_cache"] / 4
    assert metrics["speedup_longest"] >= 5
    assert default_run["verdict"]["step_cost"] == "grows_without_cache"


def test_it_gives_the_same_tokens_and_logits_both_ways(default_run):
    metrics = summary_values(default_run)
    assert metrics["tokens_agree"] == 1.0 and metrics["max_logit_difference"] < 1e-4
    assert default_run["verdict"]["same_tokens"] is True


def test_it_counts_the_cache_s_memory(default_run):
    # keys and values, 2 layers, 512 positions, width 128, float32
    assert summary_values(default_run)["cache_kib"] == 2 * 2 * 512 * 128 * 4 / 1024


def test_it_says_the_cache_hardly_shows_on_short_sequences():
    short = execute("D22", {"length": 16, "width": "32", "layers": 1}, device="cpu")
    assert short["verdict"]["step_cost"] == "both_flat"
    assert summary_values(short)["growth_no_cache"] < demo.GROWS


def test_it_decodes_step_by_step_exactly_as_one_pass_over_the_sequence():
    torch.manual_seed(0)
    model = demo.Decoder(width=32, layers=2, longest=12).eval()
    with torch.no_grad():
        tokens, stepped = demo.generate_cached(model, torch.tensor([[5]]), 11)
        recomputed, cache = model(tokens)
    assert tokens.shape == (1, 12) and len(cache) == 2 and cache[0][0].shape == (1, demo.HEADS, 12, 32 // demo.HEADS)
    assert torch.allclose(recomputed[:, :-1], stepped, atol=1e-5)


def test_it_times_positions_up_to_the_length():
    assert demo.positions_up_to(64) == [8, 16, 32, 64]
    assert demo.positions_up_to(100) == [8, 16, 32, 64, 100]


def test_it_runs_its_defaults_within_two_seconds_of_cpu():
    assert cpu_seconds(lambda: execute("D22", {}, device="cpu")) < 2.0
