"""D10 — RNN vs LSTM vs GRU on a long-range task, the gradient that reaches early steps, parameter counts.

Task (first-token recall): the first input is +1 or −1 (with a marker channel set), then come T−1
steps of Gaussian noise; after the last step the network must say the first sign. Everything it
needs is T steps back, so the task measures memory and nothing else. Each model is trained with
Adam and gradient clipping until it solves the batches or runs out of steps, then scored on fresh
sequences (chance is 50%).

Gated models use chrono initialisation (Tallec & Ollivier, 2018): forget/update-gate biases
log U(1, T−1), so at the start they keep state for about the task's length; a plain RNN has no gate
to initialise, which is the point. ∂L/∂h_t is measured at initialisation by unrolling the very same
weights cell by cell and keeping each step's gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series, Table
from engine.runtime import current_device, generator
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both

KINDS = ("rnn", "lstm", "gru")
NAMES = {"rnn": T("plain RNN (tanh)", "普通 RNN(tanh)"), "lstm": both("LSTM"), "gru": both("GRU")}
INPUTS = 2  # value channel + "this is the first step" marker
BATCH = 128
EVAL_SEQUENCES = 1024
LEARNING_RATE = 0.02
CLIP_NORM = 1.0
SOLVED = 0.9  # test accuracy that counts as solved (chance is 0.5)
SHORTEST = 5

# Parameter counts are exact; accuracies come from training (cuDNN and CPU kernels round
# differently) so they get a loose tolerance; initial gradients use the same weights on both.
CROSS_DEVICE_METRICS = {
    "params_rnn": 1e-9,
    "params_lstm": 1e-9,
    "params_gru": 1e-9,
    "lstm_to_rnn_params": 1e-9,
    "gru_to_rnn_params": 1e-9,
    "accuracy_lstm": 0.15,
    "accuracy_gru": 0.15,
    "accuracy_rnn": 0.3,
    "grad_ratio_rnn": 0.05,
    "grad_ratio_lstm": 0.05,
}


class Recurrent(nn.Module):
    """One recurrent layer and a linear read-out of the last hidden state."""

    def __init__(self, *, kind: str, hidden: int):
        super().__init__()
        layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
        self.kind = kind
        self.recurrent = layer(INPUTS, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, inputs: Tensor) -> Tensor:
        outputs, _ = self.recurrent(inputs)
        return self.head(outputs[:, -1]).squeeze(-1)


def chrono_init_(model: Recurrent, *, max_length: int) -> None:
    """Gate biases so that state is kept for ~U(1, T−1) steps (PyTorch gate order: LSTM i,f,g,o; GRU r,z,n)."""
    if model.kind == "rnn":
        return
    hidden = model.recurrent.hidden_size
    keep = torch.log(torch.empty(hidden).uniform_(1.0, max(2.0, max_length - 1.0)))
    forget = slice(hidden, 2 * hidden)  # LSTM forget gate; GRU update gate z (z → 1 keeps h)
    with torch.no_grad():
        model.recurrent.bias_ih_l0[forget] = keep
        model.recurrent.bias_hh_l0[forget] = 0.0
        if model.kind == "lstm":
            model.recurrent.bias_ih_l0[:hidden] = -keep  # input gate mostly closed to start with
            model.recurrent.bias_hh_l0[:hidden] = 0.0


def make_model(*, kind: str, hidden: int, max_length: int, device: torch.device) -> Recurrent:
    """Built and initialised on the CPU, from the global RNG that `execute` seeds (the layers' own init draws
    from nothing else), so every device starts from the same weights."""
    model = Recurrent(kind=kind, hidden=hidden)
    chrono_init_(model, max_length=max_length)
    return model.to(device)


def parameter_count(*, kind: str, hidden: int, inputs: int = INPUTS) -> int:
    """Weights and biases of one real recurrent layer (PyTorch keeps two bias vectors per gate)."""
    layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](inputs, hidden, device="meta")
    return sum(p.numel() for p in layer.parameters())


def recall_batch(*, count: int, length: int, noise: float, generator: torch.Generator,
                 device: torch.device) -> tuple[Tensor, Tensor]:
    """Sequences whose label is the sign of the first value; drawn on the CPU so devices agree."""
    signs = torch.randint(0, 2, (count,), generator=generator).float()
    inputs = torch.zeros(count, length, INPUTS)
    inputs[:, :, 0] = torch.randn(count, length, generator=generator) * noise
    inputs[:, 0, 0] = signs * 2 - 1
    inputs[:, 0, 1] = 1.0
    return inputs.to(device), signs.to(device)


def accuracy(model: Recurrent, inputs: Tensor, labels: Tensor) -> float:
    with torch.no_grad():
        return float(((model(inputs) > 0).float() == labels).float().mean())


def train_model(model: Recurrent, *, length: int, noise: float, steps: int, generator: torch.Generator,
                device: torch.device, progress: Progress) -> dict:
    """Adam + clipping until three batches in a row are ≥99% right, or `steps` run out.

    Progress counts steps × length: a step's cost grows with the sequence.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, fused=True)  # one kernel per step
    streak, used = 0, steps
    for step in range(1, steps + 1):
        inputs, labels = recall_batch(count=BATCH, length=length, noise=noise, generator=generator, device=device)
        logits = model(inputs)
        streak = streak + 1 if float(((logits > 0).float() == labels).float().mean()) >= 0.99 else 0
        progress.advance(T(f"{model.kind}, T={length}, step {step}", f"{model.kind}，T={length}，第 {step} 步"),
                         units=length)
        if streak == 3:  # stop with the weights that just passed, before another update can disturb them
            used = step
            break
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
        optimizer.step()
    inputs, labels = recall_batch(count=EVAL_SEQUENCES, length=length, noise=noise, generator=generator,
                                  device=device)
    return {"accuracy": accuracy(model, inputs, labels), "steps": used, "solved_early": used < steps}


