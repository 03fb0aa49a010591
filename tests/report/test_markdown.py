"""The Markdown plan report: headline, fleets, costs with the difference, savings, assumptions, warnings."""

from __future__ import annotations

import re
from types import SimpleNamespace

from planbuild import make_plan

from capplan.report.flat import render_markdown
from capplan.report.markdown import plan_markdown


def _section(md: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", md, flags=re.M | re.S)
    assert m, f"no section {title!r}"
    return m.group(1)


def test_headline_and_sections_in_order(tiny_plan):
    md = plan_markdown(tiny_plan)
    assert md.startswith("# GPU fleet plan: tiny\n")
    assert "**Consolidation saves $20.00 (20.0%) over the horizon: $100 siloed vs. $80.00 consolidated.**" in md
    heads = re.findall(r"^## (.*)$", md, flags=re.M)
    assert heads == ["Fleets", "Costs over 2 h (USD)", "Savings", "Use and power", "Demand", "Assumptions", "Capacity per GPU"]
    assert render_markdown(tiny_plan) == md  # --format markdown of a plan is this report


def test_fleet_and_cost_tables(tiny_plan):
    fleets = _section(plan_markdown(tiny_plan), "Fleets")
    assert "| GPUs | 4 | 3 |" in fleets
    assert "|   a | 4 | 2 |" in fleets and "|   b | 0 | 1 |" in fleets  # a GPU one plan does not use shows 0
    assert "| Fleets | text: 1; video: 3 | shared: 3 |" in fleets
    costs = _section(plan_markdown(tiny_plan), "Costs over 2 h (USD)")
    assert "| Total cost | $100 | $80.00 | −$20.00 |" in costs
    assert "|   hardware | $75.00 | $60.00 | −$15.00 |" in costs  # 3/4 of each total
    assert "| Cost per million tokens | — | — | — |" in costs  # no tokens in this plan
    assert "|   fixed (per fleet) | $0 | $0 | 0 |" in costs


def test_assumptions_table(tiny_plan):
    a = _section(plan_markdown(tiny_plan), "Assumptions")
    for row in (
        "| Attention / kernel stack | fa3 |",
        "| Serving engine | vllm |",
        "| Pricing | rented GPUs (energy included in the rent) |",
        "| Price used, a | $2.50 per GPU-hour |",
        "| Price used, b | $4.00 per GPU-hour |",
        "| Idle GPU-hours (backfill) | $0.500 per idle GPU-hour |",
        "| Tokens | input + output together (a blended cost per million tokens) |",
        "| Horizon | 2 h |",
        "| Power cap | 1.50 MW |",
    ):
        assert row in a, row
    older = plan_markdown(make_plan(assumptions=None, demand=None))
    assert "This result does not list its assumptions." in _section(older, "Assumptions")
    assert "## Demand" not in older


def test_demand_summary(tiny_plan):
    d = _section(plan_markdown(tiny_plan), "Demand")
    assert "Text: 2.00 requests/s at peak, 1.50 on average." in d
    assert "Video: 60.0 videos/hour at peak, 90 videos in all." in d


def test_monte_carlo_bands_single_and_several(tiny_plan):
    from capplan.results import Uncertainty

    u = Uncertainty(metric="consolidated.total_cost_usd", samples=10, valid_samples=9, seed=3, ranges={"price_scale": [0.8, 1.2]}, p10=70.0, p50=80.0, p90=95.5)
    s = _section(plan_markdown(tiny_plan.model_copy(update={"uncertainty": u})), "Savings")
    assert "| Consolidated total cost | $70.00 | $80.00 | $95.50 |" in s
    assert "(9 of 10 draws feasible; price_scale 0.8–1.2; seed 3)" in s
    several = SimpleNamespace(
        metrics={
            "siloed.total_cost_usd": {"p10": 90.0, "p50": 100.0, "p90": 120.0},
            "consolidated.total_cost_usd": {"p10": 70.0, "p50": 80.0, "p90": 95.0},
            "savings_usd": {"p10": 10.0, "p50": 20.0, "p90": 30.0},
        },
        samples=10, valid_samples=10, seed=0, ranges={"text_demand": [1.0, 1.5]},
    )
    s = _section(plan_markdown(tiny_plan.model_copy(update={"uncertainty": several})), "Savings")
    assert "| Siloed total cost | $90.00 | $100 | $120 |" in s
    assert "| Saving from consolidation | $10.00 | $20.00 | $30.00 |" in s


def test_cells_cannot_break_the_tables(tiny_plan):
    r = make_plan(scenario="a|b <x>", warnings=["pipe | and\nnewline"], capacities=[tiny_plan.capacities[0].model_copy(update={"service": "ch|at"})])
    md = plan_markdown(r)
    assert md.startswith("# GPU fleet plan: a\\|b &lt;x>\n")
    assert "- **Warning:** pipe \\| and newline" in md
    assert "| ch\\|at | text | a |" in md
    # Every row of every table has as many cell borders (unescaped pipes) as its header.
    width = None
    for line in md.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        n = len(re.findall(r"(?<!\\)\|", line))
        width = n if width is None else width
        assert n == width, line
