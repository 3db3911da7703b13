"""Seeding, one convention: the run's seed (run_seed()) seeds everything, and generator() gives the demo's draws."""

import pytest
import torch

import engine
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


def _threads_demo(**policy) -> DemoSpec:
    """A demo that reports the CPU threads torch gives it and whether it flushes denormal floats."""
    def run(params, progress):
        smallest_normal = torch.finfo(torch.float32).tiny
        flushed = (torch.tensor([smallest_normal]) / 4).item() == 0.0
        summary = [Metric("threads", both("threads"), torch.get_num_threads()),
                   Metric("flushed", both("flushed"), flushed)]
        return Result(summary=summary, conclusion=Conclusion(both("counted"), {"counted": True}))

    return DemoSpec(id="DX", title=both("threads"), description=both("threads"), params=(), run=run, **policy)


def _policy_seen(monkeypatch, spec: DemoSpec) -> dict:
    monkeypatch.setattr(runtime, "get_demo", lambda demo_id: spec)
    return {metric["key"]: metric["value"] for metric in execute("DX", {}, device="cpu")["summary"]}


def test_it_runs_a_small_model_on_one_thread_and_gives_the_process_its_threads_back(monkeypatch):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert _policy_seen(monkeypatch, _threads_demo()) == {"threads": 1, "flushed": 0}
        assert torch.get_num_threads() == 2
        assert _policy_seen(monkeypatch, _threads_demo(cpu_threads=None))["threads"] == 2  # a big model's choice
    finally:
        torch.set_num_threads(before)


def test_it_flushes_denormal_floats_only_for_the_demos_that_ask_and_only_while_they_run(monkeypatch):
    assert _policy_seen(monkeypatch, _threads_demo(flush_denormal=True))["flushed"] == 1
    assert (torch.tensor([torch.finfo(torch.float32).tiny]) / 4).item() != 0.0


def test_it_restores_the_threads_when_a_demo_fails(monkeypatch):
    def broken(params, progress):
        raise RuntimeError("broken demo")

    before = torch.get_num_threads()
    spec = DemoSpec(id="DX", title=both("broken"), description=both("broken"), params=(), run=broken,
                    cpu_threads=1 if before > 1 else 2)
    monkeypatch.setattr(runtime, "get_demo", lambda demo_id: spec)
    with pytest.raises(RuntimeError):
        execute("DX", {}, device="cpu")
    assert torch.get_num_threads() == before


def test_it_runs_every_default_run_but_the_matrix_benchmark_on_one_thread():
    """The policy the busy-machine figures rest on: only D15, which measures big products, takes every core."""
    assert {spec.id for spec in engine.all_demos() if spec.cpu_threads != 1} == {"D15"}
