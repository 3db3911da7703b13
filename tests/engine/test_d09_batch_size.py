import pytest

from engine.demos import d09_batch_size as demo
from engine.runtime import execute
from engine.spec import ParamError

SMALL = {"samples": 256, "epochs": 10, "learning_rate": 0.5}
TIMING_KEYS = {"seconds_per_epoch_smallest_batch", "seconds_per_epoch_largest_batch", "fastest_batch_to_target"}


@pytest.fixture(scope="module")
def small_run() -> dict:
    return execute("D9", SMALL)


def metric(result: dict, key: str) -> float:
    return next(m["value"] for m in result["summary"] if m["key"] == key)


def test_it_grows_batch_sizes_by_four_up_to_the_full_data_set():
    assert demo.batch_sizes(smallest=8, samples=1024) == [8, 32, 128, 512, 1024]
    assert demo.batch_sizes(smallest=8, samples=512) == [8, 32, 128, 512]


def test_it_makes_small_batches_win_per_epoch_through_more_updates(small_run):
    assert metric(small_run, "updates_smallest_batch") == 10 * 256 / 8
    assert metric(small_run, "updates_largest_batch") == 10
    assert metric(small_run, "final_loss_smallest_batch") < 0.5 * metric(small_run, "final_loss_largest_batch")
    assert "per epoch, small batches win" in small_run["conclusion"]["en"]


def test_it_makes_large_batches_win_per_update(small_run):
    small, large = (metric(small_run, f"loss_at_equal_updates_{size}_batch") for size in ("smallest", "largest"))
    assert large < small
    assert metric(small_run, "final_loss_largest_batch") == large  # compared at the full-batch run's last update
    assert "Per update it is the other way round" in small_run["conclusion"]["en"]


def test_it_draws_every_run_over_the_same_number_of_epochs(small_run):
    by_epochs = small_run["charts"][0]
    assert [series["points"][-1][0] for series in by_epochs["series"]] == [10.0] * 4
    by_time = small_run["charts"][2]
    for series in by_time["series"]:
        seconds = [point[0] for point in series["points"]]
        assert seconds == sorted(seconds)


def test_it_says_when_linear_scaling_makes_large_batches_blow_up():
    result = execute("D9", {"samples": 256, "epochs": 3, "learning_rate": 1.0, "lr_scaling": "linear"})
    assert metric(result, "final_loss_largest_batch") > metric(result, "initial_loss")
    assert "too large a learning rate" in result["conclusion"]["en"]
    assert "too large a learning rate" not in execute("D9", {"samples": 256, "epochs": 3})["conclusion"]["en"]


def test_it_rejects_out_of_bound_parameters_by_field():
    with pytest.raises(ParamError) as error:
        execute("D9", {"smallest_batch": "3", "epochs": 0, "lr_scaling": "cubic"})
    assert set(error.value.errors) == {"smallest_batch", "epochs", "lr_scaling"}


def test_it_gives_the_same_losses_twice(small_run):
    again = execute("D9", SMALL)
    losses = [m for m in small_run["summary"] if m["key"] not in TIMING_KEYS]
    assert losses == [m for m in again["summary"] if m["key"] not in TIMING_KEYS]
    assert small_run["charts"][1] == again["charts"][1]  # loss against updates: no timing in it


def test_it_reports_progress_up_to_the_end():
    fractions = []
    execute("D9", {"samples": 256, "epochs": 2}, progress=lambda fraction, message="": fractions.append(fraction))
    assert len(fractions) >= 10
    assert fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0)
