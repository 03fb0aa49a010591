"""`capplan validate` and `capplan calibrate`: the models' error against measurements, and a fit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.options import CalibrationOpt
from capplan.cli.output import Format, FormatOpt, OutputOpt, emit


def validate(
    stack: Annotated[Optional[str], typer.Option(help="Efficiency profile to validate: fa2 or fa3.")] = None,
    calibration: CalibrationOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Compare predictions with the published measurements bundled with capplan: median and P90 errors."""
    from capplan.calibration import validate_all
    from capplan.report.validation import validate_report

    emit(validate_all(calibration=calibration, stack=stack), fmt, output, validate_report)


def calibrate(
    measurements: Annotated[Path, typer.Argument(help="CSV of measured runs, laid out like validation/video_measurements.csv or text_measurements.csv.")],
    write: Annotated[Optional[Path], typer.Option("--write", "-w", help="Write the calibration file here (use it with --calibration).")] = None,
    stack: Annotated[Optional[str], typer.Option(help="Efficiency profile to fit: fa2 or fa3.")] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Fit per-GPU efficiency factors to measured runs (bounded least squares in log space)."""
    from capplan import __version__
    from capplan.calibration import calibrate as fit_file
    from capplan.cli.output import write_atomic
    from capplan.report.validation import calibrate_report
    from capplan.results import CalibrateResult, FittedFactor

    fit, text = fit_file(measurements, stack=stack)
    if write is not None:
        write_atomic(write, text)
    from capplan.catalog import load_catalog

    result = CalibrateResult(
        capplan_version=__version__,
        measurements=str(measurements),
        stack=load_catalog().stack(stack),
        n_rows=len(fit.rows),
        default_median_abs_error=fit.default_error,
        fitted_median_abs_error=fit.fitted_error,
        held_out_median_abs_error=fit.held_out_error,
        held_out_method=fit.held_out_method,
        factors=[FittedFactor(gpu=g, op_class=c, multiplier=m) for (g, c), m in sorted(fit.multipliers.items())],  # type: ignore[arg-type]
        calibration_file=str(write) if write else None,
    )
    emit(result, fmt, output, calibrate_report)
