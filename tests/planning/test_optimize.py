"""The fleet MILP against hand-computed fleets, brute force, and its invariants."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planning_problems import problem, random_problem

from capplan.planning.optimize import PlanProblem, solve


def test_constant_text_demand_hand_computed():
    s = solve(problem(), "consolidated")
    assert s.status == "optimal"
    assert s.fleets["shared"].tolist() == [10]
    assert s.hardware_usd == pytest.approx(10 * 2.0 * 24)


def test_whole_nodes_and_headroom():
    s = solve(problem(node_size=8), "consolidated")
    assert s.fleets["shared"].tolist() == [16]
    s = solve(problem(headroom_frac=0.2), "consolidated")
    assert s.fleets["shared"].tolist() == [13]  # 10 / 0.8 = 12.5 -> 13
    s = solve(problem(headroom_gpus=1), "consolidated")
    assert s.fleets["shared"].tolist() == [11]


def test_video_deferral_flattens_the_peak():
    T = 24
    arrivals = np.zeros((1, T))
    arrivals[0, 12] = 24.0  # a burst of 24 videos at noon, 1 video per GPU-hour
    now = solve(problem(text_demand=np.zeros((1, T)), video_arrivals=arrivals, video_deadline_h=np.array([0])), "consolidated")
    later = solve(problem(text_demand=np.zeros((1, T)), video_arrivals=arrivals, video_deadline_h=np.array([11])), "consolidated")
    assert now.fleets["shared"].tolist() == [24]
    assert later.fleets["shared"].tolist() == [2]  # 24 videos spread over 12 hours
    assert later.backlog.max() <= 24 and later.backlog[0].min() >= 0
    # conservation: everything that arrived was served
    served = later.video_gpus.sum(axis=0)[0]
    assert served.sum() == pytest.approx(24.0)


def test_cyclic_backlog_carries_over_midnight():
    T = 24
    arrivals = np.zeros((1, T))
    arrivals[0, 23] = 6.0  # at 23:00 with 6 hours to go: served partly after midnight
    s = solve(problem(text_demand=np.zeros((1, T)), video_arrivals=arrivals, video_deadline_h=np.array([5])), "consolidated")
    assert s.fleets["shared"].tolist() == [1]
    served = s.video_gpus[0, 0]
    assert served[:5].sum() == pytest.approx(5.0)  # hours 0-4 of the (repeating) day
    assert served.sum() == pytest.approx(6.0)


def test_power_cap_binds_and_infeasible_when_too_low():
    free = solve(problem(), "consolidated")
    assert free.power_w.max() == pytest.approx(10 * 1500)
    capped = solve(problem(power_cap_w=14_000.0), "consolidated")
    assert capped.status == "infeasible"


def test_siloed_pays_for_two_peaks():
    T = 24
    text = np.where(np.arange(T) < 12, 10.0, 0.0)[None, :]
    video = np.where(np.arange(T) >= 12, 10.0, 0.0)[None, :]
    p = problem(text_demand=text, video_arrivals=video)
    silo = solve(p, "siloed")
    cons = solve(p, "consolidated")
    assert silo.fleets["text"].tolist() == [10] and silo.fleets["video"].tolist() == [10]
    assert cons.fleets["shared"].tolist() == [10]
    assert cons.hardware_usd == pytest.approx(silo.hardware_usd / 2)


def test_switch_cost_eats_capacity():
    T = 24
    text = np.where(np.arange(T) < 12, 10.0, 0.0)[None, :]
    video = np.where(np.arange(T) >= 12, 10.0, 0.0)[None, :]
    free = solve(problem(text_demand=text, video_arrivals=video), "consolidated")
    costly = solve(problem(text_demand=text, video_arrivals=video, switch_gpu_hours=np.array([0.5])), "consolidated")
    assert costly.hardware_usd >= free.hardware_usd
    assert costly.fleets["shared"][0] >= 10


def _brute_force(p: PlanProblem, mode: str, max_nodes: int) -> float:
    fleets = ["text", "video"] if mode == "siloed" else ["shared"]
    best = np.inf
    for combo in itertools.product(range(max_nodes + 1), repeat=p.G * len(fleets)):
        fixed = {f: np.array(combo[i * p.G:(i + 1) * p.G], dtype=float) for i, f in enumerate(fleets)}
        s = solve(p, mode, fixed_nodes=fixed)
        if s.status == "optimal":
            best = min(best, s.hardware_usd + s.energy_usd)
    return best


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("mode", ["consolidated", "siloed"])
def test_milp_equals_brute_force_on_small_problems(seed, mode):
    rng = np.random.default_rng(seed)
    G = 2 if mode == "consolidated" else 1
    p = random_problem(rng, G, T=6)
    s = solve(p, mode)
    assert s.status == "optimal"
    assert s.hardware_usd + s.energy_usd == pytest.approx(_brute_force(p, mode, max_nodes=12 if G == 1 else 9), rel=1e-6, abs=1e-3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(1, 3), st.sampled_from([0.0, 0.1]), st.integers(0, 1))
def test_consolidated_never_costs_more_than_siloed(seed, G, headroom, spare):
    rng = np.random.default_rng(seed)
    base = random_problem(rng, G, T=12)
    p = PlanProblem(**{**base.__dict__, "headroom_frac": headroom, "headroom_gpus": spare, "node_size": int(rng.integers(1, 3))})
    silo, cons = solve(p, "siloed"), solve(p, "consolidated")
    assert silo.status == cons.status == "optimal"
    assert cons.hardware_usd + cons.energy_usd <= silo.hardware_usd + silo.energy_usd + 1e-6


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(0, 5))
def test_tighter_deadlines_and_power_caps_never_lower_cost(seed, d):
    rng = np.random.default_rng(seed)
    p = random_problem(rng, 2, T=12)
    loose = PlanProblem(**{**p.__dict__, "video_deadline_h": np.array([d + 2])})
    tight = PlanProblem(**{**p.__dict__, "video_deadline_h": np.array([d])})
    cost = lambda s: s.hardware_usd + s.energy_usd  # noqa: E731
    # each solve is optimal to within the MILP's relative gap (1e-4), so compare to within twice that
    slack = lambda s: cost(s) * 2e-4 + 1e-6  # noqa: E731
    a, b = solve(loose, "consolidated"), solve(tight, "consolidated")
    assert cost(b) >= cost(a) - slack(a)
    peak = float(a.power_w.max())
    capped = solve(PlanProblem(**{**p.__dict__, "video_deadline_h": np.array([d + 2]), "power_cap_w": peak * 0.9}), "consolidated")
    assert capped.status == "infeasible" or cost(capped) >= cost(a) - slack(a)
