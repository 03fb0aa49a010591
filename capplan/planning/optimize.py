"""Fleet sizing and hourly scheduling as a mixed-integer linear program (scipy.optimize.milp, HiGHS).

Decision variables, for GPU types g, text workloads j, video workloads k and hours t:

- ``M[f, g]`` (integer): nodes of type g in fleet f (GPUs = node_size x M). Siloed plans have a text
  fleet and a video fleet; a consolidated plan has one.
- ``x[g, j, t] >= 0``: GPUs of type g serving text workload j during hour t (an hourly average).
- ``y[g, k, t] >= 0``: GPUs of type g generating video k during hour t.
- ``B[k, t] >= 0``: videos of k waiting at the end of hour t (the backlog).
- ``up[g, t], down[g, t] >= 0`` (consolidated, when switching roles costs time): GPUs moved to and from
  video between hours t-1 and t.

Constraints:

- text is served in its hour: ``sum_g cap[g, j] x[g, j, t] >= demand[j, t]``;
- video conservation, cyclic over the horizon so a day's backlog does not vanish:
  ``B[k, t] = B[k, t-1] + arrivals[k, t] - sum_g rate[g, k] y[g, k, t]``;
- deadline: the backlog holds only the last D hours of arrivals, ``B[k, t] <= sum_{t-D < s <= t} arrivals[k, s]``
  (first in, first out, every video is done within D hours);
- capacity: busy GPUs (plus GPU-hours lost to weight reloads when switching roles) fit in each
  fleet after headroom, ``usage <= (1 - headroom_frac) GPUs`` and the fleet keeps ``headroom_gpus`` spare;
- power: ``sum_g idle_w GPUs + (busy_w - idle_w) busy GPUs <= cap`` in every hour;
- availability: ``GPUs of type g over all fleets <= available``.

Objective: hardware (GPUs x hourly rent or amortised capex, every hour of the horizon) + energy
(facility power, which follows utilisation, at the hour's price) + a tiny cost on backlog so that
among equal-cost schedules video is served as early as it can be.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

# Cost per video-hour of backlog: breaks ties between equal-cost schedules, far below any real cost.
BACKLOG_TIE_BREAK_USD = 1e-6


@dataclass(frozen=True)
class PlanProblem:
    """Numbers of a fleet problem; arrays are indexed [g], [j, t], [g, j], [k, t], [g, k]."""

    hours: int
    node_size: int
    hw_usd_per_gpu_hour: np.ndarray  # (G,)
    busy_w: np.ndarray  # (G,) facility watts of a busy GPU
    idle_w: np.ndarray  # (G,) facility watts of an idle GPU
    energy_usd_per_kwh: np.ndarray  # (T,) zero when the rent includes power
    availability: np.ndarray  # (G,) GPUs, inf = unlimited
    text_demand: np.ndarray  # (J, T) requests/s
    text_capacity: np.ndarray  # (G, J) requests/s per GPU, 0 = cannot serve
    video_arrivals: np.ndarray  # (K, T) videos per hour
    video_rate: np.ndarray  # (G, K) videos per GPU-hour, 0 = cannot serve
    video_deadline_h: np.ndarray  # (K,) whole hours
    switch_gpu_hours: np.ndarray  # (G,) GPU-hours lost per GPU that changes role (consolidated)
    power_cap_w: float | None = None
    headroom_frac: float = 0.0
    headroom_gpus: int = 0

    @property
    def G(self) -> int:
        return len(self.hw_usd_per_gpu_hour)

    @property
    def J(self) -> int:
        return self.text_demand.shape[0]

    @property
    def K(self) -> int:
        return self.video_arrivals.shape[0]


@dataclass
class PlanSolution:
    mode: str  # "siloed" | "consolidated"
    status: str  # "optimal" | "infeasible" | "time_limit" | ...
    fleets: dict[str, np.ndarray] = field(default_factory=dict)  # fleet -> GPUs per type (G,)
    text_gpus: np.ndarray | None = None  # (G, J, T)
    video_gpus: np.ndarray | None = None  # (G, K, T)
    backlog: np.ndarray | None = None  # (K, T)
    switch_gpus: np.ndarray | None = None  # (G, T) GPU-hours lost to weight reloads when GPUs change role
    hardware_usd: float = 0.0
    energy_usd: float = 0.0
    power_w: np.ndarray | None = None  # (T,) facility power
    mip_gap: float | None = None
    solve_s: float = 0.0
    message: str = ""

    @property
    def gpus_total(self) -> np.ndarray:
        return sum(self.fleets.values())  # type: ignore[return-value]


class _Vars:
    """Allocates blocks of variable indices."""

    def __init__(self) -> None:
        self.n = 0
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []

    def add(self, shape: tuple[int, ...], *, lb: float | np.ndarray = 0.0, ub: float | np.ndarray = np.inf, integer: bool = False, cost: float | np.ndarray = 0.0) -> np.ndarray:
        size = int(np.prod(shape)) if shape else 1
        idx = np.arange(self.n, self.n + size).reshape(shape)
        self.n += size
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), shape).reshape(-1).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), shape).reshape(-1).copy())
        self.integer.append(np.full(size, 1 if integer else 0))
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=float), shape).reshape(-1).copy())
        return idx


class _Rows:
    """Accumulates sparse constraint rows lb <= A x <= ub."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.m = 0
        self.names: list[tuple[str, int]] = []  # (family, first row)

    def block(self, n_rows: int, lb: float | np.ndarray, ub: float | np.ndarray, name: str) -> np.ndarray:
        rows = np.arange(self.m, self.m + n_rows)
        self.names.append((name, self.m))
        self.m += n_rows
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n_rows,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n_rows,)).copy())
        return rows

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: float | np.ndarray) -> None:
        rows, cols = np.broadcast_arrays(rows, cols)
        vals_a = np.broadcast_to(np.asarray(vals, dtype=float), rows.shape)
        self.r.append(rows.reshape(-1))
        self.c.append(cols.reshape(-1))
        self.v.append(vals_a.reshape(-1))


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence the process's file descriptor 1 while HiGHS runs: some HiGHS builds print debug lines
    to stdout even with display off, which would corrupt JSON written to standard output."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # stdout replaced (e.g. captured): nothing to guard
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), fd)
            try:
                yield
            finally:
                os.dup2(saved, fd)
    finally:
        os.close(saved)


