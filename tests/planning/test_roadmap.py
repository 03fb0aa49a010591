"""The roadmap MILP against hand-computed present values and its invariants: consolidated never costs
more than siloed, longer lead times never lower the cost, commitments are kept and paid."""

from __future__ import annotations

import numpy as np
import pytest

from capplan.planning.roadmap import (
    HOURS_PER_MONTH,
    KINDS,
    OWN,
    Commitment,
    RoadmapProblem,
    discount_factors,
    monthly_costs,
    npv_breakdown,
    solve_roadmap,
    unit_npv,
)

OD, R1, R3 = KINDS.index("on-demand"), KINDS.index("reserved-1y"), KINDS.index("reserved-3y")


def problem(M: int = 6, *, allowed=None, lead=(0, 0, 0, 0), text=8.0, video=0.0, rate=0.08, **kw) -> RoadmapProblem:
    """One GPU type, one text service needing ``text`` GPUs in every hour (capacity 1 request/s per GPU)
    and, optionally, one video service with ``video`` videos per hour (1 per GPU-hour, 2-hour deadline)."""
    G, C, T = 1, len(KINDS), 24
    base = dict(
        months=M,
        node_size=8,
        text_demand=np.full((1, M, T), text),
        text_capacity=np.ones((G, 1)),
        video_arrivals=np.full((1, M, T), video),
        video_rate=np.ones((G, 1)),
        video_deadline_h=np.array([2]),
        rent_usd_per_gpu_hour=np.full((G, M), 2.0),
        capex_usd_per_gpu=np.full((G, M), 30_000.0),
        allowed=np.ones((G, C), bool) if allowed is None else np.array(allowed, bool).reshape(-1, C),
        lead_months=np.array([lead]),
        term_months=np.array([1, 12, 36, 48]),
        reserved_discount_frac=np.array([0.0, 0.3, 0.45, 0.0]),
        first_month=np.zeros(G, int),
        max_gpus=np.full(G, np.inf),
        busy_w=np.array([1600.0]),
        idle_w=np.array([800.0]),
        energy_usd_per_kwh=0.0,
        opex_frac_per_year=0.0,
        discount_rate_frac_per_year=rate,
    )
    base.update(kw)
    return RoadmapProblem(**base)


def test_on_demand_npv_hand_computed():
    # 8 GPUs on demand for 3 months at $2/h, 730 h a month, discounted at 12%/year at each month's start.
    p = problem(M=3, allowed=[1, 0, 0, 0], rate=0.12)
    s = solve_roadmap(p, "consolidated", exact=True)
    assert s.status == "optimal"
    expected = 8 * 2.0 * 730.0 * (1 + 1.12 ** (-1 / 12) + 1.12 ** (-2 / 12))
    assert s.npv_usd == pytest.approx(expected, rel=1e-9)
    assert s.active[0, 0, OD].tolist() == pytest.approx([8, 8, 8])


def test_unit_present_values_hand_computed():
    p = problem(M=6, rate=0.10, opex_frac_per_year=0.06)
    u = unit_npv(p)
    df = 1.1 ** (-np.arange(40) / 12)
    # Reserved 1 year from month 0: all 12 payments bind, also the 6 after the horizon.
    assert u[0, R1, 0] == pytest.approx(2.0 * 0.7 * 730 * df[:12].sum())
    # Owned from month 2 (life 48 months): price at delivery, upkeep for months 2-5, book value after
    # 4 of 48 months credited at the horizon's end (month 6).
    upkeep = 30_000 * 0.06 / 12
    assert u[0, OWN, 2] == pytest.approx(30_000 * df[2] + upkeep * df[2:6].sum() - 30_000 * (1 - 4 / 48) * df[6])


def test_npv_parts_and_cash_add_up():
    p = problem(M=12, text=20.0, video=6.0, energy_usd_per_kwh=0.1, opex_frac_per_year=0.05, lead=(0, 1, 1, 3), fixed_usd_per_month_per_fleet=1000.0)
    for mode in ("siloed", "consolidated"):
        s = solve_roadmap(p, mode)
        parts = npv_breakdown(p, s)
        assert sum(parts.values()) == pytest.approx(s.npv_usd, rel=1e-9)
        c = monthly_costs(p, s)
        df = discount_factors(p.discount_rate_frac_per_year, p.months + 1)
        again = (c["cash"].sum(axis=0) * df[:-1]).sum() + c["after_horizon_pv"].sum() - c["book_value"].sum() * df[-1]
        assert again == pytest.approx(s.npv_usd, rel=1e-9)


