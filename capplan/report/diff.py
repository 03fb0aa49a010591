"""What changed between two plans (A, then B): fleet per GPU, costs, savings, use, assumptions and inputs.

Two plans are compared fact by fact; a fact is a number or a word with a key (``consolidated.gpus.h100-sxm``),
a section and a label. Numbers count as unchanged within a relative 1e-6 (solver tolerance), and
a GPU type that one plan does not use counts as 0 there. An infeasible arrangement has no fleet facts
(they show as "—") but a status "infeasible" and a ``<arrangement>.infeasible`` fact naming what binds.
Each plan's warnings are shown whether or not they changed. Rendered as a table, JSON, CSV or Markdown.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from rich.console import Group
from rich.table import Table
from rich.text import Text

from capplan.report.arrangements import ARRANGEMENTS, binding, fleet, fleets, infeasible_of
from capplan.report.fmt import pct, sig, usd
from capplan.report.planfacts import assumption_values, metric_label, uncertainty_bands
from capplan.results import FleetPlan, PlanResult

#: Two numbers closer than this (relative) are the same figure: the LP/MIP solver works to tolerances
#: of about 1e-7 (HiGHS' default feasibility tolerance), so two solves of one problem can differ in the
#: 7th digit without anything having changed.
REL_TOL = 1e-6

Kind = Literal["usd", "count", "frac", "pct", "mw", "mwh", "hours", "number", "text"]
SECTIONS = ("inputs", "fleet", "cost", "savings", "use", "capacity", "assumptions", "uncertainty")

COST_FIELDS: tuple[tuple[str, str], ...] = (
    ("total_cost_usd", "total cost"),
    ("cost_per_hour_usd", "cost per hour"),
    ("hardware_cost_usd", "hardware"),
    ("energy_cost_usd", "energy"),
    ("fixed_cost_usd", "fixed (per fleet)"),
    ("network_cost_usd", "network"),
    ("text_cost_usd", "text share"),
    ("video_cost_usd", "video share"),
    ("cost_per_video_minute_usd", "per minute of video"),
    ("cost_per_million_tokens_usd", "per million tokens"),
)
USE_FIELDS: tuple[tuple[str, str, Kind], ...] = (
    ("utilization", "utilisation", "frac"),
    ("idle_gpu_hours", "idle GPU-hours", "number"),
    ("backfill_value_usd", "idle GPU-hours' backfill value", "usd"),
    ("peak_power_mw", "peak power", "mw"),
    ("energy_mwh", "energy", "mwh"),
)


@dataclass(frozen=True)
class Fact:
    key: str
    section: str
    label: str
    kind: Kind
    value: Any


@dataclass(frozen=True)
class Change:
    """One fact in both plans. ``a`` or ``b`` is None where that plan does not have it."""

    key: str
    section: str
    label: str
    kind: Kind
    a: Any
    b: Any

    @property
    def numeric(self) -> bool:
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (self.a, self.b))

    @property
    def delta(self) -> float | None:
        return float(self.b) - float(self.a) if self.numeric else None

    @property
    def delta_pct(self) -> float | None:
        """(B - A) / |A| x 100; None when A is 0 or either side is not a number."""
        return (float(self.b) - float(self.a)) / abs(float(self.a)) * 100.0 if self.numeric and self.a != 0 else None

    @property
    def changed(self) -> bool:
        if self.numeric:
            return not math.isclose(float(self.a), float(self.b), rel_tol=REL_TOL, abs_tol=1e-12)
        return bool(self.a != self.b)


@dataclass(frozen=True)
class PlanDiff:
    a_name: str
    b_name: str
    a_scenario: str
    b_scenario: str
    rows: list[Change] = field(default_factory=list)
    a_warnings: list[str] = field(default_factory=list)
    b_warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [c for c in self.rows if c.changed]


def _fleet_facts(p: FleetPlan, gpus: list[str], fleets: list[str]) -> list[Fact]:
    m = p.mode
    out = [Fact(f"{m}.total_gpus", "fleet", f"{m}: GPUs", "count", p.total_gpus)]
    out += [Fact(f"{m}.gpus.{g}", "fleet", f"{m}: {g}", "count", p.gpus.get(g, 0)) for g in gpus]
    out += [Fact(f"{m}.fleets.{f}", "fleet", f"{m}: {f} fleet GPUs", "count", sum(p.fleets[f].values())) for f in fleets if f in p.fleets]
    out.append(Fact(f"{m}.racks", "fleet", f"{m}: racks", "count", p.racks))
    out += [Fact(f"{m}.{k}", "cost", f"{m}: {label}", "usd", getattr(p, k)) for k, label in COST_FIELDS]
    out += [Fact(f"{m}.{k}", "use", f"{m}: {label}", kind, getattr(p, k)) for k, label, kind in USE_FIELDS]
    out.append(Fact(f"{m}.status", "use", f"{m}: solver status", "text", p.status))
    return out


def plan_facts(r: PlanResult, gpus: list[str] | None = None) -> list[Fact]:
    """Every fact of a plan that a diff compares, in reading order. ``gpus``: GPU types to report a
    count for (default: those the plan uses)."""
    gpus = gpus if gpus is not None else list(dict.fromkeys(g for p in fleets(r) for g in p.gpus))
    out = [
        Fact("scenario", "inputs", "scenario", "text", r.scenario),
        Fact("capplan_version", "inputs", "made by capplan", "text", r.capplan_version),
        Fact("horizon_hours", "inputs", "horizon", "hours", r.horizon_hours),
        Fact("pricing", "inputs", "pricing", "text", r.pricing),
        Fact("video_minutes", "inputs", "minutes of video", "number", r.video_minutes),
        Fact("million_tokens", "inputs", "million tokens (input + output)", "number", r.million_tokens),
        Fact("consolidated_sharing", "inputs", "consolidated sharing", "text", r.consolidated_sharing),
    ]
    for m in ARRANGEMENTS:
        p = fleet(r, m)
        if p is not None:
            out += _fleet_facts(p, gpus, list(p.fleets))
        else:
            out.append(Fact(f"{m}.infeasible", "fleet", f"{m}: infeasible", "text", binding(infeasible_of(r, m))))
            out.append(Fact(f"{m}.status", "use", f"{m}: solver status", "text", "infeasible"))
    out += [
        Fact("savings_usd", "savings", "saving", "usd", r.savings_usd),
        Fact("savings_pct", "savings", "saving [%]", "pct", r.savings_pct),
    ]
    for c in r.capacities:
        unit = "requests/s" if c.kind == "text" else "videos/hour"
        out.append(Fact(f"capacity.{c.service}.{c.gpu}", "capacity", f"{c.service} on {c.gpu} [{unit} per GPU]", "number", c.capacity_per_gpu))
    if r.assumptions is not None:
        for metric, gpu, v in assumption_values(r.assumptions):
            kind: Kind = "text" if isinstance(v, str) else "usd" if "usd" in metric else "number"
            key = f"assumptions.{metric}" + (f".{gpu}" if gpu else "")
            out.append(Fact(key, "assumptions", metric.replace("_", " ") + (f", {gpu}" if gpu else ""), kind, v))
    for b in uncertainty_bands(r.uncertainty):
        kind = "usd" if b.metric.endswith("_usd") else "pct" if b.metric.endswith("_pct") else "number"
        out += [Fact(f"uncertainty.{b.metric}.{q}", "uncertainty", f"{metric_label(b.metric)}, {q.upper()}", kind, getattr(b, q)) for q in ("p10", "p50", "p90")]
    return out


def diff_plans(a: PlanResult, b: PlanResult, *, a_name: str = "A", b_name: str = "B") -> PlanDiff:
    """Every fact of either plan, A's value beside B's, by section, in A's reading order within one
    (a fact only B has goes after the one it follows in B)."""
    gpus = list(dict.fromkeys(g for r in (a, b) for p in fleets(r) for g in p.gpus))
    fa = {f.key: f for f in plan_facts(a, gpus)}
    fb = {f.key: f for f in plan_facts(b, gpus)}
    order = list(fa)
    for i, k in enumerate(fb):
        if k not in fa:
            prev = list(fb)[i - 1] if i else None
            order.insert(order.index(prev) + 1 if prev in order else len(order), k)
    rank = {s: i for i, s in enumerate(SECTIONS)}
    order.sort(key=lambda k: rank[(fa.get(k) or fb[k]).section])  # stable: reading order within a section
    rows = []
    for k in order:
        f = fa.get(k) or fb[k]
        rows.append(Change(k, f.section, f.label, f.kind, fa[k].value if k in fa else None, fb[k].value if k in fb else None))
    return PlanDiff(a_name, b_name, a.scenario, b.scenario, rows, list(a.warnings), list(b.warnings))


# --- rendering -----------------------------------------------------------------------------------

_SHOW: dict[str, Callable[[float], str]] = {
    "usd": usd,
    "count": lambda v: f"{v:,.0f}",
    "frac": pct,
    "pct": lambda v: f"{v:.1f}%",
    "mw": lambda v: f"{sig(v)} MW",
    "mwh": lambda v: f"{sig(v)} MWh",
    "hours": lambda v: f"{v:,.0f} h",
    "number": sig,
}


def show(kind: Kind, v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, str) or kind == "text":
        return str(v)
    return _SHOW[kind](float(v))


def _signed(x: float, body: str) -> str:
    return ("+" if x > 0 else "−" if x < 0 else "±") + body


def show_change(c: Change) -> str:
    if not c.changed:
        return "="
    d = c.delta
    if d is None:
        return "changed"
    if c.kind == "frac":
        return _signed(d, f"{abs(d) * 100:.1f} points")
    if c.kind == "pct":
        return _signed(d, f"{abs(d):.1f} points")
    rel = "" if c.delta_pct is None else f" ({_signed(c.delta_pct, f'{abs(c.delta_pct):.1f}%')})"
    return _signed(d, show(c.kind, abs(d))) + rel


def _title(d: PlanDiff) -> str:
    same = d.a_scenario == d.b_scenario
    scen = f"scenario {d.a_scenario}" if same else f"scenarios {d.a_scenario} → {d.b_scenario}"
    return f"A = {d.a_name}, B = {d.b_name} ({scen})"


def _summary(d: PlanDiff, shown: list[Change]) -> str:
    n = len(d.changes)
    if not n:
        return f"No differences in {len(d.rows)} compared figures."
    return f"{n} of {len(d.rows)} compared figures differ{'' if len(shown) == n else f' (showing all {len(shown)})'}."


def _warning_lines(d: PlanDiff) -> list[str]:
    """Each plan's warnings, whether or not they changed: they qualify every figure of that plan."""
    return [f"Warning in {side}: {w}" for side, ws in (("A", d.a_warnings), ("B", d.b_warnings)) for w in ws]


