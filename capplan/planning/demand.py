"""Hourly demand profiles: given inline, from a CSV column, or as a named shape.

A shape is a 24-hour pattern between ``trough`` and ``peak`` (weekend days can be scaled down), repeated
over the horizon. Hour 0 is Monday 00:00 local time.
"""

from __future__ import annotations

import numpy as np

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
