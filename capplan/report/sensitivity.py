"""Terminal tornado chart of a sensitivity analysis."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from capplan.report.fmt import usd
from capplan.report.terminal import TerminalOnly
from capplan.results import SensitivityResult

HALF_WIDTH = 12


def tornado(r: SensitivityResult) -> Group:
    t = Table(title=f"Sensitivity of {r.metric} to ±{r.pct:g}% in each input (base {usd(r.base_value)})", title_justify="left", box=None)
    t.add_column("input", no_wrap=True)
    t.add_column(f"-{r.pct:g}%", justify="right", no_wrap=True)
    t.add_column(f"+{r.pct:g}%", justify="right", no_wrap=True)
    t.add_column(f"{'cheaper':>{HALF_WIDTH}}│dearer", no_wrap=True)
    span = max((max(abs((x or r.base_value) - r.base_value) for x in (row.output_low, row.output_high)) for row in r.rows), default=0.0) or 1.0
    for row in r.rows:
        lo = row.output_low if row.output_low is not None else r.base_value
        hi = row.output_high if row.output_high is not None else r.base_value
        left_d, right_d = min(lo, hi) - r.base_value, max(lo, hi) - r.base_value
        left = round(-min(left_d, 0) / span * HALF_WIDTH)
        right = round(max(right_d, 0) / span * HALF_WIDTH)
        bar = Text(" " * (HALF_WIDTH - left))
        bar.append("█" * left, style="green")
        bar.append("│")
        bar.append("█" * right, style="red")
        t.add_row(row.input, usd(lo) if row.output_low is not None else "—", usd(hi) if row.output_high is not None else "—", bar)
    return Group(t, TerminalOnly(Text("green: cheaper than the base run, red: dearer", style="dim")))
