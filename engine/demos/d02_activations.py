"""D2 — activation functions: curves, analytic derivatives, and a check of each against autograd.

Every derivative is written out by hand (the formulas an interview asks for) and compared with
what PyTorch's autograd computes on the same grid. Float64 so the agreement is measured, not rounded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.nn import functional

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both, number

DTYPE = torch.float64
SQRT_2 = math.sqrt(2.0)
SATURATION = 0.1  # a unit "saturates" where its derivative falls below 10% of the peak
# Between two neighbouring grid points the derivative is evaluated again this densely, so a peak or an edge is
# found to 1/1000 of the grid spacing wherever the grid itself falls.
REFINE_POINTS = 1001
# A grid whose edge or GELU peak misses the refined one by more than this (relative) draws corners, not curves.
COARSE = 0.01


def standard_normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * (1.0 + torch.erf(x / SQRT_2))


def standard_normal_pdf(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def activation_table(leaky_slope: float) -> dict[str, tuple[Callable, Callable, str]]:
    """name → (f, analytic f′, the formula of f′ as text)."""
    return {
        "sigmoid": (torch.sigmoid, lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x)), "σ(x)(1 − σ(x))"),
        "tanh": (torch.tanh, lambda x: 1 - torch.tanh(x) ** 2, "1 − tanh²(x)"),
        "relu": (torch.relu, lambda x: (x > 0).to(x.dtype), "1 if x > 0 else 0"),
        "leaky_relu": (lambda x: functional.leaky_relu(x, leaky_slope),
                       lambda x: torch.where(x > 0, torch.ones_like(x), torch.full_like(x, leaky_slope)),
                       f"1 if x > 0 else {leaky_slope:g}"),
        "softplus": (functional.softplus, torch.sigmoid, "σ(x)"),
        "gelu": (functional.gelu, lambda x: standard_normal_cdf(x) + x * standard_normal_pdf(x), "Φ(x) + x·φ(x)"),
    }


NAMES = {
    "sigmoid": both("Sigmoid"),
    "tanh": both("Tanh"),
    "relu": both("ReLU"),
    "leaky_relu": both("Leaky ReLU"),
    "softplus": both("Softplus"),
    "gelu": both("GELU"),
}


def autograd_derivative(function: Callable, grid: torch.Tensor) -> torch.Tensor:
    x = grid.clone().requires_grad_(True)
    (slope,) = torch.autograd.grad(function(x).sum(), x)
    return slope.detach()


def saturation_edge(grid: torch.Tensor, slope: torch.Tensor, *, peak: float) -> float:
    """Smallest |x| on the grid where f′ < 10% of `peak` (NaN when it never gets that low)."""
    low = slope < SATURATION * peak
    return grid[low].abs().min().item() if bool(low.any()) else math.nan


def around(grid: torch.Tensor, centre: float, *, reach: float) -> torch.Tensor:
    """A dense grid over [centre − reach, centre + reach], clipped to the range of `grid`."""
    low, high = max(grid[0].item(), centre - reach), min(grid[-1].item(), centre + reach)
    return torch.linspace(low, high, 2 * REFINE_POINTS - 1, dtype=grid.dtype, device=grid.device)


def refined_peak(derivative: Callable, grid: torch.Tensor, index: int) -> tuple[float, float]:
    """(max f′, where) between the grid points either side of the grid's best: the grid alone shows the peak only
    as high as the nearest grid point."""
    spacing = (grid[1] - grid[0]).item()
    dense = around(grid, grid[index].item(), reach=spacing)
    slopes = derivative(dense)
    best = int(torch.argmax(slopes))
    on_grid = derivative(grid[index:index + 1]).item()
    if slopes[best].item() <= on_grid:  # the grid point is the peak itself (σ′ at x = 0): keep its exact x
        return on_grid, grid[index].item()
    return slopes[best].item(), dense[best].item()


def refined_edge(derivative: Callable, grid: torch.Tensor, *, edge: float, peak: float) -> float:
    """The saturation edge between the last grid point above it and the first below, on either side of 0."""
    if math.isnan(edge):
        return math.nan
    spacing = (grid[1] - grid[0]).item()
    dense = torch.cat([around(grid, -edge + spacing / 2, reach=spacing / 2),
                       around(grid, edge - spacing / 2, reach=spacing / 2)])
    return saturation_edge(dense, derivative(dense), peak=peak)


def analyse(name: str, grid: torch.Tensor, function: Callable, derivative: Callable, formula: str,
            progress: Progress) -> dict:
    """One activation on the grid: its values, its hand-written derivative and that derivative's gap to autograd."""
    analytic = derivative(grid)
    progress.advance(T(f"{NAMES[name]['en']}: derivatives", f"{NAMES[name]['zh']}：求导数"))
    automatic = autograd_derivative(function, grid)
    progress.advance(T(f"{NAMES[name]['en']}: comparing with autograd", f"{NAMES[name]['zh']}：与 autograd 比对"))
    peak_index = int(torch.argmax(analytic))
    max_slope, argmax = refined_peak(derivative, grid, peak_index)
    grid_edge = saturation_edge(grid, analytic, peak=max_slope)
    return {
        "grid": grid.cpu().tolist(), "value": function(grid).cpu().tolist(), "slope": analytic.cpu().tolist(),
        "autograd_error": (analytic - automatic).abs().max().item(), "max_slope": max_slope, "argmax": argmax,
        "grid_max_slope": analytic[peak_index].item(), "grid_argmax": grid[peak_index].item(),
        "edge_slope": analytic[-1].item(), "formula": formula, "grid_saturates_at": grid_edge,
        "saturates_at": refined_edge(derivative, grid, edge=grid_edge, peak=max_slope),
        "zero_centred": abs(function(grid).mean().item()) < 1e-9,
    }


