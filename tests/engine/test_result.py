"""The result shape: what reaches the browser's one renderer."""

import json
import math

import pytest

from engine.result import Chart, Conclusion, Heatmap, Result, Series
from engine.spec import BoolParam, ChoiceParam, DemoSpec, IntParam
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


def test_it_keeps_a_heatmaps_own_colour_scale_unless_it_names_a_group():
    def heatmap(**options) -> dict:
        return Heatmap(T("std", "标准差"), both("step"), both("layer"), ["0", "10"], ["1"], [[0.5, 2.0]],
                       **options).to_dict()

    assert heatmap()["scale_group"] == ""
    assert heatmap(scale_group="std", log_color=True)["scale_group"] == "std"


def test_it_names_a_runs_parameters_in_words_in_the_specs_order():
    spec = DemoSpec(id="X", title=both("x"), description=both("x"), run=lambda params, progress: None, params=(
        IntParam("depth", T("Hidden layers", "隐藏层数"), 4, minimum=1, maximum=9),
        ChoiceParam("activation", T("Activation", "激活函数"), "relu", choices=("relu", "tanh"),
                    choice_labels={"relu": both("ReLU")}),
        BoolParam("batchnorm", T("Batch normalisation", "批归一化"), False)))
    words = spec.params_in_words({"retired": 3, "batchnorm": True, "activation": "tanh", "depth": 7})
    assert words == [
        {"name": "depth", "value": 7, "label": T("Hidden layers", "隐藏层数"), "value_label": None},
        {"name": "activation", "value": "tanh", "label": T("Activation", "激活函数"), "value_label": both("tanh")},
        {"name": "batchnorm", "value": True, "label": T("Batch normalisation", "批归一化"),
         "value_label": T("yes", "是")},
        {"name": "retired", "value": 3, "label": both("retired"), "value_label": None},  # stored before a rename
    ]
    assert spec.params_in_words({"activation": "relu"})[0]["value_label"] == both("ReLU")
