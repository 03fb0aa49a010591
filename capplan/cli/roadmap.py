"""`capplan roadmap`: a month-by-month capacity plan over 1-5 years."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.output import Format, FormatOpt, OutputOpt, emit


def roadmap(
    scenario: Annotated[Optional[str], typer.Argument(help="Roadmap TOML file, or a bundled roadmap's name. Default: default.")] = None,
    months: Annotated[Optional[int], typer.Option(help="Months to plan (1-60), overriding the file's.")] = None,
    discount_rate: Annotated[Optional[float], typer.Option(help="Yearly discount rate (fraction), overriding the file's or the catalogue's cost of capital.")] = None,
    exact: Annotated[bool, typer.Option("--exact", help="Search every whole-node plan (branch and bound) instead of rounding the LP relaxation; can take minutes.")] = False,
    time_limit_s: Annotated[float, typer.Option(help="Solver time limit per roadmap [s].")] = 60.0,
    html: Annotated[Optional[Path], typer.Option(help="Also write a self-contained HTML report (SVG charts) to this file.")] = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Which GPUs to rent, commit to or buy each month, siloed vs. consolidated, by net present cost.

    CSV and Markdown give one row per month."""
    from capplan.api.roadmap import roadmap as run

    result = run(scenario, months=months, discount_rate=discount_rate, time_limit_s=time_limit_s, exact=exact)
    if html is not None:
        from capplan.cli.output import write_atomic
        from capplan.report.roadmap import render_html

        write_atomic(html, render_html(result))
    emit(result.rows if fmt in (Format.csv, Format.markdown) else result, fmt, output, "capplan.report.roadmap:roadmap_table")
