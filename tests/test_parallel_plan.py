"""A plan Monte Carlo run on worker processes gives byte-identical JSON to a serial run (issue 17)."""

from __future__ import annotations

from pathlib import Path

import capplan

SMALL = Path(__file__).resolve().parent / "golden" / "plan-small.toml"


def test_plan_monte_carlo_on_two_workers_equals_serial():
    kw = dict(uncertain=["text_demand=0.8:1.2", "price_scale=0.9:1.1"], samples=4, seed=3, time_limit_s=30.0)
    serial = capplan.plan(SMALL, **kw)
    parallel = capplan.plan(SMALL, workers=2, **kw)
    strip = lambda r: r.model_dump_json(exclude={"siloed": {"solve_s"}, "consolidated": {"solve_s"}})  # noqa: E731
    assert strip(parallel) == strip(serial)
    m = serial.uncertainty.metrics
    assert set(m) == {"siloed.total_cost_usd", "consolidated.total_cost_usd", "savings_usd"}
    assert m["consolidated.total_cost_usd"]["p50"] <= m["siloed.total_cost_usd"]["p50"] + 1e-6


def test_plan_sensitivity_on_two_workers_equals_serial():
    kw = dict(args={"time_limit_s": 30.0}, scenario=SMALL)
    serial = capplan.sensitivity("plan", **kw)
    parallel = capplan.sensitivity("plan", workers=2, **kw)
    assert parallel.model_dump_json() == serial.model_dump_json()
    assert len(serial.rows) >= 4