def test_every_hour_is_served():
    p = problem(M=4, text=13.0, video=5.0)
    s = solve_roadmap(p, "consolidated")
    served = (s.text_gpus * p.text_capacity[:, :, None, None]).sum(axis=0)
    assert np.all(served >= p.text_demand - 1e-6)
    busy = s.text_gpus.sum(axis=1) + s.video_gpus.sum(axis=1)  # (G, M, T)
    assert np.all(busy <= s.active.sum(axis=(0, 2))[:, :, None] + 1e-6)


@pytest.mark.parametrize("video", [0.0, 7.0])
def test_consolidated_never_costs_more_than_siloed(video):
    demand = np.tile(np.where(np.arange(24) < 12, 20.0, 4.0), (1, 8, 1))
    p = problem(M=8, text_demand=demand, video=video, lead=(0, 1, 1, 2), energy_usd_per_kwh=0.08, opex_frac_per_year=0.05, fixed_usd_per_month_per_fleet=500.0)
    silo = solve_roadmap(p, "siloed", exact=True, mip_rel_gap=0.0)
    cons = solve_roadmap(p, "consolidated", exact=True, mip_rel_gap=0.0)
    assert cons.npv_usd <= silo.npv_usd * (1 + 1e-9)


def test_longer_lead_time_never_lowers_cost():
    growth = np.linspace(8, 40, 12)[None, :, None] * np.ones((1, 1, 24))
    costs = []
    for lead in range(0, 5):
        p = problem(M=12, text_demand=growth, lead=(0, lead, lead, lead), rate=0.05)
        s = solve_roadmap(p, "consolidated", exact=True, mip_rel_gap=0.0)
        assert s.status == "optimal"
        costs.append(s.npv_usd)
    assert all(b >= a * (1 - 1e-9) for a, b in zip(costs, costs[1:]))
    assert costs[-1] > costs[0]  # waiting 4 months for cheaper capacity costs something here


def test_rounded_plan_between_the_bound_and_the_exact_optimum():
    growth = np.linspace(5, 60, 12)[None, :, None] * np.ones((1, 1, 24))
    p = problem(M=12, text_demand=growth, lead=(0, 1, 1, 2))
    exact = solve_roadmap(p, "consolidated", exact=True, mip_rel_gap=0.0)
    rounded = solve_roadmap(p, "consolidated")
    assert rounded.status in ("rounded", "optimal")
    assert rounded.npv_usd >= exact.npv_usd * (1 - 1e-9)
    bound = rounded.npv_usd * (1 - rounded.mip_gap)
    assert bound <= exact.npv_usd * (1 + 1e-9)


def test_commitments_are_kept_used_and_paid():
    # 16 GPUs reserved for a year from two months before the plan, at $1.50/h: 10 months left in it.
    cm = Commitment(gpu=0, kind=R1, start=-2, gpus=16, fleet="text", usd_per_gpu_hour=1.5)
    p = problem(M=12, text=8.0, commitments=(cm,), allowed=[1, 0, 0, 0])
    s = solve_roadmap(p, "consolidated", exact=True)
    active = s.active[0, 0]
    assert active[R1].tolist() == [16] * 10 + [0, 0]
    assert active[OD].tolist() == pytest.approx([0] * 10 + [8, 8])  # the commitment covers demand until it ends
    df = discount_factors(p.discount_rate_frac_per_year, 12)
    expected = 16 * 1.5 * HOURS_PER_MONTH * df[:10].sum() + 8 * 2.0 * HOURS_PER_MONTH * df[10:].sum()
    assert s.npv_usd == pytest.approx(expected, rel=1e-9)


