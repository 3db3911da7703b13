import math
import time

import pytest

from engine.demos import d09_batch_size as demo
from engine.runtime import execute
from tests.engine.results import metric

SMALL = {"samples": 256, "epochs": 10, "learning_rate": 0.5}


@pytest.fixture(scope="module")
def small_run() -> dict:
    return execute("D9", SMALL)


def test_it_grows_batch_sizes_by_four_up_to_the_full_data_set():
    assert demo.batch_sizes(smallest=8, samples=1024) == [8, 32, 128, 512, 1024]
    assert demo.batch_sizes(smallest=8, samples=512) == [8, 32, 128, 512]


def test_it_makes_small_batches_win_per_epoch_through_more_updates(small_run):
    assert metric(small_run, "updates_smallest_batch") == 10 * 256 / 8
    assert metric(small_run, "updates_largest_batch") == 10
    assert metric(small_run, "final_loss_smallest_batch") < 0.5 * metric(small_run, "final_loss_largest_batch")
    assert small_run["verdict"]["per_epoch"] == "small_wins"


def test_it_makes_large_batches_win_per_update(small_run):
    small, large = (metric(small_run, f"loss_at_equal_updates_{size}_batch") for size in ("smallest", "largest"))
    assert large < small
    assert metric(small_run, "final_loss_largest_batch") == large  # compared at the full-batch run's last update
    assert small_run["verdict"]["per_update"] == "large_wins"


def test_it_draws_every_run_over_the_same_number_of_epochs(small_run):
    by_epochs = small_run["charts"][0]
    assert [series["points"][-1][0] for series in by_epochs["series"]] == [10.0] * 4
    by_time = small_run["charts"][2]
    for series in by_time["series"]:
        seconds = [point[0] for point in series["points"]]
        assert seconds == sorted(seconds)


def test_it_says_when_linear_scaling_makes_large_batches_blow_up():
    result = execute("D9", {"samples": 256, "epochs": 3, "learning_rate": 1.0, "lr_scaling": "linear"})
    final, start = metric(result, "final_loss_largest_batch"), metric(result, "initial_loss")
    assert final > start
    assert result["verdict"]["training"] == ("diverged" if final > 10 * start else "ended_above_start")
    assert execute("D9", {"samples": 256, "epochs": 3})["verdict"]["training"] != "ended_above_start"


def test_it_draws_the_same_loss_against_updates_twice(small_run):
    assert execute("D9", SMALL)["charts"][1] == small_run["charts"][1]  # no timing in it, unlike the summary


def test_it_calls_a_run_that_ends_at_1e13_diverged_though_its_loss_is_finite():
    result = execute("D9", {"learning_rate": 1.0, "lr_scaling": "linear"})
    final = metric(result, "final_loss_largest_batch")
    assert math.isfinite(final) and final > 1e4
    assert result["verdict"]["training"] == "diverged"
    assert f"{result['summary'][0]['value']:.3g}" in result["conclusion"]["en"]  # against the starting loss
    assert "57923413737472.000" not in result["conclusion"]["en"]


def test_it_calls_equal_losses_a_tie_not_the_other_way_round():
    """At learning rate 0.001 five updates barely move either run: 1.351 against 1.352."""
    result = execute("D9", {"learning_rate": 0.001})
    small = metric(result, "loss_at_equal_updates_smallest_batch")
    large = metric(result, "loss_at_equal_updates_largest_batch")
    assert abs(small - large) < 0.01 * small
    assert result["verdict"]["per_update"] == "tie"
    assert "other way round" not in result["conclusion"]["en"]


def test_it_keeps_the_progress_reports_off_the_training_clock():
    # The worker writes each report, with its live charts, to the database: that is no batch size's training time.
    reports = []

    def slow_sink(fraction, message, charts=None):
        reports.append(fraction)
        time.sleep(0.05)

    run = execute("D9", {"samples": 256, "epochs": 2}, device="cpu", progress=slow_sink)
    by_time = next(chart for chart in run["charts"] if "wall time" in chart["title"]["en"])
    training_seconds = sum(series["points"][-1][0] for series in by_time["series"])
    assert len(reports) >= 15
    assert training_seconds < 0.5 * 0.05 * len(reports)