def _cell_for(model: Recurrent) -> nn.Module:
    """A step-by-step cell sharing the layer's weights (same values, same device)."""
    layer = model.recurrent
    cell_type = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}[model.kind]
    cell = cell_type(layer.input_size, layer.hidden_size).to(layer.weight_ih_l0.device)
    cell.load_state_dict({name.removesuffix("_l0"): value for name, value in layer.state_dict().items()})
    return cell


def hidden_state_gradients(model: Recurrent, inputs: Tensor, labels: Tensor) -> list[float]:
    """Mean over the batch of ‖∂L/∂h_t‖ for t = 1…T, the loss read from h_T only."""
    cell = _cell_for(model)
    count, hidden = inputs.shape[0], model.recurrent.hidden_size
    h = inputs.new_zeros(count, hidden)
    c = inputs.new_zeros(count, hidden)
    states = []
    for t in range(inputs.shape[1]):
        if model.kind == "lstm":
            h, c = cell(inputs[:, t], (h, c))
        else:
            h = cell(inputs[:, t], h)
        h.retain_grad()
        states.append(h)
    loss = F.binary_cross_entropy_with_logits(model.head(h).squeeze(-1), labels)
    loss.backward()
    return [float(state.grad.norm(dim=1).mean()) for state in states]


def sequence_lengths(*, longest: int, points: int) -> list[int]:
    """`points` lengths spread geometrically from 5 to `longest` (duplicates dropped)."""
    if points == 1 or longest <= SHORTEST:
        return [longest]
    ratio = (longest / SHORTEST) ** (1 / (points - 1))
    return sorted({round(SHORTEST * ratio ** i) for i in range(points - 1)} | {longest})


def train_all(*, params: dict, lengths: list[int], device: torch.device, progress: Progress) -> dict:
    """accuracy and steps per (kind, length); every kind sees the very same batches at a length.

    A model that stops early takes its unused steps out of the plan, so the bar moves on instead of jumping.
    """
    progress.plan(len(KINDS) * params["steps"] * sum(lengths))
    results: dict[str, dict[int, dict]] = {kind: {} for kind in KINDS}
    # Longest first and gated models (which tend to stop early) first: shrinking the plan early moves the bar least.
    order = [(length, kind) for length in sorted(lengths, reverse=True) for kind in ("lstm", "gru", "rnn")]
    for length, kind in order:
        model = make_model(kind=kind, hidden=params["hidden"], max_length=params["length"], device=device)
        outcome = train_model(model, length=length, noise=params["noise"], steps=params["steps"],
                              generator=generator(stream=length), device=device, progress=progress)
        results[kind][length] = outcome
        if (length, kind) != order[-1]:  # after the last model `execute` closes the bar
            progress.drop((params["steps"] - outcome["steps"]) * length,
                          T(f"{kind} done at T={length}", f"{kind} 在 T={length} 完成"))
    return results


