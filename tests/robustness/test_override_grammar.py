"""Property-based fuzz of the --set / --vary value grammar (capplan.catalog.overrides)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.catalog.numbers import MAX_ABS
from capplan.catalog.overrides import BOOL_OPTIONS, PREFIXES, Scale, parse_sets, parse_value
from capplan.errors import UserError

FAST = settings(max_examples=400, deadline=None, derandomize=True, database=None)
TOKENS = st.sampled_from(["1", "9" * 70, "0x0", "nan", "inf", "true", "no", "[", "]", ",", "=", "*", ".", '"', "'", "{", "}", " ", "x", "1e999", "_", "-", "1920x1080"])
VALUES = st.one_of(st.text(max_size=40), st.lists(TOKENS, max_size=8).map("".join))


def _numbers_in(v):
    if isinstance(v, bool):
        return []
    if isinstance(v, (int, float)):
        return [v]
    if isinstance(v, list):
        return [x for item in v for x in _numbers_in(item)]
    if isinstance(v, dict):
        return [x for item in v.values() for x in _numbers_in(item)]
    return []


@FAST
@given(text=VALUES, key=st.one_of(st.none(), st.sampled_from(["cfg", "steps", "video.cfg", "resolution"])))
def test_parse_value_gives_a_bounded_value_or_one_user_error(text, key):
    try:
        v = parse_value(text, "--vary x", key)
    except UserError as exc:
        assert str(exc).startswith("--vary x: ") and "\n" not in str(exc)
        return
    assert all(math.isfinite(x) and abs(x) <= MAX_ABS for x in _numbers_in(v))
    if key is not None and key.rsplit(".", 1)[-1] in BOOL_OPTIONS:
        assert isinstance(v, bool)


@FAST
@given(items=st.lists(st.tuples(st.sampled_from([*PREFIXES, "bogus", ""]), st.text(max_size=12), st.sampled_from(["=", "*=", "", "=="]), VALUES), max_size=4))
def test_parse_sets_gives_keys_and_bounded_values_or_one_user_error(items):
    raw = [f"{p}.{k}{op}{v}" for p, k, op, v in items]
    try:
        parsed = parse_sets(raw)
    except UserError as exc:
        assert str(exc).startswith("--set") and "\n" not in str(exc)
        return
    assert len(parsed) == len(raw)
    for key, value in parsed:
        assert key.split(".", 1)[0] in PREFIXES
        assert all(math.isfinite(x) and abs(x) <= MAX_ABS for x in _numbers_in(value))
        if isinstance(value, Scale):
            assert math.isfinite(value)


@pytest.mark.parametrize("text", ["0x0", "1920x1080", "7 x 5", "1920×1080"])
def test_width_x_height_stays_a_string(text):
    assert parse_value(text) == text.strip()


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "True", "FALSE", "Y", "n"])
def test_only_true_and_false_are_booleans(word):
    with pytest.raises(UserError, match="booleans are written true or false"):
        parse_value(word)
    assert parse_value("true") is True and parse_value("false") is False


def test_switch_keys_take_booleans_only():
    for text in ("1", "0", "0.5", "-1", '"true"', "[true]"):
        with pytest.raises(UserError, match="is a switch: choose true or false"):
            parse_value(text, "--vary cfg", "cfg")
    assert parse_sets(["video.cfg=false"]) == [("video.cfg", False)]
    # the same number is fine for a key that is not a switch
    assert parse_sets(["video.steps=1"]) == [("video.steps", 1)]
