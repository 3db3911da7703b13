"""D15: CPU vs GPU: matrix-multiply throughput against matrix size on every device present.

An n×n matrix product costs 2n³ floating-point operations; dividing by the measured time gives
GFLOP/s. Small products are dominated by fixed costs (call overhead, kernel launch, synchronisation),
so throughput rises with n until the device's arithmetic units are busy. A GPU wins by running
thousands of independent multiply-adds in parallel, but only once the work is large enough to
cover its launch and transfer costs. Without CUDA the demo says so and shows the CPU alone.
"""

from __future__ import annotations

import math
import time

import torch

from engine.result import Chart, Metric, Result, Series, Table
from engine.runtime import current_device
from engine.spec import ChoiceParam, DemoSpec
from engine.text import DONE, T, both

# The conclusion quotes measured wall times, so two runs may word it differently.
CONCLUSION_QUOTES_TIMINGS = True

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


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds_per_call(call, device: torch.device, on_block=None) -> float:
    """Calibrated repeats per block, best of BLOCKS blocks, synchronising the device around each block.
    on_block(fraction) hears after each block how much of this measurement is done."""
    call()  # warm-up: library start-up and first-use allocations are not the throughput
    _sync(device)
    started = time.perf_counter()
    call()
    _sync(device)
    single = time.perf_counter() - started
    repeats = max(1, min(MAX_REPEATS, math.ceil(BLOCK_SECONDS / max(single, 1e-9))))
    best = single
    blocks = BLOCKS if single < SLOW_CALL_SECONDS else 1
    for block in range(1, blocks + 1):
        started = time.perf_counter()
        for _ in range(repeats):
            call()
        _sync(device)
        best = min(best, (time.perf_counter() - started) / repeats)
        if on_block:
            on_block(block / blocks)
    return best


def measure_device(*, device: torch.device, dtype: torch.dtype, sizes: list[int], with_transfer: bool,
                   on_progress) -> dict[int, dict[str, float]]:
    """Time one n×n product per size; stop before a size that would take longer than SKIP_ABOVE_SECONDS.
    on_progress(size, fraction) hears how much of that size's timing is done."""
    results: dict[int, dict[str, float]] = {}
    share = 0.5 if with_transfer else 1.0  # of one size's progress, for each of its measurements
    for size in sizes:
        if results and results[max(results)]["seconds"] * (size / max(results)) ** 3 > SKIP_ABOVE_SECONDS:
            break
        host_a, host_b = torch.randn(size, size).to(dtype), torch.randn(size, size).to(dtype)
        a, b = host_a.to(device), host_b.to(device)
        seconds = seconds_per_call(lambda a=a, b=b: torch.mm(a, b), device,
                                   on_block=lambda done, size=size: on_progress(size, done * share))
        results[size] = {"seconds": seconds, "gflops": matmul_flops(size) / seconds / 1e9}
        if with_transfer:
            # The same product when the operands start, and the result must end, in host memory.
            def round_trip(host_a=host_a, host_b=host_b) -> torch.Tensor:
                return torch.mm(host_a.to(device), host_b.to(device)).cpu()
            transfer_seconds = seconds_per_call(
                round_trip, device, on_block=lambda done, size=size: on_progress(size, share + done * share))
            results[size]["seconds_with_transfer"] = transfer_seconds
            results[size]["gflops_with_transfer"] = matmul_flops(size) / transfer_seconds / 1e9
    return results


def relative_error(*, device: torch.device, dtype: torch.dtype) -> float:
    """|C − C₆₄| / |C₆₄| against a float64 CPU product: what the speed costs in accuracy."""
    a, b = torch.randn(ACCURACY_SIZE, ACCURACY_SIZE, dtype=torch.float64), torch.randn(ACCURACY_SIZE, ACCURACY_SIZE,
                                                                                        dtype=torch.float64)
    product = torch.mm(a.to(device, dtype), b.to(device, dtype)).cpu().double()
    reference = torch.mm(a, b)
    return ((product - reference).norm() / reference.norm()).item()


def _device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"


def run(params: dict, progress) -> Result:
    dtype = DTYPES[params["dtype"]]
    sizes = sizes_up_to(int(params["max_size"]))
    devices = devices_present()
    steps = len(devices) * len(sizes)
    measured: dict[str, dict[int, dict[str, float]]] = {}
    errors: dict[str, float] = {}
    for index, device in enumerate(devices):
        def on_progress(size: int, done: float, index: int = index, device: torch.device = device) -> None:
            progress((index * len(sizes) + sizes.index(size) + done) / steps, both(f"{device.type} n={size}"))
        measured[device.type] = measure_device(device=device, dtype=dtype, sizes=sizes,
                                               with_transfer=device.type == "cuda", on_progress=on_progress)
        errors[device.type] = relative_error(device=device, dtype=dtype)
    progress(1.0, DONE)
    labels = {device.type: _device_label(device) for device in devices}
    return summarise_measurements(measured=measured, errors=errors, labels=labels, sizes=sizes,
                                  dtype_name=params["dtype"])


