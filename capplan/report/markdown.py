"""A plan as a Markdown report to paste into a document or a ticket: the headline, the warnings, the
fleets, the costs, the saving, the assumptions the numbers rest on. An arrangement with no fleet (it
cannot meet the constraints) has INFEASIBLE and what binds under the headline and "—" in its column.
Figures are rounded for reading; the JSON and CSV outputs keep full precision."""

from __future__ import annotations

from collections.abc import Callable

from capplan.report.arrangements import INFEASIBLE, fleets, headline, infeasible_sentence, missing, savings_text
from capplan.report.fmt import pct, sig, usd
from capplan.report.planfacts import (
    assumption_lines,
    hours_text,
    metric_label,
    metric_value,
    pricing_text,
    uncertainty_bands,
    uncertainty_note,
)
from capplan.results import FleetPlan, PlanResult


def _esc(s: str) -> str:
    """Cell text that cannot end a table cell, start a new line or open markup."""
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]], right: int = 1) -> list[str]:
    """A pipe table; columns from ``right`` on are right-aligned (numbers)."""
    align = ["---" if i < right else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(_esc(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_esc(c) for c in r) + " |" for r in rows]
    return lines


def _maybe(x: float | None, f: Callable[[float], str]) -> str:
    return "—" if x is None else f(x)


def _delta_usd(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "—"
    d = b - a
    return "0" if d == 0 else f"{'+' if d > 0 else '−'}{usd(abs(d))}"


def _two(s: FleetPlan | None, c: FleetPlan | None, f: Callable[[FleetPlan], str]) -> list[str]:
    """One value per arrangement; "—" where there is no fleet."""
    return ["—" if p is None else f(p) for p in (s, c)]


def _fleet_rows(r: PlanResult) -> list[list[str]]:
    s, c = r.siloed, r.consolidated
    gpus = list(dict.fromkeys(g for p in fleets(r) for g in p.gpus))
    rows = []
    if s is None or c is None:
        rows.append(["Plan", *(INFEASIBLE if p is None else "feasible" for p in (s, c))])
    rows.append(["GPUs", *_two(s, c, lambda p: f"{p.total_gpus:,}")])
    rows += [[f"  {g}", *("—" if p is None else f"{p.gpus.get(g, 0):,}" for p in (s, c))] for g in gpus]

    def fleet_counts(p: FleetPlan) -> str:
        return "; ".join(f"{f}: {sum(d.values()):,}" for f, d in p.fleets.items()) or "—"

    rows.append(["Fleets", *_two(s, c, fleet_counts)])
    rows.append(["Racks", *_two(s, c, lambda p: f"{p.racks:,}")])
    return rows


COST_ROWS: tuple[tuple[str, str], ...] = (
    ("Total cost", "total_cost_usd"),
    ("  per hour", "cost_per_hour_usd"),
    ("  hardware", "hardware_cost_usd"),
    ("  energy", "energy_cost_usd"),
    ("  fixed (per fleet)", "fixed_cost_usd"),
    ("  network (prompt embeddings)", "network_cost_usd"),
    ("  text share", "text_cost_usd"),
    ("  video share", "video_cost_usd"),
    ("Cost per minute of video", "cost_per_video_minute_usd"),
    ("Cost per million tokens", "cost_per_million_tokens_usd"),
)


def _cost_rows(r: PlanResult) -> list[list[str]]:
    s, c = r.siloed, r.consolidated
    out = []
    for label, field in COST_ROWS:
        a, b = (None if p is None else getattr(p, field) for p in (s, c))
        out.append([label, _maybe(a, usd), _maybe(b, usd), _delta_usd(a, b)])
    return out


def _gap(p: FleetPlan) -> str:
    return p.status if p.mip_gap is None or p.status == "optimal" else f"{p.status}, gap {p.mip_gap * 100:.2g}%"


def _use_rows(r: PlanResult) -> list[list[str]]:
    s, c = r.siloed, r.consolidated
    return [
        ["Utilisation", *_two(s, c, lambda p: pct(p.utilization))],
        ["Idle GPU-hours", *_two(s, c, lambda p: f"{p.idle_gpu_hours:,.0f}")],
        ["  worth, if backfilled", *_two(s, c, lambda p: usd(p.backfill_value_usd))],
        ["Peak power", *_two(s, c, lambda p: f"{sig(p.peak_power_mw)} MW")],
        ["Energy", *_two(s, c, lambda p: f"{sig(p.energy_mwh)} MWh")],
        ["Solver", *("infeasible" if p is None else _gap(p) for p in (s, c))],
    ]


def plan_markdown(r: PlanResult) -> str:
    s, c = r.siloed, r.consolidated
    out: list[str] = [
        f"# GPU fleet plan: {_esc(r.scenario)}",
        "",
        f"Siloed text and video fleets vs. one consolidated fleet over {hours_text(r.horizon_hours)}, {pricing_text(r.pricing)}. "
        f"Scenario file: `{r.scenario_file.replace('`', '')}`.",
        "",
        f"**{_esc(headline(r))}**",
    ]
    # What makes the figures below incomplete or uncertain comes before them.
    if missing(r):
        out += ["", *(f"- **{_esc(infeasible_sentence(r, m))}**" for m in missing(r))]
    if r.warnings:
        out += ["", "## Warnings", ""]
        out += [f"- **Warning:** {_esc(w)}" for w in r.warnings]
    out += [
        "",
        "## Fleets",
        "",
        *_table(["", "Siloed", "Consolidated"], _fleet_rows(r)),
        "",
        f"## Costs over {hours_text(r.horizon_hours)} ({r.currency})",
        "",
        *_table(["", "Siloed", "Consolidated", "Consolidated − siloed"], _cost_rows(r)),
        "",
        f"Cost split: {r.cost_split}; a siloed fleet's cost goes to its own workload.",
        "",
        "## Savings",
        "",
        f"- {_esc(savings_text(r))}.",
    ]
    if s is not None and c is not None:
        out.append(
            f"- The consolidated fleet has {c.total_gpus:,} GPUs against {s.total_gpus:,} siloed, "
            f"{pct(c.utilization)} utilised against {pct(s.utilization)}."
        )
    sharing = (
        "keeps both models in every GPU's memory (no reloads; less KV cache for text)"
        if r.consolidated_sharing == "co-resident"
        else "reloads the video weights it does not share with the text model when a GPU changes role"
    )
    if c is not None:
        out.append(f"- The consolidated fleet {sharing}.")
    if r.crossing is not None and s is not None:
        x = r.crossing
        out.append(
            f"- Refined prompts cross between siloed fleets: {sig(x.bytes_per_request / 1e6)} MB each, +{sig(x.siloed_added_latency_ms)} ms, "
            f"{usd(x.siloed_network_cost_usd)} in all; none in the consolidated fleet."
        )
    bands = uncertainty_bands(r.uncertainty)
    if bands and r.uncertainty is not None:
        out += ["", "Monte Carlo:", ""]
        out += _table(
            ["", "P10", "P50", "P90"],
            [[metric_label(b.metric), *(metric_value(b.metric, v) for v in (b.p10, b.p50, b.p90))] for b in bands],
        )
        out += ["", f"({uncertainty_note(r.uncertainty)})"]
    out += ["", "## Use and power", "", *_table(["", "Siloed", "Consolidated"], _use_rows(r))]
    if r.demand is not None:
        out += ["", "## Demand", ""]
        d = r.demand
        if d.text_demand:
            out.append(f"- Text: {sig(max(d.text_demand))} requests/s at peak, {sig(sum(d.text_demand) / len(d.text_demand))} on average.")
        if d.video_arrivals:
            out.append(f"- Video: {sig(max(d.video_arrivals))} videos/hour at peak, {sum(d.video_arrivals):,.0f} videos in all.")
        out.append(f"- {r.video_minutes:,.0f} minutes of video and {sig(r.million_tokens)} million tokens (input + output) over the horizon.")
    out += ["", "## Assumptions", ""]
    if r.assumptions is not None:
        out += _table(["Assumption", "Value"], [[k, v] for k, v in assumption_lines(r.assumptions)], right=2)
    else:
        out.append(f"This result does not list its assumptions. Pricing: {pricing_text(r.pricing)}; horizon {hours_text(r.horizon_hours)}.")
    out += ["", "## Capacity per GPU", ""]
    cap_rows = []
    for cap in r.capacities:
        unit = "req/s" if cap.kind == "text" else "videos/h"
        cap_rows.append([cap.service, cap.kind, cap.gpu, str(cap.gpus_per_replica or "—"), f"{sig(cap.capacity_per_gpu)} {unit}" if cap.capacity_per_gpu else "—"])
    out += _table(["Service", "Kind", "GPU", "GPUs / replica", "Capacity per GPU"], cap_rows, right=3)
    out += ["", f"_capplan {r.capplan_version}, schema {r.schema_version}. Figures are rounded; the JSON output keeps full precision._"]
    return "\n".join(out) + "\n"
