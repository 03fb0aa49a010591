"""The one place text becomes a number: every number capplan reads from a file or an option passes here.

Bounds, whatever the source (a --set value, a TOML file, a CSV cell):

- at most :data:`MAX_NUMBER_CHARS` characters as typed, so a 5000-digit number is refused by name
  instead of tripping Python's int-string limit (a ValueError deep in tomllib or int());
- finite (no nan, inf) and at most :data:`MAX_ABS` in magnitude. No quantity capplan models comes
  near 1e18 in the units its files use (the largest, a model's parameters, is capped at 1e14), while
  anything beyond 2**63 overflows the int64 arrays of the models. Each field's own, tighter range is
  its schema's job;
- ASCII digits only (``int()`` accepts fullwidth and other Unicode digits).
"""

from __future__ import annotations

import math
import re
from typing import Any

from capplan.errors import UserError

MAX_NUMBER_CHARS = 64
MAX_ABS = 1e18
#: A number as TOML, a CSV cell or an option writes it (underscores as TOML allows them).
NUMBER_RE = re.compile(r"[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?", re.ASCII)
_BOUNDS = f"numbers are finite, at most {MAX_ABS:.0e} in size and {MAX_NUMBER_CHARS} characters long"


def looks_numeric(text: str) -> bool:
    """True for text a reader would take as a decimal number ("12", "-1.5e3", "1_000")."""
    return NUMBER_RE.fullmatch(text.strip()) is not None


def check_number(value: int | float, source: str) -> int | float:
    """``value`` if it is finite and within :data:`MAX_ABS`, else a UserError naming ``source``."""
    try:
        ok = math.isfinite(value) and abs(value) <= MAX_ABS
    except OverflowError:  # an int beyond float range
        ok = False
    if not ok:
        shown = value if isinstance(value, float) or len(str(abs(value))) < 30 else f"a number of {len(str(abs(value)))} digits"
        raise UserError(source, shown, _BOUNDS)
    return value


def parse_number(text: str, source: str, *, integer: bool = False) -> int | float:
    """``text`` as a number (an int when written without point or exponent), bounded, or a UserError.

    ``integer``: refuse a fraction. "nan", "inf" and non-ASCII digits are refused."""
    s = text.strip()
    if len(s) > MAX_NUMBER_CHARS:
        raise UserError(source, f"a number of {len(s)} characters", _BOUNDS)
    if not looks_numeric(s) or "__" in s or s.endswith("_"):
        raise UserError(source, s, "it must be a number (digits 0-9, e.g. 12 or 1.5e3)")
    plain = s.replace("_", "")
    if re.fullmatch(r"[+-]?[0-9]+", plain):
        return check_number(int(plain), source)
    if integer:
        raise UserError(source, s, "it must be a whole number")
    return check_number(float(plain), source)


def check_tree(data: Any, where: str, path: str = "") -> Any:
    """Refuse the first non-finite or out-of-range number anywhere in parsed TOML/JSON ``data``,
    naming it as ``<where>: field <dotted path>``; booleans are not numbers and pass."""
    if isinstance(data, bool):
        return data
    if isinstance(data, (int, float)):
        check_number(data, f"{where}: field {path}" if path else where)
    elif isinstance(data, dict):
        for k, v in data.items():
            check_tree(v, where, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            check_tree(v, where, f"{path}.{i}" if path else str(i))
    return data


_LONG_NUMBER = re.compile(rf"[0-9_]{{{MAX_NUMBER_CHARS},}}")


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _TooLong(text)
    return float(text)


class _TooLong(ValueError):
    pass


def loads_toml(text: str, where: str) -> dict[str, Any]:
    """``tomllib.loads`` with every number bounded; errors name ``where`` (and the line of a number too
    long to read). TOML syntax errors are left to the caller as ``tomllib.TOMLDecodeError``."""
    import tomllib  # not at the top: a run served from the catalogue cache parses no TOML

    try:
        data = tomllib.loads(text, parse_float=_bounded_float)
    except tomllib.TOMLDecodeError:
        raise
    except ValueError:  # Python's int-string limit inside tomllib, or _TooLong
        m = _LONG_NUMBER.search(text)
        line = text.count("\n", 0, m.start()) + 1 if m else 0
        source = f"{where}: line {line}" if line else where
        digits = len(m.group(0)) if m else MAX_NUMBER_CHARS
        raise UserError(source, f"a number of {digits}+ characters", _BOUNDS) from None
    return check_tree(data, where)