def gradients_at_init(*, params: dict, device: torch.device) -> dict[str, list[float]]:
    inputs, labels = recall_batch(count=BATCH, length=params["length"], noise=params["noise"], generator=generator(),
                                  device=device)
    return {kind: hidden_state_gradients(make_model(kind=kind, hidden=params["hidden"], max_length=params["length"],
                                                    device=device), inputs, labels) for kind in KINDS}


def longest_solved(results: dict[int, dict]) -> int:
    solved = [length for length, outcome in results.items() if outcome["accuracy"] >= SOLVED]
    return max(solved, default=0)


@dataclass(frozen=True)
class Measurements:
    params: dict
    lengths: list[int]
    results: dict[str, dict[int, dict]]  # per kind, per length: train_model's outcome
    gradients: dict[str, list[float]]  # per kind: mean ‖∂L/∂h_t‖ at initialisation, t = 1…T
    counts: dict[str, int]  # per kind: parameters of one layer

    @property
    def grad_ratio(self) -> dict[str, float]:
        """‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ per kind: how much of the gradient reaches the first step."""
        return {kind: self.gradients[kind][0] / self.gradients[kind][-1] for kind in KINDS}

    def at_longest(self, kind: str) -> dict:
        return self.results[kind][self.params["length"]]


def measure(params: dict, progress: Progress) -> Measurements:
    device = current_device()
    lengths = sequence_lengths(longest=params["length"], points=params["lengths"])
    progress.note(T("gradients at initialisation", "初始化时的梯度"))
    gradients = gradients_at_init(params=params, device=device)
    results = train_all(params=params, lengths=lengths, device=device, progress=progress)
    counts = {kind: parameter_count(kind=kind, hidden=params["hidden"]) for kind in KINDS}
    return Measurements(params, lengths, results, gradients, counts)


def summary(measured: Measurements) -> list[Metric]:
    longest, counts, grad_ratio = measured.params["length"], measured.counts, measured.grad_ratio
    metrics = [Metric(f"accuracy_{kind}", T(f"{NAMES[kind]['en']} test accuracy at T={longest}",
                                            f"{NAMES[kind]['zh']} 在 T={longest} 的测试准确率"),
                      measured.at_longest(kind)["accuracy"]) for kind in KINDS]
    metrics += [Metric(f"longest_solved_{kind}", T(f"{NAMES[kind]['en']}: longest T solved (≥{SOLVED:.0%})",
                                                   f"{NAMES[kind]['zh']}：解决的最长 T(≥{SOLVED:.0%})"),
                       longest_solved(measured.results[kind])) for kind in KINDS]
    metrics += [Metric(f"grad_ratio_{kind}", T(f"{NAMES[kind]['en']}: ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ at init",
                                               f"{NAMES[kind]['zh']}：初始化时 ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖"),
                       grad_ratio[kind]) for kind in KINDS]
    metrics += [Metric(f"params_{kind}", T(f"{NAMES[kind]['en']} parameters per layer",
                                           f"{NAMES[kind]['zh']} 每层参数"), counts[kind]) for kind in KINDS]
    metrics += [Metric("lstm_to_rnn_params", T("LSTM / RNN parameters", "LSTM / RNN 参数比"),
                       counts["lstm"] / counts["rnn"], "×"),
                Metric("gru_to_rnn_params", T("GRU / RNN parameters", "GRU / RNN 参数比"),
                       counts["gru"] / counts["rnn"], "×")]
    return metrics


def _ratio_text(value: float) -> dict[str, str]:
    if value == 0:
        return T("0 (it underflowed float32)", "0（已下溢出 float32 范围）")
    return both(f"{value:.1e}")


