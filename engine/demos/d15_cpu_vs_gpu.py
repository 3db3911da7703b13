"""D15: CPU vs GPU: matrix-multiply throughput against matrix size on every device present.

An n×n matrix product costs 2n³ floating-point operations; dividing by the measured time gives
GFLOP/s. Small products are dominated by fixed costs (call overhead, kernel launch, synchronisation),
so throughput rises with n until the device's arithmetic units are busy. A GPU wins by running
thousands of independent multiply-adds in parallel, but only once the work is large enough to
cover its launch and transfer costs. Without CUDA the demo says so and shows the CPU alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import ChoiceParam, DemoSpec, Steps
from engine.text import T, both, join
from engine.timing import best_seconds

# Wall-clock numbers: they differ from run to run (only CUDA runs have the last four).
TIMING_METRICS = frozenset({"cpu_peak_gflops", "cuda_peak_gflops", "speedup_at_largest_common",
                            "gpu_faster_from_size", "gpu_faster_with_transfer_from_size"})

# Timings differ by design between devices; only the workload itself must agree.
CROSS_DEVICE_METRICS = {
    "largest_size": 0.0,
    "flop_count_largest": 0.0,
}

SMALLEST_SIZE = 64
BLOCK_SECONDS = 0.02  # each timed block repeats the product until it lasts at least this long
BLOCKS = 3  # the fastest block counts: the least disturbed by other processes
MAX_REPEATS = 1000
SLOW_CALL_SECONDS = 0.5  # products this slow are timed in one block: the noise is small next to them
SKIP_ABOVE_SECONDS = 4.0  # a size whose single product would take longer than this is not run
ACCURACY_SIZE = 256
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def matmul_flops(size: int) -> int:
    """n² outputs, each n multiplies and n − 1 adds: 2n³ to leading order, the usual convention."""
    return 2 * size**3


def sizes_up_to(largest: int) -> list[int]:
    sizes = [SMALLEST_SIZE]
    while sizes[-1] * 2 <= largest:
        sizes.append(sizes[-1] * 2)
    return sizes


def devices_present() -> list[torch.device]:
    """The CPU always; the CUDA device too when there is one (the one this run was given, if any)."""
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        chosen = current_device()
        devices.append(chosen if chosen.type == "cuda" else torch.device("cuda", torch.cuda.current_device()))
    return devices


def seconds_per_call(call, device: torch.device, advance: Callable[[float], None] = lambda units: None) -> float:
    """Calibrated repeats per block, best of BLOCKS blocks (of one, for slow calls) after one untimed and one
    calibrating call. The measurement is one unit of work: advance(1 / blocks) hears after each block."""
    single = best_seconds(call, device, repeats=1)
    repeats = max(1, min(MAX_REPEATS, math.ceil(BLOCK_SECONDS / max(single, 1e-9))))
    blocks = BLOCKS if single < SLOW_CALL_SECONDS else 1
    return min(single, best_seconds(call, device, repeats=blocks, calls_per_repeat=repeats, warmup=0,
                                    after_repeat=lambda: advance(1 / blocks)))


def measure_device(*, device: torch.device, dtype: torch.dtype, sizes: list[int], with_transfer: bool,
                   draws: torch.Generator, progress: Progress) -> dict[int, dict[str, float]]:
    """Time one n×n product per size; stop before a size that would take longer than SKIP_ABOVE_SECONDS.
    Each timing is one unit of progress."""
    results: dict[int, dict[str, float]] = {}
    for size in sizes:
        if results and results[max(results)]["seconds"] * (size / max(results)) ** 3 > SKIP_ABOVE_SECONDS:
            break

        def advance(units: float, size: int = size) -> None:
            progress.advance(both(f"{device.type} n={size}"), units)

        host_a = torch.randn(size, size, generator=draws).to(dtype)
        host_b = torch.randn(size, size, generator=draws).to(dtype)
        a, b = host_a.to(device), host_b.to(device)
        seconds = seconds_per_call(lambda a=a, b=b: torch.mm(a, b), device, advance)
        results[size] = {"seconds": seconds, "gflops": matmul_flops(size) / seconds / 1e9}
        if with_transfer:
            # The same product when the operands start, and the result must end, in host memory.
            def round_trip(host_a=host_a, host_b=host_b) -> torch.Tensor:
                return torch.mm(host_a.to(device), host_b.to(device)).cpu()
            transfer_seconds = seconds_per_call(round_trip, device, advance)
            results[size]["seconds_with_transfer"] = transfer_seconds
            results[size]["gflops_with_transfer"] = matmul_flops(size) / transfer_seconds / 1e9
    return results


def relative_error(*, device: torch.device, dtype: torch.dtype, draws: torch.Generator) -> float:
    """|C − C₆₄| / |C₆₄| against a float64 CPU product: what the speed costs in accuracy."""
    a, b = (torch.randn(ACCURACY_SIZE, ACCURACY_SIZE, dtype=torch.float64, generator=draws) for _ in range(2))
    product = torch.mm(a.to(device, dtype), b.to(device, dtype)).cpu().double()
    reference = torch.mm(a, b)
    return ((product - reference).norm() / reference.norm()).item()


def _device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"


def _peak(results: dict[int, dict[str, float]]) -> tuple[int, float]:
    size = max(results, key=lambda n: results[n]["gflops"])
    return size, results[size]["gflops"]


@dataclass(frozen=True)
class Measurements:
    params: dict
    sizes: list[int]  # asked for; a device's results stop early where a product would take too long
    timings: dict[str, dict[int, dict[str, float]]]  # per device type, per size: seconds and GFLOP/s
    errors: dict[str, float]  # per device type: relative error against float64
    labels: dict[str, str]  # per device type: what it is, e.g. "CPU (4 threads)"
    cpu_threads: int

    @property
    def cpu(self) -> dict[int, dict[str, float]]:
        return self.timings["cpu"]

    @property
    def cuda(self) -> dict[int, dict[str, float]] | None:
        return self.timings.get("cuda")

    @property
    def common(self) -> list[int]:
        """Sizes measured on both devices."""
        return sorted(set(self.cpu) & set(self.cuda or {}))

    @property
    def gpu_faster(self) -> list[int]:
        return [n for n in self.common if self.cuda[n]["gflops"] > self.cpu[n]["gflops"]]

    @property
    def gpu_faster_with_transfer(self) -> list[int]:
        return [n for n in self.common if self.cuda[n]["gflops_with_transfer"] > self.cpu[n]["gflops"]]

    @property
    def speedup(self) -> float:
        """GPU / CPU throughput at the largest size both measured."""
        largest = self.common[-1]
        return self.cuda[largest]["gflops"] / self.cpu[largest]["gflops"]


def timings_per_size(device: torch.device) -> int:
    """On a GPU the product is timed twice: on device-resident operands, and with host↔device copies."""
    return 2 if device.type == "cuda" else 1


def measure(params: dict, progress: Progress) -> Measurements:
    dtype = DTYPES[params["dtype"]]
    sizes = sizes_up_to(int(params["max_size"]))
    devices = devices_present()
    progress.plan(sum(len(sizes) * timings_per_size(device) for device in devices))
    draws = generator()
    timings: dict[str, dict[int, dict[str, float]]] = {}
    errors: dict[str, float] = {}
    for device in devices:
        timings[device.type] = measure_device(device=device, dtype=dtype, sizes=sizes, draws=draws,
                                              with_transfer=device.type == "cuda", progress=progress)
        errors[device.type] = relative_error(device=device, dtype=dtype, draws=draws)
        skipped = len(sizes) - len(timings[device.type])
        if skipped and device != devices[-1]:  # after the last device, `execute`'s DONE closes the bar
            progress.drop(skipped * timings_per_size(device), T(f"{device.type}: {skipped} sizes skipped",
                                                                  f"{device.type}：跳过 {skipped} 个尺寸"))
    labels = {device.type: _device_label(device) for device in devices}
    return Measurements(params, sizes, timings, errors, labels, cpu_threads=torch.get_num_threads())


def summary(measured: Measurements) -> list[Metric]:
    largest = measured.sizes[-1]
    metrics = [
        Metric("largest_size", T("largest matrix size asked for", "请求的最大矩阵尺寸"), largest, "n"),
        Metric("flop_count_largest", T("work of the largest product (2n³)", "最大乘法的运算量（2n³）"),
               matmul_flops(largest) / 1e9, "GFLOP"),
        Metric("cpu_peak_gflops", T("CPU peak throughput", "CPU 峰值吞吐"), _peak(measured.cpu)[1], "GFLOP/s"),
        Metric("cpu_threads", T("CPU threads used", "CPU 使用线程数"), measured.cpu_threads),
        Metric("cuda_available", T("CUDA device present (1 = yes)", "存在 CUDA 设备（1 = 是）"),
               float(measured.cuda is not None)),
    ]
    if not measured.cuda:
        return metrics
    common, faster, with_transfer = measured.common[-1], measured.gpu_faster, measured.gpu_faster_with_transfer
    return metrics + [
        Metric("cuda_peak_gflops", T("GPU peak throughput", "GPU 峰值吞吐"), _peak(measured.cuda)[1], "GFLOP/s"),
        Metric("speedup_at_largest_common", T(f"GPU / CPU speed at n = {common}", f"n = {common} 时 GPU / CPU 速度比"),
               measured.speedup, "×"),
        Metric("gpu_faster_from_size", T("smallest n where the GPU is faster", "GPU 更快的最小 n"),
               faster[0] if faster else math.nan, "n"),
        Metric("gpu_faster_with_transfer_from_size",
               T("smallest n where the GPU is faster counting transfers", "计入传输后 GPU 更快的最小 n"),
               with_transfer[0] if with_transfer else math.nan, "n"),
    ]


def conclude(measured: Measurements) -> Conclusion:
    return gpu_conclusion(measured) if measured.cuda else cpu_only_conclusion(measured)


def cpu_only_conclusion(measured: Measurements) -> Conclusion:
    cpu, label = measured.cpu, measured.labels["cpu"]
    smallest, largest = min(cpu), max(cpu)
    peak_size, peak = _peak(cpu)
    text = T(f"Only the CPU is present here, so there is no GPU to compare with: the {label} went from "
             f"{cpu[smallest]['gflops']:.1f} GFLOP/s at n = {smallest} to {cpu[largest]['gflops']:.1f} GFLOP/s at "
             f"n = {largest}, peaking at {peak:.1f} GFLOP/s (n = {peak_size}). Run this demo on a worker with CUDA "
             f"(the gpu queue) to see the GPU side.",
             f"这里只有 CPU，没有 GPU 可比较：{label} 的吞吐从 n = {smallest} 时的 {cpu[smallest]['gflops']:.1f} "
             f"GFLOP/s 变为 n = {largest} 时的 {cpu[largest]['gflops']:.1f} GFLOP/s，峰值 {peak:.1f} GFLOP/s"
             f"（n = {peak_size}）。在带 CUDA 的 worker（gpu 队列）上运行本演示才能看到 GPU 的结果。")
    skipped = [n for n in measured.sizes if n not in cpu]
    if not skipped:
        return Conclusion(text, {"gpu": "absent", "sizes_skipped": False})
    return Conclusion(join(text, T(
        f"Sizes {', '.join(map(str, skipped))} were skipped: each product would take over {SKIP_ABOVE_SECONDS:g} s "
        f"here.",
        f"尺寸 {'、'.join(map(str, skipped))} 被跳过：在这里每次乘法将超过 {SKIP_ABOVE_SECONDS:g} 秒。")),
        {"gpu": "absent", "sizes_skipped": True})


def gpu_conclusion(measured: Measurements) -> Conclusion:
    cpu, cuda, labels = measured.cpu, measured.cuda, measured.labels
    (cuda_peak_size, cuda_peak), (cpu_peak_size, cpu_peak) = _peak(cuda), _peak(cpu)
    faster, with_transfer = measured.gpu_faster, _first(measured.gpu_faster_with_transfer)
    ratio, common = measured.speedup, measured.common[-1]
    head = Conclusion(T(
        f"{labels['cuda']} peaked at {cuda_peak:.0f} GFLOP/s (n = {cuda_peak_size}), the {labels['cpu']} at "
        f"{cpu_peak:.1f} GFLOP/s (n = {cpu_peak_size}); at n = {common} the GPU was {ratio:.3g}× the CPU.",
        f"{labels['cuda']} 峰值 {cuda_peak:.0f} GFLOP/s（n = {cuda_peak_size}），{labels['cpu']} 峰值 "
        f"{cpu_peak:.1f} GFLOP/s（n = {cpu_peak_size}）；n = {common} 时 GPU 是 CPU 的 {ratio:.3g} 倍。"))
    if not faster:
        return Conclusion.join(head, Conclusion(T(
            "The GPU was not faster at any measured size: these products are too small to cover its "
            "launch and synchronisation costs.",
            "在所有测得的尺寸上 GPU 都不更快：这些乘法太小，抵不过其启动和同步开销。"), {"gpu": "never_faster"}))
    if faster[0] > min(cuda):
        return Conclusion.join(head, Conclusion(T(
            f"Below n = {faster[0]} the CPU was faster (fixed launch costs dominate); counting host↔device "
            f"copies the GPU wins only from n = {with_transfer}.",
            f"n < {faster[0]} 时 CPU 更快（固定的启动开销占主导）；计入主机↔设备拷贝后，GPU 要到 "
            f"n = {with_transfer} 才更快。"), {"gpu": "faster_for_large_sizes"}))
    return Conclusion.join(head, Conclusion(T(
        f"The GPU was faster at every measured size; counting host↔device copies it wins from n = {with_transfer}.",
        f"GPU 在所有测得的尺寸上都更快；计入主机↔设备拷贝后，从 n = {with_transfer} 起更快。"),
        {"gpu": "faster_everywhere"}))


def _first(sizes: list[int]) -> str:
    return str(sizes[0]) if sizes else "— (never here)"


def charts(measured: Measurements) -> list[Chart]:
    throughput, times = [], []
    for kind, results in measured.timings.items():
        label, ns = measured.labels[kind], sorted(results)
        throughput.append(Series(label, ns, [results[n]["gflops"] for n in ns]))
        times.append(Series(label, ns, [results[n]["seconds"] * 1e3 for n in ns]))
        if kind == "cuda":
            name = T(f"{label} incl. host↔device copies", f"{label}（含主机↔设备拷贝）")
            throughput.append(Series(name, ns, [results[n]["gflops_with_transfer"] for n in ns]))
            times.append(Series(name, ns, [results[n]["seconds_with_transfer"] * 1e3 for n in ns]))
    size = T("matrix size n (n×n · n×n)", "矩阵尺寸 n（n×n · n×n）")
    return [Chart(T("Matrix-multiply throughput", "矩阵乘法吞吐"), size, both("GFLOP/s"), throughput,
                  x_scale="log", y_scale="log"),
            Chart(T("Time per product", "每次乘法耗时"), size, T("milliseconds", "毫秒"), times,
                  x_scale="log", y_scale="log")]


def tables(measured: Measurements) -> list[Table]:
    rows = [[measured.labels[kind], n, results[n]["seconds"] * 1e3, results[n]["gflops"], measured.errors[kind]]
            for kind, results in measured.timings.items() for n in sorted(results)]
    dtype_name = measured.params["dtype"]
    return [Table(T(f"Measurements ({dtype_name})", f"测量结果（{dtype_name}）"),
                  [T("device", "设备"), both("n"), T("ms per product", "每次毫秒"), both("GFLOP/s"),
                   T(f"relative error vs float64 (n = {ACCURACY_SIZE})",
                     f"相对 float64 的误差（n = {ACCURACY_SIZE}）")],
                  rows)]


SPEC = DemoSpec(
    id="D15",
    title=T("CPU vs GPU", "CPU 与 GPU"),
    description=T("Matrix-multiply throughput (GFLOP/s) against matrix size on every device present: the CPU "
                  "always, the GPU when CUDA is available, with and without host↔device copies.",
                  "在所有可用设备上测量矩阵乘法吞吐（GFLOP/s）随矩阵尺寸的变化：总有 CPU，有 CUDA 时还有 GPU，"
                  "并比较是否计入主机↔设备拷贝。"),
    params=(
        ChoiceParam("max_size", T("largest matrix size n", "最大矩阵尺寸 n"), "1024",
                    T("Sizes double from 64 up to this.", "尺寸从 64 开始翻倍直到该值。"),
                    choices=("256", "512", "1024", "2048", "4096")),
        ChoiceParam("dtype", T("number format", "数值格式"), "float32", choices=tuple(DTYPES),
                    choice_labels={"float32": both("float32"),
                                   "float16": T("float16 (half)", "float16（半精度）"),
                                   "bfloat16": both("bfloat16")}),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="gpu",
    cpu_threads=None,  # products of up to thousands of rows split well over every core
)