@dataclass(frozen=True)
class Measurements:
    params: dict
    results: dict[str, dict]  # activation name → what `analyse` found
    spacing: float  # between neighbouring grid points


def measure(params: dict, progress: Progress) -> Measurements:
    half = params["points"] // 2  # a symmetric grid with x = 0 exactly in the middle, where σ′ and tanh′ peak
    grid = torch.arange(-half, half + 1, dtype=DTYPE, device=current_device()) * (params["x_max"] / half)
    table = activation_table(params["leaky_slope"])
    progress.plan(2 * len(table))  # two reports an activation (12 in all): no gap over a tenth on a slow machine
    results = {name: analyse(name, grid, *entry, progress=progress) for name, entry in table.items()}
    return Measurements(params, results, params["x_max"] / half)


def summary(measured: Measurements) -> list[Metric]:
    results = measured.results
    metrics = [Metric(f"{name}_max_derivative", T(f"Peak of {NAMES[name]['en']}′", f"{NAMES[name]['zh']}′ 的峰值"),
                      result["max_slope"]) for name, result in results.items()]
    metrics.append(Metric("sigmoid_derivative_argmax", T("x where σ′ peaks", "σ′ 取峰值处的 x"),
                          results["sigmoid"]["argmax"]))
    metrics.append(Metric("sigmoid_derivative_at_edge", T("σ′ at the right end of the range", "区间右端的 σ′"),
                          results["sigmoid"]["edge_slope"]))
    metrics.append(Metric("sigmoid_best_case_10_layers", T("Best case through 10 sigmoids: (max σ′)¹⁰",
                                                           "穿过 10 个 sigmoid 的最好情况：(max σ′)¹⁰"),
                          results["sigmoid"]["max_slope"] ** 10))
    metrics.append(Metric("max_autograd_error", T("Largest |analytic − autograd| derivative gap",
                                                  "解析导数与 autograd 的最大差值"),
                          max(result["autograd_error"] for result in results.values())))
    metrics.append(Metric("sigmoid_saturation_edge", T("|x| beyond which σ′ < 10% of its peak",
                                                       "σ′ 低于峰值 10% 的 |x| 边界"),
                          results["sigmoid"]["saturates_at"]))
    metrics.append(Metric("gelu_derivative_argmax", T("x where GELU′ peaks", "GELU′ 取峰值处的 x"),
                          results["gelu"]["argmax"]))
    metrics.append(Metric("grid_spacing", T("Grid spacing", "网格间距"), measured.spacing))
    # No saturation within the range means no edge: left out, not shown blank (the conclusion says so).
    return [metric for metric in metrics if math.isfinite(metric.value)]


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(autograd_finding(measured.results), peaks_sentence(measured.results),
                           saturation_finding(measured.params, measured.results["sigmoid"]["saturates_at"]),
                           grid_finding(measured))


