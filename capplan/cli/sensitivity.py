"""`capplan sensitivity video|text|plan`: a tornado of how the cost moves with each input."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from capplan.cli import complete
from capplan.cli.options import (
    AnyGpuOpt,
    AnyGpusOpt,
    AnyPrecisionOpt,
    AnyWorkloadOpt,
    CalibrationOpt,
    ClusterOpt,
    DebugOpt,
    FormatOpt,
    OutputOpt,
    PctOpt,
    PricingOpt,
    ScenarioArg,
    SetOpt,
    WorkersOpt,
)
from capplan.cli.output import Format, emit

TornadoArg = Annotated[str, typer.Argument(metavar="COMMAND", help="What to analyse: video, text or plan.", autocompletion=complete.commands)]


def sensitivity(
    command: TornadoArg,
    scenario: ScenarioArg = None,
    pct: PctOpt = 20.0,
    workload: AnyWorkloadOpt = None,
    gpu: AnyGpuOpt = None,
    gpus: AnyGpusOpt = None,
    precision: AnyPrecisionOpt = None,
    pricing: PricingOpt = None,
    set_: SetOpt = None,
    calibration: CalibrationOpt = None,
    workers: WorkersOpt = 1,
    cluster: ClusterOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Move each input by ±pct alone and rank inputs by how much the cost moves (plan: SCENARIO as for `capplan plan`)."""
    from capplan import api
    from capplan.cli.scenarios import scenario_file
    from capplan.report.sensitivity import tornado

    args: dict[str, Any]
    if command == "plan":
        args = {"pricing": pricing}
    else:
        args = {"workload": workload, "gpu": gpu, "gpus": gpus, "precision": precision, "pricing": pricing}
    with scenario_file(scenario if command == "plan" else None) as path:
        result = api.sensitivity(
            command, pct=pct, args=args, sets=set_, scenario=path if command == "plan" else None, calibration=calibration, workers=workers, cluster=cluster
        )
    emit(result, fmt, output, tornado)
