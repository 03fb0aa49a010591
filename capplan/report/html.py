"""A plan as one self-contained HTML page: inline CSS and inline SVG charts drawn here, nothing fetched
at view time (no scripts, fonts, images or style sheets from the network), light theme, printable.

Same input, same bytes: no timestamps, and every coordinate is written with a fixed number of decimals.
Only the standard library and numpy are imported (the result model is a type hint only).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING

import numpy as np

from capplan.report.fmt import pct, sig, usd

if TYPE_CHECKING:
    from capplan.results import FleetPlan, PlanResult

MAX_POINTS = 168  # schedule charts average longer horizons into at most this many buckets

# Okabe-Ito colours (distinguishable with colour-blindness), and a light grey for idle GPUs.
C_TEXT = "#0072B2"
C_VIDEO = "#CC79A7"
C_SWITCH = "#E69F00"
C_IDLE = "#E4E4E4"
C_BACKLOG = "#222222"
COST_PARTS = (
    ("hardware_cost_usd", "Hardware", "#0072B2"),
    ("energy_cost_usd", "Energy", "#E69F00"),
    ("fixed_cost_usd", "Fixed (per fleet)", "#009E73"),
    ("network_cost_usd", "Network", "#CC79A7"),
)
C_LOW = "#56B4E9"
C_HIGH = "#D55E00"

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
ul.warnings { padding-left: 20px; color: #7a4b00; }
footer { margin-top: 36px; color: #777; font-size: 0.85em; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  figure, table, .savings { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


# --- small helpers -------------------------------------------------------------------------------


def _e(x: object) -> str:
    return escape(str(x), quote=True)


def _f(x: float) -> str:
    """An SVG coordinate: one decimal, never '-0.0'."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


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


def _hours(h: int) -> str:
    if h % 24 == 0 and h >= 48:
        return f"{h:,} h ({h // 24:,} days)"
    return f"{h:,} h"


def _nice_step(span: float, n: int) -> float:
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))


def _nice_ticks(vmax: float, n: int = 5) -> list[float]:
    """0 and round steps (1, 2, 2.5, 5 x 10^k) up to at least ``vmax``."""
    if not math.isfinite(vmax) or vmax <= 0:
        return [0.0, 1.0]
    step = _nice_step(vmax, n)
    k = math.ceil(vmax / step - 1e-9)
    return [i * step for i in range(k + 1)]


