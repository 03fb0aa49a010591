"""`capplan calibrate`: fit efficiency factors to a user's measured runs, and apply a fit with
``--calibration FILE``.

The unknowns are multipliers ``m[gpu, class]`` on the default efficiency of each op class (GEMM,
attention, memory bandwidth, convolution) of each GPU in the data. They are fitted by bounded least
squares in log space (scipy.optimize.least_squares, trust-region reflective):

    minimise  Σ_rows ( log predicted_i(m) − log measured_i )²  +  λ² Σ (log m)²

The small ridge term λ = 0.005 keeps classes the data cannot see at their defaults. Bounds keep every
fitted fraction in [0.02, 1] of peak. Held-out error (leave-one-out up to 30 rows, else 5-fold) shows
whether the fit generalises or only memorises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

from capplan.catalog import Catalog, load_catalog
from capplan.catalog.load import read_toml, validate
from capplan.catalog.schemas import EfficiencyFile, EfficiencyProfile
from capplan.errors import UserError
from capplan.validation import VIDEO_COLUMNS, Comparison, text_comparisons, video_comparisons

RIDGE = 0.005
MIN_FRAC = 0.02
MIN_ROWS = 3
CLASS_FIELDS: dict[str, tuple[str, ...]] = {
    "gemm": ("gemm_frac", "gemm_fp8_frac", "gemm_fp4_frac", "serving_gemm_frac", "serving_gemm_fp8_frac"),
    "attention": ("attention_hdim64_frac", "attention_hdim128_frac"),
    "bandwidth": ("memory_bandwidth_frac", "weight_stream_frac", "weight_stream_fp8_frac", "decode_attention_bandwidth_frac"),
    "conv": ("conv_frac",),
}


@dataclass(frozen=True)
class Fit:
    multipliers: dict[tuple[str, str], float]
    rows: list[Comparison]
    default_error: float
    fitted_error: float
    held_out_error: float
    held_out_method: str


def _params(rows: list[Comparison]) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    for r in rows:
        for stage in r.terms:
            for c, t in stage:
                if c is not None and t > 0 and (r.gpu, c) not in keys:
                    keys.append((r.gpu, c))
    return keys


def _upper(cat: Catalog, stack: str, key: tuple[str, str]) -> float:
    """log of the largest multiplier that keeps every field of the class at most 1."""
    prof = cat.efficiency.gpu[key[0]][stack]
    vals = [getattr(prof, f) for f in CLASS_FIELDS[key[1]] if getattr(prof, f) is not None]
    return math.log(1.0 / max(vals))


def _lower(cat: Catalog, stack: str, key: tuple[str, str]) -> float:
    prof = cat.efficiency.gpu[key[0]][stack]
    vals = [getattr(prof, f) for f in CLASS_FIELDS[key[1]] if getattr(prof, f) is not None]
    return math.log(MIN_FRAC / min(vals))


def fit_multipliers(rows: list[Comparison], cat: Catalog, stack: str) -> dict[tuple[str, str], float]:
    from scipy.optimize import least_squares

    keys = _params(rows)
    if not keys:
        return {}
    lb = np.array([_lower(cat, stack, k) for k in keys])
    ub = np.array([max(_upper(cat, stack, k), lb_k + 1e-9) for k, lb_k in zip(keys, lb)])
    meas = np.log([r.measured for r in rows])

    def residuals(theta: np.ndarray) -> np.ndarray:
        m = dict(zip(keys, np.exp(theta)))
        pred = np.log([max(r.predict(m), 1e-300) for r in rows])
        return np.concatenate([pred - meas, RIDGE * theta])

    x0 = np.clip(np.zeros(len(keys)), lb + 1e-12, ub - 1e-12)
    res = least_squares(residuals, x0, bounds=(lb, ub), method="trf", xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=2000)
    return dict(zip(keys, (float(v) for v in np.exp(res.x))))


def _err(rows: list[Comparison], m: dict[tuple[str, str], float]) -> list[float]:
    return [abs(r.predict(m) - r.measured) / r.measured for r in rows]


def calibrate_rows(rows: list[Comparison], cat: Catalog, stack: str) -> Fit:
    rows = [r for r in rows if r.calibratable]
    if len(rows) < MIN_ROWS:
        raise UserError("MEASUREMENTS", f"{len(rows)} usable rows", f"calibration needs at least {MIN_ROWS} rows with a measured time or throughput")
    m = fit_multipliers(rows, cat, stack)
    n = len(rows)
    folds = [[i] for i in range(n)] if n <= 30 else [list(range(k, n, 5)) for k in range(5)]
    held: list[float] = []
    for fold in folds:
        train = [r for i, r in enumerate(rows) if i not in fold]
        mf = fit_multipliers(train, cat, stack)
        held += _err([rows[i] for i in fold], mf)
    return Fit(
        multipliers=m,
        rows=rows,
        default_error=median(_err(rows, {})),
        fitted_error=median(_err(rows, m)),
        held_out_error=median(held),
        held_out_method="leave-one-out" if n <= 30 else "5-fold",
    )


def load_measurements(path: Path, cat: Catalog) -> list[Comparison]:
    """A user's CSV in the video or the text layout of validation/ (chosen by its header)."""
    from capplan.catalog.load import existing_file

    existing_file("MEASUREMENTS", path)
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline().strip().split(",")
    if "time_s" in header or set(header) >= set(VIDEO_COLUMNS[:8]):
        return video_comparisons(cat, path, strict=True)
    return text_comparisons(cat, path, strict=True)


