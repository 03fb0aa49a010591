"""`capplan list gpus|workloads`: the catalogue."""

from __future__ import annotations

import typer

from capplan import api
from capplan.cli.output import Format, FormatOpt, OutputOpt, emit

app = typer.Typer(help="Show the catalogue: GPUs and workloads.", no_args_is_help=True)


@app.command("gpus")
def gpus(fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """GPUs in the catalogue with their dense peak figures, memory, power and default price."""
    emit(api.list_gpus(), fmt, output, "capplan.report.tables:gpu_table")


@app.command("workloads")
def workloads(fmt: FormatOpt = Format.table, output: OutputOpt = None) -> None:
    """Video and text models in the catalogue."""
    emit(api.list_workloads(), fmt, output, "capplan.report.tables:workload_table")