def _peak(results: dict[int, dict[str, float]]) -> tuple[int, float]:
    size = max(results, key=lambda n: results[n]["gflops"])
    return size, results[size]["gflops"]


def summarise_measurements(*, measured: dict, errors: dict, labels: dict, sizes: list[int], dtype_name: str) -> Result:
    cpu = measured["cpu"]
    cpu_peak_size, cpu_peak = _peak(cpu)
    cuda = measured.get("cuda")
    summary = [
        Metric("largest_size", T("largest matrix size asked for", "请求的最大矩阵尺寸"), sizes[-1], "n"),
        Metric("flop_count_largest", T("work of the largest product (2n³)", "最大乘法的运算量（2n³）"),
               matmul_flops(sizes[-1]) / 1e9, "GFLOP"),
        Metric("cpu_peak_gflops", T("CPU peak throughput", "CPU 峰值吞吐"), cpu_peak, "GFLOP/s"),
        Metric("cpu_threads", T("CPU threads used", "CPU 使用线程数"), torch.get_num_threads()),
        Metric("cuda_available", T("CUDA device present (1 = yes)", "存在 CUDA 设备（1 = 是）"),
               float(cuda is not None)),
    ]
    if cuda:
        cuda_peak_size, cuda_peak = _peak(cuda)
        common = max(set(cpu) & set(cuda))
        faster = [n for n in sorted(set(cpu) & set(cuda)) if cuda[n]["gflops"] > cpu[n]["gflops"]]
        faster_with_transfer = [n for n in sorted(set(cpu) & set(cuda))
                                if cuda[n]["gflops_with_transfer"] > cpu[n]["gflops"]]
        summary += [
            Metric("cuda_peak_gflops", T("GPU peak throughput", "GPU 峰值吞吐"), cuda_peak, "GFLOP/s"),
            Metric("speedup_at_largest_common",
                   T(f"GPU / CPU speed at n = {common}", f"n = {common} 时 GPU / CPU 速度比"),
                   cuda[common]["gflops"] / cpu[common]["gflops"], "×"),
            Metric("gpu_faster_from_size", T("smallest n where the GPU is faster", "GPU 更快的最小 n"),
                   faster[0] if faster else math.nan, "n"),
            Metric("gpu_faster_with_transfer_from_size",
                   T("smallest n where the GPU is faster counting transfers", "计入传输后 GPU 更快的最小 n"),
                   faster_with_transfer[0] if faster_with_transfer else math.nan, "n"),
        ]
        conclusion = _gpu_conclusion(cpu=cpu, cuda=cuda, labels=labels, common=common, faster=faster,
                                     faster_with_transfer=faster_with_transfer, cuda_peak=(cuda_peak_size, cuda_peak),
                                     cpu_peak=(cpu_peak_size, cpu_peak))
    else:
        conclusion = _cpu_only_conclusion(cpu=cpu, label=labels["cpu"], sizes=sizes, peak=(cpu_peak_size, cpu_peak))
    return Result(summary=summary, conclusion=conclusion, charts=_charts(measured, labels),
                  tables=[_table(measured, errors, labels, dtype_name)])


def _charts(measured: dict, labels: dict) -> list[Chart]:
    throughput, times = [], []
    for kind, results in measured.items():
        ns = sorted(results)
        throughput.append(Series(labels[kind], ns, [results[n]["gflops"] for n in ns]))
        times.append(Series(labels[kind], ns, [results[n]["seconds"] * 1e3 for n in ns]))
        if kind == "cuda":
            name = T(f"{labels[kind]} incl. host↔device copies", f"{labels[kind]}（含主机↔设备拷贝）")
            throughput.append(Series(name, ns, [results[n]["gflops_with_transfer"] for n in ns]))
            times.append(Series(name, ns, [results[n]["seconds_with_transfer"] * 1e3 for n in ns]))
    size = T("matrix size n (n×n · n×n)", "矩阵尺寸 n（n×n · n×n）")
    return [Chart(T("Matrix-multiply throughput", "矩阵乘法吞吐"), size, T("GFLOP/s", "GFLOP/s"), throughput,
                  x_scale="log", y_scale="log"),
            Chart(T("Time per product", "每次乘法耗时"), size, T("milliseconds", "毫秒"), times,
                  x_scale="log", y_scale="log")]


