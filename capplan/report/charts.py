"""SVG charts of a plan, apart from the page that shows them: pure functions, plain data in (numbers,
labels), one ``<svg>`` string out, so a chart can go into the HTML report, a Markdown file or a slide.

Every chart has an id, ``role="img"``, an aria-label and a <title> that say what it shows, and hover
read-outs as <title> elements (no script). Same input, same bytes: coordinates have one decimal.
Only the standard library, numpy and capplan.report.fmt are imported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

import numpy as np

from capplan.report.fmt import sig, usd

MAX_POINTS = 168  # hourly charts average longer horizons into at most this many buckets

# Okabe-Ito colours (distinguishable with colour-blindness), and a light grey for idle GPUs.
C_TEXT = "#0072B2"
C_VIDEO = "#CC79A7"
C_SWITCH = "#E69F00"
C_IDLE = "#E4E4E4"
C_BACKLOG = "#222222"
#: (key, label, colour) of the parts of a cost column; the key names the segment's class (seg-<key>).
COST_PARTS = (
    ("hardware", "Hardware", "#0072B2"),
    ("energy", "Energy", "#E69F00"),
    ("fixed", "Fixed (per fleet)", "#009E73"),
    ("network", "Network", "#CC79A7"),
)
C_LOW = "#56B4E9"
C_HIGH = "#D55E00"
#: Only a stand-alone SVG file declares it; a chart inside an HTML page needs no namespace.
SVG_NS = "http://www.w3.org/2000/svg"


def _e(x: object) -> str:
    return escape(str(x), quote=True)


def _f(x: float) -> str:
    """An SVG coordinate: one decimal, never '-0.0'."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


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


def schedule_svg(
    hours: Sequence[Sequence[float]] | np.ndarray,
    *,
    owned_gpus: int,
    name: str,
    chart_id: str,
    gpu_max: float | None = None,
    backlog_max: float | None = None,
) -> str:
    """Hourly GPUs on text, video, switching, idle as stacked steps; video backlog as a line on a
    right-hand axis. Horizons longer than MAX_POINTS hours are averaged into buckets.

    ``hours``: one row per hour, (text GPUs, video GPUs, switching GPUs, idle GPUs, video backlog).
    ``owned_gpus``: drawn as a dashed line. ``name`` starts the chart's label ("siloed plan: ...").
    ``gpu_max``, ``backlog_max``: axis tops to share between charts.
    """
    n = len(hours)
    W, H = 1040, 300
    L, R, T, B = 64, 74, 14, 40
    pw, ph = W - L - R, H - T - B
    cols = np.asarray(hours, dtype=float).reshape(n, 5)
    buckets = _buckets(n)
    per = _bucket_hours(n)
    agg = np.array([cols[a:b].mean(axis=0) for a, b in buckets]).reshape(len(buckets), 5)

    top = max(gpu_max if gpu_max is not None else 0.0, float(owned_gpus), float(agg[:, :4].sum(axis=1).max(initial=0.0)))
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
    layers = ("text", "video", "switching", "idle")
    colours = (C_TEXT, C_VIDEO, C_SWITCH, C_IDLE)
    cum = np.concatenate([np.zeros((len(buckets), 1)), np.cumsum(agg[:, :4], axis=1)], axis=1)
    for li, (layer, colour) in enumerate(zip(layers, colours)):
        if not agg[:, li].any():
            continue
        upper: list[str] = []
        lower: list[str] = []
        for bi, (a, b) in enumerate(buckets):
            upper += [f"{_f(x(a))},{_f(y(cum[bi, li + 1]))}", f"{_f(x(b))},{_f(y(cum[bi, li + 1]))}"]
            lower += [f"{_f(x(a))},{_f(y(cum[bi, li]))}", f"{_f(x(b))},{_f(y(cum[bi, li]))}"]
        pts = " ".join(upper + lower[::-1])
        parts.append(f'<polygon class="layer layer-{layer}" points="{pts}" fill="{colour}" stroke="none"/>')

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
    parts.append(f'<line x1="{L}" x2="{L + pw}" y1="{_f(y(owned_gpus))}" y2="{_f(y(owned_gpus))}" stroke="#555" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{L + pw - 4}" y="{_f(y(owned_gpus) - 4)}" text-anchor="end" class="halo">{owned_gpus:,} GPUs owned</text>')

    # Hover read-outs (no script: an invisible column per bucket with a <title>).
    for bi, (a, b) in enumerate(buckets):
        tx, vd, sw, idle, bl = agg[bi]
        when = f"hour {a}" if b - a == 1 else f"hours {a}–{b - 1} (mean)"
        tip = f"{when}: text {tx:,.0f}, video {vd:,.0f}, switching {sw:,.1f}, idle {idle:,.0f} GPUs; backlog {bl:,.0f} videos"
        parts.append(f'<rect x="{_f(x(a))}" y="{T}" width="{_f(x(b) - x(a))}" height="{ph}" fill="transparent"><title>{_e(tip)}</title></rect>')

    peak_busy = float((agg[:, 0] + agg[:, 1]).max(initial=0.0))
    label = (
        f"{name}: GPUs busy on text and video, switching and idle, per hour over {n} hours"
        f"{'' if per == 1 else f' ({per}-hour averages)'}; {owned_gpus} GPUs owned, at most {peak_busy:,.0f} busy"
        + (f"; video backlog up to {float(agg[:, 4].max()):,.0f} videos" if has_backlog else "")
    )
    return (
        f'<svg id="{_e(chart_id)}" class="chart chart-schedule" role="img" aria-label="{_e(label)}" viewBox="0 0 {W} {H}" '
        f'width="{W}" height="{H}" preserveAspectRatio="xMidYMid meet"><title>{_e(label)}</title>{"".join(parts)}</svg>'
    )