def conclude(measured: Measurements) -> Conclusion:
    ratio = {kind: _ratio_text(measured.grad_ratio[kind]) for kind in KINDS}
    counts = measured.counts
    gradients = T(f"At initialisation ‖∂L/∂h_1‖/‖∂L/∂h_T‖ was {ratio['rnn']['en']} for the RNN against "
                  f"{ratio['lstm']['en']} for the LSTM and {ratio['gru']['en']} for the GRU.",
                  f"初始化时 ‖∂L/∂h_1‖/‖∂L/∂h_T‖：RNN 为 {ratio['rnn']['zh']}，LSTM 为 {ratio['lstm']['zh']}，"
                  f"GRU 为 {ratio['gru']['zh']}。")
    sizes = T(f"Per layer the LSTM has {counts['lstm'] / counts['rnn']:.0f}× and the GRU "
              f"{counts['gru'] / counts['rnn']:.0f}× the RNN's parameters.",
              f"每层参数量 LSTM 是 RNN 的 {counts['lstm'] / counts['rnn']:.0f} 倍，GRU 是 "
              f"{counts['gru'] / counts['rnn']:.0f} 倍。")
    return Conclusion.join(recall_finding(measured), Conclusion(gradients), Conclusion(sizes))


def recall_finding(measured: Measurements) -> Conclusion:
    length = measured.params["length"]
    acc = {kind: measured.at_longest(kind)["accuracy"] for kind in KINDS}
    steps = {kind: measured.at_longest(kind)["steps"] for kind in KINDS}
    solved = {kind: acc[kind] >= SOLVED for kind in KINDS}
    if solved["lstm"] and not solved["rnn"]:
        rnn_best = longest_solved(measured.results["rnn"])
        reach = (T(f" (its longest solved length was T={rnn_best})", f"（它能解决的最长长度为 T={rnn_best}）")
                 if rnn_best else T(" at every length tried", "在所有长度上都"))
        return Conclusion(T(
            f"At T={length} the LSTM recalled the first sign ({acc['lstm']:.0%}) and the GRU reached "
            f"{acc['gru']:.0%}, while the plain RNN stayed near chance ({acc['rnn']:.0%}){reach['en']}.",
            f"在 T={length} 时 LSTM 记住了第一个符号（{acc['lstm']:.0%}），GRU 达到 {acc['gru']:.0%}，"
            f"而普通 RNN {reach['zh']}接近随机猜测（{acc['rnn']:.0%}）。"), {"recall": "rnn_failed"})
    if solved["lstm"] and solved["rnn"] and steps["rnn"] >= 2 * steps["lstm"]:
        return Conclusion(T(
            f"Both solved T={length} in the end (RNN {acc['rnn']:.0%}, LSTM {acc['lstm']:.0%}, GRU "
            f"{acc['gru']:.0%}), but the plain RNN needed {steps['rnn']} steps against the LSTM's "
            f"{steps['lstm']}: the gradient it learns from is far weaker.",
            f"最终两者都解决了 T={length}（RNN {acc['rnn']:.0%}，LSTM {acc['lstm']:.0%}，GRU {acc['gru']:.0%}），"
            f"但普通 RNN 用了 {steps['rnn']} 步，LSTM 只用 {steps['lstm']} 步：它能学习的梯度弱得多。"),
            {"recall": "rnn_slower"})
    if solved["lstm"] and solved["rnn"]:
        return Conclusion(T(
            f"The plain RNN solved T={length} too (RNN {acc['rnn']:.0%}, LSTM {acc['lstm']:.0%}, GRU "
            f"{acc['gru']:.0%}): this length or noise level is too easy to separate them — try longer "
            f"sequences or more noise.",
            f"普通 RNN 也解决了 T={length}（RNN {acc['rnn']:.0%}，LSTM {acc['lstm']:.0%}，"
            f"GRU {acc['gru']:.0%}）："
            f"这个长度或噪声太容易，无法区分它们——试试更长的序列或更大的噪声。"), {"recall": "too_easy"})
    return Conclusion(T(
        f"At T={length} after at most {measured.params['steps']} steps: RNN {acc['rnn']:.0%}, LSTM "
        f"{acc['lstm']:.0%}, GRU {acc['gru']:.0%} (solved means ≥ {SOLVED:.0%}); the LSTM did not solve it here — "
        f"more steps or a shorter sequence would be needed.",
        f"在 T={length}、至多 {measured.params['steps']} 步训练后：RNN {acc['rnn']:.0%}，LSTM {acc['lstm']:.0%}，"
        f"GRU {acc['gru']:.0%}（≥ {SOLVED:.0%} 算解决）；此处 LSTM 未能解决——需要更多步数或更短的序列。"),
        {"recall": "lstm_failed"})


