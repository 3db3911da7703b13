"""D7: dropout as a regulariser, and why inverted dropout needs no change at test time.

Two identical MLPs (same initial weights) fit a few noisy samples of a sine, one with dropout after
each hidden layer. Without dropout the net memorises the noise (train loss far below test loss);
with dropout the gap shrinks. Frameworks use *inverted* dropout: kept units are scaled by 1/(1 − p)
while training, so the expected activation equals the eval-mode activation and inference uses the
weights unchanged. The demo checks that by averaging many train-mode passes.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from engine.result import Chart, Metric, Result, Series
from engine.runtime import current_device
from engine.spec import DemoSpec, FloatParam, IntParam
from engine.text import DONE, T

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


def train(*, model: nn.Module, data: dict[str, torch.Tensor], epochs: int, on_epoch) -> dict[str, list[float]]:
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    every = max(1, epochs // CURVE_POINTS)
    curves: dict[str, list[float]] = {"epoch": [], "train": [], "test": []}
    for epoch in range(1, epochs + 1):
        model.train()
        optimiser.zero_grad()
        nn.functional.mse_loss(model(data["train_x"]), data["train_y"]).backward()
        optimiser.step()
        if epoch % every == 0 or epoch == epochs:
            curves["epoch"].append(epoch)
            curves["train"].append(mse(model, data["train_x"], data["train_y"]))
            curves["test"].append(mse(model, data["test_x"], data["test_y"]))
        on_epoch(epoch)
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


def _conclusion(*, p: float, gaps: dict[str, float], tests: dict[str, float], check: dict[str, float],
                passes: int) -> dict[str, str]:
    without, with_ = gaps["without"], gaps["with"]
    if without <= 0.01:
        head = T(f"Without dropout the net did not overfit here (gap {without:.3f}), so dropout has little to fix "
                 f"(gap with p = {p:g}: {with_:.3f}). ",
                 f"不用 dropout 时网络在这里并没有过拟合（差距 {without:.3f}），dropout 没什么可修正的"
                 f"（p = {p:g} 时差距 {with_:.3f}）。")
    elif with_ < 0.8 * without:
        head = T(f"Dropout (p = {p:g}) shrank the train/test gap from {without:.3f} to {with_:.3f} "
                 f"(test loss {tests['without']:.3f} → {tests['with']:.3f}). ",
                 f"dropout（p = {p:g}）把训练/测试差距从 {without:.3f} 缩小到 {with_:.3f}"
                 f"（测试损失 {tests['without']:.3f} → {tests['with']:.3f}）。")
    else:
        head = T(f"In this run dropout (p = {p:g}) did not shrink the train/test gap ({without:.3f} without, "
                 f"{with_:.3f} with). ",
                 f"本次运行中 dropout（p = {p:g}）没有缩小训练/测试差距（不用 {without:.3f}，用 {with_:.3f}）。")
    layer_error, noise = check["layer_mean_rel_error"], check["monte_carlo_rel_error"]
    if layer_error < 2 * noise:
        layer = T(f"Averaging {passes} train-mode passes of a dropout layer reproduces its eval output within "
                  f"{layer_error:.1%}, consistent with the Monte Carlo noise √(p/((1 − p)·passes)) = {noise:.1%}: "
                  f"inverted dropout's 1/(1 − p) keeps the expectation unchanged. ",
                  f"对一个 dropout 层做 {passes} 次训练模式前向取平均，与其评估模式输出相差 {layer_error:.1%}，"
                  f"与蒙特卡洛噪声 √(p/((1 − p)·n)) = {noise:.1%}（n 为前向次数）相符："
                  f"inverted dropout 的 1/(1 − p) 使期望不变。")
    else:
        layer = T(f"Averaging {passes} train-mode passes of a dropout layer misses its eval output by "
                  f"{layer_error:.1%}, more than the Monte Carlo noise {noise:.1%} explains. ",
                  f"对一个 dropout 层做 {passes} 次训练模式前向取平均，与评估输出相差 {layer_error:.1%}，"
                  f"超出蒙特卡洛噪声 {noise:.1%} 所能解释的范围。")
    plain = T(f"Without the rescaling the average would be {check['no_rescale_mean_ratio']:.3f}× it. ",
              f"不做该缩放，平均值只有其 {check['no_rescale_mean_ratio']:.3f} 倍。")
    output_error, spread = check["output_mean_rel_error"], check["single_pass_rel_spread"]
    output_noise = spread / passes**0.5
    if output_error < 2 * output_noise:
        tail = T(f"At the network output the average is within {output_error:.1%} of the eval output (noise "
                 f"{output_noise:.1%}), although single passes scatter by {spread:.0%}.",
                 f"在网络输出端平均值与评估输出相差 {output_error:.1%}（噪声 {output_noise:.1%}），"
                 f"尽管单次前向的偏离达 {spread:.0%}。")
    else:
        tail = T(f"At the network output the average differs from the eval output by {output_error:.1%}, more than "
                 f"the {output_noise:.1%} noise: the ReLU after a dropout layer makes the match only approximate "
                 f"(single passes scatter by {spread:.0%}).",
                 f"在网络输出端平均值与评估输出相差 {output_error:.1%}，超过 {output_noise:.1%} 的噪声："
                 f"dropout 之后的 ReLU 使两者只是近似相等（单次前向偏离 {spread:.0%}）。")
    return {lang: head[lang] + layer[lang] + plain[lang] + tail[lang] for lang in ("en", "zh")}


def _curves_chart(curves: dict[str, dict[str, list[float]]], p: float) -> Chart:
    labels = {"without": T("no dropout", "无 dropout"), "with": T(f"dropout p = {p:g}", f"dropout p = {p:g}")}
    series = [Series(T(f"{labels[name]['en']}, {split}", f"{labels[name]['zh']}，{zh}"), curves[name]["epoch"],
                     curves[name][split])
              for name in ("without", "with") for split, zh in (("train", "训练"), ("test", "测试"))]
    return Chart(T("Train and test loss (eval mode)", "训练与测试损失（评估模式）"), T("epoch", "轮次"),
                 T("MSE", "均方误差"), series, y_scale="log")


def _outputs_chart(model: nn.Sequential, grid: torch.Tensor, output_mean: torch.Tensor, passes: int) -> Chart:
    xs = grid[:, 0].tolist()
    series = [Series(T("target sin(2.5x)", "目标 sin(2.5x)"), xs, torch.sin(FREQUENCY * grid[:, 0]).tolist()),
              Series(T("eval mode", "评估模式"), xs, eval_output(model, grid)[:, 0].tolist()),
              Series(T(f"mean of {passes} train-mode passes", f"{passes} 次训练模式前向的平均"), xs,
                     output_mean[:, 0].tolist())]
    series += [Series(T(f"one train-mode pass #{i + 1}", f"单次训练模式前向 #{i + 1}"), xs,
                      _single_pass(model, grid)[:, 0].tolist()) for i in range(SHOWN_SINGLE_PASSES)]
    return Chart(T("Dropout network: eval output vs train-mode passes", "dropout 网络：评估输出与训练模式前向"),
                 T("input x", "输入 x"), T("output", "输出"), series)


def run(params: dict, progress) -> Result:
    device = current_device()
    p, epochs, passes = params["dropout"], params["epochs"], params["passes"]
    train_x, train_y = make_data(samples=params["train_samples"], noise=params["noise"], device=device)
    test_x, test_y = make_data(samples=TEST_SAMPLES, noise=params["noise"], device=device)
    data = {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}
    plain = make_mlp(width=params["width"], dropout=0.0)
    dropped = make_mlp(width=params["width"], dropout=p)
    dropped.load_state_dict(copy.deepcopy(plain.state_dict()))  # same start: only dropout differs
    models = {"without": plain.to(device), "with": dropped.to(device)}
    curves = {}
    for index, (name, model) in enumerate(models.items()):
        def on_epoch(epoch: int, index: int = index, name: str = name) -> None:
            if epoch % max(1, epochs // 10) == 0:
                label = T(f"training {name} dropout", "训练" + ("带" if name == "with" else "不带") + " dropout 的网络")
                progress(0.9 * (index + epoch / epochs) / 2, label)
        curves[name] = train(model=model, data=data, epochs=epochs, on_epoch=on_epoch)
    train_losses = {name: mse(model, train_x, train_y) for name, model in models.items()}
    test_losses = {name: mse(model, test_x, test_y) for name, model in models.items()}
    gaps = {name: test_losses[name] - train_losses[name] for name in models}
    grid = torch.linspace(-INPUT_RANGE, INPUT_RANGE, GRID_POINTS, device=device)[:, None]
    check = expectation_check(model=dropped, grid=grid, passes=passes, p=p)
    progress(0.95, T("expectation check", "期望值检验"))
    charts = [_curves_chart(curves, p), _outputs_chart(dropped, grid, check.pop("output_mean"), passes)]
    progress(1.0, DONE)
    return Result(
        summary=[
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
        ],
        conclusion=_conclusion(p=p, gaps=gaps, tests=test_losses, check=check, passes=passes),
        charts=charts,
    )


SPEC = DemoSpec(
    id="D7",
    title=T("Dropout", "Dropout"),
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
    ),
    run=run,
    queue="demos",
)
