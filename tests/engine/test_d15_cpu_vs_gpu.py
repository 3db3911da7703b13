import time

import pytest
import torch

from engine.demos import d15_cpu_vs_gpu as demo
from engine.runtime import execute
from tests.engine.results import metric

SMALL = {"max_size": "256"}


def test_it_counts_two_n_cubed_flops_over_doubling_sizes():
    assert demo.matmul_flops(64) == 2 * 64**3
    assert demo.sizes_up_to(512) == [64, 128, 256, 512]


def test_it_times_a_call_by_the_wall_clock():
    seconds = demo.seconds_per_call(lambda: time.sleep(0.003), torch.device("cpu"))
    assert 0.003 <= seconds < 0.006


def test_it_derives_throughput_from_the_measured_time():
    result = execute("D15", SMALL)
    rows = result["tables"][0]["rows"]
    assert [row[1] for row in rows[:3]] == [64, 128, 256]
    for _label, size, milliseconds, gflops, _error in rows:
        assert milliseconds > 0
        assert gflops == pytest.approx(2 * size**3 / (milliseconds / 1e3) / 1e9, rel=1e-9)
    assert metric(result, "cpu_peak_gflops") == max(row[3] for row in rows if row[0].startswith("CPU"))


def test_it_shows_lower_precision_costs_accuracy():
    cpu, draws = torch.device("cpu"), torch.Generator().manual_seed(0)
    assert demo.relative_error(device=cpu, dtype=torch.float32, draws=draws) < 1e-5
    assert demo.relative_error(device=cpu, dtype=torch.bfloat16, draws=draws) > 1e-4


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_it_says_honestly_when_only_the_cpu_is_present():
    result = execute("D15", SMALL)
    assert metric(result, "cuda_available") == 0
    assert result["verdict"]["gpu"] == "absent"
    assert [series["name"] for series in result["charts"][0]["series"]] == [demo._device_label(torch.device("cpu"))]


def test_it_lists_the_sizes_it_skipped_in_both_languages():
    cpu = {size: {"seconds": 1.0, "gflops": 1.0} for size in (64, 128)}
    measured = demo.Measurements(params={"max_size": "512", "dtype": "float32"}, sizes=[64, 128, 256, 512],
                                 timings={"cpu": cpu}, errors={"cpu": 0.0}, labels={"cpu": "CPU"}, cpu_threads=1)
    conclusion = demo.conclude(measured)
    assert conclusion.verdict == {"gpu": "absent", "sizes_skipped": True}
    assert "Sizes 256, 512 were skipped" in conclusion.text["en"]
    assert "尺寸 256、512 被跳过" in conclusion.text["zh"]


def test_it_words_the_gpu_comparison_from_the_measurements():
    def timings(gflops_by_size: dict[int, float], transfer_factor: float | None = None) -> dict:
        rows = {}
        for size, gflops in gflops_by_size.items():
            seconds = demo.matmul_flops(size) / gflops / 1e9
            rows[size] = {"seconds": seconds, "gflops": gflops}
            if transfer_factor:
                rows[size] |= {"seconds_with_transfer": seconds * transfer_factor,
                               "gflops_with_transfer": gflops / transfer_factor}
        return rows

    cpu = timings({64: 20.0, 128: 40.0, 256: 50.0})

    def measured(cuda: dict) -> demo.Measurements:
        return demo.Measurements(params={"max_size": "256", "dtype": "float32"}, sizes=[64, 128, 256],
                                 timings={"cpu": cpu, "cuda": cuda}, errors={"cpu": 0.0, "cuda": 0.0},
                                 labels={"cpu": "CPU", "cuda": "CUDA (test)"}, cpu_threads=1)

    fast = measured(timings({64: 10.0, 128: 200.0, 256: 5000.0}, transfer_factor=4.0))
    numbers = {metric.key: metric.value for metric in demo.summary(fast)}
    assert numbers["speedup_at_largest_common"] == pytest.approx(100.0)
    assert numbers["gpu_faster_from_size"] == 128
    assert numbers["gpu_faster_with_transfer_from_size"] == 128
    assert demo.conclude(fast).verdict["gpu"] == "faster_for_large_sizes"
    slow = measured(timings({64: 1.0, 128: 2.0, 256: 3.0}, transfer_factor=2.0))
    assert demo.conclude(slow).verdict["gpu"] == "never_faster"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_it_measures_the_gpu_when_there_is_one():
    result = execute("D15", {"max_size": "1024"})
    assert metric(result, "cuda_available") == 1
    assert metric(result, "cuda_peak_gflops") > metric(result, "cpu_peak_gflops")
    assert len(result["charts"][0]["series"]) == 3  # CPU, GPU, GPU with copies


def test_it_measures_the_same_accuracy_twice():
    first, second = execute("D15", SMALL), execute("D15", SMALL)
    assert [row[4] for row in first["tables"][0]["rows"]] == [row[4] for row in second["tables"][0]["rows"]]
