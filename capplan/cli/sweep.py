"""`capplan sweep video|text`: a grid of what-ifs, evaluated vectorised."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from capplan.cli.options import CalibrationOpt, SetOpt
from capplan.cli.output import Format, FormatOpt, OutputOpt, emit


def sweep(
    command: Annotated[str, typer.Argument(help="video or text.")],
    vary: Annotated[Optional[list[str]], typer.Option("--vary", help="key=v1,v2,... Repeatable; the grid is their product. Keys: the command's options (resolution, seconds, fps, steps, gpu, precision, prompt-tokens, tpot-ms, ...) or --set keys.")] = None,
    workload: Annotated[Optional[str], typer.Option(help="Model id, unless varied.")] = None,
    gpu: Annotated[Optional[str], typer.Option(help="GPU id, unless varied.")] = None,
    set_: SetOpt = None,
    calibration: CalibrationOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Evaluate a grid of scenarios; a key varied with one value is simply fixed."""
    import sys

    from capplan.api.sweep import sweep as run
    from capplan.report.sweep import sweep_table

    fixed = {"workload": workload, "gpu": gpu}
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("sweeping", total=None)
            result = run(command, vary, fixed=fixed, sets=set_, calibration=calibration, progress=lambda d, n: bar.update(task, completed=d, total=n))
    else:
        result = run(command, vary, fixed=fixed, sets=set_, calibration=calibration)
    emit(result, fmt, output, sweep_table)
