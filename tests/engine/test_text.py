"""The engine's number formatting for sentences: a measurement is never misread as zero."""

import math

import pytest

from engine.text import number, percent


@pytest.mark.parametrize(("value", "decimals", "written"), [
    (1.2e-4, 2, "0.00012"), (-3e-7, 3, "-3e-07"), (0.0, 2, "0.00"), (1.317, 3, "1.317"), (12.0, 0, "12"),
    (57923413737472.0, 3, "5.79e+13")])
def test_it_never_rounds_a_nonzero_number_to_zero_nor_writes_a_huge_one_digit_by_digit(value, decimals, written):
    assert number(value, decimals=decimals) == written


def test_it_writes_three_significant_digits_by_default_and_names_non_finite_values():
    assert number(123456.0) == "1.23e+05"
    assert (number(math.inf), number(-math.inf), number(math.nan)) == ("∞", "−∞", "NaN")


def test_it_writes_a_tiny_share_as_a_tiny_percentage_not_zero():
    assert percent(0.125) == "12.5%"
    assert percent(2e-6) == "0.0002%"
    assert percent(0.0) == "0.0%"
