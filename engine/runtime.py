"""Running a demo: device choice, seeding, progress, timing. The single entry point is `execute`.

Seeding, one convention: `execute` seeds every RNG with the run's seed (the demo's `seed` parameter when it
has one, else its spec's seed), and a demo draws its random numbers from `generator()`, a CPU generator
seeded the same way: tensors drawn on the CPU and then moved give CPU and CUDA runs the very same numbers.
"""

from __future__ import annotations

import contextvars
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from engine.progress import Progress, Report
from engine.registry import get_demo
from engine.timing import synchronize

# Bump when any demo's computation or wording of a result changes: cached runs of older versions are not reused.
ENGINE_VERSION = "6"

_device: contextvars.ContextVar[torch.device] = contextvars.ContextVar("engine_device")
_seed: contextvars.ContextVar[int] = contextvars.ContextVar("engine_seed", default=0)


def best_device() -> torch.device:
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def current_device() -> torch.device:
    """The device the running demo must put its tensors on (set by `execute`)."""
    return _device.get(best_device())


def run_seed() -> int:
    """The seed `execute` set for the running demo: its `seed` parameter, else its spec's seed."""
    return _seed.get()


def generator(stream: int = 0) -> torch.Generator:
    """A CPU generator for the running demo's random draws, seeded with the run's seed. `stream` gives
    another independent sequence (e.g. one per sequence length) that stays the same however many numbers
    the others draw."""
    return torch.Generator().manual_seed(run_seed() + stream)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA too


def _no_progress(fraction: float, message: dict[str, str] | str = "", charts: list[dict] | None = None) -> None:
    pass


def execute(demo_id: str, raw_params: dict[str, Any] | None = None, *,
            progress: Report | None = None, device: str | None = None) -> dict[str, Any]:
    """Validate, seed, run on `device` (default: CUDA when present), and return the result dict.

    `progress(fraction, message)` hears how far the run is, last with (1.0, DONE); a demo that shows live
    charts adds them as `charts=` (engine.progress.Report).
    Raises `ParamError` for bad parameters and `KeyError` for an unknown demo.
    """
    spec = get_demo(demo_id)
    params = spec.validate(raw_params)
    chosen = torch.device(device) if device else best_device()
    seed = params.get("seed", spec.seed)
    tracker = Progress(progress or _no_progress)
    device_token, seed_token = _device.set(chosen), _seed.set(seed)
    try:
        seed_everything(seed)
        started = time.perf_counter()
        with cpu_mode(threads=spec.cpu_threads, flush_denormal=spec.flush_denormal):
            result = spec.run(params, tracker)
            synchronize(chosen)
        elapsed = time.perf_counter() - started
    finally:
        _device.reset(device_token)
        _seed.reset(seed_token)
    stored = {**result.to_dict(), "demo": spec.id, "params": params, "device": str(chosen),
              "device_name": _device_name(chosen), "engine_version": ENGINE_VERSION,
              "compute_seconds": round(elapsed, 4)}
    tracker.finish()
    return stored


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return "CPU"


def warm_up() -> None:
    """Pay PyTorch's one-time costs before the first run: the first optimiser in a process imports
    torch._dynamo (1.5–3 s on a small CPU), which would otherwise land on a learner's first demo."""
    layer = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
    layer(torch.zeros(1, 2)).sum().backward()
    optimizer.step()


@contextmanager
def cpu_mode(*, threads: int | None, flush_denormal: bool) -> Iterator[None]:
    """Torch's CPU thread count (None: leave it) and denormal flushing while a demo runs; both restored
    afterwards. Each spec chooses them (DemoSpec's cpu_threads and flush_denormal say why)."""
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    torch.set_flush_denormal(flush_denormal)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(previous)
