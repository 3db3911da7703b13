import time

import pytest
import torch

from engine.demos import d15_cpu_vs_gpu as demo
from engine.runtime import execute
from engine.spec import ParamError

SMALL = {"max_size": "256"}


def metric(result: dict, key: str) -> float:
    return next(m["value"] for m in result["summary"] if m["key"] == key)


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
    cpu = torch.device("cpu")
    assert demo.relative_error(device=cpu, dtype=torch.float32) < 1e-5
    assert demo.relative_error(device=cpu, dtype=torch.bfloat16) > 1e-4


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_it_says_honestly_when_only_the_cpu_is_present():
    result = execute("D15", SMALL)
    assert metric(result, "cuda_available") == 0
    assert "Only the CPU is present" in result["conclusion"]["en"]
    assert [series["name"] for series in result["charts"][0]["series"]] == [demo._device_label(torch.device("cpu"))]


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
    cuda = timings({64: 10.0, 128: 200.0, 256: 5000.0}, transfer_factor=4.0)
    labels = {"cpu": "CPU", "cuda": "CUDA (test)"}
    result = demo.summarise_measurements(measured={"cpu": cpu, "cuda": cuda}, errors={"cpu": 0.0, "cuda": 0.0},
                                         labels=labels, sizes=[64, 128, 256], dtype_name="float32")
    assert result.metric("speedup_at_largest_common") == pytest.approx(100.0)
    assert result.metric("gpu_faster_from_size") == 128
    assert result.metric("gpu_faster_with_transfer_from_size") == 128
    assert "Below n = 128 the CPU was faster" in result.conclusion["en"]
    slow_gpu = timings({64: 1.0, 128: 2.0, 256: 3.0}, transfer_factor=2.0)
    result = demo.summarise_measurements(measured={"cpu": cpu, "cuda": slow_gpu}, errors={"cpu": 0.0, "cuda": 0.0},
                                         labels=labels, sizes=[64, 128, 256], dtype_name="float32")
    assert "not faster at any measured size" in result.conclusion["en"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_it_measures_the_gpu_when_there_is_one():
    result = execute("D15", {"max_size": "1024"})
    assert metric(result, "cuda_available") == 1
    assert metric(result, "cuda_peak_gflops") > metric(result, "cpu_peak_gflops")
    assert len(result["charts"][0]["series"]) == 3  # CPU, GPU, GPU with copies


def test_it_rejects_out_of_bound_parameters_by_field():
    with pytest.raises(ParamError) as error:
        execute("D15", {"max_size": "8192", "dtype": "float64"})
    assert set(error.value.errors) == {"max_size", "dtype"}


def test_it_gives_the_same_workload_and_accuracy_twice():
    first, second = execute("D15", SMALL), execute("D15", SMALL)
    for key in ("largest_size", "flop_count_largest", "cpu_threads"):
        assert metric(first, key) == metric(second, key)
    assert [row[4] for row in first["tables"][0]["rows"]] == [row[4] for row in second["tables"][0]["rows"]]


def test_it_reports_progress_up_to_the_end():
    fractions = []
    execute("D15", SMALL, progress=lambda fraction, message="": fractions.append(fraction))
    assert len(fractions) >= 3
    assert fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0)
