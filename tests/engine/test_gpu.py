"""On a CUDA machine: every demo runs on the GPU and agrees with the CPU within its tolerances.

Run with `pytest -m gpu` on a machine with CUDA; elsewhere these tests are skipped.
"""

from __future__ import annotations

import pytest
import torch

import engine
from tests.engine.test_all_demos import ALL_IDS, demo_module

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


@pytest.mark.parametrize("demo_id", ALL_IDS)
def test_it_runs_on_cuda_and_matches_the_cpu(demo_id):
    on_cpu = engine.execute(demo_id, {}, device="cpu")
    on_gpu = engine.execute(demo_id, {}, device="cuda")
    assert on_gpu["device"] == "cuda" and on_gpu["device_name"] != "CPU"
    cpu_values = {m["key"]: m["value"] for m in on_cpu["summary"]}
    gpu_values = {m["key"]: m["value"] for m in on_gpu["summary"]}
    for key, tolerance in demo_module(demo_id).CROSS_DEVICE_METRICS.items():
        assert gpu_values[key] == pytest.approx(cpu_values[key], rel=tolerance, abs=1e-6), key


def test_it_picks_cuda_by_default_when_present():
    spec = engine.all_demos()[0]
    assert engine.execute(spec.id, {})["device"] == "cuda"
