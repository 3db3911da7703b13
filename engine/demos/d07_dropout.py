"""D7: dropout as a regulariser, and why inverted dropout needs no change at test time.

Two identical MLPs (same initial weights) fit a few noisy samples of a sine, one with dropout after
each hidden layer. Without dropout the net memorises the noise (train loss far below test loss);
with dropout the gap shrinks. Frameworks use *inverted* dropout: kept units are scaled by 1/(1 − p)
while training, so the expected activation equals the eval-mode activation and inference uses the
weights unchanged. The demo checks that by averaging many train-mode passes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from engine.progress import Progress
from engine.result import Chart, Conclusion, Metric, Series
from engine.runtime import current_device
from engine.spec import DemoSpec, FloatParam, IntParam, Steps
from engine.text import T, both, percent

CROSS_DEVICE_METRICS = {
    "train_loss_without_dropout": 0.3,
    "test_loss_without_dropout": 0.2,
    "test_loss_with_dropout": 0.3,
    "no_rescale_mean_ratio": 0.05,
}

INPUT_RANGE = 2.0
FREQUENCY = 2.5
TEST_SAMPLES = 400
GRID_POINTS = 64
LEARNING_RATE = 3e-3
CURVE_POINTS = 50
PASS_CHUNK = 100
SHOWN_SINGLE_PASSES = 3
TRAINING = {"without": T("training without dropout", "训练不带 dropout 的网络"),
            "with": T("training with dropout", "训练带 dropout 的网络")}


def make_data(*, samples: int, noise: float, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy samples of sin(2.5x) on [−2, 2], drawn on the CPU so every device sees the same data."""
    inputs = (torch.rand(samples, 1) * 2 - 1) * INPUT_RANGE
    targets = torch.sin(FREQUENCY * inputs) + noise * torch.randn(samples, 1)
    return inputs.to(device), targets.to(device)


def make_mlp(*, width: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(1, width), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(width, width), nn.ReLU(), nn.Dropout(dropout), nn.Linear(width, 1))


