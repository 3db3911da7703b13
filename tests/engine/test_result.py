"""The result shape: what reaches the browser's one renderer."""

import json
import math

import pytest

from engine.result import Chart, Conclusion, Result, Series
from engine.text import T, both, join


def chart(y_scale: str) -> dict:
    series = Series("grad", [1, 2, 3, 4], [1e3, 0.0, math.nan, 2.5e-54])
    return Chart({"en": "t", "zh": "t"}, {"en": "x", "zh": "x"}, {"en": "y", "zh": "y"}, [series],
                 y_scale=y_scale).to_dict()


def test_it_leaves_a_gap_in_a_log_axis_where_a_value_underflowed_to_zero():
    assert chart("log")["series"][0]["points"] == [[1, 1e3], [2, None], [3, None], [4, 2.5e-54]]


def test_it_keeps_zero_on_a_linear_axis_and_only_drops_what_json_cannot_hold():
    points = chart("linear")["series"][0]["points"]
    assert points == [[1, 1e3], [2, 0.0], [3, None], [4, 2.5e-54]]
    json.dumps(points, allow_nan=False)


def test_it_joins_english_with_a_space_and_chinese_without_leaving_out_empty_parts():
    assert join(T("It vanished.", "梯度消失。"), both(""), T("Then it diverged.", "随后发散。")) == \
        T("It vanished. Then it diverged.", "梯度消失。随后发散。")


def test_it_carries_a_conclusions_verdict_into_the_stored_result():
    said = Conclusion.join(Conclusion(T("With tanh,", "tanh：")),
                           Conclusion(T("the gradient vanished.", "梯度消失。"), {"gradient": "vanished"}),
                           Conclusion(both(""), {"forward": "steady"}))
    stored = Result(summary=[], conclusion=said).to_dict()
    assert stored["conclusion"] == T("With tanh, the gradient vanished.", "tanh：梯度消失。")
    assert stored["verdict"] == {"gradient": "vanished", "forward": "steady"}


def test_it_refuses_a_verdict_key_named_twice():
    with pytest.raises(ValueError):
        Conclusion.join(Conclusion(both("a"), {"gradient": "flat"}), Conclusion(both("b"), {"gradient": "vanished"}))