def charts(measured: Measurements) -> list[Chart]:
    lengths, results, gradients = measured.lengths, measured.results, measured.gradients
    accuracy_chart = Chart(
        title=T("First-token recall: test accuracy against sequence length", "首元素回忆：测试准确率随序列长度变化"),
        x_label=T("sequence length T", "序列长度 T"),
        y_label=T("test accuracy (chance 0.5)", "测试准确率（随机为 0.5）"),
        series=[Series(NAMES[kind], lengths, [results[kind][n]["accuracy"] for n in lengths]) for kind in KINDS])
    steps = list(range(1, len(gradients["rnn"]) + 1))
    gradient_chart = Chart(
        title=T("‖∂L/∂h_t‖ at initialisation (loss read at the last step)", "初始化时的 ‖∂L/∂h_t‖（损失只看最后一步）"),
        x_label=T("time step t", "时间步 t"), y_label=T("mean ‖∂L/∂h_t‖", "平均 ‖∂L/∂h_t‖"),
        # A gradient that underflowed to exactly 0 cannot sit on a log axis: it is left as a gap.
        series=[Series(NAMES[kind], steps, [g if g > 0 else float("nan") for g in gradients[kind]])
                for kind in KINDS], y_scale="log")
    return [accuracy_chart, gradient_chart]


def tables(measured: Measurements) -> list[Table]:
    lengths, results, counts, hidden = measured.lengths, measured.results, measured.counts, measured.params["hidden"]
    accuracy_table = Table(
        title=T("Test accuracy (steps used)", "测试准确率（所用步数）"),
        columns=[T("model", "模型")] + [both(f"T={n}") for n in lengths],
        rows=[[NAMES[kind]["en"]] + [f"{results[kind][n]['accuracy']:.0%} ({results[kind][n]['steps']})"
                                     for n in lengths] for kind in KINDS])
    gates = {"rnn": 1, "lstm": 4, "gru": 3}
    count_table = Table(
        title=T(f"Parameters of one layer, input {INPUTS}, hidden {hidden}",
                f"单层参数量，输入 {INPUTS}，隐藏 {hidden}"),
        columns=[T("model", "模型"), T("closed form", "公式"), T("counted", "实际统计"), both("× RNN")],
        rows=[[NAMES[kind]["en"], f"{gates[kind]}·(H·I + H·H + 2H)", counts[kind],
               round(counts[kind] / counts["rnn"], 3)] for kind in KINDS])
    return [accuracy_table, count_table]


SPEC = DemoSpec(
    id="D10",
    title=T("RNN vs LSTM vs GRU: long-range memory", "RNN、LSTM 与 GRU：长程记忆"),
    description=T("Trains a plain RNN, an LSTM and a GRU to recall the sign of the first input after T noisy steps, "
                  "shows accuracy against T, how much gradient reaches early steps, and parameter counts.",
                  "训练普通 RNN、LSTM 和 GRU，在 T 步噪声之后回忆第一个输入的符号；展示准确率随 T 的变化、"
                  "到达早期时间步的梯度大小以及参数量。"),
    params=(
        IntParam("length", T("longest sequence length T", "最长序列长度 T"), 30, minimum=5, maximum=80),
        IntParam("lengths", T("lengths tried (5 … T)", "尝试的长度个数（5 … T）"), 3, minimum=1, maximum=6),
        FloatParam("noise", T("noise std of the distractor steps", "干扰步噪声标准差"), 2.0, minimum=0.0, maximum=3.0),
        IntParam("hidden", T("hidden units", "隐藏单元数"), 16, minimum=4, maximum=32),
        IntParam("steps", T("training steps at most (batch 128)", "最多训练步数（批大小 128）"), 70,
                 minimum=10, maximum=200,
                 help=T("training stops early once three batches in a row are ≥99% right",
                        "连续三个批次准确率 ≥99% 时提前停止")),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts, tables=tables),
    queue="demos",
    flush_denormal=True,  # recurrent gradients that vanish reach denormal floats (DemoSpec says why)
)
