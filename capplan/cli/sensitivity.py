"""`capplan sensitivity video|text|plan`: a tornado of how the cost moves with each input."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from capplan.cli.options import CalibrationOpt, PricingOpt, SetOpt
from capplan.cli.output import Format, FormatOpt, OutputOpt, emit


def sensitivity(
    command: Annotated[str, typer.Argument(help="video, text or plan.")],
    scenario: Annotated[Optional[str], typer.Argument(help="For plan: the scenario (default: the bundled one).")] = None,
    pct: Annotated[float, typer.Option(help="How far each input moves, in percent.")] = 20.0,
    workload: Annotated[Optional[str], typer.Option(help="Model id (video/text).")] = None,
    gpu: Annotated[Optional[str], typer.Option(help="GPU id (video/text).")] = None,
    gpus: Annotated[Optional[int], typer.Option(help="GPUs per video / per replica.")] = None,
    precision: Annotated[Optional[str], typer.Option(help="Precision.")] = None,
    pricing: PricingOpt = None,
    set_: SetOpt = None,
    calibration: CalibrationOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Move each input by ±pct alone and rank inputs by how much the cost moves."""
    from capplan.api.sensitivity import sensitivity as run
    from capplan.report.sensitivity import tornado

    if command == "plan":
        args = {"pricing": pricing}
    else:
        args = {"workload": workload, "gpu": gpu, "gpus": gpus, "precision": precision, "pricing": pricing}
    result = run(command, pct=pct, args=args, sets=set_, scenario=scenario, calibration=calibration)
    emit(result, fmt, output, tornado)
