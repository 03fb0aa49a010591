"""Small fleet problems shared by the planning tests."""

from __future__ import annotations

import numpy as np

from capplan.planning.optimize import PlanProblem


def problem(**kw) -> PlanProblem:
    """One text workload of 10 requests/s on 1-GPU nodes (1 request/s per GPU, $2/h, 1500/300 W)."""
    T = kw.pop("hours", 24)
    G = kw.pop("G", 1)
    base = dict(
        hours=T,
        node_size=1,
        hw_usd_per_gpu_hour=np.full(G, 2.0),
        busy_w=np.full(G, 1500.0),
        idle_w=np.full(G, 300.0),
        energy_usd_per_kwh=np.zeros(T),
        availability=np.full(G, np.inf),
        text_demand=np.full((1, T), 10.0),
        text_capacity=np.full((G, 1), 1.0),
        video_arrivals=np.zeros((1, T)),
        video_rate=np.full((G, 1), 1.0),
        video_deadline_h=np.array([0]),
        switch_gpu_hours=np.zeros(G),
    )
    base.update(kw)
    return PlanProblem(**base)


def random_problem(rng: np.random.Generator, G: int, T: int) -> PlanProblem:
    return problem(
        hours=T,
        G=G,
        hw_usd_per_gpu_hour=rng.uniform(1, 4, G),
        busy_w=rng.uniform(800, 1600, G),
        idle_w=rng.uniform(100, 300, G),
        energy_usd_per_kwh=rng.uniform(0.02, 0.3, T),
        text_demand=rng.uniform(0, 6, (1, T)),
        text_capacity=rng.uniform(0.5, 2.0, (G, 1)),
        video_arrivals=rng.uniform(0, 4, (1, T)),
        video_rate=rng.uniform(0.5, 2.0, (G, 1)),
        video_deadline_h=np.array([int(rng.integers(0, 4))]),
    )
