"""Wall-clock timing of device work: a GPU runs asynchronously, so every clock read waits for it first."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch


def synchronize(device: torch.device) -> None:
    """Wait until `device` has finished what was queued on it (a no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best_seconds(call: Callable[[], object], device: torch.device, *, repeats: int, calls_per_repeat: int = 1,
                 warmup: int = 1, after_repeat: Callable[[], None] | None = None) -> float:
    """Seconds per call: the fastest of `repeats` timed blocks of `calls_per_repeat` calls, after `warmup`
    untimed calls. The fastest, not the mean: on a shared machine every disturbance only adds time.

    `after_repeat()` runs after each timed block, outside the clock (e.g. to advance the progress bar).
    """
    for _ in range(warmup):  # library start-up and first-use allocations are not the speed
        call()
    best = math.inf
    for _ in range(repeats):
        synchronize(device)
        started = time.perf_counter()
        for _ in range(calls_per_repeat):
            call()
        synchronize(device)
        best = min(best, (time.perf_counter() - started) / calls_per_repeat)
        if after_repeat:
            after_repeat()
    return best


class Stopwatch:
    """Accumulates the time of the stretches between `start()` and `stop()`, e.g. training without the
    evaluation passes in between."""

    def __init__(self, device: torch.device):
        self.device = device
        self.seconds = 0.0
        self._started: float | None = None

    def start(self) -> None:
        """Begin a stretch; the previous one must have been stopped, or its time would be lost."""
        if self._started is not None:
            raise RuntimeError("start() while a stretch is running: stop() it first")
        synchronize(self.device)
        self._started = time.perf_counter()

    def stop(self) -> float:
        """End the current stretch; returns the total so far."""
        if self._started is None:
            raise RuntimeError("stop() without start()")
        synchronize(self.device)
        self.seconds += time.perf_counter() - self._started
        self._started = None
        return self.seconds