def _table(measured: dict, errors: dict, labels: dict, dtype_name: str) -> Table:
    rows = [[labels[kind], n, results[n]["seconds"] * 1e3, results[n]["gflops"], errors[kind]]
            for kind, results in measured.items() for n in sorted(results)]
    return Table(T(f"Measurements ({dtype_name})", f"测量结果（{dtype_name}）"),
                 [T("device", "设备"), T("n", "n"), T("ms per product", "每次毫秒"), T("GFLOP/s", "GFLOP/s"),
                  T(f"relative error vs float64 (n = {ACCURACY_SIZE})", f"相对 float64 的误差（n = {ACCURACY_SIZE}）")],
                 rows)


def _cpu_only_conclusion(*, cpu: dict, label: str, sizes: list[int], peak: tuple[int, float]) -> dict[str, str]:
    smallest, largest = min(cpu), max(cpu)
    text = T(f"Only the CPU is present here, so there is no GPU to compare with: the {label} went from "
             f"{cpu[smallest]['gflops']:.1f} GFLOP/s at n = {smallest} to {cpu[largest]['gflops']:.1f} GFLOP/s at "
             f"n = {largest}, peaking at {peak[1]:.1f} GFLOP/s (n = {peak[0]}). Run this demo on a worker with CUDA "
             f"(the gpu queue) to see the GPU side.",
             f"这里只有 CPU，没有 GPU 可比较：{label} 的吞吐从 n = {smallest} 时的 {cpu[smallest]['gflops']:.1f} "
             f"GFLOP/s 变为 n = {largest} 时的 {cpu[largest]['gflops']:.1f} GFLOP/s，峰值 {peak[1]:.1f} GFLOP/s"
             f"（n = {peak[0]}）。在带 CUDA 的 worker（gpu 队列）上运行本演示才能看到 GPU 的结果。")
    skipped = [n for n in sizes if n not in cpu]
    if skipped:
        extra = T(f" Sizes {', '.join(map(str, skipped))} were skipped: each product would take over "
                  f"{SKIP_ABOVE_SECONDS:g} s here.",
                  f"尺寸 {', '.join(map(str, skipped))} 被跳过：在这里每次乘法将超过 {SKIP_ABOVE_SECONDS:g} 秒。")
        return {lang: text[lang] + extra[lang] for lang in ("en", "zh")}
    return text


def _gpu_conclusion(*, cpu: dict, cuda: dict, labels: dict, common: int, faster: list[int],
                    faster_with_transfer: list[int], cuda_peak: tuple[int, float],
                    cpu_peak: tuple[int, float]) -> dict[str, str]:
    ratio = cuda[common]["gflops"] / cpu[common]["gflops"]
    head = T(f"{labels['cuda']} peaked at {cuda_peak[1]:.0f} GFLOP/s (n = {cuda_peak[0]}), the {labels['cpu']} at "
             f"{cpu_peak[1]:.1f} GFLOP/s (n = {cpu_peak[0]}); at n = {common} the GPU was {ratio:.3g}× the CPU. ",
             f"{labels['cuda']} 峰值 {cuda_peak[1]:.0f} GFLOP/s（n = {cuda_peak[0]}），{labels['cpu']} 峰值 "
             f"{cpu_peak[1]:.1f} GFLOP/s（n = {cpu_peak[0]}）；n = {common} 时 GPU 是 CPU 的 {ratio:.3g} 倍。")
    if not faster:
        tail = T("The GPU was not faster at any measured size: these products are too small to cover its "
                 "launch and synchronisation costs.",
                 "在所有测得的尺寸上 GPU 都不更快：这些乘法太小，抵不过其启动和同步开销。")
    elif faster[0] > min(cuda):
        tail = T(f"Below n = {faster[0]} the CPU was faster (fixed launch costs dominate); counting host↔device "
                 f"copies the GPU wins only from n = {_first(faster_with_transfer)}.",
                 f"n < {faster[0]} 时 CPU 更快（固定的启动开销占主导）；计入主机↔设备拷贝后，GPU 要到 "
                 f"n = {_first(faster_with_transfer)} 才更快。")
    else:
        tail = T(f"The GPU was faster at every measured size; counting host↔device copies it wins from "
                 f"n = {_first(faster_with_transfer)}.",
                 f"GPU 在所有测得的尺寸上都更快；计入主机↔设备拷贝后，从 n = {_first(faster_with_transfer)} 起更快。")
    return {lang: head[lang] + tail[lang] for lang in ("en", "zh")}


def _first(sizes: list[int]) -> str:
    return str(sizes[0]) if sizes else "— (never here)"


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
                    choice_labels={"float32": T("float32", "float32"),
                                   "float16": T("float16 (half)", "float16（半精度）"),
                                   "bfloat16": T("bfloat16", "bfloat16")}),
    ),
    run=run,
    queue="gpu",
)
