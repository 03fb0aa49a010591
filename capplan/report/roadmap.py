"""Reports of a roadmap: the terminal table and a self-contained HTML page with SVG charts (no scripts).
CSV and Markdown are the generic flat renderings of its month rows (one row per month)."""

from __future__ import annotations

import html
from typing import Any

from capplan.report.fmt import sig, usd
from capplan.results_roadmap import RoadmapPlan, RoadmapResult

KIND_COLOURS = {"on-demand": "#e4572e", "reserved-1y": "#f3a712", "reserved-3y": "#a8c686", "own": "#4c6ef5"}
MODE_COLOURS = {"siloed": "#999999", "consolidated": "#2b8a3e"}


def _maybe_usd(x: float | None) -> str:
    return "—" if x is None else usd(x)


def roadmap_table(r: RoadmapResult) -> Any:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    head = Table(title=f"{r.scenario}: {r.months} months from {r.start}, discounted at {r.discount_rate_frac_per_year:.1%}/year", title_justify="left")
    head.add_column("")
    head.add_column("Siloed", justify="right")
    head.add_column("Consolidated", justify="right")
    s, c = r.siloed, r.consolidated

    def line(name: str, f) -> None:
        head.add_row(name, f(s), f(c))

    line("Net present cost", lambda p: usd(p.npv_usd))
    line("  on-demand", lambda p: usd(p.npv.on_demand))
    line("  reserved", lambda p: usd(p.npv.reserved + p.npv.reserved_after_horizon))
    line("  purchases", lambda p: usd(p.npv.purchases))
    line("  book value at end", lambda p: usd(p.npv.book_value_credit))
    line("  upkeep, energy", lambda p: usd(p.npv.upkeep_and_idle_energy + p.npv.busy_energy))
    line("  fixed (per fleet)", lambda p: usd(p.npv.fixed))
    line("Paid in horizon", lambda p: usd(p.cash_usd))
    line("GPU-months own/3y/1y/OD", lambda p: "/".join(f"{p.gpu_months.get(k, 0):.0f}" for k in ("own", "reserved-3y", "reserved-1y", "on-demand")))
    line("Solve", lambda p: f"{p.status}" + (f" ({p.mip_gap:.2%})" if p.mip_gap else ""))
    out: list[Any] = [head]
    sign = "saves" if r.savings_npv_usd >= 0 else "costs"
    out.append(Text(f"Consolidation {sign} {usd(abs(r.savings_npv_usd))} ({abs(r.savings_pct):.1f}%) in present value.", style="bold"))
    out.append(Text(r.requirement + "; " + r.cost_split + ".", style="dim"))

    t = Table(title="Month by month, consolidated (GPUs: own/3y/1y/on-demand)", title_justify="left")
    for col in ("month", "req/s", "vid/day", "GPUs", "$/month", "$/Mtok", "$/vid-min"):
        t.add_column(col, justify="left" if col == "month" else "right", no_wrap=True)
    step = 1 if r.months <= 24 else 3
    for row in r.rows[::step]:
        p = row.consolidated
        mix = "/".join(f"{p.gpus_by_contract.get(k, 0):.0f}" for k in ("own", "reserved-3y", "reserved-1y", "on-demand"))
        t.add_row(row.month, sig(row.text_peak_requests_per_s), sig(row.videos_per_day), mix, usd(p.cost_usd), _maybe_usd(p.cost_per_million_tokens_usd), _maybe_usd(p.cost_per_video_minute_usd))
    out += [Text(""), t]
    if step > 1:
        out.append(Text(f"one month in {step} shown; --format csv gives every month", style="dim"))
    orders = Table(title="Orders (consolidated): what to buy or commit to, and when", title_justify="left")
    for col in ("ordered", "delivered", "GPU", "contract", "GPUs", "until"):
        orders.add_column(col)
    for o in r.consolidated.orders[:40]:
        orders.add_row(o.order_month, o.delivery_month, o.gpu, o.kind, f"{o.gpus:,.0f}", o.ends_month)
    out += [Text(""), orders if r.consolidated.orders else Text("No orders: on-demand GPUs and the commitments cover the demand.")]
    if len(r.consolidated.orders) > 40:
        out.append(Text(f"... {len(r.consolidated.orders) - 40} more in --format json", style="dim"))
    for w in r.warnings:
        out.append(Text(f"note: {w}", style="yellow"))
    return Group(*out)


# --- HTML ---------------------------------------------------------------------------------------

W, H, PAD_L, PAD_B, PAD_T, PAD_R = 760, 260, 70, 40, 20, 20


def _scale(vmax: float) -> float:
    return vmax if vmax > 0 else 1.0


