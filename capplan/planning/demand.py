"""Hourly demand profiles: given inline, from a CSV column, or as a named shape.

A shape is a 24-hour pattern between ``trough`` and ``peak`` (weekend days can be scaled down), repeated
over the horizon. Hour 0 is Monday 00:00 local time.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np

from capplan.catalog.load import MAX_CSV_BYTES, read_text
from capplan.catalog.numbers import looks_numeric, parse_number
from capplan.errors import UserError

SHAPES: tuple[str, ...] = ("flat", "business_hours", "diurnal", "evening_peak")


def daily_pattern(shape: str) -> np.ndarray:
    """24 weights in [0, 1] (0 = trough, 1 = peak) for one day."""
    h = np.arange(24, dtype=float)
    if shape == "flat":
        return np.ones(24)
    if shape == "business_hours":
        # ramps 07-09, peak 09-17, ramps down 17-20
        return np.clip(np.minimum((h - 7) / 2, (20 - h) / 3), 0.0, 1.0)
    if shape == "diurnal":
        # smooth daily cycle, lowest at 04:00, highest at 16:00
        return 0.5 - 0.5 * np.cos(2 * np.pi * (h - 4) / 24)
    if shape == "evening_peak":
        # consumer traffic: low at night, rising through the day, peak 19-23
        return np.clip(np.minimum((h - 6) / 13, (27 - h) / 4), 0.0, 1.0)
    raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")


def shaped_profile(shape: str, peak: float, trough: float, hours: int, weekend_frac: float = 1.0) -> np.ndarray:
    """Hourly demand over ``hours`` following ``shape`` between ``trough`` and ``peak``.

    Saturdays and Sundays (days 5 and 6 of each week) are scaled by ``weekend_frac``.
    """
    day = trough + (peak - trough) * daily_pattern(shape)
    out = np.resize(day, hours)
    weekday = (np.arange(hours) // 24) % 7
    return np.where(weekday >= 5, out * weekend_frac, out)


def tile_profile(values: np.ndarray, hours: int) -> np.ndarray:
    """Repeat a profile of a day (24) or a week (168) over ``hours``; a full-length profile is kept."""
    v = np.asarray(values, dtype=float)
    if len(v) == hours:
        return v
    return np.resize(v, hours)


#: The column that keys a demand CSV's rows (matched without regard to case or surrounding spaces).
HOUR_COLUMN = "hour"
_COLUMN_NAME = re.compile(r"[\w .%()/#+-]{1,64}")


def _header_shown(names: list[str]) -> str:
    """The columns, for an error message, only if they look like column names: a file that is not a
    demand CSV (say /etc/passwd) must not have its first line echoed."""
    if names and len(names) <= 64 and all(_COLUMN_NAME.fullmatch(n) for n in names):
        return ", ".join(names)
    return "none that look like column names (is it a demand CSV?)"


def read_demand_csv(path: str | Path, column: str, hours: int, where: str) -> np.ndarray:
    """Hourly demand from ``column`` of a CSV whose ``hour`` column numbers the rows 0, 1, 2, ... in order.

    ``where`` names the scenario field that points at the file ("scenario.toml: field
    text.0.requests_per_s"); problems with the file are reported as ``<where>.csv``, a missing column as
    ``<where>.column`` and a bad cell as ``<path>: row N, column C`` (N counts the header as row 1).

    The hour column is what makes a row an hour: a gap, a repeated hour or rows out of order are
    errors, not silently read in file order (a file sorted by demand would otherwise plan a different
    day). The file must hold 24, 168 or ``hours`` rows (a day or a week are repeated over the horizon);
    cells must be finite numbers >= 0. Cell contents are never quoted in errors beyond a number read
    from them. Returns ``hours`` values.
    """
    text = read_text(path, f"{where}.csv", MAX_CSV_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        rows = [] if header is None else [r for r in reader if r]
    except csv.Error as exc:
        raise UserError(f"{where}.csv", str(path), f"it is not a valid CSV file ({exc})") from None
    names = [h.strip() for h in header or []]
    keys = [n.lower() for n in names]
    if column.strip() not in names:
        raise UserError(f"{where}.column", column, f"{path} has columns: {_header_shown(names)}")
    if HOUR_COLUMN not in keys:
        raise UserError(
            f"{where}.csv", str(path), f"a demand CSV needs an {HOUR_COLUMN!r} column numbering its rows 0, 1, 2, ... (it has: {_header_shown(names)})"
        )
    if len(rows) not in (24, 168, hours):
        raise UserError(f"{where}.csv", f"{len(rows)} rows", f"give 24, 168 or horizon_hours ({hours}) rows after the header")
    col, hour_col = names.index(column.strip()), keys.index(HOUR_COLUMN)
    hour_name, name = names[hour_col], names[col]
    index = [int(_cell(row, hour_col, f"{path}: row {i + 2}, column {hour_name}", integer=True)) for i, row in enumerate(rows)]
    first_row: dict[int, int] = {}
    for i, hour in enumerate(index):
        source = f"{path}: row {i + 2}, column {hour_name}"
        if not 0 <= hour < len(rows):
            raise UserError(source, hour, f"hours run from 0 (Monday 00:00) to {len(rows) - 1}, one row each")
        if hour in first_row:
            raise UserError(source, hour, f"hour {hour} is also on row {first_row[hour] + 2}; each hour once")
        first_row[hour] = i
    for i, hour in enumerate(index):  # n distinct hours in 0..n-1: every hour is there, maybe out of order
        if hour != i:
            raise UserError(f"{path}: row {i + 2}, column {hour_name}", hour, f"expected hour {i}: rows must be in hour order (sort the file by hour)")
    values = np.empty(len(rows))
    for i, row in enumerate(rows):
        value = _cell(row, col, f"{path}: row {i + 2}, column {name}")
        if value < 0:
            raise UserError(f"{path}: row {i + 2}, column {name}", value, "demand must be a finite number >= 0")
        values[i] = value
    return tile_profile(values, hours)


def _cell(row: list[str], index: int, source: str, *, integer: bool = False) -> float:
    if index >= len(row):
        raise UserError(source, "(no cell)", "every row needs a cell in this column")
    text = row[index].strip()
    if not looks_numeric(text) and text.lower() not in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
        raise UserError(source, "(not a number)" if text else "(empty)", "demand must be a finite number >= 0" if not integer else "hours are whole numbers")
    if not looks_numeric(text):
        raise UserError(source, float(text), "demand must be a finite number >= 0")
    return float(parse_number(text, source, integer=integer))
