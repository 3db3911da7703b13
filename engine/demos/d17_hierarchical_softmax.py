"""D17: full softmax vs hierarchical softmax (fastText, word2vec): cost against the number of classes.

A full softmax scores every class: K dot products per example. A hierarchical softmax puts the
classes at the leaves of a binary tree; p(class) is the product of sigmoid left/right decisions on
the path from the root, so training needs only the ~log₂ K dot products on the target's path (fewer
still for frequent classes in a Huffman tree). The probabilities of all leaves still sum to 1,
which the demo checks exactly, and it times both on real batches (forward and backward).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import torch

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series
from engine.runtime import current_device, generator
from engine.spec import ChoiceParam, DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both
from engine.timing import best_seconds

# Wall-clock numbers: they differ from run to run.
TIMING_METRICS = frozenset({"full_ms_at_max", "hs_ms_at_max", "speedup_at_max", "crossover_classes"})

CROSS_DEVICE_METRICS = {
    "full_dots_at_max": 0.0,
    "hs_expected_path_at_max": 1e-9,
    "hs_dots_at_max": 1e-6,
}

SMALLEST_CLASSES = 16
TIMING_REPEATS = 7  # best of seven; also keeps each progress step under a tenth of the run
CHECK_ROWS = 8  # examples whose probabilities are summed over every class
RANK_POINTS = 200
FULL_SHARE = 0.8  # rough share of one K's time spent timing the full softmax (for progress only)


def zipf_frequencies(*, classes: int, exponent: float) -> np.ndarray:
    """Class frequencies ∝ 1 / rank^s: a few classes are common, most are rare (like words)."""
    weights = 1.0 / np.arange(1, classes + 1) ** exponent
    return weights / weights.sum()


def balanced_tree(classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Heap layout: internal nodes 0 … K−2 (root 0), class k at node K−1+k, parent(i) = (i − 1) // 2."""
    nodes = np.arange(2 * classes - 1)
    parent = (nodes - 1) // 2
    is_right = (nodes % 2 == 0) & (nodes > 0)
    parent[0] = -1
    return parent, is_right