def _axes(labels: list[str], vmax: float, unit: str) -> list[str]:
    parts = [f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}" stroke="#333"/>', f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{H - PAD_B}" stroke="#333"/>']
    for i in range(5):
        v = vmax * i / 4
        y = H - PAD_B - (H - PAD_B - PAD_T) * i / 4
        parts.append(f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{html.escape(sig(v))}{html.escape(unit)}</text>')
        parts.append(f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{W - PAD_R}" y2="{y:.1f}" stroke="#eee"/>')
    n = len(labels)
    every = max(1, n // 12)
    for i in range(0, n, every):
        x = PAD_L + (W - PAD_L - PAD_R) * (i + 0.5) / n
        parts.append(f'<text x="{x:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" font-size="10">{html.escape(labels[i])}</text>')
    return parts


def _stacked_bars(labels: list[str], series: dict[str, list[float]], title: str) -> str:
    n = len(labels)
    totals = [sum(v[i] for v in series.values()) for i in range(n)]
    vmax = _scale(max(totals, default=0.0))
    bw = (W - PAD_L - PAD_R) / max(n, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img" aria-label="{html.escape(title)}">']
    parts += _axes(labels, vmax, "")
    for i in range(n):
        y: float = H - PAD_B
        for name, vals in series.items():
            h = (H - PAD_B - PAD_T) * vals[i] / vmax
            if h <= 0:
                continue
            y -= h
            parts.append(f'<rect x="{PAD_L + i * bw + 1:.1f}" y="{y:.1f}" width="{max(bw - 2, 1):.1f}" height="{h:.1f}" fill="{KIND_COLOURS.get(name, "#888")}"><title>{html.escape(labels[i])} {html.escape(name)}: {vals[i]:,.0f} GPUs</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def _lines(labels: list[str], series: dict[str, list[float | None]], title: str, unit: str) -> str:
    n = len(labels)
    vals = [v for s in series.values() for v in s if v is not None]
    vmax = _scale(max(vals, default=0.0))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img" aria-label="{html.escape(title)}">']
    parts += _axes(labels, vmax, unit)
    for name, s in series.items():
        pts = [
            f"{PAD_L + (W - PAD_L - PAD_R) * (i + 0.5) / n:.1f},{H - PAD_B - (H - PAD_B - PAD_T) * v / vmax:.1f}"
            for i, v in enumerate(s) if v is not None
        ]
        if pts:
            parts.append(f'<polyline fill="none" stroke="{MODE_COLOURS.get(name, "#333")}" stroke-width="2" points="{" ".join(pts)}"><title>{html.escape(name)}</title></polyline>')
    parts.append("</svg>")
    return "".join(parts)


def _legend(colours: dict[str, str]) -> str:
    return " ".join(f'<span style="display:inline-block;width:10px;height:10px;background:{c}"></span> {html.escape(k)}' for k, c in colours.items())


def _plan_summary(p: RoadmapPlan) -> str:
    n = p.npv
    cells = [
        ("Net present cost", usd(p.npv_usd)), ("on-demand", usd(n.on_demand)), ("reserved", usd(n.reserved + n.reserved_after_horizon)),
        ("purchases", usd(n.purchases)), ("book value at the end", usd(n.book_value_credit)), ("upkeep and energy", usd(n.upkeep_and_idle_energy + n.busy_energy)), ("fixed (per fleet)", usd(n.fixed)),
        ("paid within the horizon", usd(p.cash_usd)), ("solve", f"{p.status}" + (f", within {p.mip_gap:.2%}" if p.mip_gap else "")),
    ]
    return "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in cells)


def render_html(r: RoadmapResult) -> str:
    labels = [row.month for row in r.rows]
    charts = []
    for mode in ("siloed", "consolidated"):
        series = {k: [getattr(row, mode).gpus_by_contract.get(k, 0.0) for row in r.rows] for k in KIND_COLOURS}
        charts.append(f"<h2>GPUs in service, {mode}</h2><p>{_legend(KIND_COLOURS)}</p>" + _stacked_bars(labels, series, f"GPUs in service by contract, {mode}"))
    for field, title in (("cost_per_million_tokens_usd", "Cost per million tokens [USD]"), ("cost_per_video_minute_usd", "Cost per minute of video [USD]"), ("cost_usd", "Cost per month [USD]")):
        series = {mode: [getattr(getattr(row, mode), field) for row in r.rows] for mode in ("siloed", "consolidated")}
        if any(v is not None for s in series.values() for v in s):
            charts.append(f"<h2>{html.escape(title)}</h2><p>{_legend(MODE_COLOURS)}</p>" + _lines(labels, series, title, ""))
    orders = "".join(
        f"<tr><td>{html.escape(o.order_month)}</td><td>{html.escape(o.delivery_month)}</td><td>{html.escape(o.gpu)}</td><td>{html.escape(o.kind)}</td><td>{o.gpus:,.0f}</td><td>{html.escape(o.ends_month)}</td></tr>"
        for o in r.consolidated.orders
    )
    body = f"""<h1>{html.escape(r.scenario)}: capacity roadmap</h1>
<p>{r.months} months from {html.escape(r.start)}, costs discounted at {r.discount_rate_frac_per_year:.1%} a year; owned GPUs serve {r.own_life_years:g} years.
{html.escape(r.requirement)}; {html.escape(r.cost_split)}.</p>
<p><b>Consolidation {"saves" if r.savings_npv_usd >= 0 else "costs"} {html.escape(usd(abs(r.savings_npv_usd)))} ({abs(r.savings_pct):.1f}%) in present value.</b></p>
<div style="display:flex;gap:2em"><table><caption>Siloed</caption>{_plan_summary(r.siloed)}</table><table><caption>Consolidated</caption>{_plan_summary(r.consolidated)}</table></div>
{"".join(charts)}
<h2>Orders (consolidated)</h2>
<table><tr><th>ordered</th><th>delivered</th><th>GPU</th><th>contract</th><th>GPUs</th><th>until</th></tr>{orders}</table>
"""
    style = "body{font-family:system-ui,sans-serif;max-width:820px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:0.5em 0}th,td{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}th{text-align:left}"
    return f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(r.scenario)} roadmap</title><style>{style}</style></head><body>{body}</body></html>\n'

