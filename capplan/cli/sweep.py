"""`capplan sweep video|text`: a grid of what-ifs, evaluated vectorised."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import typer

from capplan.cli import complete
from capplan.cli.options import AnyGpuOpt, AnyWorkloadOpt, CalibrationOpt, ClusterOpt, DebugOpt, FormatOpt, OutputOpt, SetOpt, VaryOpt, WorkersOpt
from capplan.cli.output import Format, emit, emit_stream

SweptArg = Annotated[str, typer.Argument(metavar="COMMAND", help="What to sweep: video or text.", autocompletion=complete.commands)]


def sweep(
    command: SweptArg,
    vary: VaryOpt = None,
    workload: AnyWorkloadOpt = None,
    gpu: AnyGpuOpt = None,
    set_: SetOpt = None,
    calibration: CalibrationOpt = None,
    workers: WorkersOpt = 1,
    cluster: ClusterOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Evaluate a grid of scenarios; a key varied with one value is simply fixed."""
    import sys

    from capplan import api
    from capplan.report.sweep import sweep_table

    kwargs: dict[str, Any] = {"fixed": {"workload": workload, "gpu": gpu}, "sets": set_, "calibration": calibration}
    if fmt in (Format.csv, Format.json):
        # Streamed chunk by chunk: memory stays flat in the number of scenarios (a million-cell grid
        # is written without holding its rows). Every input is checked before the first byte.
        from capplan import __version__
        from capplan.api.sweep import check_some_ran, iter_sweep
        from capplan.report.sweep_stream import sweep_csv, sweep_json

        chunks = iter_sweep(command, vary, **kwargs, workers=workers, cluster=cluster)
        first = next(chunks)
        if first.n == first.n_total:
            check_some_ran(first.rows())

        def all_chunks() -> Iterator[Any]:
            yield first
            yield from chunks

        emit_stream(sweep_csv(all_chunks()) if fmt is Format.csv else sweep_json(all_chunks(), __version__), output)
        return
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("sweeping", total=None)
            result = api.sweep(command, vary, **kwargs, workers=workers, cluster=cluster, progress=lambda d, n: bar.update(task, completed=d, total=n))
    else:
        result = api.sweep(command, vary, **kwargs, workers=workers, cluster=cluster)
    emit(result, fmt, output, sweep_table)
