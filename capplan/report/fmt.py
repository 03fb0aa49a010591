"""Rounding and units for numbers shown to people (JSON keeps full precision)."""

from __future__ import annotations

import math

_SI = [(1e24, "Y"), (1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]


def sig(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant figures, without scientific notation for everyday sizes."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(digits - 1 - mag, 0)
    return f"{round(x, decimals):,.{decimals}f}"


def si(x: float, unit: str, digits: int = 3) -> str:
    """1.23e15, 'FLOP' -> '1.23 PFLOP'."""
    for scale, prefix in _SI:
        if abs(x) >= scale:
            return f"{sig(x / scale, digits)} {prefix}{unit}"
    return f"{sig(x, digits)} {unit}"


def duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{sig(seconds * 1e6)} µs"
    if seconds < 1:
        return f"{sig(seconds * 1e3)} ms"
    if seconds < 120:
        return f"{sig(seconds)} s"
    if seconds < 7200:
        return f"{sig(seconds / 60)} min"
    return f"{sig(seconds / 3600)} h"


def usd(x: float) -> str:
    """Dollars: whole dollars from $100, cents from $1, else three significant figures."""
    if abs(x) >= 100:
        return f"${x:,.0f}"
    if abs(x) >= 1:
        return f"${x:,.2f}"
    return f"${sig(x, 3)}"


def gb(x: float) -> str:
    return f"{sig(x)} GB"


def pct(frac: float) -> str:
    return f"{frac * 100:.0f}%"
