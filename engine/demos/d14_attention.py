"""D14 — seq2seq with and without attention: accuracy against input length, and the attention map.

Two encoder–decoder LSTMs are trained side by side on the same batches to reverse (or copy) a
random token sequence. Both use a bidirectional encoder whose final states start the decoder; only
one may also look back at every encoder state through Luong "general" attention,
score(s_t, h_j) = s_tᵀ W h_j. Without attention the whole input has to pass through one fixed-size
vector, so accuracy falls with length; with attention each output step can read the input position
it needs — for reversal, the weights should sit on the anti-diagonal.

Accuracy is per output token with the decoder fed the true previous tokens (teacher forcing). In
this task the previous target tokens are independent random symbols, so they give no hint of the
next one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Heatmap, Metric, Series
from engine.runtime import current_device, generator
from engine.spec import ChoiceParam, DemoSpec, IntParam, Steps
from engine.text import T, training_step

BATCH = 64
EVAL_SEQUENCES = 256
LEARNING_RATE = 0.02
SHORTEST = 2

# Trained accuracies differ a little between CPU and cuDNN kernels; the comparison is loose.
CROSS_DEVICE_METRICS = {
    "accuracy_attention": 0.15,
    "accuracy_plain": 0.25,
    "chance": 1e-9,
}


class Seq2Seq(nn.Module):
    """Bidirectional LSTM encoder, LSTM decoder, optional Luong general attention."""

    def __init__(self, *, vocab: int, hidden: int, attention: bool):
        super().__init__()
        hidden -= hidden % 2  # split evenly between the encoder's two directions
        self.vocab, self.attention = vocab, attention
        self.embed = nn.Embedding(vocab + 1, hidden)  # the extra token starts the decoder
        self.encoder = nn.LSTM(hidden, hidden // 2, batch_first=True, bidirectional=True)
        self.decoder = nn.LSTM(hidden, hidden, batch_first=True)
        self.score = nn.Linear(hidden, hidden, bias=False) if attention else None
        self.out = nn.Linear(2 * hidden if attention else hidden, vocab)

    def forward(self, source: Tensor, decoder_input: Tensor) -> tuple[Tensor, Tensor | None]:
        encoded, (h, c) = self.encoder(self.embed(source))
        # Join the two directions' final states into the decoder's starting state.
        start = (torch.cat([h[0], h[1]], dim=-1)[None], torch.cat([c[0], c[1]], dim=-1)[None])
        decoded, _ = self.decoder(self.embed(decoder_input), start)
        if not self.attention:
            return self.out(decoded), None
        weights = torch.softmax(self.score(decoded) @ encoded.transpose(1, 2), dim=-1)  # (batch, out, in)
        return self.out(torch.cat([decoded, weights @ encoded], dim=-1)), weights


def make_batch(*, count: int, length: int, vocab: int, task: str, generator: torch.Generator,
               device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """(source, decoder input, target); drawn on the CPU so every device sees the same tokens."""
    source = torch.randint(0, vocab, (count, length), generator=generator)
    target = source.flip(1) if task == "reverse" else source
    decoder_input = torch.cat([torch.full((count, 1), vocab), target[:, :-1]], dim=1)
    return source.to(device), decoder_input.to(device), target.to(device)


def expected_position(*, step: int, length: int, task: str) -> int:
    """The input position output `step` must read: the mirror image for reversal, itself for copying."""
    return length - 1 - step if task == "reverse" else step


WHERE = {"reverse": T("anti-diagonal", "反对角线"), "copy": T("diagonal", "对角线")}  # where attention should sit


@dataclass(frozen=True)
class Measurements:
    params: dict
    lengths: list[int]
    accuracy: dict[bool, list[float]]  # keyed by "with attention", per input length
    target_mass: float  # at the longest length: share of attention on the input token each step must produce
    example_weights: list[list[float]]  # one sequence of the longest length: output step × input position
    example_source: list[int]

    @property
    def chance(self) -> float:
        return 1 / self.params["vocab"]


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    progress.plan(params["steps"] + params["max_length"] - SHORTEST + 1)
    models = train_pair(params=params, device=device, progress=progress)
    return evaluate(models=models, params=params, device=device, progress=progress)


def train_pair(*, params: dict, device: torch.device, progress: Progress) -> dict[bool, Seq2Seq]:
    """Both models on the same batches, one random length per batch. One Adam step updates both: they share no
    parameter and Adam is element-wise, so each trains as it would alone, at half the per-step overhead."""
    models = {attention: Seq2Seq(vocab=params["vocab"], hidden=params["hidden"], attention=attention).to(device)
              for attention in (False, True)}
    parameters = [parameter for model in models.values() for parameter in model.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=LEARNING_RATE, fused=True)  # one kernel per step
    draws = generator()
    for step in range(1, params["steps"] + 1):
        length = int(torch.randint(SHORTEST, params["max_length"] + 1, (1,), generator=draws))
        source, decoder_input, target = make_batch(count=BATCH, length=length, vocab=params["vocab"],
                                                   task=params["task"], generator=draws, device=device)
        losses = [F.cross_entropy(model(source, decoder_input)[0].reshape(-1, params["vocab"]), target.reshape(-1))
                  for model in models.values()]
        optimizer.zero_grad()
        sum(losses).backward()
        optimizer.step()
        progress.advance(training_step(step))
    return models


def evaluate(*, models: dict[bool, Seq2Seq], params: dict, device: torch.device, progress: Progress) -> Measurements:
    """Per-token accuracy per length for both models, and where attention looks at the longest length."""
    draws = generator(stream=1)
    lengths = list(range(SHORTEST, params["max_length"] + 1))
    accuracy: dict[bool, list[float]] = {False: [], True: []}
    with torch.no_grad():
        for length in lengths:
            source, decoder_input, target = make_batch(count=EVAL_SEQUENCES, length=length, vocab=params["vocab"],
                                                       task=params["task"], generator=draws, device=device)
            for key, model in models.items():
                logits, weights = model(source, decoder_input)
                accuracy[key].append(float((logits.argmax(-1) == target).float().mean()))
            progress.advance(T(f"evaluating length {length}", f"评估长度 {length}"))
    longest = params["max_length"]
    wanted = torch.tensor([expected_position(step=t, length=longest, task=params["task"]) for t in range(longest)],
                          device=device)
    # `weights` and `source` are from the longest length, the loop's last pass.
    on_target = weights.gather(2, wanted.view(1, -1, 1).expand(weights.shape[0], -1, 1))
    return Measurements(params, lengths, accuracy, target_mass=float(on_target.mean()),
                        example_weights=weights[0].cpu().tolist(), example_source=source[0].cpu().tolist())


def summary(measured: Measurements) -> list[Metric]:
    longest, accuracy, where = measured.params["max_length"], measured.accuracy, WHERE[measured.params["task"]]
    return [
        Metric("accuracy_plain", T(f"no attention: accuracy at length {longest}", f"无注意力：长度 {longest} 的准确率"),
               accuracy[False][-1]),
        Metric("accuracy_attention", T(f"attention: accuracy at length {longest}", f"注意力：长度 {longest} 的准确率"),
               accuracy[True][-1]),
        Metric("accuracy_gap", T("attention − no attention, longest length", "注意力 − 无注意力（最长长度）"),
               accuracy[True][-1] - accuracy[False][-1]),
        Metric("target_mass", T(f"attention mass on the {where['en']}", f"注意力落在{where['zh']}上的比例"),
               measured.target_mass),
        Metric("chance", T("chance accuracy (1 / vocabulary)", "随机准确率（1 / 词表大小）"), measured.chance),
    ]


def conclude(measured: Measurements) -> Conclusion:
    return Conclusion.join(length_finding(measured), attention_finding(measured))


def length_finding(measured: Measurements) -> Conclusion:
    plain, attended = measured.accuracy[False], measured.accuracy[True]
    longest, steps = measured.params["max_length"], measured.params["steps"]
    if attended[-1] - plain[-1] >= 0.1:
        return Conclusion(T(
            f"Without attention per-token accuracy fell from {plain[0]:.0%} at length {SHORTEST} to "
            f"{plain[-1]:.0%} at length {longest}: the whole input must squeeze through one vector. With "
            f"attention it was still {attended[-1]:.0%}.",
            f"没有注意力时，逐词准确率从长度 {SHORTEST} 的 {plain[0]:.0%} 降到长度 {longest} 的 {plain[-1]:.0%}："
            f"整个输入必须挤进一个向量。有注意力时仍有 {attended[-1]:.0%}。"), {"longest_input": "attention_kept_up"})
    if min(attended[-1], plain[-1]) >= 0.9:
        return Conclusion(T(
            f"Both models handled length {longest} ({plain[-1]:.0%} without attention, {attended[-1]:.0%} "
            f"with): the fixed vector was big enough here — try longer sequences or fewer hidden units.",
            f"两个模型都处理了长度 {longest}（无注意力 {plain[-1]:.0%}，有注意力 {attended[-1]:.0%}）："
            f"这里固定向量足够大——试试更长的序列或更少的隐藏单元。"), {"longest_input": "both_handled"})
    return Conclusion(T(
        f"Neither model learned length {longest} well in {steps} steps ({plain[-1]:.0%} without "
        f"attention, {attended[-1]:.0%} with; chance is {measured.chance:.0%}) — train longer.",
        f"{steps} 步内两个模型都没学好长度 {longest}（无注意力 {plain[-1]:.0%}，"
        f"有注意力 {attended[-1]:.0%}；随机为 {measured.chance:.0%}）——需要更多训练。"),
        {"longest_input": "neither_learned"})


def attention_finding(measured: Measurements) -> Conclusion:
    mass, where, uniform = measured.target_mass, WHERE[measured.params["task"]], 1 / measured.params["max_length"]
    if mass >= 0.5:
        return Conclusion(T(
            f"The attention weights put {mass:.0%} of their mass on the {where['en']}: each output step "
            f"reads the input token it has to produce.",
            f"注意力权重有 {mass:.0%} 落在{where['zh']}上：每个输出步读取它要输出的那个输入词。"),
            {"attention": "on_target"})
    return Conclusion(T(
        f"The attention weights were diffuse: only {mass:.0%} of their mass fell on the {where['en']} "
        f"(uniform would give {uniform:.0%}).",
        f"注意力权重较分散：只有 {mass:.0%} 落在{where['zh']}上（均匀分布为 {uniform:.0%}）。"),
        {"attention": "diffuse"})


def charts(measured: Measurements) -> list[Chart]:
    lengths, accuracy = measured.lengths, measured.accuracy
    return [Chart(title=T("Per-token accuracy against input length", "逐词准确率随输入长度变化"),
                  x_label=T("input length", "输入长度"), y_label=T("per-token accuracy", "逐词准确率"),
                  series=[Series(T("seq2seq, no attention", "seq2seq，无注意力"), lengths, accuracy[False]),
                          Series(T("seq2seq + attention", "seq2seq + 注意力"), lengths, accuracy[True]),
                          Series(T("chance", "随机猜测"), lengths, [measured.chance] * len(lengths))])]


def heatmaps(measured: Measurements) -> list[Heatmap]:
    source, longest = measured.example_source, measured.params["max_length"]
    produced = source[::-1] if measured.params["task"] == "reverse" else source
    return [Heatmap(title=T(f"Attention weights, one sequence of length {longest}",
                            f"注意力权重（一条长度为 {longest} 的序列）"),
                    x_label=T("input position (token)", "输入位置（词）"),
                    y_label=T("output step (token)", "输出步（词）"),
                    x_ticks=[f"{j + 1}:{token}" for j, token in enumerate(source)],
                    y_ticks=[f"{t + 1}:{token}" for t, token in enumerate(produced)],
                    values=measured.example_weights)]


SPEC = DemoSpec(
    id="D14",
    title=T("Attention in seq2seq", "Seq2Seq 中的注意力"),
    description=T("Trains two encoder–decoder LSTMs, with and without attention, to reverse or copy token sequences, "
                  "and shows accuracy against input length and where the attention looks.",
                  "训练有无注意力的两个编码器–解码器 LSTM 来反转或复制词序列，"
                  "展示准确率随输入长度的变化以及注意力关注的位置。"),
    params=(
        ChoiceParam("task", T("task", "任务"), "reverse", choices=("reverse", "copy"),
                    choice_labels={"reverse": T("reverse the sequence", "反转序列"),
                                   "copy": T("copy the sequence", "复制序列")}),
        IntParam("max_length", T("longest input length", "最长输入长度"), 12, minimum=4, maximum=24),
        IntParam("vocab", T("vocabulary size", "词表大小"), 8, minimum=2, maximum=32),
        IntParam("hidden", T("hidden units (even)", "隐藏单元数（偶数）"), 32, minimum=8, maximum=64,
                 help=T("the encoder uses half per direction; odd values are rounded down",
                        "编码器每个方向用一半；奇数向下取整")),
        IntParam("steps", T("training steps (batch 64)", "训练步数（批大小 64）"), 150, minimum=50, maximum=1000),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, heatmaps=heatmaps),
    queue="demos",
    flush_denormal=True,  # recurrent gradients that vanish reach denormal floats (DemoSpec says why)
)
