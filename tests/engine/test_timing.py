"""Device sync and timing: the wall clock of the work, not of queuing it."""

import time

import pytest
import torch

from engine.timing import Stopwatch, best_seconds

CPU = torch.device("cpu")


def test_it_times_the_fastest_block_per_call_after_the_warm_up():
    calls, blocks = [], []
    seconds = best_seconds(lambda: (calls.append(1), time.sleep(0.002)), CPU, repeats=3, calls_per_repeat=2,
                           warmup=1, after_repeat=lambda: blocks.append(1))
    assert len(calls) == 1 + 3 * 2 and len(blocks) == 3
    assert 0.002 <= seconds < 0.005


def test_it_accumulates_only_the_stretches_between_start_and_stop():
    watch = Stopwatch(CPU)
    watch.start()
    time.sleep(0.01)
    watch.stop()
    time.sleep(0.05)  # an evaluation pass between the stretches: not counted
    watch.start()
    time.sleep(0.01)
    assert 0.02 <= watch.stop() < 0.05
    with pytest.raises(RuntimeError):
        watch.stop()


def test_it_refuses_to_start_a_stretch_that_is_already_running():
    watch = Stopwatch(CPU)
    watch.start()
    time.sleep(0.01)
    with pytest.raises(RuntimeError):
        watch.start()  # restarting would drop the 0.01 s already run
    assert watch.stop() >= 0.01
