"""From per-GPU capacities and demand to the fleet problem, and from a solution to priced fleets.

:func:`build_problem` turns a scenario's numbers (capacities from the what-if core, demand profiles,
GPU-hour costs, power) into the MILP of :mod:`capplan.planning.optimize`; :func:`attribute` prices a
solution: hardware and energy from the solver, fixed and network costs, the split between text and
video (siloed: each fleet's own cost; consolidated: by the GPU-hours each used) and the hourly schedule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capplan.models import power
from capplan.planning.costs import GPUHourCost
from capplan.planning.optimize import PlanProblem, PlanSolution
from capplan.results import FleetPlan, HourPlan

HOURS_PER_MONTH = 8760.0 / 12.0


@dataclass(frozen=True)
class Capacities:
    """Per-GPU capacity of every service on every fleet GPU type (0: cannot serve)."""

    text: np.ndarray  # (G, J) requests/s per GPU
    text_co_resident: np.ndarray  # (G, J) with the video pipeline's memory kept on every GPU
    video: np.ndarray  # (G, K) videos per GPU-hour
    video_seconds: np.ndarray  # (K,) seconds of video per request
    video_weight_bytes: np.ndarray  # (K,) DiT weights


def build_problem(
    *,
    hours: int,
    node_size: int,
    hour_costs: list[GPUHourCost],
    energy_usd_per_kwh: np.ndarray,
    availability: np.ndarray,
    host_link_bytes_per_s: np.ndarray,
    text_demand: np.ndarray,
    video_arrivals: np.ndarray,
    caps: Capacities,
    deadlines_h: np.ndarray,
    shared_weight_frac: float,
    power_cap_w: float | None,
    headroom_frac: float,
    headroom_gpus: int,
    rack_w: float | None = None,
    max_racks: int | None = None,
    gpu_names: tuple[str, ...] = (),
) -> PlanProblem:
    """The fleet MILP's numbers. A GPU switching from text to video loads the video weights it does
    not share with the text model over its host link, and the text weights back afterwards."""
    unshared = float(caps.video_weight_bytes.max(initial=0.0)) * (1.0 - shared_weight_frac)
    return PlanProblem(
        hours=hours,
        node_size=node_size,
        hw_usd_per_gpu_hour=np.array([float(h.hardware_usd_per_hour) for h in hour_costs]),
        busy_w=np.array([float(h.facility_w) for h in hour_costs]),
        idle_w=np.array([float(h.idle_facility_w) for h in hour_costs]),
        energy_usd_per_kwh=energy_usd_per_kwh,
        availability=availability,
        text_demand=text_demand,
        text_capacity=caps.text,
        video_arrivals=video_arrivals,
        video_rate=caps.video,
        video_deadline_h=deadlines_h.astype(int),
        switch_gpu_hours=unshared / host_link_bytes_per_s / 3600.0,
        power_cap_w=power_cap_w,
        headroom_frac=headroom_frac,
        headroom_gpus=headroom_gpus,
        rack_w=rack_w,
        max_racks=max_racks,
        it_w=np.array([float(h.it_w) for h in hour_costs]),
        gpu_names=gpu_names,
    )


def attribute(
    sol: PlanSolution,
    *,
    gpus: list[str],
    problem: PlanProblem,
    it_w: np.ndarray,
    rack_w: float,
    fixed_usd_per_fleet: float,
    network_usd: float,
    video_minutes: float,
    million_tokens: float,
    backfill_usd_per_gpu_hour: float,
) -> FleetPlan:
    """A solved arrangement, priced: totals, the text/video split, utilisation, power and the schedule."""
    assert sol.text_gpus is not None and sol.video_gpus is not None and sol.switch_gpus is not None and sol.power_w is not None
    T, K = problem.hours, problem.K
    mode = sol.mode
    n = sol.gpus_total
    hw = problem.hw_usd_per_gpu_hour
    busy_text = sol.text_gpus.sum(axis=1)  # (G, T)
    busy_video = sol.video_gpus.sum(axis=1)
    text_h, video_h = float(busy_text.sum()), float(busy_video.sum())
    fixed = fixed_usd_per_fleet * len(sol.fleets)
    net = network_usd if mode == "siloed" else 0.0
    variable = sol.hardware_usd + sol.energy_usd
    if mode == "siloed":
        share = {f: float((n_f * hw).sum() / max(float((n * hw).sum()), 1e-300)) for f, n_f in sol.fleets.items()}
        text_cost = variable * share["text"] + fixed_usd_per_fleet + net
        video_cost = variable * share["video"] + fixed_usd_per_fleet
    else:
        busy = text_h + video_h
        text_frac = text_h / busy if busy > 0 else 0.5
        text_cost = (variable + fixed) * text_frac
        video_cost = (variable + fixed) * (1 - text_frac)
    total = variable + fixed + net
    owned_h = float(n.sum()) * T
    idle = n.sum() - busy_text.sum(axis=0) - busy_video.sum(axis=0) - sol.switch_gpus.sum(axis=0)
    backlog = sol.backlog if (K and sol.backlog is not None) else np.zeros((1, T))
    schedule = [
        HourPlan(
            hour=t,
            text_gpus=max(float(busy_text[:, t].sum()), 0.0),  # solver round-off can be -1e-11
            video_gpus=max(float(busy_video[:, t].sum()), 0.0),
            switching_gpus=max(float(sol.switch_gpus[:, t].sum()), 0.0),
            idle_gpus=float(max(idle[t], 0.0)),
            video_backlog=max(float(backlog[:, t].sum()), 0.0),
            power_mw=float(sol.power_w[t]) / 1e6,
        )
        for t in range(T)
    ]
    return FleetPlan(
        mode=mode,  # type: ignore[arg-type]
        status=sol.status,
        gpus={g: int(n[i]) for i, g in enumerate(gpus) if n[i] > 0},
        fleets={f: {g: int(c[i]) for i, g in enumerate(gpus) if c[i] > 0} for f, c in sol.fleets.items()},
        total_gpus=int(n.sum()),
        racks=int(sol.racks.sum()) if sol.racks is not None else int(sum(power.racks_needed(n[i], it_w[i], rack_w) for i in range(len(gpus)))),
        total_cost_usd=total,
        cost_per_hour_usd=total / T,
        hardware_cost_usd=sol.hardware_usd,
        energy_cost_usd=sol.energy_usd,
        fixed_cost_usd=fixed,
        network_cost_usd=net,
        text_cost_usd=text_cost,
        video_cost_usd=video_cost,
        cost_per_video_minute_usd=video_cost / video_minutes if video_minutes > 0 else None,
        cost_per_million_tokens_usd=text_cost / million_tokens if million_tokens > 0 else None,
        utilization=(text_h + video_h) / owned_h if owned_h else 0.0,
        idle_gpu_hours=float(np.clip(idle, 0, None).sum()),
        backfill_value_usd=float(np.clip(idle, 0, None).sum()) * backfill_usd_per_gpu_hour,
        peak_power_mw=float(sol.power_w.max()) / 1e6,
        energy_mwh=float(sol.power_w.sum()) / 1e6,
        solve_s=sol.solve_s,
        mip_gap=sol.mip_gap,
        schedule=schedule,
    )
