"""Seeding, one convention: the run's seed (run_seed()) seeds everything, and generator() gives the demo's draws."""

import torch

from engine import runtime
from engine.demos.d01_vanishing_gradients import Measurements, measure
from engine.progress import Progress
from engine.result import Conclusion, Metric, Result
from engine.runtime import execute, generator, run_seed
from engine.spec import DemoSpec, IntParam
from engine.text import both


def _draws_demo(*, with_seed_param: bool) -> DemoSpec:
    """A demo that reports one draw from the global RNG, one from generator() and run_seed(), as its summary."""
    def run(params, progress):
        summary = [Metric("global", both("global"), torch.rand(1).item()),
                   Metric("generator", both("generator"), torch.rand(1, generator=generator()).item()),
                   Metric("seed", both("seed"), run_seed())]
        return Result(summary=summary, conclusion=Conclusion(both("drawn"), {"drawn": True}))

    params = (IntParam("seed", both("seed"), 0, minimum=0, maximum=99),) if with_seed_param else ()
    return DemoSpec(id="DX", title=both("draws"), description=both("draws"), params=params, run=run, seed=42)


def _drawn(monkeypatch, spec: DemoSpec, params: dict) -> tuple[float, float, int]:
    monkeypatch.setattr(runtime, "get_demo", lambda demo_id: spec)
    summary = execute("DX", params, device="cpu")["summary"]
    return tuple(metric["value"] for metric in summary)


def test_it_seeds_the_global_rng_and_the_draws_with_the_seed_parameter(monkeypatch):
    seeded = _drawn(monkeypatch, _draws_demo(with_seed_param=True), {"seed": 7})
    assert seeded == (torch.rand(1, generator=torch.manual_seed(7)).item(),
                      torch.rand(1, generator=torch.Generator().manual_seed(7)).item(), 7)
    assert _drawn(monkeypatch, _draws_demo(with_seed_param=True), {"seed": 8}) != seeded


def test_it_seeds_a_demo_without_a_seed_parameter_with_its_spec_seed(monkeypatch):
    assert _drawn(monkeypatch, _draws_demo(with_seed_param=False), {}) == (
        torch.rand(1, generator=torch.manual_seed(42)).item(),
        torch.rand(1, generator=torch.Generator().manual_seed(42)).item(), 42)


def test_it_gives_independent_streams_of_draws():
    assert torch.equal(torch.randn(4, generator=generator(stream=3)),
                       torch.randn(4, generator=torch.Generator().manual_seed(3)))
    assert not torch.equal(torch.randn(4, generator=generator(stream=1)), torch.randn(4, generator=generator()))
    first, again, other = (execute("D1", {"depth": 3, "steps": 1, "seed": seed}, device="cpu") for seed in (7, 7, 8))
    assert first["summary"] == again["summary"] != other["summary"]


def test_it_gives_the_demo_a_progress_that_execute_closes_with_done():
    reports = []
    execute("D1", {"depth": 3, "steps": 1}, progress=lambda fraction, message, **live: reports.append(fraction),
            device="cpu")
    assert reports[-1] == 1.0
    measured = measure({"depth": 3, "width": 8, "activation": "tanh", "init": "he", "batchnorm": False,
                        "steps": 1, "lr": 0.1, "seed": 0}, Progress(lambda *report, **live: None))
    assert isinstance(measured, Measurements) and len(measured.norms_per_step) == 2
