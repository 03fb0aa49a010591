"""`capplan calibrate`: fit efficiency multipliers to a user's measured runs.

The unknowns are multipliers ``m[kind, gpu, class]`` on the default efficiency of each op class (GEMM,
attention, memory bandwidth, convolution; :mod:`capplan.catalog.knobs`) of each kind of kernel (video
DiT kernels, LLM serving kernels) on each GPU in the data. They are fitted by bounded, robust least
squares in log space (scipy.optimize.least_squares, trust-region reflective, soft-L1 loss):

    minimise  Σ_rows ρ( log predicted_i(m) − log measured_i )  +  Σ ρ(λ log m),   ρ(r) = 2 s² (sqrt(1 + (r/s)²) − 1)

ρ is quadratic for residuals well inside s = 0.15 (15%) and linear beyond: measured runs have outliers
(a cached prefix, an unreported flag, a slow first request), and under a squared loss a few of them pull
every factor away from what the rest agree on. The small ridge term λ = 0.005 keeps classes the data
cannot see at their defaults. Bounds keep every
fitted fraction in [0.02, 1] of peak. Held-out error (leave-one-out up to 30 rows, else 5-fold) shows
whether the fit generalises or only memorises; a fit whose held-out error is worse than the defaults'
is refused unless forced. The written file (:mod:`capplan.catalog.calibration`) holds only the
(kind, GPU, stack) entries the data saw, so a fit on video rows leaves text results unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import numpy as np

from capplan import __version__
from capplan.analysis.validate import Comparison, measured_runs
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.calibration import Calibration, to_toml
from capplan.catalog.knobs import PROFILE_FIELDS
from capplan.errors import UserError
from capplan.results import CalibrateResult, FittedFactor

RIDGE = 0.005
ROBUST_SCALE = 0.15  # residual (in log time) where the fit's loss turns from quadratic to linear
MIN_FRAC = 0.02
MIN_ROWS = 3
Key = tuple[str, str, str]  # (kind, gpu, class)


@dataclass(frozen=True)
class Fit:
    multipliers: dict[Key, float]
    rows: list[Comparison]
    default_error: float
    fitted_error: float
    held_out_error: float
    held_out_method: str


def _params(rows: list[Comparison]) -> list[Key]:
    keys: list[Key] = []
    for r in rows:
        for stage in r.terms:
            for c, t in stage:
                if c is not None and t > 0 and (r.kind, r.gpu, c) not in keys:
                    keys.append((r.kind, r.gpu, c))
    return keys


def _fields(cat: Catalog, stack: str, key: Key) -> list[float]:
    prof = cat.efficiency.gpu[key[1]][stack]
    return [getattr(prof, f) for f in PROFILE_FIELDS[key[2]] if getattr(prof, f) is not None]


def fit_multipliers(rows: list[Comparison], cat: Catalog, stack: str) -> dict[Key, float]:
    from scipy.optimize import least_squares

    keys = _params(rows)
    if not keys:
        return {}
    lb = np.array([math.log(MIN_FRAC / min(_fields(cat, stack, k))) for k in keys])
    ub = np.array([max(math.log(1.0 / max(_fields(cat, stack, k))), lb_k + 1e-9) for k, lb_k in zip(keys, lb)])
    meas = np.log([r.measured for r in rows])

    def residuals(theta: np.ndarray) -> np.ndarray:
        m = dict(zip(keys, np.exp(theta)))
        pred = np.log([max(r.predict(m), 1e-300) for r in rows])
        return np.concatenate([pred - meas, RIDGE * theta])

    x0 = np.clip(np.zeros(len(keys)), lb + 1e-12, ub - 1e-12)
    res = least_squares(
        residuals, x0, bounds=(lb, ub), method="trf", loss="soft_l1", f_scale=ROBUST_SCALE, xtol=1e-10, ftol=1e-10, gtol=1e-10, max_nfev=200,
    )
    return dict(zip(keys, (float(v) for v in np.exp(res.x))))


def _err(rows: list[Comparison], m: dict[Key, float]) -> list[float]:
    return [abs(r.predict(m) - r.measured) / r.measured for r in rows]


def calibrate_rows(rows: list[Comparison], cat: Catalog, stack: str, progress: Callable[[int, int], None] | None = None) -> Fit:
    rows = [r for r in rows if r.calibratable]
    if len(rows) < MIN_ROWS:
        raise UserError("MEASUREMENTS", f"{len(rows)} usable rows", f"calibration needs at least {MIN_ROWS} rows with a measured time or throughput")
    m = fit_multipliers(rows, cat, stack)
    n = len(rows)
    folds = [[i] for i in range(n)] if n <= 30 else [list(range(k, n, 5)) for k in range(5)]
    held: list[float] = []
    for j, fold in enumerate(folds):
        train = [r for i, r in enumerate(rows) if i not in fold]
        held += _err([rows[i] for i in fold], fit_multipliers(train, cat, stack))
        if progress:
            progress(j + 1, len(folds))
    return Fit(
        multipliers=m,
        rows=rows,
        default_error=median(_err(rows, {})),
        fitted_error=median(_err(rows, m)),
        held_out_error=median(held),
        held_out_method="leave-one-out" if n <= 30 else "5-fold",
    )


def calibrate(
    measurements: str | Path, *, stack: str | None = None, force: bool = False, catalog: Catalog | None = None,
    progress: Callable[[int, int], None] | None = None, write: str | Path | None = None,
) -> tuple[CalibrateResult, str]:
    """Fit efficiency multipliers to ``measurements``; returns the result and the calibration file's text.

    Refuses to write (``write`` given, unless ``force``) a fit that predicts held-out rows worse than the
    defaults do; without ``write`` the result says so in its warnings."""
    cat = catalog or load_catalog()
    stack_id = cat.stack(stack)
    path = Path(measurements)
    rows = measured_runs(path, cat)
    unused = [
        f"row {r.row}: {r.model} on {r.gpu}, {r.quantity} "
        + ("(faster than with every kernel at peak and no overheads: the run had something the row does not state)" if r.beats_ideal
           else "(no op-class times to fit: used for validation only)")
        for r in rows if not r.calibratable
    ]
    fit = calibrate_rows(rows, cat, stack_id, progress)
    worse = fit.held_out_error > fit.default_error
    if worse and write is not None and not force:
        raise UserError(
            "MEASUREMENTS", str(path),
            f"the fit predicts held-out rows worse ({fit.held_out_error:.1%} median error) than the defaults ({fit.default_error:.1%}); "
            "it would not generalise. Add rows, or --force to keep it anyway",
        )
    seen = sorted({(k, g) for k, g, _ in fit.multipliers})
    covers = "; ".join(f"{sum(1 for r in fit.rows if (r.kind, r.gpu) == (k, g))} {k} rows on {g} ({stack_id})" for k, g in seen)
    note = (
        f"capplan calibrate on {path.name}: {len(fit.rows)} rows; median |error| {fit.default_error:.1%} with the defaults, "
        f"{fit.fitted_error:.1%} fitted, {fit.held_out_error:.1%} held out ({fit.held_out_method})"
    )
    cal: dict[tuple[str, str, str], dict[str, float]] = {}
    for (kind, gpu, cls), mult in sorted(fit.multipliers.items()):
        cal.setdefault((kind, gpu, stack_id), {})[cls] = mult
    text = to_toml(Calibration(covers=covers, multipliers=cal), f"Calibration for capplan --calibration.\n{note}")
    result = CalibrateResult(
        capplan_version=__version__,
        measurements=str(measurements),
        stack=stack_id,
        n_rows=len(fit.rows),
        default_median_abs_error=fit.default_error,
        fitted_median_abs_error=fit.fitted_error,
        held_out_median_abs_error=fit.held_out_error,
        held_out_method=fit.held_out_method,
        factors=[FittedFactor(kind=k, gpu=g, op_class=c, multiplier=m) for (k, g, c), m in sorted(fit.multipliers.items())],  # type: ignore[arg-type]
        covers=covers,
        rejected_rows=unused,
        warnings=[f"held out, the fit predicts worse ({fit.held_out_error:.1%} median error) than the defaults ({fit.default_error:.1%}): "
                  "it would not generalise, and --write refuses it without --force"] if worse else [],
        calibration_file=str(write) if write else None,
    )
    return result, text
