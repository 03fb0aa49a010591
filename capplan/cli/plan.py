"""`capplan plan`: siloed vs. consolidated fleets for a scenario."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from capplan.cli.options import (
    CalibrationOpt,
    ClusterOpt,
    DebugOpt,
    FormatOpt,
    HtmlOpt,
    HtmlSensitivityOpt,
    OutputOpt,
    PowerCapOpt,
    PricingOpt,
    QuietOpt,
    SamplesOpt,
    ScenarioArg,
    ScheduleCsvOpt,
    SeedOpt,
    SetOpt,
    TimeLimitOpt,
    UncertainOpt,
    WorkersOpt,
    api_kwargs,
)
from capplan.cli.output import Format, emit


@contextlib.contextmanager
def solve_progress(quiet: bool) -> Iterator[Callable[[str, float], None] | None]:
    """A progress line on standard error while the solver runs: only on a terminal, never with --quiet
    or when standard error is piped (so scripts and logs stay clean)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("planning", total=1.0)

        def update(phase: str, frac: float) -> None:
            bar.update(task, description=phase, completed=frac)

        yield update


def plan(
    scenario: ScenarioArg = None,
    power_cap_mw: PowerCapOpt = None,
    pricing: PricingOpt = None,
    time_limit_s: TimeLimitOpt = 120.0,
    set_: SetOpt = None,
    calibration: CalibrationOpt = None,
    uncertain: UncertainOpt = None,
    samples: SamplesOpt = None,
    seed: SeedOpt = 0,
    workers: WorkersOpt = 1,
    cluster: ClusterOpt = None,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    html: HtmlOpt = None,
    schedule_csv: ScheduleCsvOpt = None,
    html_sensitivity: HtmlSensitivityOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Size siloed and consolidated fleets against hourly demand and compare their cost."""
    params = api_kwargs(locals())
    from capplan import api
    from capplan.cli import output as writer
    from capplan.cli.scenarios import scenario_file

    # Two options writing one file: refused before any work.
    writer.refuse_same_output({"--output": output, "--html": html, "--schedule-csv": schedule_csv})
    from capplan.report.plan import plan_report

    with scenario_file(scenario) as path, solve_progress(quiet) as progress:
        result = api.plan(**{**params, "scenario": path}, progress=progress)
        tornado = None
        if html is not None and html_sensitivity:
            # the tornado moves each factor around the plan just shown: the same cap, pricing and time limit
            sens = api.sensitivity(
                "plan", scenario=path, args={"pricing": pricing, "power_cap_mw": power_cap_mw, "time_limit_s": time_limit_s}, sets=set_, calibration=calibration
            )
            tornado = [(r.input, r.output_low, r.output_high) for r in sens.rows]
    if html is not None:
        from capplan.cli.output import write_atomic
        from capplan.report.html import render_html

        write_atomic(html, render_html(result, tornado), option="--html")
    if schedule_csv is not None:
        from capplan.report.flat import plan_schedule_csv

        writer.write_atomic(schedule_csv, plan_schedule_csv(result), option="--schedule-csv")
    emit(result, fmt, output, plan_report)