def _cyclic_window_sum(a: np.ndarray, d: int) -> np.ndarray:
    """sum_{t-d < s <= t} a[s], cyclic in t (a: (T,))."""
    if d <= 0:
        return np.zeros_like(a)
    T = len(a)
    reps = int(np.ceil(d / T)) + 1
    ext = np.concatenate([np.tile(a, reps)])
    cs = np.concatenate([[0.0], np.cumsum(ext)])
    end = np.arange(T) + (reps - 1) * T + 1
    start = end - min(d, reps * T)
    return cs[end] - cs[start]


def solve(problem: PlanProblem, mode: str, *, fixed_nodes: dict[str, np.ndarray] | None = None, time_limit_s: float = 120.0, mip_rel_gap: float = 1e-4) -> PlanSolution:
    """Size and schedule a fleet. ``mode`` is "siloed" or "consolidated". ``fixed_nodes`` pins the
    node counts (fleet -> (G,)), turning the MILP into an LP (used to cross-check against brute force)."""
    from scipy import sparse
    from scipy.optimize import LinearConstraint, milp

    p = problem
    G, J, K, T = p.G, p.J, p.K, p.hours
    hours_w = np.arange(T)
    prev = (hours_w - 1) % T
    e_kwh = p.energy_usd_per_kwh / 1e3  # USD per W-hour

    v = _Vars()
    rows = _Rows()
    fleet_names = ["text", "video"] if mode == "siloed" else ["shared"]
    if mode not in ("siloed", "consolidated"):
        raise ValueError(mode)

    node_cost = p.hw_usd_per_gpu_hour * T * p.node_size + p.idle_w * p.node_size * e_kwh.sum()
    max_nodes = np.where(np.isfinite(p.availability), np.floor(p.availability / p.node_size), np.inf)
    M: dict[str, np.ndarray] = {}
    for f in fleet_names:
        lb = ub = None
        if fixed_nodes is not None:
            lb = ub = np.asarray(fixed_nodes[f], dtype=float)
        M[f] = v.add((G,), lb=lb if lb is not None else 0.0, ub=ub if ub is not None else max_nodes, integer=fixed_nodes is None, cost=node_cost)

    # Busy GPUs draw (busy - idle) on top of idle, paid at the hour's price.
    dyn = (p.busy_w - p.idle_w)[:, None] * e_kwh[None, :]  # (G, T)
    x = v.add((G, J, T), ub=np.where(p.text_capacity[:, :, None] > 0, np.inf, 0.0) * np.ones((1, 1, T)), cost=dyn[:, None, :] * np.ones((1, J, 1)))
    y = v.add((G, K, T), ub=np.where(p.video_rate[:, :, None] > 0, np.inf, 0.0) * np.ones((1, 1, T)), cost=dyn[:, None, :] * np.ones((1, K, 1)))
    window = np.stack([_cyclic_window_sum(p.video_arrivals[k], int(p.video_deadline_h[k])) for k in range(K)]) if K else np.zeros((0, T))
    B = v.add((K, T), ub=window, cost=BACKLOG_TIE_BREAK_USD)
    switching = mode == "consolidated" and K > 0 and J > 0 and bool(np.any(p.switch_gpu_hours > 0))
    if switching:
        up = v.add((G, T))
        down = v.add((G, T))

    # text demand
    for j in range(J):
        r = rows.block(T, p.text_demand[j], np.inf, f"text demand {j}")
        for g in range(G):
            if p.text_capacity[g, j] > 0:
                rows.add(r, x[g, j], p.text_capacity[g, j])
    # video conservation: B[t] - B[t-1] + sum_g rate y[t] = arrivals[t]
    for k in range(K):
        r = rows.block(T, p.video_arrivals[k], p.video_arrivals[k], f"video backlog {k}")
        rows.add(r, B[k], 1.0)
        rows.add(r, B[k][prev], -1.0)
        for g in range(G):
            if p.video_rate[g, k] > 0:
                rows.add(r, y[g, k], p.video_rate[g, k])
    # capacity per fleet and type
    usable = (1.0 - p.headroom_frac) * p.node_size

    def usage_terms(r: np.ndarray, g: int, which: str) -> None:
        if which in ("text", "shared"):
            for j in range(J):
                rows.add(r, x[g, j], 1.0)
        if which in ("video", "shared"):
            for k in range(K):
                rows.add(r, y[g, k], 1.0)
        if which == "shared" and switching:
            rows.add(r, up[g], p.switch_gpu_hours[g])
            rows.add(r, down[g], p.switch_gpu_hours[g])

    for f in fleet_names:
        for g in range(G):
            r = rows.block(T, -np.inf, 0.0, f"capacity {f} {g}")
            usage_terms(r, g, f)
            rows.add(r, np.full(T, M[f][g]), -usable)
        if p.headroom_gpus > 0:
            r = rows.block(T, -np.inf, -float(p.headroom_gpus), f"headroom {f}")
            for g in range(G):
                usage_terms(r, g, f)
                rows.add(r, np.full(T, M[f][g]), -usable)
    if switching:
        for g in range(G):
            r_up = rows.block(T, 0.0, np.inf, f"switch up {g}")  # up[t] - (Y[t] - Y[t-1]) >= 0
            rows.add(r_up, up[g], 1.0)
            r_dn = rows.block(T, 0.0, np.inf, f"switch down {g}")  # down[t] - (Y[t-1] - Y[t]) >= 0
            rows.add(r_dn, down[g], 1.0)
            for k in range(K):
                rows.add(r_up, y[g, k], -1.0)
                rows.add(r_up, y[g, k][prev], 1.0)
                rows.add(r_dn, y[g, k][prev], -1.0)
                rows.add(r_dn, y[g, k], 1.0)
    # power cap
    if p.power_cap_w is not None:
        r = rows.block(T, -np.inf, p.power_cap_w, "power")
        for g in range(G):
            for f in fleet_names:
                rows.add(r, np.full(T, M[f][g]), p.idle_w[g] * p.node_size)
            for j in range(J):
                rows.add(r, x[g, j], p.busy_w[g] - p.idle_w[g])
            for k in range(K):
                rows.add(r, y[g, k], p.busy_w[g] - p.idle_w[g])
    # availability across fleets
    if len(fleet_names) > 1 and np.any(np.isfinite(max_nodes)):
        for g in range(G):
            if np.isfinite(max_nodes[g]):
                r = rows.block(1, -np.inf, max_nodes[g], f"availability {g}")
                for f in fleet_names:
                    rows.add(r, np.array([M[f][g]]), 1.0)

    c = np.concatenate(v.cost)
    A = sparse.csr_matrix((np.concatenate(rows.v), (np.concatenate(rows.r), np.concatenate(rows.c))), shape=(rows.m, v.n))
    from scipy.optimize import Bounds

    t0 = time.perf_counter()
    with _quiet_stdout():
        res = milp(
            c,
            constraints=LinearConstraint(A, np.concatenate(rows.lb), np.concatenate(rows.ub)),
            integrality=np.concatenate(v.integer),
            bounds=Bounds(np.concatenate(v.lb), np.concatenate(v.ub)),
            options={"time_limit": time_limit_s, "mip_rel_gap": mip_rel_gap, "disp": False},
        )
    solve_s = time.perf_counter() - t0
    status = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}.get(res.status, "error")
    sol = PlanSolution(mode=mode, status=status, solve_s=solve_s, message=str(res.message))
    if res.x is None:
        return sol
    z = res.x
    sol.fleets = {f: np.rint(z[M[f]]) * p.node_size for f in fleet_names}
    sol.text_gpus = z[x]
    sol.video_gpus = z[y]
    sol.backlog = z[B]
    sol.switch_gpus = (z[up] + z[down]) * p.switch_gpu_hours[:, None] if switching else np.zeros((G, T))
    n_total = sum(sol.fleets.values())
    busy = sol.text_gpus.sum(axis=1) + sol.video_gpus.sum(axis=1)  # (G, T)
    sol.power_w = (n_total[:, None] * p.idle_w[:, None] + busy * (p.busy_w - p.idle_w)[:, None]).sum(axis=0)
    sol.hardware_usd = float((n_total * p.hw_usd_per_gpu_hour).sum() * T)
    sol.energy_usd = float(((n_total[:, None] * p.idle_w[:, None] + busy * (p.busy_w - p.idle_w)[:, None]) * e_kwh[None, :]).sum())
    sol.mip_gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
    return sol
