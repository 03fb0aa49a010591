"""Every plan format renders a plan one (or both) of whose arrangements cannot meet the constraints: the
arrangement shows as INFEASIBLE with the constraint that binds and by how much, the saving says why it
cannot be computed, charts and schedules leave the arrangement out, and warnings are shown up front."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from planbuild import make_plan
from rich.console import Console

from capplan.report.arrangements import binding, infeasible_sentence, savings_text
from capplan.report.diff import diff_csv, diff_json, diff_markdown, diff_plans, diff_table
from capplan.report.flat import csv_text, plan_long_csv, plan_long_rows, plan_schedule_csv, render_csv
from capplan.report.fmt import usd
from capplan.report.html import render_html
from capplan.report.markdown import plan_markdown
from capplan.report.plan import plan_report
from capplan.report.plancharts import plan_svgs
from capplan.results import Infeasible, PlanResult

POWER = Infeasible(
    constraint="power_cap", reason="the siloed fleet needs 3.11 MW at hour 16 (day 0, 16:00) vs a cap of 2.3 MW",
    amount=3.1149, limit=2.3, unit="MW", hour=16,
)
BINDING = "power cap: needs 3.11 MW at hour 16, cap 2.30 MW"
WARNING = "the consolidated plan stopped at its time limit (120 s) with a 1.2% gap to the best bound"


@pytest.fixture
def siloed_out(golden_plan) -> PlanResult:
    """The golden plan whose siloed arrangement broke a 2.3 MW power cap; the consolidated one is priced."""
    return golden_plan.model_copy(update={"siloed": None, "infeasible": {"siloed": POWER}, "savings_usd": None, "savings_pct": None, "warnings": [WARNING]})


@pytest.fixture
def both_out(golden_plan) -> PlanResult:
    rack = Infeasible(constraint="max_racks", reason="the consolidated fleet needs 3 racks vs max_racks 2", amount=3.0, limit=2.0, unit="racks")
    return golden_plan.model_copy(update={"siloed": None, "consolidated": None, "infeasible": {"siloed": POWER, "consolidated": rack}, "savings_usd": None, "savings_pct": None})


def _text(r: PlanResult) -> str:
    buf = io.StringIO()
    Console(file=buf, width=160, no_color=True).print(plan_report(r))
    return buf.getvalue()


def _read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- the shared wording ----------------------------------------------------------------------------


def test_binding_constraint_and_amount():
    assert binding(POWER) == BINDING
    late = POWER.model_copy(update={"hour": 40})
    assert binding(late) == "power cap: needs 3.11 MW at hour 40 (day 1, 16:00), cap 2.30 MW"
    # Sized on representative weeks, the amount is a lower bound (the planner's reason says so).
    year = POWER.model_copy(update={"reason": "the siloed fleet needs at least 3.11 MW at hour 4000 (day 166, 16:00) vs a cap of 2.3 MW", "hour": 4000})
    assert binding(year) == "power cap: needs at least 3.11 MW at hour 4000 (day 166, 16:00), cap 2.30 MW"
    gpus = Infeasible(constraint="availability", reason="the siloed fleet needs 40 h100-sxm GPUs vs 32 available", amount=40.0, limit=32.0, unit="GPUs")
    assert binding(gpus) == "GPU availability: needs 40 GPUs, available 32 GPUs"
    assert binding(Infeasible(constraint="max_racks", reason="r", amount=1200.0, limit=1000.0, unit="racks")) == "rack limit: needs 1,200 racks, limit 1,000 racks"
    # No unit or no limit (a demand no fleet can meet): the amount alone would say nothing.
    assert binding(Infeasible(constraint="demand", reason="no siloed fleet meets this demand", amount=0.0, limit=None, unit="")) == "demand"
    assert binding(None) == "no fleet meets the constraints (the result gives no reason)"


def test_sentences(siloed_out, both_out):
    assert infeasible_sentence(siloed_out, "siloed") == f"Siloed: INFEASIBLE — {BINDING}. The siloed fleet needs 3.11 MW at hour 16 (day 0, 16:00) vs a cap of 2.3 MW."
    c = siloed_out.consolidated.total_cost_usd
    assert savings_text(siloed_out) == (
        f"The saving from consolidation cannot be computed: the siloed arrangement is infeasible ({BINDING}); the consolidated fleet costs {usd(c)}"
    )
    assert savings_text(both_out) == "The saving from consolidation cannot be computed: neither arrangement meets the constraints"


# --- terminal table --------------------------------------------------------------------------------


def test_table_marks_the_arrangement_and_prices_the_other(siloed_out):
    out = _text(siloed_out)
    lines = out.splitlines()
    plan_row = next(x for x in lines if x.startswith("│ Plan "))
    assert "INFEASIBLE" in plan_row and "feasible" in plan_row.split("INFEASIBLE")[1]
    assert "cap 2.30 MW" in out.split("│ GPUs")[0]  # what binds, in the siloed column above the figures
    total = next(x for x in lines if x.startswith("│ Total cost"))
    assert "—" in total and usd(siloed_out.consolidated.total_cost_usd) in total
    assert next(x for x in lines if x.startswith("│ Solve")).split("│")[2].strip() == "infeasible"
    assert f"Siloed: INFEASIBLE — {BINDING}." in out.replace("\n", " ")
    assert "The saving from consolidation cannot be computed: the siloed arrangement is infeasible" in out
    assert "Consolidation saves" not in out
    # Only the consolidated schedule is drawn.
    assert "consolidated: GPUs per hour" in out and "siloed: GPUs per hour" not in out
    # The warning comes right after the table and the saving, before the capacities and assumptions.
    assert out.index(f"Warning: {WARNING}") < out.index("Per-GPU capacity") < out.index("consolidated: GPUs per hour")


def test_table_with_neither_arrangement(both_out):
    out = _text(both_out)
    assert out.count("INFEASIBLE") == 4  # two in the table, two sentences under it
    assert "rack limit: needs 3 racks, limit 2 racks" in out
    assert "neither arrangement meets the constraints" in out
    assert "GPUs per hour" not in out


def test_a_solve_stopped_at_its_time_limit_shows_its_gap(tiny_plan):
    stopped = tiny_plan.consolidated.model_copy(update={"status": "time_limit", "mip_gap": 0.012})
    r = tiny_plan.model_copy(update={"consolidated": stopped, "warnings": [WARNING]})
    solve = next(x for x in _text(r).splitlines() if x.startswith("│ Solve"))
    assert "optimal, 0.00 s" in solve and "time_limit, 0.00 s, gap 1.2%" in solve
    md = plan_markdown(r)
    assert "| Solver | optimal | time_limit, gap 1.2% |" in md
    assert md.index("## Warnings") < md.index("## Fleets")


# --- CSV -------------------------------------------------------------------------------------------


def test_long_csv_rows_of_an_infeasible_arrangement(siloed_out, golden_plan):
    rows = _read(plan_long_csv(siloed_out))
    by = {(r["arrangement"], r["gpu"], r["metric"]): r["value"] for r in rows}
    assert by[("siloed", "", "infeasible")] == "1" and by[("consolidated", "", "infeasible")] == "0"
    assert by[("siloed", "", "infeasible.constraint")] == "power_cap"
    assert float(by[("siloed", "", "infeasible.amount")]) == 3.1149  # full precision
    assert (by[("siloed", "", "infeasible.limit")], by[("siloed", "", "infeasible.unit")], by[("siloed", "", "infeasible.hour")]) == ("2.3", "MW", "16")
    assert by[("siloed", "", "infeasible.reason")] == POWER.reason
    assert by[("siloed", "", "status")] == "infeasible"
    assert by[("siloed", "", "total_cost_usd")] == "" and by[("siloed", "h100-sxm", "gpus")] == ""
    assert by[("", "", "savings_usd")] == "" and by[("", "", "savings_pct")] == ""
    assert float(by[("consolidated", "", "total_cost_usd")]) == siloed_out.consolidated.total_cost_usd
    assert by[("consolidated", "", "infeasible.constraint")] == ""
    assert by[("", "", "warning")] == WARNING
    # The same rows as the feasible plan (so that a spreadsheet's lookups keep working), but the fleets
    # the siloed arrangement does not have.
    key = lambda r: (r["arrangement"], r["gpu"], r["metric"])  # noqa: E731
    feasible = [key(r) for r in _read(plan_long_csv(golden_plan.model_copy(update={"warnings": [WARNING]})))]
    assert [key(r) for r in rows] == [k for k in feasible if not (k[0] == "siloed" and k[2].startswith("fleet_gpus."))]
    assert render_csv(siloed_out) == plan_long_csv(siloed_out)


def test_long_csv_with_neither_arrangement(both_out):
    rows = plan_long_rows(both_out)
    assert ("siloed", "", "infeasible", 1) in rows and ("consolidated", "", "infeasible", 1) in rows
    assert ("consolidated", "", "infeasible.constraint", "max_racks") in rows and ("consolidated", "", "infeasible.unit", "racks") in rows


def test_schedule_csv_has_only_the_feasible_arrangement(siloed_out, both_out):
    rows = _read(plan_schedule_csv(siloed_out))
    assert {r["arrangement"] for r in rows} == {"consolidated"} and len(rows) == siloed_out.horizon_hours
    assert plan_schedule_csv(both_out) == "arrangement,hour,text_gpus,video_gpus,switching_gpus,idle_gpus,video_backlog,power_mw\n"


def test_csv_text_cannot_run_as_a_formula(tiny_plan):
    assert [csv_text(v) for v in ("=1+2", "+SUM(A1)", "-cmd", "@x", "\tx", "plain", -5.0, -3, None)] == ["'=1+2", "'+SUM(A1)", "'-cmd", "'@x", "'\tx", "plain", "-5.0", "-3", ""]
    evil = '=HYPERLINK("http://x","click")'
    caps = [tiny_plan.capacities[0].model_copy(update={"service": "@chat"}), *tiny_plan.capacities[1:]]
    r = tiny_plan.model_copy(update={"scenario": evil, "warnings": ["-2+3"], "capacities": caps, "savings_usd": -20.0})
    by = {(x["arrangement"], x["gpu"], x["metric"]): x["value"] for x in _read(plan_long_csv(r))}
    assert by[("", "", "scenario")] == "'" + evil
    assert by[("", "", "warning")] == "'-2+3"
    assert by[("", "a", "capacity_per_gpu.@chat")] == "2.5"  # "@" inside a cell is harmless
    assert by[("", "", "savings_usd")] == "-20.0"  # a number stays a number
    # The diff's CSV too.
    d = diff_plans(tiny_plan, tiny_plan.model_copy(update={"scenario": evil, "warnings": ["@SUM(1)"]}))
    text = diff_csv(d)
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'" + evil in cells and "'@SUM(1)" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]


# --- Markdown --------------------------------------------------------------------------------------


def test_markdown(siloed_out):
    md = plan_markdown(siloed_out)
    c = siloed_out.consolidated
    assert f"**The saving from consolidation cannot be computed: the siloed arrangement is infeasible ({BINDING}); the consolidated fleet costs {usd(c.total_cost_usd)}.**" in md
    assert f"- **Siloed: INFEASIBLE — {BINDING}. The siloed fleet needs 3.11 MW at hour 16 (day 0, 16:00) vs a cap of 2.3 MW.**" in md
    heads = re.findall(r"^## (.*)$", md, flags=re.M)
    assert heads[:2] == ["Warnings", "Fleets"]  # warnings before any figure
    assert f"- **Warning:** {WARNING}" in md
    assert "| Plan | INFEASIBLE | feasible |" in md
    assert f"| GPUs | — | {c.total_gpus:,} |" in md and all(f"|   {g} | — | {n:,} |" in md for g, n in c.gpus.items())
    assert f"| Total cost | — | {usd(c.total_cost_usd)} | — |" in md  # no difference without both
    assert "| Solver | infeasible | optimal |" in md
    assert "Consolidation saves" not in md and "against" not in md  # no GPU comparison sentence either
    # Tables stay rectangular.
    for line in md.splitlines():
        if line.startswith("| Plan") or line.startswith("| Total cost"):
            assert line.count("|") == (4 if line.startswith("| Plan") else 5)


def test_markdown_with_neither_arrangement(both_out):
    md = plan_markdown(both_out)
    assert "**The saving from consolidation cannot be computed: neither arrangement meets the constraints.**" in md
    assert "| Plan | INFEASIBLE | INFEASIBLE |" in md and "| GPUs | — | — |" in md
    assert "- **Consolidated: INFEASIBLE — rack limit: needs 3 racks, limit 2 racks. The consolidated fleet needs 3 racks vs max_racks 2.**" in md


# --- HTML and its charts ---------------------------------------------------------------------------


def test_html(siloed_out):
    from test_html import _parse

    html = render_html(siloed_out)
    doc = _parse(html)
    by: dict[str, list[dict]] = {}
    for cell in doc.cells:
        by.setdefault(cell["field"], []).append(cell)
    assert all(len(v) == 2 for v in by.values())
    silo, cons = zip(*(v for k, v in by.items() if k not in ("feasible", "status")))
    assert all(x["text"] == "—" and x["value"] is None for x in silo)  # no figure behind a dash
    assert [x["text"] for x in by["status"]] == ["infeasible", siloed_out.consolidated.status]
    assert float(by["total_cost_usd"][1]["value"]) == siloed_out.consolidated.total_cost_usd
    assert [(x["text"], x["value"]) for x in by["feasible"]] == [(f"INFEASIBLE{BINDING}", "0"), ("feasible", "1")]
    box = re.search(r'<div id="infeasible".*?</div>', html, flags=re.S).group(0)
    assert f"Siloed: INFEASIBLE — {BINDING}." in box
    assert '<p id="savings" class="savings none">The saving from consolidation cannot be computed' in html
    # Warnings before the comparison table; charts: the consolidated schedule and one cost column only.
    assert html.index('id="warnings"') < html.index('id="comparison"')
    assert f"<li>{WARNING}</li>" in html
    ids = [a.get("id") for t, a in doc.tags if t == "svg"]
    assert ids == ["chart-cost", "chart-demand", "chart-schedule-consolidated"]
    assert 'id="schedule-siloed-infeasible"' in html
    cost = next(a for t, a in doc.tags if t == "svg" and a.get("id") == "chart-cost")
    assert cost["aria-label"].endswith(f": consolidated {usd(siloed_out.consolidated.total_cost_usd)}")
    assert [a["class"] for t, a in doc.tags if t == "rect" and (a.get("class") or "").startswith("seg ")].count("seg seg-hardware") == 1


def test_html_with_neither_arrangement(both_out):
    html = render_html(both_out, sensitivity=[("GPU price", 1.0, 2.0)])
    assert "<svg" in html  # the demand chart: what could not be met
    assert 'id="chart-cost"' not in html and "chart-schedule" not in html and "chart-sensitivity" not in html
    assert "No arrangement meets the constraints: there is no cost to break down." in html
    assert html.count("INFEASIBLE") >= 4


def test_svg_files_leave_the_arrangement_out(siloed_out, both_out):
    assert list(plan_svgs(siloed_out)) == ["cost.svg", "demand.svg", "schedule-consolidated.svg"]
    assert list(plan_svgs(both_out)) == ["demand.svg"]


def test_infeasible_page_renders_in_headless_chromium(siloed_out, tmp_path):
    from test_html import _chromium, _chromium_run, _parse

    exe = _chromium()
    page = tmp_path / "infeasible.html"
    page.write_text(render_html(siloed_out), encoding="utf-8")
    dom = _chromium_run(exe, tmp_path / "profile-dom", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    doc = _parse(dom.stdout)
    assert [a.get("id") for t, a in doc.tags if t == "svg"] == ["chart-cost", "chart-demand", "chart-schedule-consolidated"]
    assert "INFEASIBLE" in dom.stdout and BINDING in dom.stdout


# --- diff ------------------------------------------------------------------------------------------


def test_diff_of_a_plan_that_became_infeasible(golden_plan, siloed_out):
    d = diff_plans(golden_plan, siloed_out, a_name="a.json", b_name="b.json")
    k = {c.key: c for c in d.rows}
    assert (k["siloed.infeasible"].a, k["siloed.infeasible"].b) == (None, BINDING)
    assert (k["siloed.status"].a, k["siloed.status"].b) == ("optimal", "infeasible")
    assert (k["siloed.total_cost_usd"].a, k["siloed.total_cost_usd"].b) == (golden_plan.siloed.total_cost_usd, None)
    assert k["savings_usd"].b is None and k["savings_usd"].changed
    assert not k["consolidated.total_cost_usd"].changed
    # Every format: the change, and B's warning even though nothing compares it.
    doc = json.loads(diff_json(d))
    assert doc["b"]["warnings"] == [WARNING] and doc["a"]["warnings"] == []
    assert any(r["key"] == "siloed.infeasible" and r["b"] == BINDING for r in doc["rows"])
    rows = list(csv.reader(io.StringIO(diff_csv(d))))
    assert ["fleet", "siloed.infeasible", "", BINDING, "", ""] in rows
    assert rows[-1] == ["warnings", "warning", "", WARNING, "", ""]
    md = diff_markdown(d)
    assert f"- **Warning in B: {WARNING}**" in md and md.index("## Warnings") < md.index("## Fleet")
    assert f"| siloed: infeasible | — | {BINDING} | changed |" in md
    buf = io.StringIO()
    Console(file=buf, width=160, no_color=True).print(diff_table(d))
    out = buf.getvalue()
    assert f"Warning in B: {WARNING}" in out and BINDING in out
    # Two infeasible plans with the same reason: no change there.
    same = diff_plans(siloed_out, siloed_out)
    assert same.changes == [] and "siloed.infeasible" in {c.key for c in same.rows}


def test_tiny_plan_infeasible_both_ways(tiny_plan):
    """A hand-built plan, consolidated infeasible this time: the table and CSV name it, the siloed plan is priced."""
    r = make_plan(consolidated=None, infeasible={"consolidated": POWER.model_copy(update={"reason": "x"})}, savings_usd=None, savings_pct=None)
    by = {(a, g, m): v for a, g, m, v in plan_long_rows(r)}
    assert by[("consolidated", "", "infeasible")] == 1 and by[("siloed", "", "infeasible")] == 0
    assert by[("siloed", "", "total_cost_usd")] == 100.0 and by[("consolidated", "", "total_cost_usd")] is None
    out = " ".join(_text(r).split())  # rich wraps long lines
    assert "Consolidated: INFEASIBLE" in out and "the siloed fleet costs $100." in out
    assert "The consolidated fleet reloads" not in out  # nothing to say about a fleet that does not exist