def grid_finding(measured: Measurements) -> Conclusion:
    """On a coarse grid the curves' corners are the grid's: say where the grid alone would put the sigmoid's
    saturation edge and GELU′'s peak, beside where they are."""
    sigmoid, gelu, spacing = measured.results["sigmoid"], measured.results["gelu"], number(measured.spacing)
    edge, grid_edge = sigmoid["saturates_at"], sigmoid["grid_saturates_at"]
    peak, grid_peak = gelu["max_slope"], gelu["grid_max_slope"]
    edge_off = math.isfinite(edge) and abs(grid_edge - edge) > COARSE * edge
    peak_off = abs(grid_peak - peak) > COARSE * peak
    if not (edge_off or peak_off):
        return Conclusion(both(""), {"grid": "fine"})
    parts_en, parts_zh = [], []
    if edge_off:
        parts_en.append(f"σ′ first drops below 10% at |x| = {number(grid_edge)} on the grid, at {number(edge)} "
                        "between its points")
        parts_zh.append(f"σ′ 在网格上于 |x| = {number(grid_edge)} 处首次低于 10%，在格点之间实际为 {number(edge)}")
    if peak_off:
        parts_en.append(f"GELU′ peaks at {number(grid_peak)} (x = {number(gelu['grid_argmax'])}) on the grid, at "
                        f"{number(peak)} (x = {number(gelu['argmax'])}) between its points")
        parts_zh.append(f"GELU′ 在网格上的峰值为 {number(grid_peak)}（x = {number(gelu['grid_argmax'])}），"
                        f"在格点之间实际为 {number(peak)}（x = {number(gelu['argmax'])}）")
    return Conclusion(T(
        f"This grid is coarse (spacing {spacing}), so its curves have corners: {'; '.join(parts_en)}. "
        "The numbers above are the refined ones; more grid points make the curves show them too.",
        f"这个网格较粗（间距 {spacing}），曲线带有折角：{'；'.join(parts_zh)}。"
        "上面的数值是加密后求得的；增加采样点数后曲线也会显示出来。"), {"grid": "coarse"})


def autograd_finding(results: dict[str, dict]) -> Conclusion:
    worst_name = max(results, key=lambda name: results[name]["autograd_error"])
    worst = results[worst_name]["autograd_error"]
    if worst < 1e-9:
        return Conclusion(T(f"All six hand-written derivatives match autograd (largest gap {worst:.1e}).",
                            f"六个手写导数都与 autograd 一致（最大差值 {worst:.1e}）。"), {"autograd": "matches"})
    return Conclusion(T(f"The hand-written derivative of {NAMES[worst_name]['en']} differs from autograd by "
                        f"{worst:.2g}.", f"{NAMES[worst_name]['zh']} 的手写导数与 autograd 相差 {worst:.2g}。"),
                      {"autograd": "differs"})


def peaks_sentence(results: dict[str, dict]) -> Conclusion:
    sigmoid, tanh = results["sigmoid"], results["tanh"]
    return Conclusion(T(
        f"σ′ peaks at {sigmoid['max_slope']:.4g} (x = {sigmoid['argmax']:.3g}) and tanh′ at "
        f"{tanh['max_slope']:.4g}: a gradient through 10 sigmoids shrinks at least "
        f"{1 / sigmoid['max_slope'] ** 10:.3g}×, while ReLU′ is exactly 1 for every x > 0.",
        f"σ′ 的峰值为 {sigmoid['max_slope']:.4g}（x = {sigmoid['argmax']:.3g}），tanh′ 的峰值为 "
        f"{tanh['max_slope']:.4g}：梯度穿过 10 个 sigmoid 至少缩小 {1 / sigmoid['max_slope'] ** 10:.3g} 倍，"
        "而 ReLU′ 在 x > 0 时恒为 1。"))


