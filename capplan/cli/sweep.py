"""`capplan sweep video|text`: a grid of what-ifs, evaluated vectorised."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from capplan.cli import complete
from capplan.cli.options import AnyGpuOpt, AnyWorkloadOpt, CalibrationOpt, DebugOpt, FormatOpt, OutputOpt, SetOpt, VaryOpt
from capplan.cli.output import Format, emit

SweptArg = Annotated[str, typer.Argument(metavar="COMMAND", help="What to sweep: video or text.", autocompletion=complete.commands)]


def sweep(
    command: SweptArg,
    vary: VaryOpt = None,
    workload: AnyWorkloadOpt = None,
    gpu: AnyGpuOpt = None,
    set_: SetOpt = None,
    calibration: CalibrationOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Evaluate a grid of scenarios; a key varied with one value is simply fixed."""
    import sys

    from capplan import api
    from capplan.report.sweep import sweep_table

    kwargs: dict[str, Any] = {"fixed": {"workload": workload, "gpu": gpu}, "sets": set_, "calibration": calibration}
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("sweeping", total=None)
            result = api.sweep(command, vary, **kwargs, progress=lambda d, n: bar.update(task, completed=d, total=n))
    else:
        result = api.sweep(command, vary, **kwargs)
    emit(result, fmt, output, sweep_table)