def _nice_range(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round ticks covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        c = lo if math.isfinite(lo) else 0.0
        lo, hi = c - max(abs(c) * 0.1, 1.0), c + max(abs(c) * 0.1, 1.0)
    step = _nice_step(hi - lo, n)
    i0, i1 = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [i * step for i in range(i0, i1 + 1)]


def _short(v: float) -> str:
    """3 significant figures without trailing zeros: 20000 -> '20', 2500 -> '2.5'."""
    return f"{float(sig(v).replace(',', '')):g}"


def _tick_labels(ticks: Sequence[float], prefix: str = "") -> list[str]:
    """Axis labels with one scale for the whole axis: 0, 5k, 10k, 15k (not 5,000, 10k)."""
    top = max((abs(t) for t in ticks), default=0.0)
    scale, suffix = (1e6, "M") if top >= 1e6 else (1e3, "k") if top >= 1e4 else (1.0, "")
    out = []
    for t in ticks:
        v = t / scale
        sign = "−" if v < 0 else ""
        body = "0" if v == 0 else (f"{abs(v):,.0f}" if float(v).is_integer() else _short(abs(v)))
        out.append(f"{sign}{prefix}{body}{suffix if v else ''}")
    return out


def _legend(items: Sequence[tuple[str, str]], line: tuple[str, str] | None = None) -> str:
    out = [f'<span><i style="background:{c}"></i>{_e(name)}</span>' for name, c in items]
    if line is not None:
        out.append(f'<span><i class="line" style="border-top-color:{line[1]}"></i>{_e(line[0])}</span>')
    return f'<div class="legend">{"".join(out)}</div>'


# --- charts --------------------------------------------------------------------------------------


def _bucket_hours(n: int, max_points: int = MAX_POINTS) -> int:
    """Hours per bucket: the smallest divisor of a day (1, 2, 3, 4, 6, 8, 12) or whole number of days
    that keeps ``n`` hours within ``max_points`` buckets, so that averages do not beat against the
    daily cycle."""
    need = max(1, -(-n // max_points))
    for h in (1, 2, 3, 4, 6, 8, 12):
        if h >= need:
            return h
    return 24 * -(-need // 24)


def _buckets(n: int, max_points: int = MAX_POINTS) -> list[tuple[int, int]]:
    per = _bucket_hours(n, max_points)
    return [(s, min(s + per, n)) for s in range(0, n, per)]


def _x_labels(n: int) -> list[tuple[float, str]]:
    """Positions (in hours) and labels of x-axis ticks for an ``n``-hour horizon."""
    if n <= 48:
        step = 3 if n <= 24 else 6
        return [(h, f"{h:02d}h" if n <= 24 else f"d{h // 24} {h % 24:02d}h") for h in range(0, n + 1, step)]
    days = n / 24
    every = next(d for d in (1, 2, 7, 14, 30, 61, 91, 183, 366) if days / d <= 14)
    return [(d * 24.0, f"day {d}") for d in range(0, int(days) + 1, every)]


def schedule_svg(p: FleetPlan, chart_id: str, *, gpu_max: float | None = None, backlog_max: float | None = None) -> str:
    """Hourly GPUs on text, video, switching, idle as stacked steps; video backlog as a line on a
    right-hand axis. Horizons longer than MAX_POINTS hours are averaged into buckets."""
    sched = p.schedule
    n = len(sched)
    W, H = 1040, 300
    L, R, T, B = 64, 74, 14, 40
    pw, ph = W - L - R, H - T - B
    cols = np.array([[h.text_gpus, h.video_gpus, h.switching_gpus, h.idle_gpus, h.video_backlog] for h in sched], dtype=float).reshape(n, 5)
    buckets = _buckets(n)
    per = _bucket_hours(n)
    agg = np.array([cols[a:b].mean(axis=0) for a, b in buckets]).reshape(len(buckets), 5)

    top = max(gpu_max if gpu_max is not None else 0.0, float(p.total_gpus), float(agg[:, :4].sum(axis=1).max(initial=0.0)))
    yt = _nice_ticks(top)
    ymax = yt[-1]
    bl_top = max(backlog_max if backlog_max is not None else 0.0, float(agg[:, 4].max(initial=0.0)))
    has_backlog = bl_top > 0.0
    bt = _nice_ticks(bl_top) if has_backlog else [0.0, 1.0]
    bmax = bt[-1]

    def x(hour: float) -> float:
        return L + pw * hour / max(n, 1)

    def y(v: float) -> float:
        return T + ph * (1 - v / ymax)

    def yb(v: float) -> float:
        return T + ph * (1 - v / bmax)

    parts: list[str] = []
    for v, lab in zip(yt, _tick_labels(yt)):
        parts.append(f'<line class="grid" x1="{L}" x2="{L + pw}" y1="{_f(y(v))}" y2="{_f(y(v))}"/>')
        parts.append(f'<text x="{L - 6}" y="{_f(y(v) + 4)}" text-anchor="end">{_e(lab)}</text>')
    for hx, lab in _x_labels(n):
        parts.append(f'<line class="axis" x1="{_f(x(hx))}" x2="{_f(x(hx))}" y1="{T + ph}" y2="{T + ph + 4}"/>')
        parts.append(f'<text x="{_f(x(hx))}" y="{T + ph + 17}" text-anchor="middle">{_e(lab)}</text>')

    # Stacked steps: each layer is a polygon over the bucket edges, from its lower to its upper edge.
    names = ("text", "video", "switching", "idle")
    colours = (C_TEXT, C_VIDEO, C_SWITCH, C_IDLE)
    cum = np.concatenate([np.zeros((len(buckets), 1)), np.cumsum(agg[:, :4], axis=1)], axis=1)
    for li, (name, colour) in enumerate(zip(names, colours)):
        if not agg[:, li].any():
            continue
        upper: list[str] = []
        lower: list[str] = []
        for bi, (a, b) in enumerate(buckets):
            upper += [f"{_f(x(a))},{_f(y(cum[bi, li + 1]))}", f"{_f(x(b))},{_f(y(cum[bi, li + 1]))}"]
            lower += [f"{_f(x(a))},{_f(y(cum[bi, li]))}", f"{_f(x(b))},{_f(y(cum[bi, li]))}"]
        pts = " ".join(upper + lower[::-1])
        parts.append(f'<polygon class="layer layer-{name}" points="{pts}" fill="{colour}" stroke="none"/>')

    if has_backlog:
        # Hourly: the backlog at the end of each hour; averaged: the mean, mid-bucket.
        pts = " ".join(f"{_f(x(b if per == 1 else (a + b) / 2))},{_f(yb(agg[bi, 4]))}" for bi, (a, b) in enumerate(buckets))
        parts.append(f'<polyline class="backlog" points="{pts}" fill="none" stroke="{C_BACKLOG}" stroke-width="1.8" stroke-linejoin="round"/>')
        for v, lab in zip(bt, _tick_labels(bt)):
            parts.append(f'<text x="{L + pw + 6}" y="{_f(yb(v) + 4)}" text-anchor="start">{_e(lab)}</text>')
        parts.append(
            f'<text x="{W - 12}" y="{_f(T + ph / 2)}" text-anchor="middle" transform="rotate(90 {W - 12} {_f(T + ph / 2)})">'
            "video backlog [videos]</text>"
        )
    parts.append(f'<line class="axis" x1="{L}" x2="{L + pw}" y1="{T + ph}" y2="{T + ph}"/>')
    parts.append(f'<line class="axis" x1="{L}" x2="{L}" y1="{T}" y2="{T + ph}"/>')
    if has_backlog:
        parts.append(f'<line class="axis" x1="{L + pw}" x2="{L + pw}" y1="{T}" y2="{T + ph}"/>')
    parts.append(f'<text x="14" y="{_f(T + ph / 2)}" text-anchor="middle" transform="rotate(-90 14 {_f(T + ph / 2)})">GPUs</text>')
    parts.append(f'<line x1="{L}" x2="{L + pw}" y1="{_f(y(p.total_gpus))}" y2="{_f(y(p.total_gpus))}" stroke="#555" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{L + pw - 4}" y="{_f(y(p.total_gpus) - 4)}" text-anchor="end" class="halo">{p.total_gpus:,} GPUs owned</text>')

    # Hover read-outs (no script: an invisible column per bucket with a <title>).
    for bi, (a, b) in enumerate(buckets):
        tx, vd, sw, idle, bl = agg[bi]
        when = f"hour {a}" if b - a == 1 else f"hours {a}–{b - 1} (mean)"
        tip = f"{when}: text {tx:,.0f}, video {vd:,.0f}, switching {sw:,.1f}, idle {idle:,.0f} GPUs; backlog {bl:,.0f} videos"
        parts.append(f'<rect x="{_f(x(a))}" y="{T}" width="{_f(x(b) - x(a))}" height="{ph}" fill="transparent"><title>{_e(tip)}</title></rect>')

    peak_busy = float((agg[:, 0] + agg[:, 1]).max(initial=0.0))
    label = (
        f"{p.mode} plan: GPUs busy on text and video, switching and idle, per hour over {n} hours"
        f"{'' if per == 1 else f' ({per}-hour averages)'}; {p.total_gpus} GPUs owned, at most {peak_busy:,.0f} busy"
        + (f"; video backlog up to {float(agg[:, 4].max()):,.0f} videos" if has_backlog else "")
    )
    return (
        f'<svg id="{_e(chart_id)}" class="chart chart-schedule" role="img" aria-label="{_e(label)}" viewBox="0 0 {W} {H}" '
        f'width="{W}" height="{H}" preserveAspectRatio="xMidYMid meet"><title>{_e(label)}</title>{"".join(parts)}</svg>'
    )


def cost_svg(r: PlanResult, chart_id: str = "chart-cost") -> str:
    """Stacked columns of hardware, energy, fixed and network cost, one column per plan."""
    plans = (("Siloed", r.siloed), ("Consolidated", r.consolidated))
    W, H = 420, 470
    L, R, T, B = 62, 12, 26, 34
    pw, ph = W - L - R, H - T - B
    top = max(sum(max(getattr(p, f), 0.0) for f, _, _ in COST_PARTS) for _, p in plans)
    ticks = _nice_ticks(top, 5)
    ymax = ticks[-1]

    def y(v: float) -> float:
        return T + ph * (1 - v / ymax)

    parts: list[str] = []
    for v, lab in zip(ticks, _tick_labels(ticks, prefix="$")):
        parts.append(f'<line class="grid" x1="{L}" x2="{L + pw}" y1="{_f(y(v))}" y2="{_f(y(v))}"/>')
        parts.append(f'<text x="{L - 6}" y="{_f(y(v) + 4)}" text-anchor="end">{_e(lab)}</text>')
    slot = pw / len(plans)
    bar_w = min(110.0, slot * 0.55)
    for i, (name, p) in enumerate(plans):
        x0 = L + slot * i + (slot - bar_w) / 2
        cx = x0 + bar_w / 2
        parts.append(f'<text x="{_f(cx)}" y="{T + ph + 20}" text-anchor="middle" font-weight="600">{_e(name)}</text>')
        acc = 0.0
        for field, part, colour in COST_PARTS:
            v = max(getattr(p, field), 0.0)
            if v <= 0:
                continue
            y_hi, y_lo = y(acc + v), y(acc)
            tip = f"{name}: {part.lower()} {usd(v)} ({v / max(p.total_cost_usd, 1e-300) * 100:.1f}%)"
            parts.append(
                f'<rect class="seg seg-{field.split("_")[0]}" x="{_f(x0)}" y="{_f(y_hi)}" width="{_f(bar_w)}" '
                f'height="{_f(max(y_lo - y_hi, 0.5))}" fill="{colour}"><title>{_e(tip)}</title></rect>'
            )
            if y_lo - y_hi >= 18:
                parts.append(f'<text x="{_f(cx)}" y="{_f((y_hi + y_lo) / 2 + 4)}" text-anchor="middle" style="fill:#fff">{_e(usd(v))}</text>')
            acc += v
        parts.append(f'<text x="{_f(cx)}" y="{_f(y(acc) - 7)}" text-anchor="middle" font-weight="600">{_e(usd(p.total_cost_usd))}</text>')
    parts.append(f'<line class="axis" x1="{L}" x2="{L + pw}" y1="{T + ph}" y2="{T + ph}"/>')
    parts.append(f'<line class="axis" x1="{L}" x2="{L}" y1="{T}" y2="{T + ph}"/>')
    label = (
        f"Total cost over {r.horizon_hours} hours by part (hardware, energy, fixed, network): siloed {usd(r.siloed.total_cost_usd)}, "
        f"consolidated {usd(r.consolidated.total_cost_usd)}"
    )
    return (
        f'<svg id="{_e(chart_id)}" class="chart chart-cost" role="img" aria-label="{_e(label)}" viewBox="0 0 {W} {H}" '
        f'width="{W}" height="{H}" preserveAspectRatio="xMidYMid meet"><title>{_e(label)}</title>{"".join(parts)}</svg>'
    )


def tornado_svg(
    rows: Sequence[tuple[str, float | None, float | None]],
    base: float,
    *,
    metric: str,
    fmt: Callable[[float], str],
    chart_id: str = "chart-sensitivity",
) -> str:
    """Tornado chart: for each input, a bar from the base value to the result at the input's low
    value and one to the result at its high value; widest swing first."""
    def num(v: float | None) -> float:
        return math.nan if v is None else float(v)

    def swing(t: tuple[str, float, float]) -> float:
        d = abs(t[2] - t[1])
        return -d if math.isfinite(d) else -math.inf  # a missing end (cannot be computed) sorts first

    # Stable order: widest swing first, then by name.
    items = sorted(((str(nm), num(lo), num(hi)) for nm, lo, hi in rows), key=lambda t: (swing(t), t[0]))
    W, row_h, gap = 1040, 26, 8
    L, R, T = 240, 200, 12
    axis_h = 30
    H = T + len(items) * (row_h + gap) + axis_h
    pw = W - L - R
    vals = [base] + [v for _, lo, hi in items for v in (lo, hi) if math.isfinite(v)]
    ticks = _nice_range(min(vals), max(vals))
    vmin, vmax = ticks[0], ticks[-1]

    def x(v: float) -> float:
        return L + pw * (v - vmin) / (vmax - vmin)

    base_y = T + len(items) * (row_h + gap)
    parts: list[str] = []
    labels = _tick_labels(ticks, prefix="$") if fmt is usd else [fmt(v) for v in ticks]
    for v, lab in zip(ticks, labels):
        parts.append(f'<line class="grid" x1="{_f(x(v))}" x2="{_f(x(v))}" y1="{T}" y2="{base_y}"/>')
        parts.append(f'<text x="{_f(x(v))}" y="{base_y + 18}" text-anchor="middle">{_e(lab)}</text>')
    for i, (name, lo, hi) in enumerate(items):
        y0 = T + i * (row_h + gap)
        parts.append(f'<text x="{L - 8}" y="{_f(y0 + row_h / 2 + 4)}" text-anchor="end">{_e(name)}</text>')
        for which, v, colour in (("low", lo, C_LOW), ("high", hi, C_HIGH)):
            if not math.isfinite(v):
                continue
            a, b = sorted((x(base), x(v)))
            tip = f"{name} at its {which} value: {metric} {fmt(v)} ({'+' if v >= base else '−'}{fmt(abs(v - base))})"
            parts.append(
                f'<rect class="bar-{which}" x="{_f(a)}" y="{y0}" width="{_f(max(b - a, 0.5))}" height="{row_h}" fill="{colour}"><title>{_e(tip)}</title></rect>'
            )
        ends = " … ".join(fmt(v) if math.isfinite(v) else "—" for v in (lo, hi))
        parts.append(f'<text x="{L + pw + 10}" y="{_f(y0 + row_h / 2 + 4)}">{_e(ends)}</text>')
    parts.append(f'<line x1="{_f(x(base))}" x2="{_f(x(base))}" y1="{T - 4}" y2="{base_y}" stroke="#222" stroke-width="1.5"/>')
    parts.append(f'<line class="axis" x1="{L}" x2="{L + pw}" y1="{base_y}" y2="{base_y}"/>')
    label = f"Sensitivity of {metric} (base {fmt(base)}) to {len(items)} inputs, widest swing first"
    return (
        f'<svg id="{_e(chart_id)}" class="chart chart-sensitivity" role="img" aria-label="{_e(label)}" viewBox="0 0 {W} {H}" '
        f'width="{W}" height="{H}" preserveAspectRatio="xMidYMid meet"><title>{_e(label)}</title>{"".join(parts)}</svg>'
    )


# --- tables --------------------------------------------------------------------------------------


def _gpu_order(r: PlanResult) -> list[str]:
    seen: dict[str, None] = {}
    for c in r.capacities:
        seen.setdefault(c.gpu, None)
    for p in (r.siloed, r.consolidated):
        for g in p.gpus:
            seen.setdefault(g, None)
    return [g for g in seen if g in r.siloed.gpus or g in r.consolidated.gpus]


def _cell(field: str, value: float | int | None, text: str) -> str:
    data = "" if value is None else f' data-value="{_e(repr(value))}"'
    return f'<td class="num" data-field="{_e(field)}"{data}>{_e(text)}</td>'


def compare_table(r: PlanResult) -> str:
    s, c = r.siloed, r.consolidated
    rows: list[str] = []

    def group(title: str) -> None:
        rows.append(f'<tr class="group"><th colspan="3">{_e(title)}</th></tr>')

    def row(label: str, field: str, get: Callable[[FleetPlan], float | int | None], show: Callable[[FleetPlan], str], indent: bool = False) -> None:
        cls = ' class="indent"' if indent else ""
        rows.append(f"<tr><td{cls}>{_e(label)}</td>{_cell(field, get(s), show(s))}{_cell(field, get(c), show(c))}</tr>")

    group("Fleet")
    row("GPUs", "total_gpus", lambda p: p.total_gpus, lambda p: f"{p.total_gpus:,}")
    for g in _gpu_order(r):
        row(g, f"gpus.{g}", lambda p, g=g: p.gpus.get(g, 0), lambda p, g=g: f"{p.gpus.get(g, 0):,}" if p.gpus.get(g) else "—", indent=True)
    row(
        "Fleets", "fleets", lambda p: None,
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
    row("Status", "status", lambda p: None, lambda p: p.status)
    row("Solve time", "solve_s", lambda p: p.solve_s, lambda p: f"{p.solve_s:.2f} s")
    row("MIP gap", "mip_gap", lambda p: p.mip_gap, lambda p: _maybe(p.mip_gap, _gap))
    return (
        '<table id="comparison"><thead><tr><th></th><th class="num">Siloed</th><th class="num">Consolidated</th></tr></thead>'
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
        ("Horizon", _hours(r.horizon_hours)),
        ("Pricing", "rented GPUs" if r.pricing == "rent" else "owned GPUs (amortised capex, upkeep and energy)"),
        ("Services", ", ".join(f"{s} ({k})" for s, k in services.items()) or "—"),
        ("GPU types considered", ", ".join(gpus) or "—"),
        ("Video demand", f"{_count(r.video_minutes)} minutes of video"),
        ("Text demand", f"{_count(r.million_tokens * 1e6)} tokens"),
        ("Currency", r.currency),
    ]
    return '<dl class="inputs">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>"


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
    s, c = r.siloed, r.consolidated
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
        f'<p class="sub">Siloed text and video fleets vs. one consolidated fleet over {_e(_hours(r.horizon_hours))}, '
        f"{_e('rented' if r.pricing == 'rent' else 'owned')} GPUs.</p>",
        _inputs(r),
    ]
    good = r.savings_usd >= 0
    verb = "saves" if good else "costs"
    out.append(
        f'<p id="savings" class="savings {"good" if good else "bad"}">Consolidation {verb} {_e(usd(abs(r.savings_usd)))} '
        f"({abs(r.savings_pct):.1f}%) over the horizon: {_e(usd(s.total_cost_usd))} siloed vs. {_e(usd(c.total_cost_usd))} consolidated.</p>"
    )
    out.append(f'<p id="cost-split" class="muted">Cost split: {_e(r.cost_split)}; a siloed fleet\'s cost goes to its own workload.</p>')
    if r.crossing is not None:
        x = r.crossing
        out.append(
            f'<p class="muted">Refined prompts cross between siloed fleets: {_e(sig(x.bytes_per_request / 1e6))} MB each, '
            f"+{_e(sig(x.siloed_added_latency_ms))} ms, {_e(usd(x.siloed_network_cost_usd))} in all; none in the consolidated fleet.</p>"
        )

    out.append('<div class="cols"><section>')
    out += ["<h2>Siloed vs. consolidated</h2>", compare_table(r), "</section><aside>"]
    out.append("<h2>Cost breakdown</h2>")
    out.append(
        f"<figure><figcaption>Total cost over {_e(_hours(r.horizon_hours))}, by part"
        f"{' (energy is included in the rent)' if r.pricing == 'rent' else ''}</figcaption>"
        f"{_legend([(name, col) for _, name, col in COST_PARTS])}{cost_svg(r)}</figure>"
    )
    out.append("</aside></div>")

    out.append("<h2>Hourly schedule</h2>")
    per = _bucket_hours(len(s.schedule))
    out.append(
        '<p class="muted">GPUs busy on text and on video, reloading weights to switch role, and idle, per hour; '
        "the black line is the video backlog (videos waiting at the end of the hour, right-hand axis). "
        f"Both charts share their scales.{f' Each step is a {per}-hour average.' if per > 1 else ''}</p>"
    )
    gpu_max = float(max(s.total_gpus, c.total_gpus))
    bl_max = max((h.video_backlog for p in (s, c) for h in p.schedule), default=0.0)
    legend = _legend([("text", C_TEXT), ("video", C_VIDEO), ("switching", C_SWITCH), ("idle", C_IDLE)], line=("video backlog", C_BACKLOG))
    for name, p in (("Siloed", s), ("Consolidated", c)):
        out.append(
            f"<figure><figcaption>{_e(name)}: {p.total_gpus:,} GPUs, {_e(pct(p.utilization))} utilised, peak {_e(sig(p.peak_power_mw))} MW</figcaption>"
            f"{legend}{schedule_svg(p, f'chart-schedule-{p.mode}', gpu_max=gpu_max, backlog_max=bl_max)}</figure>"
        )

    out += ["<h2>Per-GPU capacity</h2>", '<p class="muted">From the text and video models, per GPU type.</p>', capacity_table(r)]

    if sensitivity:
        base = c.total_cost_usd if sensitivity_base is None else float(sensitivity_base)
        out.append("<h2>Sensitivity</h2>")
        out.append(
            f'<p class="muted">{_e(sensitivity_metric[:1].upper() + sensitivity_metric[1:])} with each input at its low '
            f"and high value, the others at their base; the vertical line is the base ({_e(sensitivity_format(base))}).</p>"
        )
        out.append(
            f"<figure>{_legend([('input at low value', C_LOW), ('input at high value', C_HIGH)])}"
            f"{tornado_svg(list(sensitivity), base, metric=sensitivity_metric, fmt=sensitivity_format)}</figure>"
        )

    if r.warnings:
        out.append("<h2>Notes</h2><ul class=\"warnings\">" + "".join(f"<li>{_e(w)}</li>" for w in r.warnings) + "</ul>")
    out.append(
        f"<footer>capplan {_e(r.capplan_version)} · schema {_e(r.schema_version)} · scenario {_e(r.scenario)} · "
        "figures are model estimates, rounded for reading; the JSON output keeps full precision.</footer>"
    )
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
