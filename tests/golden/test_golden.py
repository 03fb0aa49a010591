"""Golden JSON: fixed capplan commands must keep giving the stored outputs (tests/golden/*.json).

Numbers compare with a relative tolerance of 1e-9 (plus 1e-12 absolute, so that an exact zero tolerates
round-off dust), which absorbs last-bit differences between numpy/scipy builds but nothing a model
change would cause; strings, booleans, nulls, keys and list lengths compare exactly. The plan's solver
wall time (``solve_s``) and ``capplan_version`` are not compared.

If a change is meant to move the numbers, run ``python tests/golden/regenerate.py`` and commit the
regenerated files together with the change.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("capplan_golden_regenerate", HERE / "regenerate.py")
assert _spec is not None and _spec.loader is not None
regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)

REL_TOL = 1e-9
ABS_TOL = 1e-12
IGNORED_KEYS = {"solve_s", "capplan_version"}
MAX_REPORTED = 25
HINT = "If the change is intended, run `python tests/golden/regenerate.py` and commit the regenerated files."


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def differences(stored: Any, now: Any, path: str = "$") -> list[str]:
    """Every place where ``now`` differs from ``stored``, as 'path: stored X, now Y'."""
    if isinstance(stored, dict) and isinstance(now, dict):
        out: list[str] = []
        for key in sorted(set(stored) | set(now), key=str):
            if key in IGNORED_KEYS:
                continue
            sub = f"{path}.{key}"
            if key not in now:
                out.append(f"{sub}: stored {stored[key]!r}, now missing")
            elif key not in stored:
                out.append(f"{sub}: not stored, now {now[key]!r}")
            else:
                out.extend(differences(stored[key], now[key], sub))
        return out
    if isinstance(stored, list) and isinstance(now, list):
        if len(stored) != len(now):
            return [f"{path}: stored a list of {len(stored)}, now {len(now)}"]
        return [d for i, (a, b) in enumerate(zip(stored, now)) for d in differences(a, b, f"{path}[{i}]")]
    if _is_number(stored) and _is_number(now):
        if math.isclose(stored, now, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            return []
        return [f"{path}: stored {stored!r}, now {now!r}"]
    if type(stored) is not type(now) or stored != now:
        return [f"{path}: stored {stored!r}, now {now!r}"]
    return []


@pytest.mark.parametrize("name", sorted(regenerate.CASES))
def test_output_matches_the_golden_file(name):
    golden = regenerate.golden_path(name)
    assert golden.is_file(), f"{golden.name} is missing. {HINT}"
    stored = json.loads(golden.read_text(encoding="utf-8"))
    now = json.loads(regenerate.run(regenerate.CASES[name]))
    diffs = differences(stored, now)
    if diffs:
        shown = "\n  ".join(diffs[:MAX_REPORTED])
        more = f"\n  ... and {len(diffs) - MAX_REPORTED} more" if len(diffs) > MAX_REPORTED else ""
        pytest.fail(
            f"`capplan {' '.join(regenerate.CASES[name])} --format json` differs from {golden.name} in {len(diffs)} place(s):\n  {shown}{more}\n{HINT}",
            pytrace=False,
        )


def test_every_golden_file_has_a_case():
    stale = sorted(p.name for p in HERE.glob("*.json") if p.stem not in regenerate.CASES)
    assert not stale, f"golden files without a case in regenerate.py: {stale}"


def test_the_comparison_is_tolerant_only_of_round_off():
    base = {"a": 1.0, "b": [0.0, 2], "s": "x", "ok": True, "n": None, "solve_s": 1.0}
    assert differences(base, {**base, "a": 1.0 + 5e-10, "b": [1e-13, 2.0], "solve_s": 9.0}) == []
    assert differences(base, {**base, "a": 1.0 + 2e-9}) == ["$.a: stored 1.0, now 1.000000002"]
    assert differences(base, {**base, "s": "y"}) == ["$.s: stored 'x', now 'y'"]
    assert differences(base, {**base, "ok": 1}) == ["$.ok: stored True, now 1"]
    assert differences(base, {**base, "n": 0.0}) == ["$.n: stored None, now 0.0"]
    assert differences(base, {**base, "b": [0.0]}) == ["$.b: stored a list of 2, now 1"]
    extra = {**base, "new": 1}
    assert differences(base, extra) == ["$.new: not stored, now 1"]
    assert differences(extra, base) == ["$.new: stored 1, now missing"]
