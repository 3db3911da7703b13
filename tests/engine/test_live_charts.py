"""Training demos show their charts growing while the network trains: each report's charts are the
result's charts of the same title, cut at the step the run had reached."""

import pytest

from engine.demos import d09_batch_size
from engine.runtime import execute

# Small runs of the demos that train step by step, and the chart of each that grows with the steps.
TRAINING_RUNS = {
    "D1": ({"depth": 6, "width": 16, "steps": 40}, "Training loss"),
    "D3": ({"hidden": 8, "steps": 60}, "Training loss"),
    "D5": ({"steps": 60}, "Training loss"),
    "D7": ({"epochs": 100, "passes": 20}, "Train and test loss (eval mode)"),
    "D8": ({"steps": 60}, "Training loss"),
    "D9": ({"samples": 256, "epochs": 2}, "Loss against epochs"),
    "D11": ({"steps": 60}, "Training loss"),
    "D18": ({"epochs": 60, "pretrain_epochs": 2}, "Target test accuracy"),
    "D16": ({"teeth": 4, "budget": 200, "depth": 4, "steps": 100, "seeds": 2, "seed": 0}, "Training loss (seed 0)"),
    "D20": ({"steps": 40}, "Loss at the best learning rate"),
    "D21": ({"max_rank": 2, "target_samples": 200, "epochs": 40}, "Target accuracy while adapting"),
    "D23": ({"timesteps": 20, "train_steps": 400}, "Training loss"),  # thinned to every other step
    "D25": ({"steps": 60}, "Modes covered during training"),
}
# Demos whose every report falls while the charted training runs: each one brings new steps. D3 trains two
# logistic regressions after its charted networks, D9 charts the loss at log-spaced checkpoints, D11 reports
# twice when a diverged run leaves its unused steps, D20 has a test of its own below; D23 samples after it
# trains, D25 charts coverage at checkpoints fewer than its reports.
NEW_STEPS_IN_EVERY_REPORT = ("D1", "D5", "D7", "D8", "D16", "D18", "D21")
# D20's running optimiser is drawn at its best learning rate so far, which may not be its best in the end.
PREFIX_DEMOS = sorted(set(TRAINING_RUNS) - {"D20"})


def live_reports(demo_id: str) -> tuple[list[list[dict]], dict]:
    reports = []
    result = execute(demo_id, TRAINING_RUNS[demo_id][0], device="cpu",
                     progress=lambda fraction, message, charts=None: charts is None or reports.append(charts))
    return reports, result


def taken(series: dict) -> list[list]:
    """The series' points up to its last value: a chart drawn over all its steps leaves those not yet taken
    (and those after a divergence) as gaps."""
    points = list(series["points"])
    while points and points[-1][1] is None:
        points.pop()
    return points


def titled(charts: list[dict], title: str) -> dict:
    return next(chart for chart in charts if chart["title"]["en"] == title)


def size(chart: dict) -> int:
    return sum(len(taken(series)) for series in chart["series"])


@pytest.mark.parametrize("demo_id", PREFIX_DEMOS)
def test_it_sends_growing_prefixes_of_the_final_curves(demo_id):
    reports, result = live_reports(demo_id)
    growing = TRAINING_RUNS[demo_id][1]
    final = {chart["title"]["en"]: chart for chart in result["charts"]}
    assert len(reports) >= 8
    for charts in reports:
        assert growing in (chart["title"]["en"] for chart in charts)
        for chart in charts:
            whole = final[chart["title"]["en"]]
            assert (chart["x_scale"], chart["y_scale"]) == (whole["x_scale"], whole["y_scale"])
            names = {str(series["name"]): series for series in whole["series"]}
            for series in chart["series"]:
                if chart["title"]["en"] == growing or str(series["name"]) in names:  # D1 names a series per step
                    assert taken(series) == taken(names[str(series["name"])])[:len(taken(series))]
    sizes = [size(titled(charts, growing)) for charts in reports]
    assert sizes == sorted(sizes) and len(set(sizes)) >= 3
    assert sizes[0] < size(final[growing])


@pytest.mark.parametrize("demo_id", NEW_STEPS_IN_EVERY_REPORT)
def test_it_brings_new_steps_with_every_report_while_the_charted_training_runs(demo_id):
    reports, result = live_reports(demo_id)
    growing = TRAINING_RUNS[demo_id][1]
    sizes = [size(titled(charts, growing)) for charts in reports]
    assert len(set(sizes)) == len(sizes)
    assert sizes[-1] <= size(titled(result["charts"], growing))


def test_it_shows_the_step_d1_has_reached_in_its_gradient_chart():
    reports, _ = live_reports("D1")
    for charts in reports:
        gradient, loss = charts
        assert gradient["title"]["en"] == "Gradient norm per layer"
        steps = len(loss["series"][0]["points"])
        assert gradient["series"][-1]["name"]["en"] == f"step {steps - 1}"


def test_it_shows_the_d20_optimisers_done_as_in_the_result_and_the_running_one_at_its_best_rate_so_far():
    reports, result = live_reports("D20")
    final = {chart["title"]["en"]: chart for chart in result["charts"]}
    steps = TRAINING_RUNS["D20"][0]["steps"]
    trained = []
    for charts in reports:
        paths, losses, sweep = charts
        running = len(losses["series"]) - 1
        trained.append(running * (steps + 1) + len(losses["series"][-1]["points"]))
        # Every optimiser before the running one has finished: its series are the result's.
        assert losses["series"][:running] == final[losses["title"]["en"]]["series"][:running]
        assert paths["series"][:running] == final[paths["title"]["en"]]["series"][:running]
        assert sweep["series"][:running] == final[sweep["title"]["en"]]["series"][:running]
        assert paths["series"][-1] == final[paths["title"]["en"]]["series"][-1]  # the minimum
        # The running one, at its best learning rate so far: where that is its best in the end too (the series
        # names the rate), the path so far is the start of the result's.
        now, end = paths["series"][running], final[paths["title"]["en"]]["series"][running]
        assert len(now["points"]) == len(losses["series"][-1]["points"]) <= steps + 1
        if now["name"] == end["name"]:
            assert now["points"] == end["points"][:len(now["points"])]
    assert trained == sorted(trained) and len(set(trained)) == len(trained)
    assert trained[0] < len(result["charts"][1]["series"]) * (steps + 1)


def timeless(demo_id: str, result: dict) -> dict:
    """The result without what the clock decides: the compute time, and D9's wall-time numbers (its training
    seconds, the conclusion and table that quote them)."""
    kept = {key: value for key, value in result.items() if key != "compute_seconds"}
    if demo_id == "D9":
        kept["summary"] = [item for item in kept["summary"] if item["key"] not in d09_batch_size.TIMING_METRICS]
        kept["charts"] = [chart for chart in kept["charts"] if "wall time" not in chart["title"]["en"]]
        del kept["conclusion"], kept["tables"]
    return kept


@pytest.mark.parametrize("demo_id", sorted(TRAINING_RUNS))
def test_it_computes_the_same_result_with_live_charts_as_without_a_progress_sink(demo_id):
    with_live_charts = live_reports(demo_id)[1]
    without = execute(demo_id, TRAINING_RUNS[demo_id][0], device="cpu")
    assert timeless(demo_id, with_live_charts) == timeless(demo_id, without)
