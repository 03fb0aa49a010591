"""Plan diff: which figures changed, by how much, and how each format shows it."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

from planbuild import make_plan
from rich.console import Console

from capplan.report.diff import diff_csv, diff_json, diff_markdown, diff_plans, diff_table, show_change


def _by_key(d):
    return {c.key: c for c in d.rows}


def test_a_plan_against_itself_has_no_changes(tiny_plan, golden_plan):
    for r in (tiny_plan, golden_plan):
        d = diff_plans(r, r)
        assert len(d.rows) > 40 and d.changes == []


def test_changed_figures_and_their_deltas(tiny_plan):
    cons = tiny_plan.consolidated.model_copy(update={"gpus": {"a": 2, "b": 2}, "total_gpus": 4, "total_cost_usd": 90.0})
    b = make_plan(consolidated=cons, savings_usd=10.0, savings_pct=10.0)
    d = diff_plans(tiny_plan, b)
    assert [c.key for c in d.changes] == ["consolidated.total_gpus", "consolidated.gpus.b", "consolidated.total_cost_usd", "savings_usd", "savings_pct"]
    k = _by_key(d)
    assert (k["consolidated.gpus.b"].a, k["consolidated.gpus.b"].b, k["consolidated.gpus.b"].delta) == (1, 2, 1.0)
    tc = k["consolidated.total_cost_usd"]
    assert (tc.delta, tc.delta_pct) == (10.0, 12.5)  # 80 -> 90
    assert show_change(tc) == "+$10.00 (+12.5%)"
    assert show_change(k["savings_usd"]) == "−$10.00 (−50.0%)"
    assert show_change(k["savings_pct"]) == "−10.0 points"
    assert show_change(k["siloed.total_cost_usd"]) == "="
    # Sections in reading order, whatever order the facts were built in.
    sections = [c.section for c in d.rows]
    assert sections == sorted(sections, key=["inputs", "fleet", "cost", "savings", "use", "capacity", "assumptions", "uncertainty"].index)


def test_a_gpu_only_one_plan_uses_counts_as_zero_in_the_other(tiny_plan):
    silo = tiny_plan.siloed.model_copy(update={"gpus": {"a": 3, "c": 1}})
    k = _by_key(diff_plans(tiny_plan, make_plan(siloed=silo)))
    assert (k["siloed.gpus.c"].a, k["siloed.gpus.c"].b) == (0, 1)
    assert (k["siloed.gpus.a"].a, k["siloed.gpus.a"].b) == (4, 3)
    assert not k["consolidated.gpus.c"].changed  # 0 in both


def test_solver_round_off_is_not_a_change(tiny_plan):
    def with_cost(x):
        return make_plan(consolidated=tiny_plan.consolidated.model_copy(update={"total_cost_usd": x}))

    assert diff_plans(tiny_plan, with_cost(80.0 * (1 + 1e-8))).changes == []
    assert [c.key for c in diff_plans(tiny_plan, with_cost(80.0 * (1 + 1e-5))).changes] == ["consolidated.total_cost_usd"]


def test_assumptions_are_compared(tiny_plan):
    a2 = tiny_plan.assumptions.model_copy(update={"gpu_usd_per_hour": {"a": 3.0, "b": 4.0}, "stack": "fa2"})
    d = diff_plans(tiny_plan, make_plan(assumptions=a2))
    assert [c.key for c in d.changes] == ["assumptions.stack", "assumptions.gpu_usd_per_hour.a"]
    assert show_change(_by_key(d)["assumptions.gpu_usd_per_hour.a"]) == "+$0.500 (+20.0%)"
    # A plan without assumptions (an older file) against one with: every assumption shows as new.
    old = diff_plans(make_plan(assumptions=None), tiny_plan)
    added = [c for c in old.changes if c.section == "assumptions"]
    assert added and all(c.a is None for c in added)
    assert show_change(added[0]) == "changed"


def test_monte_carlo_metrics_are_compared_generically(tiny_plan):
    """A Monte Carlo reporting several metrics (siloed, consolidated, saving) is diffed metric by metric."""

    def mc(saving_p50):
        band = lambda lo, mid, hi: {"p10": lo, "p50": mid, "p90": hi}  # noqa: E731
        return SimpleNamespace(
            metrics={"siloed.total_cost_usd": band(90.0, 100.0, 110.0), "savings_usd": band(5.0, saving_p50, 30.0)},
            samples=10, valid_samples=10, seed=0, ranges={},
        )

    d = diff_plans(tiny_plan.model_copy(update={"uncertainty": mc(20.0)}), tiny_plan.model_copy(update={"uncertainty": mc(25.0)}))
    assert [c.key for c in d.changes] == ["uncertainty.savings_usd.p50"]
    assert len([c for c in d.rows if c.section == "uncertainty"]) == 6


def test_formats(tiny_plan):
    b = make_plan(consolidated=tiny_plan.consolidated.model_copy(update={"total_cost_usd": 90.0}), pricing="own")
    d = diff_plans(tiny_plan, b, a_name="a.json", b_name="b.json")
    doc = json.loads(diff_json(d))
    assert doc["a"] == {"file": "a.json", "scenario": "tiny", "warnings": []} and doc["changed"] == 2 and doc["compared"] == len(d.rows)
    assert [(r["key"], r["a"], r["b"], r["delta"]) for r in doc["rows"]] == [("pricing", "rent", "own", None), ("consolidated.total_cost_usd", 80.0, 90.0, 10.0)]
    assert len(json.loads(diff_json(d, show_all=True))["rows"]) == len(d.rows)
    rows = list(csv.reader(io.StringIO(diff_csv(d))))
    assert rows == [["section", "key", "a", "b", "delta", "delta_pct"], ["inputs", "pricing", "rent", "own", "", ""], ["cost", "consolidated.total_cost_usd", "80.0", "90.0", "10.0", "12.5"]]
    md = diff_markdown(d)
    assert "## Inputs" in md and "## Cost" in md and "## Fleet" not in md
    assert "| consolidated: total cost | $80.00 | $90.00 | +$10.00 (+12.5%) |" in md
    buf = io.StringIO()
    Console(file=buf, width=120, no_color=True).print(diff_table(d))
    text = buf.getvalue()
    assert "A = a.json, B = b.json (scenario tiny)" in text and "+$10.00 (+12.5%)" in text and "2 of" in text
    buf = io.StringIO()
    Console(file=buf, width=120).print(diff_table(diff_plans(tiny_plan, tiny_plan)))
    assert f"No differences in {len(d.rows)} compared figures." in buf.getvalue()


def test_capacity_per_gpu_is_compared(tiny_plan):
    caps = [tiny_plan.capacities[0].model_copy(update={"capacity_per_gpu": 3.0}), *tiny_plan.capacities[1:]]
    d = diff_plans(tiny_plan, make_plan(capacities=caps))
    assert [(c.key, c.label, c.a, c.b) for c in d.changes] == [("capacity.chat.a", "chat on a [requests/s per GPU]", 2.5, 3.0)]


def test_a_plan_made_by_another_capplan_says_so(tiny_plan):
    d = diff_plans(tiny_plan, make_plan(capplan_version="9.9"))
    assert [(c.key, c.a, c.b) for c in d.changes] == [("capplan_version", "0.0.test", "9.9")]
