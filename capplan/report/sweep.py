"""Terminal table of a sweep."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from capplan.report.fmt import gb, sig, usd
from capplan.report.terminal import Mark, TerminalOnly
from capplan.results import SweepResult, SweepRow

MAX_TABLE_ROWS = 200


def sweep_table(r: SweepResult) -> Group:
    unit = r.rows[0].unit if r.rows else ""
    throughput_unit = r.rows[0].throughput_unit if r.rows else ""
    # Units in the title keep the headers short. Every column is at least as wide as its longest
    # cell, so values (typed back as options) are never cut; only headers may wrap.
    title = f"capplan sweep {r.command}: {r.n_scenarios:,} scenarios; cost in USD per {unit}, rate in {throughput_unit}"
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True)
    rows: list[tuple[SweepRow, list[str]]] = []
    reasons: dict[str, None] = {}
    for row in r.rows[:MAX_TABLE_ROWS]:
        cells: list[str] = [str(row.inputs[k]) for k in r.varied]
        if row.status == "cannot run":
            cells += ["cannot run †", "", "", ""]
            reasons.setdefault(row.reason or row.status, None)
        else:
            cells.append(usd(row.cost_per_unit_usd) if row.cost_per_unit_usd is not None else "—")
            cells.append(sig(row.throughput) if row.throughput is not None else "—")
            cells.append(f"{sig(row.time_s)} s" if r.command == "video" and row.time_s is not None else str(row.max_batch))
            cells.append((gb(row.peak_memory_gb) if row.peak_memory_gb is not None else "—") + (" no fit" if row.fits_in_memory is False else ""))
        rows.append((row, cells))
    headers = [*r.varied, "cost", "rate", "time" if r.command == "video" else "batch", "memory"]
    for i, name in enumerate(headers):
        width = max((len(cells[i]) for _, cells in rows), default=1)
        t.add_column(name, justify="left" if i < len(r.varied) else "right", min_width=width, overflow="fold")
    for row, cells in rows:
        shown: list = list(cells)
        if row.fits_in_memory is False and row.peak_memory_gb is not None:  # a red cross on a terminal, explained by the legend; words elsewhere
            mem = gb(row.peak_memory_gb)
            shown[-1] = Mark(Text(f"{mem} ✗", style="red"), f"{mem} no fit")
        if row.status == "cannot run":
            shown[len(r.varied)] = Text("cannot run †", style="dim")
        t.add_row(*shown)
    parts: list = [t]
    if len(r.rows) > MAX_TABLE_ROWS:
        parts.append(Text(f"({len(r.rows) - MAX_TABLE_ROWS:,} more rows: use --format csv or json)", style="dim"))
    parts += [Text(f"† {why}", style="dim") for why in reasons]  # why a cell has no numbers: content, not a legend
    if any(row.fits_in_memory is False for row, _ in rows):
        parts.append(TerminalOnly(Text("✗ = does not fit in memory", style="dim")))
    return Group(*parts)
