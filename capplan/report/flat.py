"""Flat renderings for spreadsheets and documents: CSV (one header row) and Markdown tables.

A plan is the exception: its CSV is long (one row per arrangement, GPU and metric, so the columns stay
the same whichever GPUs the optimizer picked), its schedule has a CSV of its own, and its Markdown is a
readable report (capplan.report.markdown).

The plan's long CSV (columns arrangement, gpu, metric, value), in this order:

* ``("", "", <plan metric>, value)`` for each of PLAN_METRICS; savings_usd and savings_pct are empty
  when either arrangement is infeasible.
* For each arrangement (siloed, then consolidated), feasible or not, the same rows:
  ``(a, "", "infeasible", 0 | 1)``; then ``infeasible.constraint`` (power_cap, availability, max_racks,
  demand), ``infeasible.amount`` (what the fleet would need), ``infeasible.limit`` (what the constraint
  allows), ``infeasible.unit`` (of amount and limit: MW, GPUs, racks...), ``infeasible.hour`` (where a
  power cap binds) and ``infeasible.reason`` (one sentence), empty when feasible or not known;
  ``(a, "", "gpus", total)`` and ``(a, <gpu>, "gpus", n)`` for every GPU type the plan considered;
  ``fleet_gpus.<fleet>`` rows, total and per GPU, for the fleets the arrangement has (none when
  infeasible); and one row per FLEET_METRICS field (status "infeasible" and empty values when infeasible).
* ``("", <gpu>, "capacity_per_gpu.<service>" | "gpus_per_replica.<service>", value)``.
* ``crossing.*``, ``assumption.*`` and ``uncertainty.<metric>.p10|p50|p90`` rows when the plan has them.
* ``("", "", "warning", text)``, one per warning (a solve stopped at its time limit, ...).

``capplan validate`` is the other: its CSV has one row per compared measurement (the spreadsheet to
filter), its Markdown the error summary by group (the table to paste into a document).

Text cells that a spreadsheet would read as a formula (starting with = + - @, tab or carriage return)
are written with a leading single quote, in every CSV written here.
"""

from __future__ import annotations

import csv
import io
import math
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:

    from capplan.results import PlanResult


def _is(result: Any, module: str, name: str) -> bool:
    """``isinstance(result, module.name)`` without importing the module: a result of a class that was
    never imported is not one (a what-if's CSV does not import the plan and sweep results, nor pydantic)."""
    m = sys.modules.get(module)
    return m is not None and isinstance(result, getattr(m, name))


def _is_plan(result: Any) -> bool:
    return _is(result, "capplan.results_plan", "PlanResult")


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts -> one level with dotted keys. Lists of scalars are joined with ';'; lists of
    objects (hourly schedules, capacity tables) are left out: they have their own row-wise output."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, dict):
                out.update(flatten(v, key))
            elif isinstance(v, list):
                if all(not isinstance(x, (dict, list)) for x in v):
                    out[key] = ";".join(str(x) for x in v)
            else:
                out[key] = v
    return out


def rows_of(result: Any) -> list[dict[str, Any]]:
    """The rows a result is made of: one per item of a list, else one. (Plans have their own long
    format, :func:`plan_long_rows`.)"""
    if _is(result, "capplan.results_analysis", "SweepResult"):
        return [flatten(r.model_dump(mode="json")) for r in result.rows]
    if _is(result, "capplan.results_analysis", "ValidateResult"):  # (its Markdown is the summary: render_markdown)
        return [flatten(r.model_dump(mode="json")) for r in result.rows]
    if _is_plan(result):
        return [{"arrangement": a, "gpu": g, "metric": m, "value": v} for a, g, m, v in plan_long_rows(result)]
    if hasattr(type(result), "model_dump"):  # a what-if record or a pydantic model
        return [flatten(result.model_dump(mode="json"))]
    return [flatten(r.model_dump(mode="json")) for r in result]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ""
    return str(v)


#: What a spreadsheet takes for the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(v: Any) -> str:
    """A CSV cell: numbers at full precision, text that cannot run as a spreadsheet formula (a leading
    single quote, which spreadsheets show as text and do not evaluate)."""
    s = _cell(v)
    return "'" + s if isinstance(v, str) and s.startswith(FORMULA_STARTS) else s


def _columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    return cols


