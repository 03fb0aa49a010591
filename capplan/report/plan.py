"""Terminal report of a plan: siloed vs. consolidated side by side, and the hourly schedule as a chart."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from capplan.report.arrangements import INFEASIBLE, binding, fleets, has_savings, infeasible_of, infeasible_sentence, missing, savings_text
from capplan.report.fmt import pct, sig, usd
from capplan.report.planfacts import assumption_lines, metric_label, metric_value, uncertainty_bands, uncertainty_note
from capplan.results import Assumptions, FleetPlan, PlanResult

CHART_ROWS = 48
CHART_WIDTH = 44


def _maybe(x: float | None, f) -> str:
    return "—" if x is None else f(x)


def compare_table(r: PlanResult) -> Table:
    """Siloed and consolidated side by side; an infeasible arrangement's column says INFEASIBLE and what
    binds, and is empty below."""
    t = Table(title=f"{r.scenario}: siloed vs. consolidated over {r.horizon_hours} h ({r.pricing})", title_justify="left")
    t.add_column("", no_wrap=True)
    t.add_column("Siloed", justify="right")
    t.add_column("Consolidated", justify="right")
    s, c = r.siloed, r.consolidated

    def cell(p: FleetPlan | None, f) -> str:
        return "—" if p is None else f(p)

    def row(name: str, f) -> None:
        t.add_row(name, cell(s, f), cell(c, f))

    if s is None or c is None:
        def plan_status(p: FleetPlan | None, mode: str) -> Text:
            if p is not None:
                return Text("feasible")
            return Text(f"{INFEASIBLE}\n{binding(infeasible_of(r, mode))}", style="bold red", justify="right")

        t.add_row("Plan", plan_status(s, "siloed"), plan_status(c, "consolidated"))
    row("GPUs", lambda p: ", ".join(f"{n} × {g}" for g, n in p.gpus.items()) or "0")
    row("  fleets", lambda p: "; ".join(f"{f}: {sum(d.values())}" for f, d in p.fleets.items()))
    row("Racks", lambda p: f"{p.racks}")
    row("Total cost", lambda p: usd(p.total_cost_usd))
    row("  per hour", lambda p: usd(p.cost_per_hour_usd))
    row("  hardware / energy", lambda p: f"{usd(p.hardware_cost_usd)} / {usd(p.energy_cost_usd)}")
    row("  fixed (per fleet)", lambda p: usd(p.fixed_cost_usd))
    row("  network (prompt embeddings)", lambda p: usd(p.network_cost_usd))
    row("Cost per minute of video", lambda p: _maybe(p.cost_per_video_minute_usd, usd))
    row("Cost per million tokens", lambda p: _maybe(p.cost_per_million_tokens_usd, usd))
    row("Utilisation", lambda p: pct(p.utilization))
    row("Idle GPU-hours", lambda p: f"{p.idle_gpu_hours:,.0f}" + (f" (worth {usd(p.backfill_value_usd)})" if p.backfill_value_usd else ""))
    row("Peak power", lambda p: f"{sig(p.peak_power_mw)} MW")
    row("Energy", lambda p: f"{sig(p.energy_mwh)} MWh")
    t.add_row(
        "Solve",
        *("infeasible" if p is None else f"{p.status}, {p.solve_s:.2f} s" + ("" if p.mip_gap is None or p.status == "optimal" else f", gap {p.mip_gap * 100:.2g}%") for p in (s, c)),
    )
    return t


def schedule_chart(p: FleetPlan) -> Group:
    """Hourly GPUs busy on text (█) and video (▓), idle (░); long horizons are averaged into rows."""
    sched = p.schedule
    n = len(sched)
    per = max(1, -(-n // CHART_ROWS))
    total = max(p.total_gpus, 1)
    lines = [Text(f"{p.mode}: GPUs per hour (█ text, ▓ video, ░ idle; {p.total_gpus} GPUs){'' if per == 1 else f', {per}-hour averages'}", style="bold")]
    for start in range(0, n, per):
        chunk = sched[start : start + per]
        tx = sum(h.text_gpus for h in chunk) / len(chunk)
        vd = sum(h.video_gpus for h in chunk) / len(chunk)
        bl = sum(h.video_backlog for h in chunk) / len(chunk)
        a = round(tx / total * CHART_WIDTH)
        b = round(vd / total * CHART_WIDTH)
        idle = max(CHART_WIDTH - a - b, 0)
        label = f"d{start // 24} {start % 24:02d}h" if n > 24 else f"{start:02d}h"
        line = Text(f"{label:>8} ")
        line.append("█" * a, style="blue")
        line.append("▓" * b, style="magenta")
        line.append("░" * idle, style="dim")
        line.append(f" {tx:,.0f} + {vd:,.0f}" + (f", backlog {bl:,.0f}" if bl >= 0.5 else ""), style="dim")
        lines.append(line)
    return Group(*lines)


def assumptions_table(a: Assumptions) -> Table:
    t = Table(title="Assumptions", title_justify="left", show_header=False)
    t.add_column("", no_wrap=True)
    t.add_column("")
    for k, v in assumption_lines(a):
        t.add_row(k, v)
    return t


def plan_report(r: PlanResult) -> Group:
    out: list = [compare_table(r)]
    # Infeasibility and warnings right under the table: they change what the numbers above mean.
    for mode in missing(r):
        out.append(Text(infeasible_sentence(r, mode), style="bold red"))
    if has_savings(r):
        assert r.savings_usd is not None
        out.append(Text(savings_text(r) + ".", style="bold green" if r.savings_usd >= 0 else "bold red"))
    else:
        out.append(Text(savings_text(r) + ".", style="bold yellow"))
    for w in r.warnings:
        out.append(Text(f"Warning: {w}", style="bold yellow"))
    out.append(Text(r.cost_split + "; a siloed fleet's cost goes to its own workload.", style="dim"))
    how = (
        "keeps both models in every GPU's memory (no reloads; less KV cache for text)"
        if r.consolidated_sharing == "co-resident"
        else "reloads the video weights it does not share with the text model when a GPU changes role"
    )
    if r.consolidated is not None:
        out.append(Text(f"The consolidated fleet {how}.", style="dim"))
    if r.uncertainty is not None:
        for b in uncertainty_bands(r.uncertainty):
            out.append(Text(f"{metric_label(b.metric)} P10 / P50 / P90: " + " / ".join(metric_value(b.metric, v) for v in (b.p10, b.p50, b.p90))))
        out.append(Text(f"Monte Carlo: {uncertainty_note(r.uncertainty)}.", style="dim"))
    if r.crossing is not None and r.siloed is not None:
        c = r.crossing
        out.append(
            Text(
                f"Refined prompts cross between siloed fleets: {sig(c.bytes_per_request / 1e6)} MB each, +{sig(c.siloed_added_latency_ms)} ms, "
                f"{usd(c.siloed_network_cost_usd)} in all; none in the consolidated fleet.",
                style="dim",
            )
        )
    cap = Table(title="Per-GPU capacity (from the text and video models)", title_justify="left")
    for col in ("service", "GPU", "GPUs/replica", "capacity per GPU", "co-resident", "note"):
        cap.add_column(col)
    for sc in r.capacities:
        unit = "req/s" if sc.kind == "text" else "videos/h"
        co = "" if sc.capacity_per_gpu_co_resident is None else f"{sig(sc.capacity_per_gpu_co_resident)} {unit}"
        cap.add_row(sc.service, sc.gpu, str(sc.gpus_per_replica), f"{sig(sc.capacity_per_gpu)} {unit}" if sc.capacity_per_gpu else "—", co, sc.note[:60])
    out += [Text(""), cap]
    if r.assumptions is not None:
        out += [Text(""), assumptions_table(r.assumptions)]
    for p in fleets(r):
        out += [Text(""), schedule_chart(p)]
    return Group(*out)
