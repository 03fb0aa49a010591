"""Rack limits as constraints, and the diagnosis of infeasible plans (which limit, by how much)."""

from __future__ import annotations

import numpy as np
import pytest
from planning_problems import problem

import capplan.planning.optimize as optimize
from capplan.planning.optimize import Infeasibility, diagnose_infeasible, solve


def test_rack_limit_changes_the_fleet_hand_computed():
    """Type 0: $1/h, 2 GPUs a rack; type 1: $1.5/h, 4 a rack; 10 GPUs needed. Unlimited: 10 x type 0
    (5 racks). Three racks: 2 + 8 (1 + 2 racks, $14/h) beats 0 + 10 ($15/h); 4 + 4 is too few."""
    kw = dict(G=2, hw_usd_per_gpu_hour=np.array([1.0, 1.5]), busy_w=np.array([2000.0, 1000.0]), idle_w=np.array([0.0, 0.0]), rack_w=4000.0)
    free = solve(problem(**kw), "consolidated")
    assert free.fleets["shared"].tolist() == [10, 0]
    assert free.racks.tolist() == [5, 0]
    tight = solve(problem(max_racks=3, **kw), "consolidated")
    assert tight.fleets["shared"].tolist() == [2, 8]
    assert tight.racks.tolist() == [1, 2]
    assert solve(problem(max_racks=2, **kw), "consolidated").status == "infeasible"


def test_racks_use_it_watts_when_given():
    p = problem(rack_w=4000.0, it_w=np.array([1000.0]), max_racks=3)  # 4 GPUs a rack by IT load
    s = solve(p, "consolidated")
    assert s.status == "optimal" and s.racks.tolist() == [3]


def test_power_cap_diagnosis_hand_computed():
    """10 GPUs busy all day at 1500 W need 15 kW; a 14 kW cap cannot be met."""
    d = diagnose_infeasible(problem(power_cap_w=14_000.0), "consolidated")
    assert isinstance(d, Infeasibility)
    assert d.constraint == "power_cap" and d.unit == "MW"
    assert d.amount == pytest.approx(0.015) and d.limit == pytest.approx(0.014)
    assert "0.01" in d.reason and "MW" in d.reason


def test_power_cap_diagnosis_finds_the_least_peak():
    """The cheapest plan serves a noon burst at once (peak 24 GPUs); deferring it 11 h needs only
    2 busy GPUs at a time, so the least power the plan needs is 2 x 1500 W + 0 text."""
    T = 24
    arrivals = np.zeros((1, T))
    arrivals[0, 12] = 24.0
    p = problem(text_demand=np.zeros((1, T)), video_arrivals=arrivals, video_deadline_h=np.array([11]), power_cap_w=2500.0)
    assert solve(p, "consolidated").status == "infeasible"
    d = diagnose_infeasible(p, "consolidated")
    assert d.constraint == "power_cap"
    assert d.amount == pytest.approx(0.003)
    assert 12 <= d.hour <= 23


def test_availability_diagnosis_hand_computed():
    """Text by day, video by night, 10 GPUs each: siloed fleets need 20 GPUs, 15 are available;
    one consolidated fleet of 10 serves both."""
    day = np.arange(24) < 12
    p = problem(availability=np.array([15.0]), text_demand=np.where(day, 10.0, 0.0)[None, :], video_arrivals=np.where(day, 0.0, 10.0)[None, :], gpu_names=("h100-sxm",))
    assert solve(p, "siloed").status == "infeasible"
    assert solve(p, "consolidated").status == "optimal"
    d = diagnose_infeasible(p, "siloed")
    assert d.constraint == "availability"
    assert (d.amount, d.limit) == (20.0, 15.0)
    assert "20 h100-sxm GPUs vs 15 available" in d.reason


def test_rack_diagnosis_hand_computed():
    p = problem(rack_w=3000.0, max_racks=4)  # 2 GPUs a rack at 1500 W: 10 GPUs need 5 racks
    assert solve(p, "consolidated").status == "infeasible"
    d = diagnose_infeasible(p, "consolidated")
    assert (d.constraint, d.amount, d.limit) == ("max_racks", 5.0, 4.0)


def test_demand_diagnosis_when_no_type_can_serve():
    d = diagnose_infeasible(problem(text_capacity=np.zeros((1, 1))), "consolidated")
    assert d.constraint == "demand"


def test_bundled_scenario_under_a_2_3_mw_cap(monkeypatch):
    """`capplan plan --power-cap-mw 2.3`: siloed cannot fit (it needs ~3 MW at the evening peak),
    consolidated can; the diagnosis prices nothing and names the cap with what siloed needs."""
    from capplan import api

    seen = []
    real = optimize.solve

    def spy(p, mode, **kw):
        seen.append((p, mode))
        return real(p, mode, **kw)

    monkeypatch.setattr(optimize, "solve", spy)
    r = api.plan(power_cap_mw=2.3)  # the siloed arrangement is marked infeasible, the consolidated one priced
    assert r.siloed is None and r.consolidated is not None and r.savings_usd is None
    assert r.infeasible["siloed"].constraint == "power_cap" and r.consolidated.peak_power_mw <= 2.3 + 1e-9
    p = seen[0][0]
    monkeypatch.undo()
    assert solve(p, "consolidated").status == "optimal"
    d = diagnose_infeasible(p, "siloed")
    assert d.constraint == "power_cap"
    assert 2.3 < d.amount < 3.2 and d.limit == pytest.approx(2.3)
