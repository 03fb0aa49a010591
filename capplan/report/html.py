"""A plan as one self-contained HTML page: inline CSS and inline SVG charts (capplan.report.charts),
nothing fetched at view time (no scripts, fonts, images or style sheets from the network), light theme,
printable.

Same input, same bytes: no timestamps, and every coordinate is written with a fixed number of decimals.
Only the standard library, numpy and capplan.report's own helpers are imported (the result model is a
type hint only), so that the page renders without pydantic loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING

from capplan.report.arrangements import (
    ARRANGEMENTS,
    INFEASIBLE,
    binding,
    fleet,
    fleets,
    has_savings,
    headline,
    infeasible_of,
    infeasible_sentence,
    missing,
)
from capplan.report.charts import (
    C_BACKLOG,
    C_HIGH,
    C_IDLE,
    C_LOW,
    C_SWITCH,
    C_TEXT,
    C_VIDEO,
    COST_PARTS,
    MAX_POINTS,
    _bucket_hours,
    tornado_svg,
)
from capplan.report.fmt import pct, sig, usd
from capplan.report.plancharts import plan_cost_svg, plan_demand_svg, plan_schedule_svg, schedule_axes
from capplan.report.planfacts import (
    assumption_lines,
    hours_text,
    metric_label,
    metric_value,
    pricing_text,
    uncertainty_bands,
    uncertainty_note,
)

if TYPE_CHECKING:
    from capplan.results import FleetPlan, PlanResult

__all__ = ["C_BACKLOG", "C_HIGH", "C_IDLE", "C_LOW", "C_SWITCH", "C_TEXT", "C_VIDEO", "COST_PARTS", "MAX_POINTS", "render_html"]

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1a1a1a;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
p { margin: 6px 0; }
.sub { color: #555; margin: 0 0 16px; }
.muted { color: #555; font-size: 0.92em; }
.savings { font-size: 1.15em; font-weight: 600; padding: 10px 14px; border-radius: 6px; margin: 16px 0 6px; }
.savings.good { background: #e8f5ec; color: #14532d; border: 1px solid #b7dfc3; }
.savings.bad { background: #fdecec; color: #7f1d1d; border: 1px solid #f3c0c0; }
.savings.none { background: #f4f4f4; color: #333; border: 1px solid #d6d6d6; }
div.infeasible, figure.infeasible { background: #fdecec; color: #7f1d1d; border: 1px solid #f3c0c0; border-radius: 6px; padding: 8px 14px; margin: 8px 0; }
div.infeasible p, figure.infeasible p { margin: 2px 0; }
td.infeasible, th.infeasible { color: #7f1d1d; font-weight: 600; }
td.infeasible small { display: block; font-weight: 400; white-space: normal; }
.warnings { background: #fff7e6; color: #5c3900; border: 1px solid #f0d49b; border-radius: 6px; padding: 8px 14px; margin: 8px 0; }
.warnings h2 { border: 0; margin: 0 0 4px; padding: 0; font-size: 1.05em; }
.warnings ul { margin: 0; padding-left: 20px; }
dl.inputs { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 8px 0 0; }
dl.inputs dt { color: #555; }
dl.inputs dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e6e6e6; vertical-align: top; }
thead th { text-align: left; border-bottom: 2px solid #bbb; background: #f6f6f6; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.group th { text-align: left; background: #fafafa; color: #333; font-weight: 600; padding-top: 8px; }
td.indent { padding-left: 26px; color: #333; }
td.note { color: #555; font-size: 0.9em; overflow-wrap: anywhere; }
.cols { display: flex; flex-wrap: wrap; gap: 0 36px; align-items: flex-start; }
.cols > section { flex: 3 1 560px; min-width: 0; }
.cols > aside { flex: 2 1 340px; min-width: 0; }
.cols > aside svg { max-width: 460px; }
figure { margin: 12px 0 20px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg { display: block; width: 100%; height: auto; font-family: inherit; }
svg text { fill: #333; font-size: 12px; }
svg .axis { stroke: #888; stroke-width: 1; }
svg.chart-cost text { font-size: 13.5px; }
svg .grid { stroke: #e6e6e6; stroke-width: 1; }
svg text.halo { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 0.9em; color: #333; margin: 2px 0 4px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.legend i { display: inline-block; width: 14px; height: 10px; border: 1px solid rgba(0,0,0,.15); }
.legend i.line { height: 0; border: 0; border-top: 2px solid #222; }
footer { margin-top: 36px; color: #777; font-size: 0.85em; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  figure, table, .savings, .infeasible, .warnings { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


# --- small helpers -------------------------------------------------------------------------------


def _e(x: object) -> str:
    return escape(str(x), quote=True)




def _maybe(x: float | None, f: Callable[[float], str]) -> str:
    return "—" if x is None else f(x)


def _count(x: float) -> str:
    """1.23e12 -> '1.23 trillion' (for counts of things, where 'T' or 'G' would read oddly)."""
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(x) >= scale:
            return f"{sig(x / scale)} {word}"
    return f"{x:,.0f}" if abs(x) >= 100 else sig(x)


def _gap(g: float) -> str:
    return "0%" if abs(g) < 1e-9 else f"{g * 100:.2g}%"


def _legend(items: Sequence[tuple[str, str]], line: tuple[str, str] | None = None) -> str:
    out = [f'<span><i style="background:{c}"></i>{_e(name)}</span>' for name, c in items]
    if line is not None:
        out.append(f'<span><i class="line" style="border-top-color:{line[1]}"></i>{_e(line[0])}</span>')
    return f'<div class="legend">{"".join(out)}</div>'



# --- tables --------------------------------------------------------------------------------------


def _gpu_order(r: PlanResult) -> list[str]:
    seen: dict[str, None] = {}
    for c in r.capacities:
        seen.setdefault(c.gpu, None)
    for p in fleets(r):
        for g in p.gpus:
            seen.setdefault(g, None)
    return [g for g in seen if any(g in p.gpus for p in fleets(r))]


def _cell(field: str, value: float | int | None, text: str) -> str:
    data = "" if value is None else f' data-value="{_e(repr(value))}"'
    return f'<td class="num" data-field="{_e(field)}"{data}>{_e(text)}</td>'


def compare_table(r: PlanResult) -> str:
    """Siloed and consolidated side by side; an infeasible arrangement's column says INFEASIBLE and what
    binds at the top and "—" below (no data-value: there is no figure)."""
    s, c = r.siloed, r.consolidated
    rows: list[str] = []

    def group(title: str) -> None:
        rows.append(f'<tr class="group"><th colspan="3">{_e(title)}</th></tr>')

    def one(field: str, p: FleetPlan | None, get: Callable[[FleetPlan], float | int | None], show: Callable[[FleetPlan], str]) -> str:
        if p is None:
            return f'<td class="num infeasible" data-field="{_e(field)}">{"infeasible" if field == "status" else "—"}</td>'
        return _cell(field, get(p), show(p))

    def row(label: str, field: str, get: Callable[[FleetPlan], float | int | None], show: Callable[[FleetPlan], str], indent: bool = False) -> None:
        cls = ' class="indent"' if indent else ""
        rows.append(f"<tr><td{cls}>{_e(label)}</td>{one(field, s, get, show)}{one(field, c, get, show)}</tr>")

    if missing(r):
        cells = "".join(
            '<td class="num" data-field="feasible" data-value="1">feasible</td>'
            if fleet(r, m) is not None
            else f'<td class="num infeasible" data-field="feasible" data-value="0">{INFEASIBLE}<small>{_e(binding(infeasible_of(r, m)))}</small></td>'
            for m in ARRANGEMENTS
        )
        rows.append(f'<tr id="plan-status"><td>Plan</td>{cells}</tr>')
    group("Fleet")
    row("GPUs", "total_gpus", lambda p: p.total_gpus, lambda p: f"{p.total_gpus:,}")

    def count_of(g: str) -> Callable[[FleetPlan], int]:
        return lambda p: p.gpus.get(g, 0)

    def count_text(g: str) -> Callable[[FleetPlan], str]:
        return lambda p: f"{p.gpus.get(g, 0):,}" if p.gpus.get(g) else "—"

    def no_value(p: FleetPlan) -> None:
        return None

    for g in _gpu_order(r):
        row(g, f"gpus.{g}", count_of(g), count_text(g), indent=True)

    row(
        "Fleets", "fleets", no_value,
        lambda p: "; ".join(f"{f}: {sum(d.values()):,}" for f, d in p.fleets.items()) or "—",
    )
    row("Racks", "racks", lambda p: p.racks, lambda p: f"{p.racks:,}")
    group(f"Cost over {r.horizon_hours:,} h")
    row("Total cost", "total_cost_usd", lambda p: p.total_cost_usd, lambda p: usd(p.total_cost_usd))
    row("per hour", "cost_per_hour_usd", lambda p: p.cost_per_hour_usd, lambda p: usd(p.cost_per_hour_usd), indent=True)
    row("hardware", "hardware_cost_usd", lambda p: p.hardware_cost_usd, lambda p: usd(p.hardware_cost_usd), indent=True)
    row("energy", "energy_cost_usd", lambda p: p.energy_cost_usd, lambda p: usd(p.energy_cost_usd), indent=True)
    row("fixed (per fleet)", "fixed_cost_usd", lambda p: p.fixed_cost_usd, lambda p: usd(p.fixed_cost_usd), indent=True)
    row("network (prompt embeddings)", "network_cost_usd", lambda p: p.network_cost_usd, lambda p: usd(p.network_cost_usd), indent=True)
    row("text share", "text_cost_usd", lambda p: p.text_cost_usd, lambda p: usd(p.text_cost_usd), indent=True)
    row("video share", "video_cost_usd", lambda p: p.video_cost_usd, lambda p: usd(p.video_cost_usd), indent=True)
    row("Cost per minute of video", "cost_per_video_minute_usd", lambda p: p.cost_per_video_minute_usd, lambda p: _maybe(p.cost_per_video_minute_usd, usd))
    row("Cost per million tokens", "cost_per_million_tokens_usd", lambda p: p.cost_per_million_tokens_usd, lambda p: _maybe(p.cost_per_million_tokens_usd, usd))
    group("Use")
    row("Utilisation", "utilization", lambda p: p.utilization, lambda p: pct(p.utilization))
    row("Idle GPU-hours", "idle_gpu_hours", lambda p: p.idle_gpu_hours, lambda p: f"{p.idle_gpu_hours:,.0f}")
    row("backfill value", "backfill_value_usd", lambda p: p.backfill_value_usd, lambda p: usd(p.backfill_value_usd), indent=True)
    group("Power")
    row("Peak power", "peak_power_mw", lambda p: p.peak_power_mw, lambda p: f"{sig(p.peak_power_mw)} MW")
    row("Energy", "energy_mwh", lambda p: p.energy_mwh, lambda p: f"{sig(p.energy_mwh)} MWh")
    group("Solver")
    row("Status", "status", no_value, lambda p: p.status)
    row("Solve time", "solve_s", lambda p: p.solve_s, lambda p: f"{p.solve_s:.2f} s")
    row("MIP gap", "mip_gap", lambda p: p.mip_gap, lambda p: _maybe(p.mip_gap, _gap))
    head = "".join(f'<th class="num{" infeasible" if fleet(r, m) is None else ""}">{m.capitalize()}</th>' for m in ARRANGEMENTS)
    return (
        f'<table id="comparison"><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def capacity_table(r: PlanResult) -> str:
    notes = any(c.note for c in r.capacities)
    rows = []
    for c in r.capacities:
        unit = "req/s" if c.kind == "text" else "videos/h"
        cap = f"{sig(c.capacity_per_gpu)} {unit}" if c.capacity_per_gpu else "—"
        note = f'<td class="note">{_e(c.note)}</td>' if notes else ""
        rows.append(
            f"<tr><td>{_e(c.service)}</td><td>{_e(c.kind)}</td><td>{_e(c.gpu)}</td><td class=\"num\">{c.gpus_per_replica or '—'}</td>"
            f'<td class="num">{_e(cap)}</td>{note}</tr>'
        )
    head = "<th>Note</th>" if notes else ""
    return (
        '<table id="capacity"><thead><tr><th>Service</th><th>Kind</th><th>GPU</th><th class="num">GPUs / replica</th>'
        f'<th class="num">Capacity per GPU</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _inputs(r: PlanResult) -> str:
    services = {c.service: c.kind for c in r.capacities}
    gpus = list(dict.fromkeys(c.gpu for c in r.capacities))
    items = [
        ("Scenario file", r.scenario_file),
        ("Horizon", hours_text(r.horizon_hours)),
        ("Pricing", pricing_text(r.pricing)),
        ("Services", ", ".join(f"{s} ({k})" for s, k in services.items()) or "—"),
        ("GPU types considered", ", ".join(gpus) or "—"),
        ("Video demand", f"{_count(r.video_minutes)} minutes of video"),
        ("Text demand", f"{_count(r.million_tokens * 1e6)} tokens (input + output)"),
        ("Currency", r.currency),
    ]
    return '<dl class="inputs">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>"


def assumptions_list(r: PlanResult) -> str:
    if r.assumptions is None:
        return '<p id="assumptions" class="muted">This result does not list its assumptions.</p>'
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in assumption_lines(r.assumptions))
    return f'<dl id="assumptions" class="inputs">{items}</dl>'


def uncertainty_table(r: PlanResult) -> str:
    """P10 / P50 / P90 of each Monte Carlo metric, with the draws behind them."""
    u = r.uncertainty
    if u is None:
        return ""
    rows = "".join(
        f"<tr><td>{_e(metric_label(b.metric))}</td>"
        + "".join(f'<td class="num" data-metric="{_e(b.metric)}" data-value="{_e(repr(v))}">{_e(metric_value(b.metric, v))}</td>' for v in (b.p10, b.p50, b.p90))
        + "</tr>"
        for b in uncertainty_bands(u)
    )
    return (
        '<table id="uncertainty"><thead><tr><th>Monte Carlo</th><th class="num">P10</th><th class="num">P50</th><th class="num">P90</th></tr></thead>'
        f'<tbody>{rows}</tbody></table><p class="muted">{_e(uncertainty_note(u))}.</p>'
    )


# --- the page ------------------------------------------------------------------------------------


def render_html(
    result: PlanResult,
    sensitivity: Sequence[tuple[str, float | None, float | None]] | None = None,
    *,
    sensitivity_metric: str = "consolidated total cost",
    sensitivity_base: float | None = None,
    sensitivity_format: Callable[[float], str] = usd,
) -> str:
    """The plan as one self-contained HTML page.

    ``sensitivity``: optional ``(input name, value at the input's low setting, value at its high
    setting)`` rows for a tornado chart (``None``: that end could not be computed). The values are of
    ``sensitivity_metric``, by default the consolidated fleet's total cost in USD as in
    ``capplan.sensitivity("plan")``, around ``sensitivity_base`` (default:
    ``result.consolidated.total_cost_usd``). From a ``SensitivityResult`` ``s``:
    ``render_html(r, [(x.input, x.output_low, x.output_high) for x in s.rows], sensitivity_base=s.base_value)``.
    Without it the page has no sensitivity section.
    """
    r = result
    c = r.consolidated
    title = f"GPU fleet plan: {r.scenario}"
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="capplan {_e(r.capplan_version)}">',
        f"<title>{_e(title)}</title>",
        f"<style>{CSS}</style>",
        "</head><body><main>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="sub">Siloed text and video fleets vs. one consolidated fleet over {_e(hours_text(r.horizon_hours))}, '
        f"{_e('rented' if r.pricing == 'rent' else 'owned')} GPUs.</p>",
        _inputs(r),
    ]
    if has_savings(r):
        assert r.savings_usd is not None
        out.append(f'<p id="savings" class="savings {"good" if r.savings_usd >= 0 else "bad"}">{_e(headline(r))}</p>')
    else:
        out.append(f'<p id="savings" class="savings none">{_e(headline(r))}</p>')
    # Infeasibility and warnings before any figure: they change what the figures mean.
    if missing(r):
        out.append('<div id="infeasible" class="infeasible" role="note">' + "".join(f"<p><strong>{_e(infeasible_sentence(r, m))}</strong></p>" for m in missing(r)) + "</div>")
    if r.warnings:
        out.append(
            '<section id="warnings" class="warnings" role="note"><h2>Warnings</h2><ul>' + "".join(f"<li>{_e(w)}</li>" for w in r.warnings) + "</ul></section>"
        )
    if r.uncertainty is not None:
        out.append(uncertainty_table(r))
    out.append(f'<p id="cost-split" class="muted">Cost split: {_e(r.cost_split)}; a siloed fleet\'s cost goes to its own workload.</p>')
    if r.crossing is not None and r.siloed is not None:
        x = r.crossing
        out.append(
            f'<p class="muted">Refined prompts cross between siloed fleets: {_e(sig(x.bytes_per_request / 1e6))} MB each, '
            f"+{_e(sig(x.siloed_added_latency_ms))} ms, {_e(usd(x.siloed_network_cost_usd))} in all; none in the consolidated fleet.</p>"
        )

    out.append('<div class="cols"><section>')
    out += ["<h2>Siloed vs. consolidated</h2>", compare_table(r), "</section><aside>"]
    out.append("<h2>Cost breakdown</h2>")
    cost = plan_cost_svg(r)
    if cost is not None:
        out.append(
            f"<figure><figcaption>Total cost over {_e(hours_text(r.horizon_hours))}, by part"
            f"{' (energy is included in the rent)' if r.pricing == 'rent' else ''}</figcaption>"
            f"{_legend([(name, col) for _, name, col in COST_PARTS])}{cost}</figure>"
        )
    else:
        out.append('<p class="muted">No arrangement meets the constraints: there is no cost to break down.</p>')
    out.append("</aside></div>")

    demand = plan_demand_svg(r)
    if demand is not None and r.demand is not None:
        d = r.demand
        out.append("<h2>Demand</h2>")
        what = (
            "text requests per second (filled, left-hand axis) and videos arriving per hour (line, right-hand axis)"
            if d.text_demand and d.video_arrivals
            else "text requests per second" if d.text_demand else "videos arriving per hour"
        )
        out.append(f'<p class="muted">What the fleets were sized against: {what}, summed over services.</p>')
        series = [(n, col) for n, col, v in (("text requests/s", C_TEXT, d.text_demand), ("video arrivals/hour", C_VIDEO, d.video_arrivals)) if v]
        out.append(f"<figure>{_legend(series)}{demand}</figure>")

    out.append("<h2>Hourly schedule</h2>")
    per = _bucket_hours(r.horizon_hours)
    out.append(
        '<p class="muted">GPUs busy on text and on video, reloading weights to switch role, and idle, per hour; '
        "the black line is the video backlog (videos waiting at the end of the hour, right-hand axis). "
        f"Both charts share their scales.{f' Each step is a {per}-hour average.' if per > 1 else ''}</p>"
    )
    gpu_max, bl_max = schedule_axes(r)
    legend = _legend([("text", C_TEXT), ("video", C_VIDEO), ("switching", C_SWITCH), ("idle", C_IDLE)], line=("video backlog", C_BACKLOG))
    for mode in ARRANGEMENTS:
        p = fleet(r, mode)
        name = mode.capitalize()
        if p is None:
            out.append(f'<figure class="infeasible" id="schedule-{mode}-infeasible"><figcaption>{_e(name)}: {INFEASIBLE}</figcaption>'
                       f"<p>{_e(binding(infeasible_of(r, mode)))}: no fleet, no schedule.</p></figure>")
            continue
        out.append(
            f"<figure><figcaption>{_e(name)}: {p.total_gpus:,} GPUs, {_e(pct(p.utilization))} utilised, peak {_e(sig(p.peak_power_mw))} MW</figcaption>"
            f"{legend}{plan_schedule_svg(p, gpu_max, bl_max)}</figure>"
        )
    out += ["<h2>Per-GPU capacity</h2>", '<p class="muted">From the text and video models, per GPU type.</p>', capacity_table(r)]
    out.append("<h2>Assumptions</h2>")
    out.append(assumptions_list(r))

    base = float(sensitivity_base) if sensitivity_base is not None else c.total_cost_usd if c is not None else None
    if sensitivity and base is not None:
        out.append("<h2>Sensitivity</h2>")
        out.append(
            f'<p class="muted">{_e(sensitivity_metric[:1].upper() + sensitivity_metric[1:])} with each input at its low '
            f"and high value, the others at their base; the vertical line is the base ({_e(sensitivity_format(base))}).</p>"
        )
        out.append(
            f"<figure>{_legend([('input at low value', C_LOW), ('input at high value', C_HIGH)])}"
            f"{tornado_svg(list(sensitivity), base, metric=sensitivity_metric, fmt=sensitivity_format)}</figure>"
        )

    out.append(
        f"<footer>capplan {_e(r.capplan_version)} · schema {_e(r.schema_version)} · scenario {_e(r.scenario)} · "
        "figures are model estimates, rounded for reading; the JSON output keeps full precision.</footer>"
    )
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
