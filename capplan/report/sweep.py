"""Terminal table of a sweep."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from capplan.report.fmt import gb, sig, usd
from capplan.results import SweepResult

MAX_TABLE_ROWS = 200


def sweep_table(r: SweepResult) -> Group:
    t = Table(title=f"capplan sweep {r.command}: {r.n_scenarios:,} scenarios", title_justify="left")
    for k in r.varied:
        t.add_column(k)
    unit = r.rows[0].unit if r.rows else ""
    t.add_column(f"USD / {unit}", justify="right")
    t.add_column(r.rows[0].throughput_unit if r.rows else "throughput", justify="right")
    if r.command == "video":
        t.add_column("time", justify="right")
    else:
        t.add_column("batch", justify="right")
    t.add_column("memory", justify="right")
    reasons: dict[str, None] = {}
    for row in r.rows[:MAX_TABLE_ROWS]:
        cells = [str(row.inputs[k]) for k in r.varied]
        if row.status == "cannot run":
            t.add_row(*cells, Text("cannot run †", style="dim"), "", "", "")
            reasons.setdefault(row.reason or row.status, None)
            continue
        cells.append(usd(row.cost_per_unit_usd) if row.cost_per_unit_usd is not None else "—")
        cells.append(sig(row.throughput) if row.throughput is not None else "—")
        cells.append(f"{sig(row.time_s)} s" if r.command == "video" and row.time_s is not None else str(row.max_batch))
        cells.append((gb(row.peak_memory_gb) if row.peak_memory_gb is not None else "—") + ("" if row.fits_in_memory else " ✗"))
        t.add_row(*cells)
    parts: list = [t]
    if len(r.rows) > MAX_TABLE_ROWS:
        parts.append(Text(f"({len(r.rows) - MAX_TABLE_ROWS:,} more rows: use --format csv or json)", style="dim"))
    parts += [Text(f"† {why}", style="dim") for why in reasons]
    if any(row.fits_in_memory is False for row in r.rows[:MAX_TABLE_ROWS]):
        parts.append(Text("✗ = does not fit in memory", style="dim"))
    return Group(*parts)