def test_owned_commitment_bought_before_the_plan_costs_only_its_upkeep():
    cm = Commitment(gpu=0, kind=OWN, start=-12, gpus=8, fleet="text", capex_usd_per_gpu=24_000.0)
    p = problem(M=6, text=8.0, commitments=(cm,), rate=0.0, opex_frac_per_year=0.06)
    s = solve_roadmap(p, "consolidated", exact=True)
    assert s.deliveries.sum() == 0  # nothing new needed
    assert s.active[0, 0, OWN].tolist() == [8] * 6
    assert s.npv_usd == pytest.approx(8 * 24_000 * 0.06 / 12 * 6)


def test_owned_commitment_delivered_in_the_plan_is_paid_and_credited():
    cm = Commitment(gpu=0, kind=OWN, start=2, gpus=8, fleet="text", capex_usd_per_gpu=24_000.0)
    p = problem(M=6, text=8.0, commitments=(cm,), rate=0.0, allowed=[1, 0, 0, 0])
    s = solve_roadmap(p, "consolidated", exact=True)
    assert s.active[0, 0, OD].tolist() == pytest.approx([8, 8, 0, 0, 0, 0])
    # two months on demand, then the purchase less its book value after 4 of 48 months
    assert s.npv_usd == pytest.approx(2 * 8 * 2.0 * 730 + 8 * 24_000 * (4 / 48))


def test_availability_date_and_cap_respected():
    p = problem(M=8, text=24.0, first_month=np.array([3]), allowed=[0, 1, 1, 1], max_gpus=np.array([24.0]))
    p_ok = problem(M=8, text=24.0, first_month=np.array([0]), allowed=[1, 1, 1, 1], max_gpus=np.array([24.0]), lead=(0, 0, 0, 0))
    assert solve_roadmap(p, "consolidated").status == "infeasible"  # nothing can serve months 0-2
    s = solve_roadmap(p_ok, "consolidated", exact=True)
    assert s.active.sum(axis=(0, 2)).max() <= 24 + 1e-9


@pytest.mark.parametrize("mode", ["siloed", "consolidated"])
def test_a_month_needs_the_gpus_capplan_plan_sizes_for_its_day(mode):
    """One month, on-demand only, flat prices: the roadmap's fleet is the plan MILP's fleet for the same
    day (the roadmap rents by the GPU, the plan in whole nodes of one, so they differ by under a GPU)."""
    from capplan.planning.optimize import PlanProblem, solve

    hours = np.arange(24)
    text = np.where((hours >= 9) & (hours < 17), 30.0, 6.0)[None, :]
    video = np.where(hours >= 18, 12.0, 2.0)[None, :]
    common = dict(text_capacity=np.array([[1.0], [2.5]]), video_rate=np.array([[1.0], [3.0]]), video_deadline_h=np.array([3]))
    plan = solve(
        PlanProblem(
            hours=24, node_size=1, hw_usd_per_gpu_hour=np.array([2.0, 4.5]), busy_w=np.array([1000.0, 1500.0]), idle_w=np.array([500.0, 700.0]),
            energy_usd_per_kwh=np.zeros(24), availability=np.full(2, np.inf), text_demand=text, video_arrivals=video, switch_gpu_hours=np.zeros(2), **common,
        ),
        mode,
    )
    rm = solve_roadmap(
        problem(
            M=1, text_demand=text[:, None, :], video_arrivals=video[:, None, :], rent_usd_per_gpu_hour=np.array([[2.0], [4.5]]),
            capex_usd_per_gpu=np.zeros((2, 1)), allowed=np.tile([1, 0, 0, 0], (2, 1)).astype(bool), lead_months=np.zeros((2, 4), int),
            first_month=np.zeros(2, int), max_gpus=np.full(2, np.inf), busy_w=np.array([1000.0, 1500.0]), idle_w=np.array([500.0, 700.0]), **common,
        ),
        mode,
        exact=True,
    )
    plan_usd = float((plan.gpus_total * np.array([2.0, 4.5])).sum())
    rm_usd = float((rm.active.sum(axis=(0, 2))[:, 0] * np.array([2.0, 4.5])).sum())
    assert plan_usd - 4.5 < rm_usd <= plan_usd + 1e-6
