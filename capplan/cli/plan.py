"""`capplan plan`: siloed vs. consolidated fleets for a scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli.options import CalibrationOpt, PricingOpt, SamplesOpt, SeedOpt, SetOpt, UncertainOpt
from capplan.cli.output import Format, FormatOpt, OutputOpt, emit


def plan(
    scenario: Annotated[Optional[str], typer.Argument(help="Scenario TOML file, or a bundled scenario's name. Default: chat-and-video.")] = None,
    power_cap_mw: Annotated[Optional[float], typer.Option(help="Site power cap [MW], overriding the scenario's.")] = None,
    pricing: PricingOpt = None,
    time_limit_s: Annotated[float, typer.Option(help="Solver time limit per plan [s].")] = 120.0,
    html: Annotated[Optional[Path], typer.Option(help="Also write a self-contained HTML report (tables and charts) to this file.")] = None,
    html_sensitivity: Annotated[bool, typer.Option("--html-sensitivity", help="Add a ±20% sensitivity tornado to the HTML report (solves the plan 13 more times).")] = False,
    set_: SetOpt = None,
    calibration: CalibrationOpt = None,
    uncertain: UncertainOpt = None,
    samples: SamplesOpt = None,
    seed: SeedOpt = 0,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Size siloed and consolidated fleets against hourly demand and compare their cost."""
    from capplan import api
    from capplan.report.plan import plan_report

    result = api.plan(scenario, power_cap_mw=power_cap_mw, pricing=pricing, time_limit_s=time_limit_s, sets=set_, calibration=calibration, uncertain=uncertain, samples=20 if samples is None else samples, seed=seed)
    if html is not None:
        from capplan.cli.output import write_atomic
        from capplan.report.html import render_html

        tornado = None
        if html_sensitivity:
            sens = api.sensitivity("plan", scenario=scenario, args={"pricing": pricing}, sets=set_, calibration=calibration)
            tornado = [(r.input, r.output_low, r.output_high) for r in sens.rows]
        write_atomic(html, render_html(result, tornado))
    emit(result, fmt, output, plan_report)