def huffman_tree(frequencies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Huffman merging of the two rarest subtrees; same numbering as `balanced_tree` (root 0, leaves K−1+k)."""
    classes = len(frequencies)
    parent = np.full(2 * classes - 1, -1)
    is_right = np.zeros(2 * classes - 1, dtype=bool)
    heap = [(float(f), classes - 1 + k) for k, f in enumerate(frequencies)]
    heapq.heapify(heap)
    next_internal = classes - 2  # the last merge becomes node 0, the root
    while len(heap) > 1:
        left_weight, left = heapq.heappop(heap)
        right_weight, right = heapq.heappop(heap)
        parent[left], parent[right], is_right[right] = next_internal, next_internal, True
        heapq.heappush(heap, (left_weight + right_weight, next_internal))
        next_internal -= 1
    return parent, is_right


def leaf_paths(parent: np.ndarray, is_right: np.ndarray, classes: int) -> tuple[torch.Tensor, ...]:
    """(K × depth) internal-node indices, ±1 directions and a mask, walking every leaf up to the root at once."""
    current = np.arange(classes - 1, 2 * classes - 1)
    nodes, signs = [], []
    while (current > 0).any():
        active = current > 0
        nodes.append(np.where(active, parent[np.maximum(current, 0)], 0))
        signs.append(np.where(active, np.where(is_right[current], 1.0, -1.0), 0.0))
        current = np.where(active, parent[np.maximum(current, 0)], 0)
    path_nodes = torch.from_numpy(np.stack(nodes, axis=1)).long()
    path_signs = torch.from_numpy(np.stack(signs, axis=1)).float()
    return path_nodes, path_signs, (path_signs != 0).float()


def hierarchical_log_prob(*, hidden: torch.Tensor, node_vectors: torch.Tensor, path_nodes: torch.Tensor,
                          path_signs: torch.Tensor, path_mask: torch.Tensor) -> torch.Tensor:
    """log p(class | h) = Σ over the path of log σ(±h·v_node): one dot product per node on the path."""
    vectors = node_vectors[path_nodes]  # (B, depth, d)
    scores = torch.einsum("bd,bld->bl", hidden, vectors)
    return (torch.nn.functional.logsigmoid(path_signs * scores) * path_mask).sum(dim=1)


def all_class_probabilities(*, hidden: torch.Tensor, node_vectors: torch.Tensor, paths: tuple) -> torch.Tensor:
    """p(k | h) for every class k (rows of `hidden` × K), scoring each internal node once."""
    path_nodes, path_signs, path_mask = paths
    node_scores = hidden @ node_vectors.T  # (rows, K − 1)
    along = node_scores[:, path_nodes]  # (rows, K, depth)
    return ((torch.nn.functional.logsigmoid(path_signs * along) * path_mask).sum(dim=2)).exp()


def measure_classes(*, classes: int, params: dict, device: torch.device, draws: torch.Generator,
                    progress: Progress) -> dict[str, float]:
    """Both softmaxes at K classes; the work counts as K units of progress, most of them the full softmax's."""
    # Reported at once: each timed call at the largest K is close to a tenth of the run, so the bar must not lag.
    progress.note(both(f"K = {classes}"))
    dim, batch = int(params["hidden"]), params["batch"]
    frequencies = zipf_frequencies(classes=classes, exponent=params["zipf_exponent"])
    tree = huffman_tree(frequencies) if params["tree"] == "huffman" else balanced_tree(classes)
    paths_cpu = leaf_paths(*tree, classes)
    depth = paths_cpu[2].sum(dim=1).numpy()
    # Everything random is drawn on the CPU so that CPU and CUDA runs see the same numbers.
    targets = torch.multinomial(torch.from_numpy(frequencies), batch, replacement=True, generator=draws)
    hidden = torch.randn(batch, dim, generator=draws).to(device).requires_grad_(True)
    class_vectors = (torch.randn(classes, dim, generator=draws) / math.sqrt(dim)).to(device).requires_grad_(True)
    node_vectors = (torch.randn(classes - 1, dim, generator=draws) / math.sqrt(dim)).to(device).requires_grad_(True)
    paths = tuple(t.to(device) for t in paths_cpu)
    targets = targets.to(device)

    def full_step() -> None:
        loss = torch.nn.functional.cross_entropy(hidden @ class_vectors.T, targets)
        loss.backward()

    def hierarchical_step() -> None:
        chosen = tuple(t[targets] for t in paths)  # the target's path only
        loss = -hierarchical_log_prob(hidden=hidden, node_vectors=node_vectors, path_nodes=chosen[0],
                                      path_signs=chosen[1], path_mask=chosen[2]).mean()
        loss.backward()

    def timed(step, share: float) -> float:
        return best_seconds(step, device, repeats=TIMING_REPEATS, after_repeat=lambda: progress.advance(
            both(f"K = {classes}"), units=share * classes / TIMING_REPEATS))

    with torch.no_grad():
        sums = all_class_probabilities(hidden=hidden[:CHECK_ROWS], node_vectors=node_vectors, paths=paths).sum(dim=1)
    return {
        "full_seconds": timed(full_step, FULL_SHARE),
        "hs_seconds": timed(hierarchical_step, 1 - FULL_SHARE),
        "hs_dots": float(depth[targets.cpu().numpy()].mean()),
        "expected_path": float((frequencies * depth).sum()),
        "max_depth": float(depth.max()),
        "prob_sum_error": (sums.double() - 1).abs().max().item(),
        "depth_by_rank": depth,
    }


def class_counts(largest: int) -> list[int]:
    counts = [SMALLEST_CLASSES]
    while counts[-1] * 4 <= largest:
        counts.append(counts[-1] * 4)
    return counts if counts[-1] == largest else [*counts, largest]


@dataclass(frozen=True)
class Measurements:
    params: dict
    counts: list[int]  # the numbers of classes K measured, growing
    by_classes: dict[int, dict[str, float]]  # per K: times, dot products, path lengths, probability check

    @property
    def top(self) -> dict[str, float]:
        """The measurements at the largest K."""
        return self.by_classes[self.counts[-1]]

    @property
    def speedup(self) -> float:
        return self.top["full_seconds"] / self.top["hs_seconds"]

    @property
    def crossover(self) -> int | float:
        """The smallest K from which the hierarchical softmax is faster at every larger K (NaN: never)."""
        faster = [k for k in self.counts if self.by_classes[k]["hs_seconds"] < self.by_classes[k]["full_seconds"]]
        return next((k for k in self.counts if all(c in faster for c in self.counts if c >= k)), math.nan)

    @property
    def prob_error(self) -> float:
        return max(m["prob_sum_error"] for m in self.by_classes.values())


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    counts = class_counts(int(params["max_classes"]))
    # The full softmax's cost grows with K: each K weighs K units.
    progress.plan(sum(counts))
    draws = generator()
    by_classes = {classes: measure_classes(classes=classes, params=params, device=device, draws=draws,
                                           progress=progress) for classes in counts}
    return Measurements(params, counts, by_classes)


def summary(measured: Measurements) -> list[Metric]:
    largest, top = measured.counts[-1], measured.top
    metrics = [
        Metric("full_dots_at_max", T(f"full softmax dot products per example (K = {largest})",
                                     f"完整 softmax 每样本点积数（K = {largest}）"), largest),
        Metric("hs_dots_at_max", T(f"hierarchical dot products per example, this batch (K = {largest})",
                                   f"层次 softmax 每样本点积数，本批（K = {largest}）"), top["hs_dots"]),
        Metric("hs_expected_path_at_max", T("expected path length Σ f_k·depth_k", "期望路径长度 Σ f_k·depth_k"),
               top["expected_path"]),
        Metric("log2_classes_at_max", both("log₂ K"), math.log2(largest)),
        Metric("full_ms_at_max", T("full softmax time per batch (fwd + bwd)", "完整 softmax 每批耗时（前向+反向）"),
               top["full_seconds"] * 1e3, "ms"),
        Metric("hs_ms_at_max", T("hierarchical softmax time per batch (fwd + bwd)",
                                 "层次 softmax 每批耗时（前向+反向）"), top["hs_seconds"] * 1e3, "ms"),
        Metric("speedup_at_max", T("time full / hierarchical at the largest K", "最大 K 时耗时比 完整 / 层次"),
               measured.speedup, "×"),
        Metric("crossover_classes", T("K from which the hierarchical softmax stays faster",
                                      "层次 softmax 持续更快的起始 K"), measured.crossover),
        Metric("prob_sum_max_error", T("max |Σ_k p(k) − 1| over all K", "所有 K 上 |Σ_k p(k) − 1| 的最大值"),
               measured.prob_error),
    ]
    # A hierarchical softmax that never got faster has no crossover K: left out, not shown blank.
    return [metric for metric in metrics if math.isfinite(metric.value)]


def conclude(measured: Measurements) -> Conclusion:
    largest, top, tree = measured.counts[-1], measured.top, measured.params["tree"]
    return Conclusion.join(Conclusion(T(
        f"At K = {largest} the full softmax needs {largest} dot products per example, the {tree} tree "
        f"{top['hs_dots']:.1f} on average (log₂ K = {math.log2(largest):.1f}).",
        f"K = {largest} 时完整 softmax 每个样本需要 {largest} 次点积，{tree} 树平均只要 {top['hs_dots']:.1f} 次"
        f"（log₂ K = {math.log2(largest):.1f}）。")), timing_finding(measured), probability_finding(measured))


def timing_finding(measured: Measurements) -> Conclusion:
    ratio, crossover = measured.speedup, measured.crossover
    hs_ms, full_ms = measured.top["hs_seconds"] * 1e3, measured.top["full_seconds"] * 1e3
    if ratio > 1 and crossover == measured.counts[0]:
        return Conclusion(T(
            f"Measured per batch it was {ratio:.3g}× faster ({hs_ms:.2f} ms vs {full_ms:.2f} ms), and faster "
            f"at every K measured.",
            f"按批实测快 {ratio:.3g} 倍（{hs_ms:.2f} 毫秒对 {full_ms:.2f} 毫秒），在所有测得的 K 上都更快。"),
            {"hierarchical": "faster_at_every_k"})
    if ratio > 1 and isinstance(crossover, int):
        return Conclusion(T(
            f"Measured per batch it was {ratio:.3g}× faster ({hs_ms:.2f} ms vs {full_ms:.2f} ms), and faster "
            f"from K = {crossover} on; below that the one big matrix product of the full softmax beats the "
            f"gathers.",
            f"按批实测快 {ratio:.3g} 倍（{hs_ms:.2f} 毫秒对 {full_ms:.2f} 毫秒），"
            f"从 K = {crossover} 起一直更快；更小的 K 下完整 softmax 的一次大矩阵乘法胜过索引收集。"),
            {"hierarchical": "faster_at_large_k"})
    return Conclusion(T(
        f"Measured per batch it was not faster here ({hs_ms:.2f} ms vs {full_ms:.2f} ms): at this K the "
        f"full softmax's single dense product still beats the gathers; the gap in dot products needs a "
        f"larger K to show in time.",
        f"按批实测这里并不更快（{hs_ms:.2f} 毫秒对 {full_ms:.2f} 毫秒）："
        f"在这个 K 下完整 softmax 的一次稠密乘法仍胜过索引收集；点积数的差距要更大的 K 才能体现在时间上。"),
        {"hierarchical": "not_faster"})


def probability_finding(measured: Measurements) -> Conclusion:
    error = measured.prob_error
    if error < 1e-4:
        return Conclusion(T(f"Summed over all K classes the hierarchical probabilities give 1 within {error:.1e}.",
                            f"层次 softmax 在全部 K 个类别上的概率之和与 1 相差不超过 {error:.1e}。"),
                          {"probabilities_sum_to_one": True})
    return Conclusion(T(f"Summed over all classes the hierarchical probabilities missed 1 by {error:.1e}.",
                        f"层次 softmax 在全部类别上的概率之和与 1 相差 {error:.1e}。"),
                      {"probabilities_sum_to_one": False})


def charts(measured: Measurements) -> list[Chart]:
    counts, by_classes, tree = measured.counts, measured.by_classes, measured.params["tree"]
    classes_axis = T("number of classes K", "类别数 K")
    depth = measured.top["depth_by_rank"]
    ranks = np.unique(np.geomspace(1, len(depth), RANK_POINTS).astype(int))
    return [
        Chart(T("Dot products per example", "每个样本的点积数"), classes_axis, T("dot products", "点积数"),
              [Series(T("full softmax (K)", "完整 softmax（K）"), counts, counts),
               Series(T(f"hierarchical, {tree} tree (batch mean)", f"层次 softmax，{tree} 树（批平均）"), counts,
                      [by_classes[k]["hs_dots"] for k in counts]),
               Series(both("log₂ K"), counts, [math.log2(k) for k in counts])],
              x_scale="log", y_scale="log"),
        Chart(T("Time per training batch (forward + backward)", "每个训练批的耗时（前向 + 反向）"), classes_axis,
              T("milliseconds", "毫秒"),
              [Series(T("full softmax", "完整 softmax"), counts, [by_classes[k]["full_seconds"] * 1e3 for k in counts]),
               Series(T("hierarchical softmax", "层次 softmax"), counts,
                      [by_classes[k]["hs_seconds"] * 1e3 for k in counts])],
              x_scale="log", y_scale="log"),
        Chart(T(f"Path length by class frequency rank (K = {counts[-1]})",
                f"路径长度与类别频率排名（K = {counts[-1]}）"),
              T("class rank (1 = most frequent)", "类别排名（1 = 最常见）"), T("path length", "路径长度"),
              [Series(T(f"{tree} tree", f"{tree} 树"), ranks.tolist(), depth[ranks - 1].tolist())], x_scale="log"),
    ]


SPEC = DemoSpec(
    id="D17",
    title=T("Hierarchical softmax", "层次 softmax"),
    description=T("Full softmax vs hierarchical softmax over a binary (balanced or Huffman) tree: dot products and "
                  "measured time per training batch against the number of classes, and a check that the tree's "
                  "probabilities sum to 1.",
                  "完整 softmax 与基于二叉树（平衡树或 Huffman 树）的层次 softmax：点积数与每个训练批的实测耗时随"
                  "类别数的变化，并检验树上概率之和为 1。"),
    params=(
        ChoiceParam("max_classes", T("largest number of classes K", "最大类别数 K"), "4096",
                    T("K grows ×4 from 16 up to this.", "K 从 16 开始每次 ×4 直到该值。"),
                    choices=("1024", "4096", "16384", "65536")),
        ChoiceParam("tree", T("tree", "树"), "huffman", choices=("huffman", "balanced"),
                    choice_labels={"huffman": T("Huffman (by class frequency)", "Huffman（按类别频率）"),
                                   "balanced": T("balanced binary", "平衡二叉树")}),
        FloatParam("zipf_exponent", T("class-frequency skew s (Zipf)", "类别频率偏斜 s（Zipf）"), 1.0,
                   T("Frequency ∝ 1/rank^s; 0 = all classes equally common.",
                     "频率 ∝ 1/排名^s；0 表示各类别同样常见。"),
                   minimum=0.0, maximum=2.0),
        ChoiceParam("hidden", T("hidden size d", "隐藏维度 d"), "64", choices=("32", "64", "128", "256")),
        IntParam("batch", T("batch size", "批大小"), 256, minimum=16, maximum=1024),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts),
    queue="demos",
)