def mse(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Loss in eval mode (dropout off), the way a trained model is judged."""
    model.eval()
    with torch.no_grad():
        return nn.functional.mse_loss(model(inputs), targets).item()


def new_curves() -> dict[str, list[float]]:
    return {"epoch": [], "train": [], "test": []}


def train(*, model: nn.Module, data: dict[str, torch.Tensor], epochs: int, progress: Progress,
          message: dict[str, str], curves: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    """Full-batch Adam; every few epochs the train and test loss go to `curves` (when given: the live chart
    reads it meanwhile)."""
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    every = max(1, epochs // CURVE_POINTS)
    curves = new_curves() if curves is None else curves
    for epoch in range(1, epochs + 1):
        model.train()
        optimiser.zero_grad()
        nn.functional.mse_loss(model(data["train_x"]), data["train_y"]).backward()
        optimiser.step()
        if epoch % every == 0 or epoch == epochs:
            curves["epoch"].append(epoch)
            curves["train"].append(mse(model, data["train_x"], data["train_y"]))
            curves["test"].append(mse(model, data["test_x"], data["test_y"]))
        progress.advance(message)
    return curves


def mean_of_train_passes(*, module: nn.Module, inputs: torch.Tensor, passes: int) -> torch.Tensor:
    """Average of `passes` train-mode (fresh random mask) forward passes, in chunks to bound memory."""
    module.train()
    rows = inputs.shape[0]
    total = torch.zeros((), device=inputs.device)
    done = 0
    with torch.no_grad():
        while done < passes:
            chunk = min(PASS_CHUNK, passes - done)
            stacked = inputs.repeat(chunk, *([1] * (inputs.dim() - 1)))  # every copy gets its own mask
            outputs = module(stacked)
            total = total + outputs.reshape(chunk, rows, *outputs.shape[1:]).sum(dim=0)
            done += chunk
    return total / passes


def eval_output(module: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    module.eval()
    with torch.no_grad():
        return module(inputs)


def relative_error(estimate: torch.Tensor, reference: torch.Tensor) -> float:
    return ((estimate - reference).norm() / reference.norm()).item()


def expectation_check(*, model: nn.Sequential, grid: torch.Tensor, passes: int, p: float) -> dict:
    """Compare eval-mode outputs with the mean of train-mode passes, at one dropout layer and at the output."""
    hidden = eval_output(model[:2], grid)  # ReLU(W₁x + b₁): the input of the first dropout layer
    layer_mean = mean_of_train_passes(module=model[2], inputs=hidden, passes=passes)
    # Plain (non-inverted) dropout keeps units unscaled while training: its mean is (1 − p)·h.
    kept = (torch.rand((passes, *hidden.shape), device=hidden.device) >= p).float().mean(dim=0)
    output_mean = mean_of_train_passes(module=model, inputs=grid, passes=passes)
    output_eval = eval_output(model, grid)
    return {
        "output_mean": output_mean,
        "monte_carlo_rel_error": (p / ((1 - p) * passes)) ** 0.5,
        "layer_mean_rel_error": relative_error(layer_mean, hidden),
        "no_rescale_mean_ratio": ((kept * hidden).sum() / hidden.sum()).item(),
        "output_mean_rel_error": relative_error(output_mean, output_eval),
        "single_pass_rel_spread": relative_error(_single_pass(model, grid), output_eval),
    }


def _single_pass(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    model.train()
    with torch.no_grad():
        return model(inputs)


@dataclass(frozen=True)
class Measurements:
    params: dict
    curves: dict[str, dict[str, list[float]]]  # "without"/"with" dropout: epoch, train and test loss (eval mode)
    train_losses: dict[str, float]
    test_losses: dict[str, float]
    check: dict[str, float]  # expectation_check's numbers
    outputs: dict[str, list]  # on the input grid: x, target, eval output, mean of passes, single passes

    @property
    def gaps(self) -> dict[str, float]:
        return {name: self.test_losses[name] - self.train_losses[name] for name in self.train_losses}


def measure(params: dict, progress: Progress) -> Measurements:
    # Every draw comes from the global RNG that `execute` seeds, not from generator(): nn.Linear's default
    # init and the dropout masks can draw only from it, and the data drawn before them decides where it is.
    device = current_device()
    p, epochs, passes = params["dropout"], params["epochs"], params["passes"]
    train_x, train_y = make_data(samples=params["train_samples"], noise=params["noise"], device=device)
    test_x, test_y = make_data(samples=TEST_SAMPLES, noise=params["noise"], device=device)
    data = {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}
    plain = make_mlp(width=params["width"], dropout=0.0)
    dropped = make_mlp(width=params["width"], dropout=p)
    dropped.load_state_dict(copy.deepcopy(plain.state_dict()))  # same start: only dropout differs
    models = {"without": plain.to(device), "with": dropped.to(device)}
    progress.plan(len(models) * epochs)
    curves = {name: new_curves() for name in models}
    progress.live(lambda: [curves_chart(curves, dropout=p)])
    for name, model in models.items():
        train(model=model, data=data, epochs=epochs, progress=progress, message=TRAINING[name], curves=curves[name])
    train_losses = {name: mse(model, train_x, train_y) for name, model in models.items()}
    test_losses = {name: mse(model, test_x, test_y) for name, model in models.items()}
    grid = torch.linspace(-INPUT_RANGE, INPUT_RANGE, GRID_POINTS, device=device)[:, None]
    progress.note(T("expectation check", "期望值检验"))
    check = expectation_check(model=dropped, grid=grid, passes=passes, p=p)
    outputs = grid_outputs(dropped, grid, check.pop("output_mean"))
    return Measurements(params, curves, train_losses, test_losses, check, outputs)


def grid_outputs(model: nn.Sequential, grid: torch.Tensor, output_mean: torch.Tensor) -> dict[str, list]:
    """What the outputs chart draws; its single train-mode passes draw fresh masks."""
    return {"x": grid[:, 0].tolist(), "target": torch.sin(FREQUENCY * grid[:, 0]).tolist(),
            "eval": eval_output(model, grid)[:, 0].tolist(), "mean": output_mean[:, 0].tolist(),
            "single": [_single_pass(model, grid)[:, 0].tolist() for _ in range(SHOWN_SINGLE_PASSES)]}


def summary(measured: Measurements) -> list[Metric]:
    train_losses, test_losses, gaps, check = measured.train_losses, measured.test_losses, measured.gaps, measured.check
    return [
        Metric("train_loss_without_dropout", T("train loss, no dropout", "训练损失（无 dropout）"),
               train_losses["without"]),
        Metric("test_loss_without_dropout", T("test loss, no dropout", "测试损失（无 dropout）"),
               test_losses["without"]),
        Metric("gap_without_dropout", T("test − train, no dropout", "测试 − 训练（无 dropout）"), gaps["without"]),
        Metric("train_loss_with_dropout", T("train loss, dropout", "训练损失（dropout）"), train_losses["with"]),
        Metric("test_loss_with_dropout", T("test loss, dropout", "测试损失（dropout）"), test_losses["with"]),
        Metric("gap_with_dropout", T("test − train, dropout", "测试 − 训练（dropout）"), gaps["with"]),
        Metric("layer_mean_rel_error", T("dropout layer: |mean of train passes − eval| / |eval|",
                                         "dropout 层：|训练前向平均 − 评估| / |评估|"),
               check["layer_mean_rel_error"]),
        Metric("monte_carlo_rel_error", T("expected Monte Carlo error √(p / ((1 − p)·passes))",
                                          "预期蒙特卡洛误差 √(p / ((1 − p)·n))，n 为前向次数"),
               check["monte_carlo_rel_error"]),
        Metric("no_rescale_mean_ratio", T("mean without 1/(1 − p) rescaling ÷ eval", "不缩放时的平均 ÷ 评估输出"),
               check["no_rescale_mean_ratio"], "×"),
        Metric("output_mean_rel_error", T("network output: |mean of train passes − eval| / |eval|",
                                          "网络输出：|训练前向平均 − 评估| / |评估|"),
               check["output_mean_rel_error"]),
        Metric("single_pass_rel_spread", T("one train pass: |pass − eval| / |eval|",
                                           "单次训练前向：|前向 − 评估| / |评估|"),
               check["single_pass_rel_spread"]),
    ]


def conclude(measured: Measurements) -> Conclusion:
    check = measured.check
    return Conclusion.join(
        gap_finding(measured),
        layer_finding(measured),
        Conclusion(T(f"Without the rescaling the average would be {check['no_rescale_mean_ratio']:.3f}× it.",
                     f"不做该缩放，平均值只有其 {check['no_rescale_mean_ratio']:.3f} 倍。")),
        output_finding(measured))


def gap_finding(measured: Measurements) -> Conclusion:
    p, tests = measured.params["dropout"], measured.test_losses
    without, with_ = measured.gaps["without"], measured.gaps["with"]
    if without <= 0.01:
        return Conclusion(T(
            f"Without dropout the net did not overfit here (gap {without:.3f}), so dropout has little to fix "
            f"(gap with p = {p:g}: {with_:.3f}).",
            f"不用 dropout 时网络在这里并没有过拟合（差距 {without:.3f}），dropout 没什么可修正的"
            f"（p = {p:g} 时差距 {with_:.3f}）。"), {"gap": "no_overfitting"})
    if with_ < 0.8 * without:
        return Conclusion(T(
            f"Dropout (p = {p:g}) shrank the train/test gap from {without:.3f} to {with_:.3f} "
            f"(test loss {tests['without']:.3f} → {tests['with']:.3f}).",
            f"dropout（p = {p:g}）把训练/测试差距从 {without:.3f} 缩小到 {with_:.3f}"
            f"（测试损失 {tests['without']:.3f} → {tests['with']:.3f}）。"), {"gap": "shrank"})
    return Conclusion(T(
        f"In this run dropout (p = {p:g}) did not shrink the train/test gap ({without:.3f} without, "
        f"{with_:.3f} with).",
        f"本次运行中 dropout（p = {p:g}）没有缩小训练/测试差距（不用 {without:.3f}，用 {with_:.3f}）。"),
        {"gap": "not_shrunk"})


def layer_finding(measured: Measurements) -> Conclusion:
    passes = measured.params["passes"]
    layer_error, noise = measured.check["layer_mean_rel_error"], measured.check["monte_carlo_rel_error"]
    if layer_error < 2 * noise:
        return Conclusion(T(
            f"Averaging {passes} train-mode passes of a dropout layer reproduces its eval output within "
            f"{percent(layer_error)}, consistent with the Monte Carlo noise √(p/((1 − p)·passes)) = {percent(noise)}: "
            f"inverted dropout's 1/(1 − p) keeps the expectation unchanged.",
            f"对一个 dropout 层做 {passes} 次训练模式前向取平均，与其评估模式输出相差 {percent(layer_error)}，"
            f"与蒙特卡洛噪声 √(p/((1 − p)·n)) = {percent(noise)}（n 为前向次数）相符："
            f"inverted dropout 的 1/(1 − p) 使期望不变。"), {"layer_expectation": "matches"})
    return Conclusion(T(
        f"Averaging {passes} train-mode passes of a dropout layer misses its eval output by "
        f"{percent(layer_error)}, more than the Monte Carlo noise {percent(noise)} explains.",
        f"对一个 dropout 层做 {passes} 次训练模式前向取平均，与评估输出相差 {percent(layer_error)}，"
        f"超出蒙特卡洛噪声 {percent(noise)} 所能解释的范围。"), {"layer_expectation": "off"})


def output_finding(measured: Measurements) -> Conclusion:
    output_error, spread = measured.check["output_mean_rel_error"], measured.check["single_pass_rel_spread"]
    output_noise = spread / measured.params["passes"] ** 0.5
    if output_error < 2 * output_noise:
        return Conclusion(T(
            f"At the network output the average is within {percent(output_error)} of the eval output (noise "
            f"{percent(output_noise)}), although single passes scatter by {percent(spread, decimals=0)}.",
            f"在网络输出端平均值与评估输出相差 {percent(output_error)}（噪声 {percent(output_noise)}），"
            f"尽管单次前向的偏离达 {percent(spread, decimals=0)}。"), {"output_expectation": "matches"})
    return Conclusion(T(
        f"At the network output the average differs from the eval output by {percent(output_error)}, more than "
        f"the {percent(output_noise)} noise: the ReLU after a dropout layer makes the match only approximate "
        f"(single passes scatter by {percent(spread, decimals=0)}).",
        f"在网络输出端平均值与评估输出相差 {percent(output_error)}，超过 {percent(output_noise)} 的噪声："
        f"dropout 之后的 ReLU 使两者只是近似相等（单次前向偏离 {percent(spread, decimals=0)}）。"),
        {"output_expectation": "approximate"})


def charts(measured: Measurements) -> list[Chart]:
    return [curves_chart(measured.curves, dropout=measured.params["dropout"]), outputs_chart(measured)]


def curves_chart(curves: dict[str, dict[str, list[float]]], *, dropout: float) -> Chart:
    """Train and test loss of both networks against the epoch (while training: the epochs so far)."""
    labels = {"without": T("no dropout", "无 dropout"), "with": both(f"dropout p = {dropout:g}")}
    series = [Series(T(f"{labels[name]['en']}, {split}", f"{labels[name]['zh']}，{zh}"), curves[name]["epoch"],
                     curves[name][split])
              for name in ("without", "with") for split, zh in (("train", "训练"), ("test", "测试"))]
    return Chart(T("Train and test loss (eval mode)", "训练与测试损失（评估模式）"), T("epoch", "轮次"),
                 T("MSE", "均方误差"), series, y_scale="log")


def outputs_chart(measured: Measurements) -> Chart:
    outputs, passes = measured.outputs, measured.params["passes"]
    xs = outputs["x"]
    series = [Series(T("target sin(2.5x)", "目标 sin(2.5x)"), xs, outputs["target"]),
              Series(T("eval mode", "评估模式"), xs, outputs["eval"]),
              Series(T(f"mean of {passes} train-mode passes", f"{passes} 次训练模式前向的平均"), xs, outputs["mean"])]
    series += [Series(T(f"one train-mode pass #{i + 1}", f"单次训练模式前向 #{i + 1}"), xs, single)
               for i, single in enumerate(outputs["single"])]
    return Chart(T("Dropout network: eval output vs train-mode passes", "dropout 网络：评估输出与训练模式前向"),
                 T("input x", "输入 x"), T("output", "输出"), series)


SPEC = DemoSpec(
    id="D7",
    title=both("Dropout"),
    description=T("Train/test loss with and without dropout on a small, easily overfitted regression task; "
                  "eval-mode output against the average of many train-mode passes (inverted dropout).",
                  "在一个容易过拟合的小回归任务上比较有无 dropout 的训练/测试损失；"
                  "并把评估模式输出与多次训练模式前向的平均比较（inverted dropout）。"),
    params=(
        FloatParam("dropout", T("dropout probability p", "dropout 概率 p"), 0.5,
                   T("Probability of zeroing each hidden unit while training.", "训练时每个隐藏单元被置零的概率。"),
                   minimum=0.05, maximum=0.8),
        IntParam("train_samples", T("training samples", "训练样本数"), 24, minimum=8, maximum=128),
        FloatParam("noise", T("label noise (std)", "标签噪声（标准差）"), 0.3, minimum=0.0, maximum=1.0),
        IntParam("width", T("hidden width", "隐藏层宽度"), 128, minimum=16, maximum=256),
        IntParam("epochs", T("epochs (full batch, Adam)", "轮数（全批量，Adam）"), 500, minimum=50, maximum=3000),
        IntParam("passes", T("train-mode passes to average", "取平均的训练模式前向次数"), 300, minimum=10,
                 maximum=2000),
        IntParam("seed", T("Random seed", "随机种子"), 0, minimum=0, maximum=9999,
                 help=T("Draws the data, the initial weights and the dropout masks.",
                        "决定数据、初始权重与 dropout 掩码的随机抽样。")),
    ),
    run=Steps(measure=measure, summary=summary, conclude=conclude, charts=charts),
    queue="demos",
)
