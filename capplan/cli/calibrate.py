"""`capplan validate` and `capplan calibrate`: the models' error against measurements, and a fit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.options import OUTPUT, CalibrationOpt, DebugOpt, FormatOpt, OutputOpt, StackFitOpt
from capplan.cli.output import Format, emit


def validate(
    measurements: Annotated[
        Optional[Path],
        typer.Argument(metavar="[CSV]", help="Your own measured runs, laid out like validation/video_measurements.csv or text_measurements.csv. Default: the published measurements bundled with capplan."),
    ] = None,
    stack: StackFitOpt = None,
    calibration: CalibrationOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Compare predictions with measured runs (the published ones bundled with capplan, or yours): median, P90 and signed errors; a bundled row more than 30% off names its known cause."""
    from capplan.analysis.validate import validate_all
    from capplan.report.validation import validate_report

    emit(validate_all(calibration=calibration, stack=stack, measurements=measurements), fmt, output, validate_report)


def calibrate(
    measurements: Annotated[Path, typer.Argument(metavar="CSV", help="CSV of measured runs, laid out like validation/video_measurements.csv or text_measurements.csv.")],
    write: Annotated[
        Optional[Path], typer.Option("--write", "-w", metavar="FILE", help="Write the calibration file here (use it with --calibration).", rich_help_panel=OUTPUT)
    ] = None,
    stack: StackFitOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Keep a fit even if it predicts held-out rows worse than the defaults.", rich_help_panel=OUTPUT)] = False,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Fit efficiency factors per op class, kind of kernel (video or serving) and GPU to measured runs."""
    from capplan.analysis.calibrate import calibrate as fit_file
    from capplan.cli.output import write_atomic
    from capplan.report.validation import calibrate_report

    result, text = fit_file(measurements, stack=stack, force=force, write=write)
    if write is not None:
        write_atomic(write, text)
    emit(result, fmt, output, calibrate_report)
