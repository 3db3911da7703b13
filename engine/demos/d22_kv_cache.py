"""D22 — the KV cache: what one decoded token costs with and without it, as the sequence grows.

A decoder-only transformer generates one token at a time, and each new token attends to every earlier
one. Without a cache, producing token p+1 reruns the whole stack on all p tokens so far: the work per
token grows with p (and attention's part with p²). The keys and values of earlier tokens never change,
though (causal attention), so a cache keeps them: each new token then runs the stack on itself alone and
reads the cached keys and values, and its cost grows only with the attention read, a small part at these
sizes. The price is memory: 2 × layers × p × d_model numbers per sequence.

The demo builds a small real decoder (pre-norm blocks of multi-head causal self-attention and an MLP,
random weights), checks that cached decoding gives the same logits and tokens as recomputing, and times
one token's step at growing positions both ways (engine.timing; the fastest of several blocks, taken in
rounds that interleave every position and way). The verdict
rests on the growth between the shortest and the longest position, a ratio of two timings taken the
same way, not on any one absolute time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device
from engine.spec import ChoiceParam, DemoSpec, IntParam, Steps
from engine.text import T
from engine.timing import best_seconds

VOCAB = 64
HEADS = 4
SHORTEST = 8
BLOCK_SECONDS = 0.002  # each timed block repeats one step until it lasts about this long: short, so that some
ROUNDS = 5  # of the ROUNDS blocks fit between other processes' turns on a busy CPU; the fastest counts
WAYS = ("no_cache", "cache")
GROWS = 2.0  # a step this many times dearer at the longest position than at the shortest "grows"

Cache = list[tuple[Tensor, Tensor]]  # per layer: keys and values, (batch, heads, positions, head size)

# Wall-clock numbers: they differ from run to run.
TIMING_METRICS = frozenset({"ms_no_cache_longest", "ms_cache_longest", "growth_no_cache", "growth_cache",
                            "speedup_longest"})

CROSS_DEVICE_METRICS = {
    "cache_kib": 0.0,
    "tokens_agree": 0.0,
}


class Block(nn.Module):
    """Pre-norm: x + attention(norm(x)), then x + MLP(norm(x)); attention reads past keys and values too."""

    def __init__(self, width: int):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x: Tensor, past: tuple[Tensor, Tensor] | None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        batch, new, width = x.shape
        q, k, v = (part.view(batch, new, HEADS, width // HEADS).transpose(1, 2)
                   for part in self.qkv(self.norm1(x)).chunk(3, dim=-1))
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        # The new tokens sit at the end: token i of them may see every cached position and new ones up to i (one new
        # token sees them all: no mask to build, as a decoder's cached step does).
        seen = None if new == 1 else \
            torch.ones(new, k.shape[2], dtype=torch.bool, device=x.device).tril(diagonal=k.shape[2] - new)
        attended = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=seen)
        x = x + self.proj(attended.transpose(1, 2).reshape(batch, new, width))
        return x + self.mlp(self.norm2(x)), (k, v)


class Decoder(nn.Module):
    def __init__(self, *, width: int, layers: int, longest: int):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, width)
        self.position = nn.Embedding(longest, width)
        self.blocks = nn.ModuleList(Block(width) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, VOCAB)

    def forward(self, tokens: Tensor, cache: Cache | None = None) -> tuple[Tensor, Cache]:
        """Logits for `tokens` (batch, new), which follow the cached positions; and the cache extended by them."""
        start = cache[0][0].shape[2] if cache else 0
        positions = torch.arange(start, start + tokens.shape[1], device=tokens.device)
        x = self.embed(tokens) + self.position(positions)
        extended = []
        for index, block in enumerate(self.blocks):
            x, kept = block(x, cache[index] if cache else None)
            extended.append(kept)
        return self.head(self.norm(x)), extended


def generate_cached(model: Decoder, prompt: Tensor, steps: int,
                    after_step: Callable[[], None] = lambda: None) -> tuple[Tensor, Tensor]:
    """Greedy decoding with the cache: the tokens, and the logits each step chose from."""
    tokens, chosen_from = prompt, []
    logits, cache = model(prompt)
    for _ in range(steps):
        after_step()
        chosen_from.append(logits[:, -1])
        following = logits[:, -1].argmax(-1, keepdim=True)
        tokens = torch.cat([tokens, following], dim=1)
        logits, cache = model(following, cache)
    return tokens, torch.stack(chosen_from, dim=1)


def positions_up_to(longest: int) -> list[int]:
    positions = [SHORTEST]
    while positions[-1] * 2 <= longest:
        positions.append(positions[-1] * 2)
    if positions[-1] != longest:
        positions.append(longest)
    return positions


def block_plan(call, device: torch.device) -> tuple[int, int]:
    """(calls per timed block, blocks per round) for one step, after one untimed call: blocks of about
    BLOCK_SECONDS, and three of them a round for steps that fast, the ones a disturbance distorts most."""
    single = best_seconds(call, device, repeats=1)
    calls = max(1, min(200, math.ceil(BLOCK_SECONDS / max(single, 1e-9))))
    return calls, 3 if single < BLOCK_SECONDS else 1


@dataclass(frozen=True)
class Measurements:
    params: dict
    positions: list[int]
    seconds: dict[str, list[float]]  # per way ("no_cache", "cache"): one step's time at each position
    tokens_agree: bool
    max_logit_difference: float
    cache_bytes: int  # at the longest position, one sequence

    def growth(self, way: str) -> float:
        return self.seconds[way][-1] / self.seconds[way][0]

    @property
    def speedup(self) -> float:
        return self.seconds["no_cache"][-1] / self.seconds["cache"][-1]


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    longest, positions = params["length"], positions_up_to(params["length"])
    timed = 2 * len(positions)  # steps to time: each position, each way
    progress.plan(timed * (1 + ROUNDS))  # decoding the sequence counts about as much as one round of timing
    with torch.no_grad():
        model = Decoder(width=int(params["width"]), layers=params["layers"], longest=longest).to(device).eval()
        prompt = torch.randint(0, VOCAB, (1, 1)).to(device)
        sequence, stepped = generate_cached(
            model, prompt, longest - 1,
            after_step=lambda: progress.advance(T("decoding the sequence", "解码序列"), units=timed / (longest - 1)))
        # A causal stack's logits at position p depend only on tokens up to p: one pass over the whole sequence
        # gives, at every position, exactly what recomputing the prefix at that step gives.
        recomputed, full_cache = model(sequence)
        steps = {}
        for position in positions:
            prefix = sequence[:, :position]
            _, cache = model(prefix[:, :-1])
            steps[("no_cache", position)] = lambda prefix=prefix: model(prefix)
            steps[("cache", position)] = lambda last=prefix[:, -1:], cache=cache: model(last, cache)
        seconds = time_in_rounds(steps, device, progress)
    return Measurements(
        params, positions, {way: [seconds[(way, position)] for position in positions] for way in WAYS},
        tokens_agree=bool(torch.equal(recomputed[:, :-1].argmax(-1), sequence[:, 1:])),
        max_logit_difference=float((recomputed[:, :-1] - stepped).abs().max()),
        cache_bytes=sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in full_cache))


def time_in_rounds(steps: dict, device: torch.device, progress: Progress) -> dict:
    """Seconds per call of every step, the fastest of ROUNDS blocks. The rounds interleave all the steps, so a
    stretch when other processes took the CPU slows one block of each rather than every block of one."""
    plans = {key: block_plan(step, device) for key, step in steps.items()}
    fastest = dict.fromkeys(steps, math.inf)
    for round_number in range(ROUNDS):
        for key, step in steps.items():
            calls, blocks = plans[key]
            fastest[key] = min(fastest[key], best_seconds(step, device, repeats=blocks, calls_per_repeat=calls,
                                                          warmup=0))
            progress.advance(T(f"timing, round {round_number + 1}/{ROUNDS}",
                               f"计时，第 {round_number + 1}/{ROUNDS} 轮"))
    return fastest


def summary(measured: Measurements) -> list[Metric]:
    longest = measured.positions[-1]
    return [
        Metric("ms_no_cache_longest", T(f"one token at position {longest}, recomputing",
                                        f"位置 {longest} 的一个词元（重新计算）"),
               measured.seconds["no_cache"][-1] * 1e3, "ms"),
        Metric("ms_cache_longest", T(f"one token at position {longest}, with the cache",
                                     f"位置 {longest} 的一个词元（使用缓存）"),
               measured.seconds["cache"][-1] * 1e3, "ms"),
        Metric("speedup_longest", T(f"speed-up at position {longest}", f"位置 {longest} 的加速比"),
               measured.speedup, "×"),
        Metric("growth_no_cache", T(f"step cost, position {longest} ÷ {SHORTEST}, recomputing",
                                    f"单步开销：位置 {longest} ÷ {SHORTEST}（重新计算）"),
               measured.growth("no_cache"), "×"),
        Metric("growth_cache", T(f"step cost, position {longest} ÷ {SHORTEST}, with the cache",
                                 f"单步开销：位置 {longest} ÷ {SHORTEST}（使用缓存）"),
               measured.growth("cache"), "×"),
        Metric("cache_kib", T(f"cache size at position {longest}", f"位置 {longest} 的缓存大小"),
               measured.cache_bytes / 1024, "KiB"),
        Metric("tokens_agree", T("same tokens both ways (1 = yes)", "两种方式生成的词元相同（1 = 是）"),
               float(measured.tokens_agree)),
        Metric("max_logit_difference", T("largest logit difference between the ways", "两种方式的最大 logit 差"),
               measured.max_logit_difference),
    ]


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(agreement_finding(measured), growth_finding(measured))


def agreement_finding(measured: Measurements) -> Conclusion:
    if measured.tokens_agree:
        return Conclusion(T(
            f"Both ways chose the same token at all {measured.positions[-1] - 1} steps (logits within "
            f"{measured.max_logit_difference:.1e}): the cache changes the cost, not the result.",
            f"两种方式在全部 {measured.positions[-1] - 1} 步都选出了相同的词元（logit 相差不超过 "
            f"{measured.max_logit_difference:.1e}）：缓存改变的是开销，而不是结果。"),
            {"same_tokens": True})
    return Conclusion(T(
        f"The two ways' tokens differed (logits up to {measured.max_logit_difference:.1e} apart): rounding in a "
        f"different order tipped a near tie in the greedy choice.",
        f"两种方式生成的词元不同（logit 最多相差 {measured.max_logit_difference:.1e}）："
        f"不同顺序的舍入让贪心选择中接近平局的一步翻转了。"),
        {"same_tokens": False})


def growth_finding(measured: Measurements) -> Conclusion:
    shortest, longest = measured.positions[0], measured.positions[-1]
    plain, cached = measured.growth("no_cache"), measured.growth("cache")
    times = T(f"From position {shortest} to {longest} one token's step grew {plain:.1f}× recomputing the prefix "
              f"and {cached:.1f}× with the cache",
              f"从位置 {shortest} 到 {longest}，一个词元的单步开销：重新计算前缀时增长 {plain:.1f} 倍，"
              f"使用缓存时增长 {cached:.1f} 倍")
    if plain >= GROWS and plain >= GROWS * cached:
        return Conclusion(T(
            times["en"] + f"; at position {longest} the cache made the step {measured.speedup:.1f}× faster. "
            f"Without it every token reruns the stack on the whole prefix; with it each token runs on itself "
            f"alone and reads the stored keys and values, {measured.cache_bytes / 1024:.0f} KiB here.",
            times["zh"] + f"；在位置 {longest}，缓存让单步快了 {measured.speedup:.1f} 倍。没有缓存时每个词元都要"
            f"在整个前缀上重跑整个网络；有缓存时每个词元只计算自己，并读取存下的键和值（这里为 "
            f"{measured.cache_bytes / 1024:.0f} KiB）。"),
            {"step_cost": "grows_without_cache"})
    if plain < GROWS:
        return Conclusion(T(
            times["en"] + f": at {longest} tokens fixed per-call costs still outweigh the work on the prefix, so the "
            f"cache hardly shows. Try longer sequences.",
            times["zh"] + f"：{longest} 个词元时，每次调用的固定开销仍大于前缀上的计算，所以缓存的作用不明显。"
            f"试试更长的序列。"),
            {"step_cost": "both_flat"})
    return Conclusion(T(
        times["en"] + ": the cached step grew almost as fast, so the attention read over the cache dominates here.",
        times["zh"] + "：使用缓存的单步开销增长得几乎一样快，说明这里读取缓存的注意力计算占了主导。"),
        {"step_cost": "both_grow"})


def charts(measured: Measurements) -> list[Chart]:
    return [Chart(T("Time for one decoded token against its position", "解码一个词元的时间随位置变化"),
                  T("position (tokens so far)", "位置（已有词元数）"), T("ms per token", "每个词元的毫秒数"),
                  [Series(T("recomputing the prefix", "重新计算前缀"), measured.positions,
                          [s * 1e3 for s in measured.seconds["no_cache"]]),
                   Series(T("with the KV cache", "使用 KV 缓存"), measured.positions,
                          [s * 1e3 for s in measured.seconds["cache"]])],
                  x_scale="log", y_scale="log")]


def tables(measured: Measurements) -> list[Table]:
    per_position = measured.cache_bytes / measured.positions[-1]
    return [Table(T("Per position", "各位置"),
                  [T("position", "位置"), T("recomputing (ms)", "重新计算（毫秒）"),
                   T("with the cache (ms)", "使用缓存（毫秒）"), T("speed-up", "加速比"),
                   T("cache size (KiB)", "缓存大小（KiB）")],
                  [[position, plain * 1e3, cached * 1e3, plain / cached, per_position * position / 1024]
                   for position, plain, cached in zip(measured.positions, measured.seconds["no_cache"],
                                                      measured.seconds["cache"], strict=True)])]


SPEC = DemoSpec(
    id="D22",
    title=T("The KV cache", "KV 缓存"),
    description=T("Decodes with a small transformer, recomputing the whole prefix for every token or keeping the "
                  "keys and values in a cache, and times one token's step as the sequence grows.",
                  "用一个小型 Transformer 解码：每个词元都重新计算整个前缀，或把键和值存进缓存；"
                  "测量随着序列变长，解码一个词元所需的时间。"),
    params=(
        IntParam("length", T("sequence length", "序列长度"), 512, minimum=16, maximum=1024),
        IntParam("layers", T("decoder blocks", "解码器层数"), 2, minimum=1, maximum=4),
        ChoiceParam("width", T("model width d_model", "模型宽度 d_model"), "128", choices=("32", "64", "128")),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
    flush_denormal=True,  # gradients that vanish reach denormal floats (DemoSpec says why)
)
