"""The bounded number parse (capplan.catalog.numbers): every number read from text passes here."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.catalog.numbers import MAX_ABS, MAX_NUMBER_CHARS, check_tree, loads_toml, parse_number
from capplan.errors import UserError

FAST = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@pytest.mark.parametrize(
    "text,expected",
    [("12", 12), ("-3", -3), (" 1.5e3 ", 1500.0), ("1_000", 1000), (".5", 0.5), ("2.", 2.0), ("1e18", 1e18)],
)
def test_parses_plain_numbers(text, expected):
    value = parse_number(text, "src")
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "text,words",
    [
        ("9" * 5000, "5000 characters"),  # Python's int-string limit crashed here before
        ("9" * (MAX_NUMBER_CHARS + 1), f"{MAX_NUMBER_CHARS + 1} characters"),
        ("1e19", "at most 1e+18"),
        ("nan", "must be a number"),
        ("inf", "must be a number"),
        ("1e999", "finite"),  # overflows to inf
        ("５", "digits 0-9"),  # int() would accept a fullwidth digit
        ("1__0", "must be a number"),
        ("0x10", "must be a number"),
        ("", "must be a number"),
    ],
)
def test_refuses_what_is_not_a_bounded_number_and_names_the_source(text, words):
    with pytest.raises(UserError) as exc:
        parse_number(text, "--set video.steps")
    assert str(exc.value).startswith("--set video.steps: ")
    assert words in str(exc.value)


def test_integer_refuses_a_fraction():
    with pytest.raises(UserError, match="whole number"):
        parse_number("1.5", "hour", integer=True)


def test_loads_toml_names_the_line_of_a_number_too_long_to_read():
    text = 'name = "x"\n\n[energy]\npue = ' + "9" * 5000 + "\n"
    with pytest.raises(UserError) as exc:
        loads_toml(text, "econ.toml")
    assert str(exc.value).startswith("econ.toml: line 4: ")


def test_loads_toml_names_the_field_of_an_out_of_range_number():
    with pytest.raises(UserError) as exc:
        loads_toml("[fleet]\nheadroom_gpus = 99999999999999999999\n", "s.toml")
    assert str(exc.value).startswith("s.toml: field fleet.headroom_gpus: ")
    with pytest.raises(UserError, match=r"s.toml: field values.2: nan"):
        loads_toml("values = [1.0, 2.0, nan]\n", "s.toml")


def test_booleans_and_strings_are_not_numbers_to_check_tree():
    data = {"a": True, "b": ["x", {"c": False}], "d": 1e18}
    assert check_tree(data, "w") is data


@FAST
@given(st.text(max_size=80))
def test_any_text_either_parses_within_bounds_or_is_a_user_error(text):
    try:
        value = parse_number(text, "src")
    except UserError as exc:
        assert str(exc).startswith("src: ") and "\n" not in str(exc)
        return
    assert math.isfinite(value) and abs(value) <= MAX_ABS
    assert len(text.strip()) <= MAX_NUMBER_CHARS


@FAST
@given(st.one_of(st.integers(min_value=-(10**18), max_value=10**18), st.floats(min_value=-1e18, max_value=1e18, allow_nan=False)))
def test_every_number_in_range_round_trips(x):
    assert parse_number(repr(x) if isinstance(x, float) else str(x), "src") == x