def cost_svg(
    columns: Sequence[tuple[str, Sequence[float], float]],
    *,
    horizon_hours: int,
    parts: Sequence[tuple[str, str, str]] = COST_PARTS,
    chart_id: str = "chart-cost",
) -> str:
    """Stacked cost columns: ``columns`` are (name, one value per part of ``parts`` [USD], total [USD]).
    A part's share in its hover read-out is of the column's total."""
    if not columns:
        raise ValueError("cost_svg needs at least one column")
    W, H = 420, 470
    L, R, T, B = 62, 12, 26, 34
    pw, ph = W - L - R, H - T - B
    top = max(sum(max(v, 0.0) for v in values) for _, values, _ in columns)
    ticks = _nice_ticks(top, 5)
    ymax = ticks[-1]

    def y(v: float) -> float:
        return T + ph * (1 - v / ymax)

    out: list[str] = []
    for v, lab in zip(ticks, _tick_labels(ticks, prefix="$")):
        out.append(f'<line class="grid" x1="{L}" x2="{L + pw}" y1="{_f(y(v))}" y2="{_f(y(v))}"/>')
        out.append(f'<text x="{L - 6}" y="{_f(y(v) + 4)}" text-anchor="end">{_e(lab)}</text>')
    slot = pw / len(columns)
    bar_w = min(110.0, slot * 0.55)
    for i, (name, values, total) in enumerate(columns):
        x0 = L + slot * i + (slot - bar_w) / 2
        cx = x0 + bar_w / 2
        out.append(f'<text x="{_f(cx)}" y="{T + ph + 20}" text-anchor="middle" font-weight="600">{_e(name)}</text>')
        acc = 0.0
        for (key, part, colour), value in zip(parts, values):
            v = max(value, 0.0)
            if v <= 0:
                continue
            y_hi, y_lo = y(acc + v), y(acc)
            tip = f"{name}: {part.lower()} {usd(v)} ({v / max(total, 1e-300) * 100:.1f}%)"
            out.append(
                f'<rect class="seg seg-{_e(key)}" x="{_f(x0)}" y="{_f(y_hi)}" width="{_f(bar_w)}" '
                f'height="{_f(max(y_lo - y_hi, 0.5))}" fill="{colour}"><title>{_e(tip)}</title></rect>'
            )
            if y_lo - y_hi >= 18:
                out.append(f'<text x="{_f(cx)}" y="{_f((y_hi + y_lo) / 2 + 4)}" text-anchor="middle" style="fill:#fff">{_e(usd(v))}</text>')
            acc += v
        out.append(f'<text x="{_f(cx)}" y="{_f(y(acc) - 7)}" text-anchor="middle" font-weight="600">{_e(usd(total))}</text>')
    out.append(f'<line class="axis" x1="{L}" x2="{L + pw}" y1="{T + ph}" y2="{T + ph}"/>')
    out.append(f'<line class="axis" x1="{L}" x2="{L}" y1="{T}" y2="{T + ph}"/>')
    names = ", ".join(part.lower() for _, part, _ in parts)
    totals = ", ".join(f"{name.lower()} {usd(total)}" for name, _, total in columns)
    label = f"Total cost over {horizon_hours} hours by part ({names}): {totals}"
    return (
        f'<svg id="{_e(chart_id)}" class="chart chart-cost" role="img" aria-label="{_e(label)}" viewBox="0 0 {W} {H}" '
        f'width="{W}" height="{H}" preserveAspectRatio="xMidYMid meet"><title>{_e(label)}</title>{"".join(out)}</svg>'
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



def demand_svg(
    text_per_s: Sequence[float] | None,
    video_per_h: Sequence[float] | None,
    *,
    chart_id: str = "chart-demand",
) -> str:
    """Hourly demand as steps: text requests per second (filled, left axis) and videos arriving per
    hour (line, right axis, or the left one when there is no text). Either series may be missing, not
    both; when both are given they must cover the same hours. Long horizons are averaged as in
    :func:`schedule_svg`."""
    series = [(k, np.asarray(v, dtype=float).ravel()) for k, v in (("text", text_per_s), ("video", video_per_h)) if v is not None and len(v)]
    if not series:
        raise ValueError("demand_svg needs text or video demand")
    n = len(series[0][1])
    if any(len(v) != n for _, v in series):
        raise ValueError(f"demand series cover different numbers of hours: {', '.join(f'{k} {len(v)}' for k, v in series)}")
    W, H = 1040, 240
    L, R, T, B = 64, 74, 14, 40
    pw, ph = W - L - R, H - T - B
    buckets = _buckets(n)
    per = _bucket_hours(n)
    unit = {"text": "requests/s", "video": "videos/hour"}
    colour = {"text": C_TEXT, "video": C_VIDEO}
    agg = {k: np.array([v[a:b].mean() for a, b in buckets]) for k, v in series}
    ticks = {k: _nice_ticks(float(a.max(initial=0.0))) for k, a in agg.items()}

    def x(hour: float) -> float:
        return L + pw * hour / max(n, 1)

    def y(k: str, v: float) -> float:
        return T + ph * (1 - v / ticks[k][-1])

    out: list[str] = []
    for hx, lab in _x_labels(n):
        out.append(f'<line class="axis" x1="{_f(x(hx))}" x2="{_f(x(hx))}" y1="{T + ph}" y2="{T + ph + 4}"/>')
        out.append(f'<text x="{_f(x(hx))}" y="{T + ph + 17}" text-anchor="middle">{_e(lab)}</text>')
    for side, (k, _) in enumerate(series):
        ax, anchor = (L - 6, "end") if side == 0 else (L + pw + 6, "start")
        for v, lab in zip(ticks[k], _tick_labels(ticks[k])):
            if side == 0:
                out.append(f'<line class="grid" x1="{L}" x2="{L + pw}" y1="{_f(y(k, v))}" y2="{_f(y(k, v))}"/>')
            out.append(f'<text x="{ax}" y="{_f(y(k, v) + 4)}" text-anchor="{anchor}">{_e(lab)}</text>')
        tx = 14 if side == 0 else W - 12
        rot = -90 if side == 0 else 90
        out.append(
            f'<text x="{tx}" y="{_f(T + ph / 2)}" text-anchor="middle" transform="rotate({rot} {tx} {_f(T + ph / 2)})">'
            f"{_e(k)} [{_e(unit[k])}]</text>"
        )
    for side, (k, _) in enumerate(series):
        steps = [pt for bi, (a, b) in enumerate(buckets) for pt in (f"{_f(x(a))},{_f(y(k, agg[k][bi]))}", f"{_f(x(b))},{_f(y(k, agg[k][bi]))}")]
        if side == 0 and k == "text":
            base = f"{_f(x(n))},{_f(y(k, 0.0))} {_f(x(0))},{_f(y(k, 0.0))}"
            out.append(f'<polygon class="demand demand-{k}" points="{" ".join(steps)} {base}" fill="{colour[k]}" fill-opacity="0.35" stroke="none"/>')
        out.append(f'<polyline class="demand-line demand-{k}" points="{" ".join(steps)}" fill="none" stroke="{colour[k]}" stroke-width="2" stroke-linejoin="round"/>')
    out.append(f'<line class="axis" x1="{L}" x2="{L + pw}" y1="{T + ph}" y2="{T + ph}"/>')
    out.append(f'<line class="axis" x1="{L}" x2="{L}" y1="{T}" y2="{T + ph}"/>')
    if len(series) == 2:
        out.append(f'<line class="axis" x1="{L + pw}" x2="{L + pw}" y1="{T}" y2="{T + ph}"/>')
    for bi, (a, b) in enumerate(buckets):
        when = f"hour {a}" if b - a == 1 else f"hours {a}–{b - 1} (mean)"
        tip = f"{when}: " + ", ".join(f"{k} {sig(float(agg[k][bi]))} {unit[k]}" for k, _ in series)
        out.append(f'<rect x="{_f(x(a))}" y="{T}" width="{_f(x(b) - x(a))}" height="{ph}" fill="transparent"><title>{_e(tip)}</title></rect>')
    desc = []
    full = dict(series)
    if "text" in full:
        desc.append(f"text up to {sig(float(full['text'].max()))} requests/s (mean {sig(float(full['text'].mean()))})")
    if "video" in full:
        desc.append(f"video up to {sig(float(full['video'].max()))} videos/hour ({float(full['video'].sum()):,.0f} in all)")
    label = f"Demand per hour over {n} hours{'' if per == 1 else f' ({per}-hour averages)'}: " + "; ".join(desc)
    return (
        f'<svg id="{_e(chart_id)}" class="chart chart-demand" role="img" aria-label="{_e(label)}" viewBox="0 0 {W} {H}" '
        f'width="{W}" height="{H}" preserveAspectRatio="xMidYMid meet"><title>{_e(label)}</title>{"".join(out)}</svg>'
    )


#: What the HTML page's style sheet gives the charts, for an SVG that stands on its own.
STANDALONE_STYLE = (
    "text { fill: #333; font: 12px system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; } "
    ".chart-cost text { font-size: 13.5px; } "
    ".axis { stroke: #888; stroke-width: 1; } .grid { stroke: #e6e6e6; stroke-width: 1; } "
    "text.halo { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }"
)


def standalone_svg(svg: str) -> str:
    """A chart as an SVG file: the XML declaration and namespace a viewer needs, its own style, and a
    white background (the page's CSS and background are not there)."""
    if not svg.startswith("<svg "):
        raise ValueError("standalone_svg takes one <svg> element from this module")
    head, sep, rest = svg.partition(">")
    body = f'<style>{STANDALONE_STYLE}</style><rect width="100%" height="100%" fill="#fff"/>'
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="{SVG_NS}" {head[5:]}{sep}{body}{rest}\n'
