"""Line protocol: escaping, value formatting, and the points it refuses."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.influx.lineproto import (
    INT64_MAX,
    INT64_MIN,
    BadPoint,
    build_line,
    check_line,
    escape_key,
    escape_measurement,
    format_value,
    tag_set,
)


def test_measurement_escapes_comma_and_space_but_not_equals() -> None:
    assert escape_measurement("ap poll,x=y") == "ap\\ poll\\,x=y"


def test_keys_and_tag_values_escape_comma_equals_space() -> None:
    assert escape_key("a b,c=d") == "a\\ b\\,c\\=d"


def test_tags_sorted_and_empty_values_left_out() -> None:
    assert tag_set({"site": "S 1", "ap": "AP-1", "band": ""}) == ",ap=AP-1,site=S\\ 1"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0i"),
        (-5, "-5i"),
        (INT64_MAX, "9223372036854775807i"),
        (INT64_MIN, "-9223372036854775808i"),
        (True, "true"),
        (False, "false"),
        (0.5, "0.5"),
        (1e20, "1e+20"),
        (3.0, "3.0"),
        ('say "hi" \\ bye', '"say \\"hi\\" \\\\ bye"'),
        ("서울 공공와이파이", '"서울 공공와이파이"'),
    ],
)
def test_field_values(value: int | float | bool | str, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (math.nan, "nan_inf"),
        (math.inf, "nan_inf"),
        (-math.inf, "nan_inf"),
        (INT64_MAX + 1, "int_range"),
        (INT64_MIN - 1, "int_range"),
        (2**64, "int_range"),
        ("bad \udcff utf-8", "utf8"),
        ("two\nlines", "control_char"),
        ("nul\x00", "control_char"),
        ("x" * (64 * 1024 + 1), "string_too_long"),
        (b"bytes", "type"),
    ],
)
def test_unwritable_values_raise_bad_point(value: object, reason: str) -> None:
    with pytest.raises(BadPoint) as caught:
        format_value(value)  # type: ignore[arg-type]
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("a\\b", "backslash"), ("a\nb", "control_char"), ("\ud800", "utf8")],
)
def test_unwritable_names_raise_bad_point(text: str, reason: str) -> None:
    with pytest.raises(BadPoint) as caught:
        escape_key(text)
    assert caught.value.reason == reason


def test_build_line_whole() -> None:
    line = build_line("m", {"b": "2", "a": "x y"}, {"n": 3, "f": 0.25, "s": "ok"}, 1_700_000_000)
    assert line == 'm,a=x\\ y,b=2 n=3i,f=0.25,s="ok" 1700000000'


def test_build_line_needs_a_field_and_an_int_timestamp() -> None:
    with pytest.raises(BadPoint, match="no_fields"):
        build_line("m", {}, {}, 1)
    with pytest.raises(BadPoint, match="type"):
        build_line("m", {}, {"v": 1}, 1.5)  # type: ignore[arg-type]
    with pytest.raises(BadPoint, match="time_range"):
        build_line("m", {}, {"v": 1}, 10**10)


def test_check_line() -> None:
    check_line("m v=1i 1")
    with pytest.raises(BadPoint):
        check_line("m v=1i 1\nm v=2i 2")


@given(st.text(), st.text(), st.one_of(st.integers(), st.floats(), st.text(), st.booleans()))
def test_any_input_gives_one_clean_line_or_bad_point(
    tag: str, key: str, value: int | float | str | bool
) -> None:
    try:
        line = build_line("m", {"t": tag}, {key: value}, 1)
    except BadPoint:
        return
    assert "\n" not in line and "\r" not in line
    line.encode("utf-8")  # valid UTF-8
    # Unescaped separators never appear inside the tag and field parts.
    head, _, rest = line.partition(" ")
    assert head.startswith("m")
    assert rest.endswith(" 1")


@given(st.integers(min_value=INT64_MIN, max_value=INT64_MAX))
def test_every_int64_is_written_exactly(value: int) -> None:
    assert format_value(value) == f"{value}i"
