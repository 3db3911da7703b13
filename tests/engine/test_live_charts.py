"""Training demos show their charts growing while the network trains: each report's charts are the
result's charts of the same title, cut at the step the run had reached."""

import pytest

from engine.runtime import execute

# Small runs of the demos that train step by step; D1's gradient chart also shows the step it is at.
TRAINING_RUNS = {"D1": {"depth": 6, "width": 16, "steps": 40}, "D5": {"steps": 60}, "D8": {"steps": 60}}


def live_reports(demo_id: str) -> tuple[list[list[dict]], dict]:
    reports = []
    result = execute(demo_id, TRAINING_RUNS[demo_id], device="cpu",
                     progress=lambda fraction, message, charts=None: charts is None or reports.append(charts))
    return reports, result


@pytest.mark.parametrize("demo_id", sorted(TRAINING_RUNS))
def test_it_sends_growing_prefixes_of_the_final_curves(demo_id):
    reports, result = live_reports(demo_id)
    final = {chart["title"]["en"]: chart for chart in result["charts"]}
    assert len(reports) >= 10
    sizes = []
    for charts in reports:
        curve = next(chart for chart in charts if chart["title"]["en"] == "Training loss")
        assert curve["y_scale"] == final["Training loss"]["y_scale"]
        for live_series, final_series in zip(curve["series"], final["Training loss"]["series"], strict=False):
            assert live_series["name"] == final_series["name"]
            assert live_series["points"] == final_series["points"][:len(live_series["points"])]
        sizes.append(sum(len(series["points"]) for series in curve["series"]))
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)  # every report brings new steps
    final_size = sum(len(series["points"]) for series in final["Training loss"]["series"])
    assert sizes[-1] < final_size


def test_it_shows_the_step_d1_has_reached_in_its_gradient_chart():
    reports, _ = live_reports("D1")
    for charts in reports:
        gradient, loss = charts
        assert gradient["title"]["en"] == "Gradient norm per layer"
        steps = len(loss["series"][0]["points"])
        assert gradient["series"][-1]["name"]["en"] == f"step {steps - 1}"
