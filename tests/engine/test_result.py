"""The result shape: what reaches the browser's one renderer."""

import json
import math

from engine.result import Chart, Series


def chart(y_scale: str) -> dict:
    series = Series("grad", [1, 2, 3, 4], [1e3, 0.0, math.nan, 2.5e-54])
    return Chart({"en": "t", "zh": "t"}, {"en": "x", "zh": "x"}, {"en": "y", "zh": "y"}, [series],
                 y_scale=y_scale).to_dict()


def test_a_log_axis_gets_a_gap_where_a_value_underflowed_to_zero():
    assert chart("log")["series"][0]["points"] == [[1, 1e3], [2, None], [3, None], [4, 2.5e-54]]


def test_a_linear_axis_keeps_zero_and_only_drops_what_json_cannot_hold():
    points = chart("linear")["series"][0]["points"]
    assert points == [[1, 1e3], [2, 0.0], [3, None], [4, 2.5e-54]]
    json.dumps(points, allow_nan=False)
