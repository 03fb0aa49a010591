"""The terminal plan report shows the assumptions and every Monte Carlo metric."""

from __future__ import annotations

import io
from types import SimpleNamespace

from planbuild import make_plan
from rich.console import Console

from capplan.report.plan import plan_report
from capplan.results import Uncertainty


def _text(r) -> str:
    buf = io.StringIO()
    Console(file=buf, width=140, no_color=True).print(plan_report(r))
    return buf.getvalue()


def test_assumptions_table(tiny_plan):
    out = _text(tiny_plan)
    assert "Assumptions" in out
    for label, value in (("Attention / kernel stack", "fa3"), ("Price used, a", "$2.50 per GPU-hour"), ("Power cap", "1.50 MW"), ("Tokens", "input + output")):
        line = next(x for x in out.splitlines() if label in x)
        assert value in line
    assert "Attention / kernel stack" not in _text(make_plan(assumptions=None))


def test_single_metric_monte_carlo(tiny_plan):
    u = Uncertainty(metric="consolidated.total_cost_usd", samples=10, valid_samples=9, seed=3, ranges={"price_scale": [0.8, 1.2]}, p10=70.0, p50=80.0, p90=95.5)
    out = _text(tiny_plan.model_copy(update={"uncertainty": u}))
    assert "Consolidated total cost P10 / P50 / P90: $70.00 / $80.00 / $95.50" in out
    assert "Monte Carlo: 9 of 10 draws feasible; price_scale 0.8–1.2; seed 3." in out


def test_several_metrics_monte_carlo(tiny_plan):
    u = SimpleNamespace(
        metrics={"siloed.total_cost_usd": {"p10": 90.0, "p50": 100.0, "p90": 120.0}, "savings_pct": {"p10": 5.0, "p50": 20.0, "p90": 25.25}},
        samples=10, valid_samples=10, seed=0, ranges={},
    )
    out = _text(tiny_plan.model_copy(update={"uncertainty": u}))
    assert "Siloed total cost P10 / P50 / P90: $90.00 / $100 / $120" in out
    assert "Saving from consolidation [%] P10 / P50 / P90: 5.0% / 20.0% / 25.2%" in out


def test_monte_carlo_note_uses_what_the_result_has(tiny_plan):
    from capplan.report.planfacts import uncertainty_note

    assert uncertainty_note(SimpleNamespace(metrics={}, samples=20, valid_samples=18, seed=1, ranges={"a": [1, 2]})) == "18 of 20 draws feasible; a 1–2; seed 1"
    assert uncertainty_note(SimpleNamespace(metrics={}, samples=20)) == "20 draws"