def diff_table(d: PlanDiff, *, show_all: bool = False) -> Group:
    shown = d.rows if show_all else d.changes
    warnings = [Text(w, style="bold yellow") for w in _warning_lines(d)]
    if not shown:
        return Group(Text(_title(d)), *warnings, Text(_summary(d, shown)))
    t = Table(title=_title(d), title_justify="left")
    t.add_column("")
    t.add_column("A", justify="right")
    t.add_column("B", justify="right")
    t.add_column("B − A", justify="right")
    last = None
    for c in shown:
        # "siloed: total cost" under a "Cost, siloed" heading: shorter rows that fit 80 columns.
        mode, label = c.label.split(": ", 1) if c.label.startswith(("siloed: ", "consolidated: ")) else ("", c.label)
        head = c.section.capitalize() + (f", {mode}" if mode else "")
        if head != last:
            t.add_row(Text(head, style="bold"), "", "", "")
            last = head
        t.add_row(f"  {label}", show(c.kind, c.a), show(c.kind, c.b), show_change(c))
    return Group(t, *warnings, Text(_summary(d, shown), style="dim"))


def _jsonable(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def diff_json(d: PlanDiff, *, show_all: bool = False) -> str:
    shown = d.rows if show_all else d.changes
    doc = {
        "a": {"file": d.a_name, "scenario": d.a_scenario, "warnings": d.a_warnings},
        "b": {"file": d.b_name, "scenario": d.b_scenario, "warnings": d.b_warnings},
        "compared": len(d.rows),
        "changed": len(d.changes),
        "rows": [
            {
                "key": c.key,
                "section": c.section,
                "label": c.label,
                "a": _jsonable(c.a),
                "b": _jsonable(c.b),
                "delta": _jsonable(c.delta),
                "delta_pct": _jsonable(c.delta_pct),
                "changed": c.changed,
            }
            for c in shown
        ],
    }
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def diff_csv(d: PlanDiff, *, show_all: bool = False) -> str:
    """One row per figure shown; then each plan's warnings as rows of section "warnings" (the text
    under a or b). Text that a spreadsheet would run as a formula gets a leading single quote."""
    from capplan.report.flat import csv_text

    def cell(v: Any) -> str:
        return "" if v is None else repr(v) if isinstance(v, float) else csv_text(v)

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "key", "a", "b", "delta", "delta_pct"])
    for c in d.rows if show_all else d.changes:
        w.writerow([c.section, csv_text(c.key), *(cell(v) for v in (c.a, c.b, c.delta, c.delta_pct))])
    w.writerows(["warnings", "warning", csv_text(x), "", "", ""] for x in d.a_warnings)
    w.writerows(["warnings", "warning", "", csv_text(x), "", ""] for x in d.b_warnings)
    return buf.getvalue()


def _md(s: str) -> str:
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def diff_markdown(d: PlanDiff, *, show_all: bool = False) -> str:
    shown = d.rows if show_all else d.changes
    out = [f"# Plan diff: {_md(_title(d))}", "", _summary(d, shown), ""]
    if d.a_warnings or d.b_warnings:
        out += ["## Warnings", "", *(f"- **{_md(w)}**" for w in _warning_lines(d)), ""]
    for section in SECTIONS:
        rows = [c for c in shown if c.section == section]
        if not rows:
            continue
        out += [f"## {section.capitalize()}", "", "| figure | A | B | B − A |", "| --- | ---: | ---: | ---: |"]
        out += [f"| {_md(c.label)} | {_md(show(c.kind, c.a))} | {_md(show(c.kind, c.b))} | {_md(show_change(c))} |" for c in rows]
        out.append("")
    return "\n".join(out)
