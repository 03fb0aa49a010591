"""Calibration files (written by `capplan calibrate`, read with ``--calibration FILE``).

A calibration is a multiplier per op class (:data:`capplan.catalog.knobs.CLASSES`) for one kind of
workload (video kernels or serving kernels), one GPU and one software stack; it multiplies the
default efficiencies of that class only where its data came from. A fit on video rows therefore
leaves every text result unchanged, and vice versa. The file says what it covers::

    covers = "4 video rows on h100-sxm (fa2)"

    [multipliers.video."h100-sxm".fa2]
    gemm = 0.93
    attention = 1.12
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from capplan.catalog.knobs import CLASSES
from capplan.catalog.load import existing_file, read_toml
from capplan.errors import UserError

KINDS = ("video", "text")
MAX_MULTIPLIER = 100.0


@dataclass(frozen=True)
class Calibration:
    covers: str = ""
    # (kind, gpu, stack) -> {class: multiplier}
    multipliers: dict[tuple[str, str, str], dict[str, float]] = field(default_factory=dict)

    def scale(self, kind: str, gpu: str, stack: str) -> dict[str, float]:
        return self.multipliers.get((kind, gpu, stack), {})


NONE = Calibration()


def load_calibration(path: str | Path | Calibration | None, gpus: set[str] | None = None) -> Calibration:
    """Read and check a calibration file; None gives the empty calibration, a Calibration itself."""
    if path is None:
        return NONE
    if isinstance(path, Calibration):
        return path
    p = existing_file("--calibration", path)
    data = read_toml(p)
    unknown = [k for k in data if k not in ("covers", "multipliers")]
    if unknown:
        raise UserError(f"{p}", unknown[0], "a calibration file holds `covers` and [multipliers.<kind>.<gpu>.<stack>] tables (write one with `capplan calibrate --write`)")
    out: dict[tuple[str, str, str], dict[str, float]] = {}
    tables = data.get("multipliers") or {}
    if not isinstance(tables, dict):
        raise UserError(f"{p}: multipliers", "(value)", "it must be a table")
    for kind, by_gpu in tables.items():
        if kind not in KINDS or not isinstance(by_gpu, dict):
            raise UserError(f"{p}: table multipliers.{kind}", kind, f"kinds are {', '.join(KINDS)}")
        for gpu, by_stack in by_gpu.items():
            if gpus is not None and gpu not in gpus:
                raise UserError(f"{p}: table multipliers.{kind}.{gpu}", gpu, f"choose a catalogued GPU: {', '.join(sorted(gpus))}")
            if not isinstance(by_stack, dict):
                raise UserError(f"{p}: table multipliers.{kind}.{gpu}", "(value)", "it must be a table of stacks")
            for stack, mults in by_stack.items():
                where = f"{p}: table multipliers.{kind}.{gpu}.{stack}"
                if not isinstance(mults, dict):
                    raise UserError(where, "(value)", f"it must map op classes ({', '.join(CLASSES)}) to multipliers")
                for cls, m in mults.items():
                    if cls not in CLASSES:
                        raise UserError(f"{where}.{cls}", cls, f"op classes are {', '.join(CLASSES)}")
                    if isinstance(m, bool) or not isinstance(m, (int, float)) or not math.isfinite(m) or not 0 < m <= MAX_MULTIPLIER:
                        raise UserError(f"{where}.{cls}", m, f"a multiplier is a number in (0, {MAX_MULTIPLIER:g}]")
                out[(kind, gpu, stack)] = {c: float(v) for c, v in mults.items()}
    covers = data.get("covers", "")
    return Calibration(covers=covers if isinstance(covers, str) else "", multipliers=out)


def to_toml(cal: Calibration, header: str) -> str:
    lines = [f"# {line}" for line in header.splitlines()] + ["", f"covers = {_q(cal.covers)}", ""]
    for (kind, gpu, stack), mults in sorted(cal.multipliers.items()):
        lines.append(f"[multipliers.{kind}.{_q(gpu)}.{_q(stack)}]")
        lines += [f"{c} = {m!r}" for c, m in sorted(mults.items())]
        lines.append("")
    return "\n".join(lines)


def _q(s: str) -> str:
    return '"' + s.replace("\\", "/").replace('"', "'") + '"'