def saturation_finding(params: dict, edge: float) -> Conclusion:
    if math.isnan(edge):
        return Conclusion(T(f"Within ±{params['x_max']:g} σ′ never drops below 10% of its peak: widen the range to "
                            "see saturation.",
                            f"在 ±{params['x_max']:g} 范围内 σ′ 从未低于峰值的 10%：扩大区间才能看到饱和。"),
                          {"sigmoid_saturates": False})
    return Conclusion(T(f"Beyond |x| ≈ {edge:.2g} σ′ is below 10% of its peak: saturated units pass almost no "
                        "gradient.", f"当 |x| 超过约 {edge:.2g} 时 σ′ 低于峰值的 10%：饱和的单元几乎不传梯度。"),
                      {"sigmoid_saturates": True})


def charts(measured: Measurements) -> list[Chart]:
    results, x_axis = measured.results, both("x")
    return [
        Chart(T("Activation functions", "激活函数"), x_axis, both("f(x)"),
              [Series(NAMES[name], result["grid"], result["value"]) for name, result in results.items()]),
        Chart(T("Derivatives (analytic)", "导数（解析式）"), x_axis, both("f′(x)"),
              [Series(NAMES[name], result["grid"], result["slope"]) for name, result in results.items()]),
    ]


def tables(measured: Measurements) -> list[Table]:
    results = measured.results
    columns = [T("function", "函数"), both("f′(x)"), T("max f′", "f′ 最大值"), T("at x", "取于 x"),
               T("f′ at right end", "右端 f′"), T("zero-centred on the range", "在区间上零中心"),
               T("|analytic − autograd|", "|解析 − autograd|")]
    rows = [[NAMES[name]["en"], result["formula"], round(result["max_slope"], 6), round(result["argmax"], 4),
             float(f"{result['edge_slope']:.4g}"), result["zero_centred"], float(f"{result['autograd_error']:.2g}")]
            for name, result in results.items()]
    return [Table(T("Derivatives at a glance", "导数一览"), columns, rows)]


SPEC = DemoSpec(
    id="D2",
    title=T("Activation functions and their derivatives", "激活函数及其导数"),
    description=T(
        "Sigmoid, tanh, ReLU, Leaky ReLU, Softplus and GELU with their derivatives, each hand-written formula "
        "checked against PyTorch autograd. σ′ never exceeds 0.25, tanh′ never exceeds 1.",
        "Sigmoid、tanh、ReLU、Leaky ReLU、Softplus 和 GELU 及其导数，每个手写公式都与 PyTorch autograd 对照。"
        "σ′ 不超过 0.25，tanh′ 不超过 1。"),
    params=(
        FloatParam("x_max", T("Range ±x", "取值范围 ±x"), 6.0, minimum=1.0, maximum=20.0),
        IntParam("points", T("Grid points", "采样点数"), 401, minimum=21, maximum=4001,
                 help=T("Rounded up to an odd number so x = 0 is on the grid.", "向上取奇数，保证 x = 0 在网格上。")),
        FloatParam("leaky_slope", T("Leaky ReLU slope for x < 0", "Leaky ReLU 负半轴斜率"), 0.01,
                   minimum=0.001, maximum=0.5, log_scale=True),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
)

# Closed-form values on a grid: CPU and CUDA must agree to rounding.
CROSS_DEVICE_METRICS = {
    "sigmoid_max_derivative": 1e-9,
    "tanh_max_derivative": 1e-9,
    "relu_max_derivative": 1e-9,
    "leaky_relu_max_derivative": 1e-9,
    "softplus_max_derivative": 1e-9,
    "gelu_max_derivative": 1e-9,
    "sigmoid_derivative_at_edge": 1e-6,
}
