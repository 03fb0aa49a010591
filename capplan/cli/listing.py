"""`capplan list gpus|workloads|scenarios`: the catalogue."""

from __future__ import annotations

import typer

from capplan.cli.help import HelpCommand, HelpGroup
from capplan.cli.options import DebugOpt, FormatOpt, OutputOpt
from capplan.cli.output import Format, emit

app = typer.Typer(help="Show the catalogue: GPUs, workloads and scenarios.", no_args_is_help=True, cls=HelpGroup)


@app.command("gpus", cls=HelpCommand)
def gpus(fmt: FormatOpt = Format.table, output: OutputOpt = None, debug: DebugOpt = False) -> None:
    """GPUs in the catalogue with their dense peak figures, memory, power and default price."""
    from capplan import api

    emit(api.list_gpus(), fmt, output, "capplan.report.tables:gpu_table")


@app.command("workloads", cls=HelpCommand)
def workloads(fmt: FormatOpt = Format.table, output: OutputOpt = None, debug: DebugOpt = False) -> None:
    """Video and text models in the catalogue."""
    from capplan import api

    emit(api.list_workloads(), fmt, output, "capplan.report.tables:workload_table")


@app.command("scenarios", cls=HelpCommand)
def scenarios(fmt: FormatOpt = Format.table, output: OutputOpt = None, debug: DebugOpt = False) -> None:
    """Scenarios `capplan plan NAME` finds by name: the bundled ones and those under $CAPPLAN_PATH/workloads/scenarios."""
    from capplan.cli.scenarios import list_scenarios

    emit(list_scenarios(), fmt, output, "capplan.report.tables:scenario_table")