def calibrated_profiles(fit: Fit, cat: Catalog, stack: str, note: str) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (gpu, cls), mult in sorted(fit.multipliers.items()):
        prof = out.setdefault(gpu, {}).setdefault(stack, cat.efficiency.gpu[gpu][stack].model_dump())
        for f in CLASS_FIELDS[cls]:
            if prof.get(f) is not None:
                prof[f] = min(1.0, cat.efficiency.gpu[gpu][stack].model_dump()[f] * mult)
    for gpu in out:
        out[gpu][stack]["source"] = note
    return out


def to_toml(profiles: dict[str, dict[str, dict[str, Any]]], header: str) -> str:
    lines = [f"# {line}" for line in header.splitlines()] + [""]
    for gpu, stacks in profiles.items():
        for stack, prof in stacks.items():
            lines.append(f"[gpu.{gpu}.{stack}]")
            for k, v in prof.items():
                if v is None:
                    continue
                lines.append(f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v.replace(chr(92), "/").replace(chr(34), chr(39))}"')
            lines.append("")
    return "\n".join(lines)


def apply_calibration(cat: Catalog, path: str | Path | None) -> Catalog:
    """The catalogue with a calibration file's efficiency tables laid over the defaults."""
    if path is None:
        return cat
    import dataclasses

    from capplan.catalog.load import existing_file

    p = existing_file("--calibration", path)
    data = read_toml(p)
    unknown = [k for k in data if k != "gpu"]
    if unknown:
        raise UserError(f"{p}", unknown[0], "a calibration file holds [gpu.<id>.<stack>] tables only")
    merged = cat.efficiency.model_dump()
    for gpu, stacks in (data.get("gpu") or {}).items():
        if gpu not in cat.gpus:
            raise UserError(f"{p}: table gpu.{gpu}", gpu, f"choose a catalogued GPU: {', '.join(sorted(cat.gpus))}")
        if not isinstance(stacks, dict):
            raise UserError(f"{p}: table gpu.{gpu}", "(value)", "it must be a table of stacks")
        for stack, prof in stacks.items():
            validate(EfficiencyProfile, prof, f"{p}: table gpu.{gpu}.{stack}")
            merged["gpu"].setdefault(gpu, {})[stack] = prof
    return dataclasses.replace(cat, efficiency=validate(EfficiencyFile, merged, str(p)))


def calibrate(measurements: str | Path, *, stack: str | None = None, catalog: Catalog | None = None) -> tuple[Fit, str]:
    """Fit efficiencies to ``measurements``; returns the fit and the text of a calibration file."""
    cat = catalog or load_catalog()
    stack_id = cat.stack(stack)
    path = Path(measurements)
    rows = load_measurements(path, cat)
    fit = calibrate_rows(rows, cat, stack_id)
    note = (
        f"capplan calibrate on {path.name}: {len(fit.rows)} rows; median |error| {fit.default_error:.1%} with the defaults, "
        f"{fit.fitted_error:.1%} fitted, {fit.held_out_error:.1%} held out ({fit.held_out_method})"
    )
    text = to_toml(calibrated_profiles(fit, cat, stack_id, note), f"Calibration for capplan --calibration.\n{note}")
    return fit, text


def validate_all(*, calibration: str | Path | None = None, stack: str | None = None, catalog: Catalog | None = None):
    """Every bundled measurement vs. its prediction, with error summaries by GPU and by kind."""
    from capplan import __version__
    from capplan.results import ErrorSummary, ValidateResult, ValidationRow

    cat = apply_calibration(catalog or load_catalog(), calibration)
    stack_id = cat.stack(stack)
    if stack_id != cat.efficiency.default_stack:
        import dataclasses

        eff = cat.efficiency.model_copy(update={"default_stack": stack_id})
        cat = dataclasses.replace(cat, efficiency=eff)
    rows = video_comparisons(cat) + text_comparisons(cat)
    out_rows = [
        ValidationRow(kind=r.kind, model=r.model, gpu=r.gpu, num_gpus=r.num_gpus, quantity=r.quantity, measured=r.measured, predicted=r.predicted, error=r.error, verified=r.verified, source=r.source)  # type: ignore[arg-type]
        for r in rows
    ]

    def summary(name: str, sel: list[Comparison]) -> ErrorSummary:
        errs = [abs(r.error) for r in sel]
        return ErrorSummary(group=name, n=len(sel), median_abs_error=float(median(errs)), p90_abs_error=float(np.percentile(errs, 90)))

    groups = [summary("all", rows)]
    for kind in ("video", "text"):
        sel = [r for r in rows if r.kind == kind]
        if sel:
            groups.append(summary(kind, sel))
    for gpu in sorted({r.gpu for r in rows}):
        groups.append(summary(f"gpu {gpu}", [r for r in rows if r.gpu == gpu]))
    return ValidateResult(capplan_version=__version__, stack=stack_id, calibration=str(calibration) if calibration else None, rows=out_rows, summary=groups)