def render_csv(result: Any) -> str:
    if _is_plan(result):
        return plan_long_csv(result)
    rows = rows_of(result)
    cols = _columns(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_text(c) for c in cols])
    for r in rows:
        w.writerow([csv_text(r.get(c)) for c in cols])
    return buf.getvalue()


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: Any) -> str:
    if _is_plan(result):
        from capplan.report.markdown import plan_markdown

        return plan_markdown(result)
    if _is(result, "capplan.results_analysis", "ValidateResult"):  # (for people: percentages, as the terminal table)
        rows = [
            {"group": g.group, "rows": g.n, "median abs. error": f"{g.median_abs_error:.1%}", "P90 abs. error": f"{g.p90_abs_error:.1%}",
             "signed median": f"{g.median_signed_error:+.1%}"}
            for g in result.summary
        ]
    else:
        rows = rows_of(result)
    if len(rows) == 1:
        lines = ["| field | value |", "| --- | --- |"]
        lines += [f"| {k} | {_md_escape(_cell(v))} |" for k, v in rows[0].items()]
        return "\n".join(lines) + "\n"
    cols = _columns(rows)
    lines = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    lines += ["| " + " | ".join(_md_escape(_cell(r.get(c))) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


# --- plans ---------------------------------------------------------------------------------------

PLAN_CSV_COLUMNS = ("arrangement", "gpu", "metric", "value")
SCHEDULE_CSV_COLUMNS = ("arrangement", "hour", "text_gpus", "video_gpus", "switching_gpus", "idle_gpus", "video_backlog", "power_mw")

#: FleetPlan fields written once per arrangement, in this order (a missing value is an empty cell, never a missing row).
FLEET_METRICS = (
    "status", "racks", "total_cost_usd", "cost_per_hour_usd", "hardware_cost_usd", "energy_cost_usd", "fixed_cost_usd",
    "network_cost_usd", "text_cost_usd", "video_cost_usd", "cost_per_video_minute_usd", "cost_per_million_tokens_usd",
    "utilization", "idle_gpu_hours", "backfill_value_usd", "peak_power_mw", "energy_mwh", "mip_gap",
)
#: Infeasible fields written once per arrangement after its ``infeasible`` 0/1 row (empty when feasible).
INFEASIBLE_FIELDS = ("constraint", "amount", "limit", "unit", "hour", "reason")
PLAN_METRICS = (
    "scenario", "scenario_file", "currency", "horizon_hours", "pricing", "video_minutes", "million_tokens",
    "savings_usd", "savings_pct", "consolidated_sharing",
)


def _write(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows([csv_text(v) for v in r] for r in rows)
    return buf.getvalue()


def plan_long_rows(r: PlanResult) -> list[tuple[str, str, str, Any]]:
    """(arrangement, gpu, metric, value) rows of a plan (see the module docstring). ``arrangement`` is
    siloed or consolidated, empty for what belongs to the plan as a whole; ``gpu`` is empty for totals
    and for what has no GPU."""
    from capplan.report.arrangements import ARRANGEMENTS, fleet, fleets, infeasible_of
    from capplan.report.planfacts import assumption_values, uncertainty_bands

    # Every GPU type the plan considered gets a count (0 when not picked), so that the rows depend on
    # the scenario, not on the solver's choice.
    gpus = list(dict.fromkeys([c.gpu for c in r.capacities] + [g for p in fleets(r) for g in p.gpus]))
    rows: list[tuple[str, str, str, Any]] = [("", "", m, getattr(r, m)) for m in PLAN_METRICS]
    for a in ARRANGEMENTS:
        p = fleet(r, a)
        inf = infeasible_of(r, a)
        rows.append((a, "", "infeasible", int(p is None)))
        rows += [(a, "", f"infeasible.{k}", None if inf is None else getattr(inf, k)) for k in INFEASIBLE_FIELDS]
        if p is None:
            # The same rows as a feasible arrangement, empty: a spreadsheet's lookups keep working.
            rows.append((a, "", "gpus", None))
            rows += [(a, g, "gpus", None) for g in gpus]
            rows += [(a, "", m, "infeasible" if m == "status" else None) for m in FLEET_METRICS]
            continue
        rows.append((a, "", "gpus", p.total_gpus))
        rows += [(a, g, "gpus", p.gpus.get(g, 0)) for g in gpus]
        for fl, counts in p.fleets.items():
            rows.append((a, "", f"fleet_gpus.{fl}", sum(counts.values())))
            rows += [(a, g, f"fleet_gpus.{fl}", counts.get(g, 0)) for g in gpus]
        rows += [(a, "", m, getattr(p, m)) for m in FLEET_METRICS]
    for c in r.capacities:
        rows.append(("", c.gpu, f"capacity_per_gpu.{c.service}", c.capacity_per_gpu))
        rows.append(("", c.gpu, f"gpus_per_replica.{c.service}", c.gpus_per_replica))
    if r.crossing is not None:
        rows += [("", "", f"crossing.{k}", v) for k, v in r.crossing.model_dump().items()]
    if r.assumptions is not None:
        rows += [("", g, f"assumption.{m}", v) for m, g, v in assumption_values(r.assumptions)]
    for b in uncertainty_bands(r.uncertainty):
        rows += [("", "", f"uncertainty.{b.metric}.{q}", getattr(b, q)) for q in ("p10", "p50", "p90")]
    rows += [("", "", "warning", w) for w in r.warnings]
    return rows


def plan_long_csv(r: PlanResult) -> str:
    """The plan as a long CSV: columns arrangement, gpu, metric, value (full precision)."""
    return _write(PLAN_CSV_COLUMNS, plan_long_rows(r))


def plan_schedule_csv(r: PlanResult) -> str:
    """The hourly schedules, one row per arrangement and hour; an infeasible arrangement has no schedule
    and no rows (the long CSV says why)."""
    from capplan.report.arrangements import fleets

    rows = [
        (p.mode, h.hour, h.text_gpus, h.video_gpus, h.switching_gpus, h.idle_gpus, h.video_backlog, h.power_mw)
        for p in fleets(r)
        for h in p.schedule
    ]
    return _write(SCHEDULE_CSV_COLUMNS, rows)
