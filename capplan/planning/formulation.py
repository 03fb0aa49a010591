"""The fleet model as sparse rows, one function per constraint family (used by :mod:`.optimize`).

The model runs over *model hours*: either the whole horizon, cyclic (the backlog of the last hour
carries into the first), or a set of open blocks of it (representative weeks): the backlog carried
into a block's first hour is a free variable bounded by what the deadline lets be waiting then, and
a block's first hour has no role-switching rows. Dropping those couplings makes a block model a
relaxation of the whole horizon restricted to that block, so its optimum is a lower bound.

Objectives: ``"cost"`` (USD: hardware over the whole horizon, energy, a tie-break on backlog),
``"physical"`` (with the fleet fixed: busy GPU energy, then peak power, then backlog and role
switches, weighted so that each tier only breaks the ties of the one before), ``"elastic"`` (the
smallest violation of one constraint family, for diagnosing infeasible problems) and ``"none"``
(feasibility only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from capplan.planning.optimize import PlanProblem

# Cost per video-hour of backlog in the cost objective: breaks ties between equal-cost schedules,
# far below any real cost.
BACKLOG_TIE_BREAK_USD = 1e-6
# Weights of the physical objective, relative to a busy GPU-hour of the most power-hungry type (= 1):
# peak power worth one such GPU, a video-hour of backlog, a GPU changing role. Each tier is >= 10x
# below the one before for the moves that trade them (deferring a GPU-hour of video off the peak
# saves 1e-3 and costs ~10 video-hours = 1e-4) and above HiGHS's 1e-7 optimality tolerance.
PEAK_WEIGHT = 1e-3
BACKLOG_WEIGHT = 1e-5
SWITCH_WEIGHT = 1e-5

FAMILIES = ("power_cap", "availability", "max_racks")


@dataclass(frozen=True)
class Hours:
    """Which hours of the horizon a model covers and how they link."""

    glob: np.ndarray  # (n,) hour of the horizon of each model hour
    prev: np.ndarray  # (n,) model index of the hour before, -1 at the first hour of an open block
    weight: np.ndarray  # (n,) how many hours of the horizon each model hour stands for
    # (open blocks, K): bounds on (backlog carried in) - (backlog left at the block's end), videos;
    # None = unbounded (see _video_backlog).
    carry_lo: np.ndarray | None = None
    carry_hi: np.ndarray | None = None

    @staticmethod
    def cyclic(T: int) -> Hours:
        return Hours(np.arange(T), (np.arange(T) - 1) % T, np.ones(T))

    @staticmethod
    def blocks(
        starts: list[int], lengths: list[int], weights: list[float], cyclic: bool = False, carry_lo: np.ndarray | None = None, carry_hi: np.ndarray | None = None,
    ) -> Hours:
        """Blocks of the horizon, open (a relaxation) or each cyclic on itself (an approximation)."""
        glob = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lengths)])
        prev = np.arange(len(glob)) - 1
        first = np.cumsum([0, *lengths[:-1]])
        prev[first] = first + np.asarray(lengths) - 1 if cyclic else -1
        weight = np.concatenate([np.full(n, float(w)) for n, w in zip(lengths, weights)])
        return Hours(glob, prev, weight, None if cyclic else carry_lo, None if cyclic else carry_hi)

    @property
    def n(self) -> int:
        return len(self.glob)


class Vars:
    """Allocates blocks of variable indices (the fleet MILP and the roadmap MILP)."""

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


class Rows:
    """Accumulates sparse constraint rows lb <= A x <= ub (the fleet MILP and the roadmap MILP)."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.m = 0

    def block(self, shape: int | tuple[int, ...], lb: float | np.ndarray, ub: float | np.ndarray) -> np.ndarray:
        """Row indices for a block of ``shape`` rows, with bounds broadcast to that shape."""
        shape = (shape,) if isinstance(shape, int) else shape
        size = int(np.prod(shape))
        rows = np.arange(self.m, self.m + size).reshape(shape)
        self.m += size
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), shape).reshape(-1).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), shape).reshape(-1).copy())
        return rows

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: float | np.ndarray) -> None:
        rows, cols = np.broadcast_arrays(rows, cols)
        vals_a = np.broadcast_to(np.asarray(vals, dtype=float), rows.shape)
        self.r.append(rows.reshape(-1))
        self.c.append(cols.reshape(-1))
        self.v.append(vals_a.reshape(-1))


def cyclic_window_sum(a: np.ndarray, d: int) -> np.ndarray:
    """sum_{t-d < s <= t} a[s], cyclic in t (a: (T,))."""
    if d <= 0:
        return np.zeros_like(a)
    T = len(a)
    reps = int(np.ceil(d / T)) + 1
    cs = np.concatenate([[0.0], np.cumsum(np.tile(a, reps))])
    end = np.arange(T) + (reps - 1) * T + 1
    start = end - min(d, reps * T)
    return cs[end] - cs[start]


def backlog_window(p: PlanProblem) -> np.ndarray:
    """(K, T) videos that may be waiting at the end of each hour (arrivals of the last D hours)."""
    if not p.K:
        return np.zeros((0, p.hours))
    return np.stack([cyclic_window_sum(p.video_arrivals[k], int(p.video_deadline_h[k])) for k in range(p.K)])


def node_cost_usd(p: PlanProblem) -> np.ndarray:
    """(G,) USD of one node over the whole horizon: hardware, and idle power at each hour's price."""
    return p.hw_usd_per_gpu_hour * p.hours * p.node_size + p.idle_w * p.node_size * (p.energy_usd_per_kwh / 1e3).sum()


def gpu_it_w(p: PlanProblem) -> np.ndarray:
    """(G,) IT watts a GPU reserves in a rack (its busy facility watts when not given)."""
    return np.asarray(p.it_w if p.it_w is not None else p.busy_w, dtype=float)


@dataclass
class Model:
    """Variable indices and rows of one model; ``z[idx]`` reads a solution."""

    p: PlanProblem
    mode: str
    hours: Hours
    objective: str
    fleets: list[str]
    v: Vars = field(default_factory=Vars)
    rows: Rows = field(default_factory=Rows)
    M: dict[str, np.ndarray] = field(default_factory=dict)
    x: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    y: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    B: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    up: np.ndarray | None = None
    down: np.ndarray | None = None
    R: np.ndarray | None = None
    slack: np.ndarray | None = None
    switching: bool = False
    integral: bool = True

    @property
    def dyn_w(self) -> np.ndarray:
        return self.p.busy_w - self.p.idle_w

    def energy_usd_rate(self) -> np.ndarray:
        """(G, n) USD per busy GPU in each model hour, above idle, times the hour's weight."""
        e = self.p.energy_usd_per_kwh[self.hours.glob] / 1e3
        return self.dyn_w[:, None] * e[None, :] * self.hours.weight[None, :]

    def var_cost_usd(self, z: np.ndarray) -> float:
        rate = self.energy_usd_rate()
        return float((z[self.x].sum(axis=1) * rate).sum() + (z[self.y].sum(axis=1) * rate).sum())

    def usage(self, r: np.ndarray, g: int, fleet: str) -> None:
        """Add the GPUs of type g a fleet has busy (or reloading) to rows r (one per model hour)."""
        p = self.p
        if fleet in ("text", "shared"):
            for j in range(p.J):
                self.rows.add(r, self.x[g, j], 1.0)
        if fleet in ("video", "shared"):
            for k in range(p.K):
                self.rows.add(r, self.y[g, k], 1.0)
        if fleet == "shared" and self.switching:
            self.rows.add(r, self.up[g], p.switch_gpu_hours[g])  # type: ignore[index]
            self.rows.add(r, self.down[g], p.switch_gpu_hours[g])  # type: ignore[index]

    def busy_power(self, r: np.ndarray, sign: float = 1.0) -> None:
        """Add facility watts of the fleet (idle nodes + busy GPUs) to rows r (one per model hour)."""
        p = self.p
        for g in range(p.G):
            for f in self.fleets:
                self.rows.add(r, np.full(len(r), self.M[f][g]), sign * p.idle_w[g] * p.node_size)
            for j in range(p.J):
                self.rows.add(r, self.x[g, j], sign * self.dyn_w[g])
            for k in range(p.K):
                self.rows.add(r, self.y[g, k], sign * self.dyn_w[g])


def build(
    p: PlanProblem,
    mode: str,
    hours: Hours,
    *,
    objective: str = "cost",
    fixed_nodes: dict[str, np.ndarray] | None = None,
    relax: tuple[str, ...] = (),
    elastic: str | None = None,
    energy_cap_usd: float | None = None,
) -> Model:
    """The model of ``mode`` over ``hours``; ``relax`` drops constraint families, ``elastic`` lets one
    be violated at a cost (the objective then is that violation alone)."""
    if mode not in ("siloed", "consolidated"):
        raise ValueError(mode)
    fleets = ["text", "video"] if mode == "siloed" else ["shared"]
    m = Model(p=p, mode=mode, hours=hours, objective=objective, fleets=fleets, integral=fixed_nodes is None)
    _fleet_variables(m, fixed_nodes, relax, elastic)
    _schedule_variables(m)
    _text_demand(m)
    _video_backlog(m)
    _fleet_capacity(m)
    _headroom(m)
    _role_switching(m)
    if "power_cap" not in relax:
        _power_cap(m, elastic == "power_cap")
    if "availability" not in relax:
        _availability(m, elastic == "availability")
    if "max_racks" not in relax:
        _racks(m, elastic == "max_racks", fixed_nodes)
    if objective == "physical":
        _peak_power(m)
        if energy_cap_usd is not None:
            _energy_cost_cap(m, energy_cap_usd)
    return m


def _fleet_variables(m: Model, fixed_nodes: dict[str, np.ndarray] | None, relax: tuple[str, ...], elastic: str | None) -> None:
    """Nodes per fleet and type, each bounded by what is available (rows add the fleets up)."""
    p = m.p
    max_nodes = np.where(np.isfinite(p.availability), np.floor(p.availability / p.node_size), np.inf)
    if "availability" in relax or elastic == "availability":
        max_nodes = np.full(p.G, np.inf)
    cost = node_cost_usd(p) if m.objective == "cost" else 0.0
    for f in m.fleets:
        if fixed_nodes is not None:
            fixed = np.asarray(fixed_nodes[f], dtype=float)
            m.M[f] = m.v.add((p.G,), lb=fixed, ub=fixed, cost=cost)
        else:
            m.M[f] = m.v.add((p.G,), ub=max_nodes, integer=True, cost=cost)


def _schedule_variables(m: Model) -> None:
    """Busy GPUs per type, workload and hour; backlog; role switches; with the objective's costs."""
    p, h = m.p, m.hours
    n, G, J, K = h.n, p.G, p.J, p.K
    backlog_cost: float | np.ndarray
    if m.objective == "cost":
        busy_cost = m.energy_usd_rate()  # (G, n)
        backlog_cost = BACKLOG_TIE_BREAK_USD * h.weight
        switch_cost = 0.0
    elif m.objective == "physical":
        busy_cost = (m.dyn_w / max(float(m.dyn_w.max(initial=0.0)), 1e-300))[:, None] * h.weight[None, :]
        backlog_cost = BACKLOG_WEIGHT * h.weight
        switch_cost = SWITCH_WEIGHT
    else:
        busy_cost, backlog_cost, switch_cost = np.zeros((G, n)), 0.0, 0.0
    m.x = m.v.add((G, J, n), ub=np.where(p.text_capacity[:, :, None] > 0, np.inf, 0.0) * np.ones((1, 1, n)), cost=busy_cost[:, None, :] * np.ones((1, J, 1)))
    m.y = m.v.add((G, K, n), ub=np.where(p.video_rate[:, :, None] > 0, np.inf, 0.0) * np.ones((1, 1, n)), cost=busy_cost[:, None, :] * np.ones((1, K, 1)))
    m.B = m.v.add((K, n), ub=backlog_window(p)[:, h.glob], cost=backlog_cost)
    m.switching = m.mode == "consolidated" and K > 0 and J > 0 and bool(np.any(p.switch_gpu_hours > 0))
    if m.switching:
        m.up = m.v.add((G, n), cost=switch_cost)
        m.down = m.v.add((G, n), cost=switch_cost)


def _text_demand(m: Model) -> None:
    """Text is served in its hour: sum_g cap[g, j] x[g, j, t] >= demand[j, t]."""
    p = m.p
    for j in range(p.J):
        r = m.rows.block(m.hours.n, p.text_demand[j, m.hours.glob], np.inf)
        for g in range(p.G):
            if p.text_capacity[g, j] > 0:
                m.rows.add(r, m.x[g, j], p.text_capacity[g, j])


def _video_backlog(m: Model) -> None:
    """Conservation B[t] - B[t-1] + sum_g rate y[t] = arrivals[t]; at an open block's first hour B[t-1]
    is a free variable B0 bounded by the backlog the deadline allows then.

    A block standing for a class of identical weeks may bound B0 - B[last hour] (``carry_lo/hi``):
    averaged over the class, what the weeks carry in equals what they leave, up to the backlog that
    crosses into and out of the class from other weeks. The average of any horizon schedule over the
    class meets these rows (they are linear), so the block stays a relaxation."""
    p, h = m.p, m.hours
    if not p.K:
        return
    first = np.flatnonzero(h.prev < 0)
    window = backlog_window(p)
    B0 = m.v.add((p.K, len(first)), ub=window[:, (h.glob[first] - 1) % p.hours]) if len(first) else None
    slot = np.zeros(h.n, dtype=int)
    slot[first] = np.arange(len(first))
    for k in range(p.K):
        r = m.rows.block(h.n, p.video_arrivals[k, h.glob], p.video_arrivals[k, h.glob])
        m.rows.add(r, m.B[k], 1.0)
        before = m.B[k][np.maximum(h.prev, 0)]
        if B0 is not None:
            before = np.where(h.prev >= 0, before, B0[k][slot])
        m.rows.add(r, before, -1.0)
        for g in range(p.G):
            if p.video_rate[g, k] > 0:
                m.rows.add(r, m.y[g, k], p.video_rate[g, k])
        if B0 is not None and h.carry_lo is not None and h.carry_hi is not None:
            last = np.r_[first[1:], h.n] - 1
            rc = m.rows.block(len(first), h.carry_lo[:, k], h.carry_hi[:, k])
            m.rows.add(rc, B0[k], 1.0)
            m.rows.add(rc, m.B[k][last], -1.0)


def _fleet_capacity(m: Model) -> None:
    """Busy and reloading GPUs of each type fit in each fleet after headroom_frac."""
    p = m.p
    usable = (1.0 - p.headroom_frac) * p.node_size
    for f in m.fleets:
        for g in range(p.G):
            r = m.rows.block(m.hours.n, -np.inf, 0.0)
            m.usage(r, g, f)
            m.rows.add(r, np.full(m.hours.n, m.M[f][g]), -usable)


def _headroom(m: Model) -> None:
    """Each fleet keeps headroom_gpus spare GPUs (of any type) in every hour."""
    p = m.p
    if p.headroom_gpus <= 0:
        return
    usable = (1.0 - p.headroom_frac) * p.node_size
    for f in m.fleets:
        r = m.rows.block(m.hours.n, -np.inf, -float(p.headroom_gpus))
        for g in range(p.G):
            m.usage(r, g, f)
            m.rows.add(r, np.full(m.hours.n, m.M[f][g]), -usable)


def _role_switching(m: Model) -> None:
    """up[t] >= Y[t] - Y[t-1] and down[t] >= Y[t-1] - Y[t] (Y: video GPUs of a type), where t-1 is in
    the model."""
    if not m.switching:
        return
    p, h = m.p, m.hours
    linked = np.flatnonzero(h.prev >= 0)
    before = h.prev[linked]
    for g in range(p.G):
        r_up = m.rows.block(len(linked), 0.0, np.inf)
        m.rows.add(r_up, m.up[g][linked], 1.0)  # type: ignore[index]
        r_dn = m.rows.block(len(linked), 0.0, np.inf)
        m.rows.add(r_dn, m.down[g][linked], 1.0)  # type: ignore[index]
        for k in range(p.K):
            m.rows.add(r_up, m.y[g, k][linked], -1.0)
            m.rows.add(r_up, m.y[g, k][before], 1.0)
            m.rows.add(r_dn, m.y[g, k][before], -1.0)
            m.rows.add(r_dn, m.y[g, k][linked], 1.0)


def _power_cap(m: Model, elastic: bool) -> None:
    """Facility power <= cap in every hour (elastic: + a slack in MW, the objective)."""
    if m.p.power_cap_w is None:
        return
    r = m.rows.block(m.hours.n, -np.inf, m.p.power_cap_w)
    m.busy_power(r)
    if elastic:
        m.slack = m.v.add((1,), cost=1.0)
        m.rows.add(r, np.full(m.hours.n, m.slack[0]), -1e6)


def _availability(m: Model, elastic: bool) -> None:
    """Nodes of a type over all fleets <= what is available (elastic: + slack nodes per type)."""
    p = m.p
    max_nodes = np.where(np.isfinite(p.availability), np.floor(p.availability / p.node_size), np.inf)
    # A single free fleet has availability as its bound already; fixed node counts need the row.
    if not (elastic or len(m.fleets) > 1 or not m.integral) or not np.any(np.isfinite(max_nodes)):
        return
    types = np.flatnonzero(np.isfinite(max_nodes))
    r = m.rows.block(len(types), -np.inf, max_nodes[types])
    for f in m.fleets:
        m.rows.add(r, m.M[f][types], 1.0)
    if elastic:
        m.slack = m.v.add((len(types),), cost=float(p.node_size))
        m.rows.add(r, m.slack, -1.0)


def _racks(m: Model, elastic: bool, fixed_nodes: dict[str, np.ndarray] | None) -> None:
    """Whole racks per type hold its GPUs' IT watts; racks over all types <= max_racks."""
    p = m.p
    if p.max_racks is None or not p.rack_w:
        return
    per_node_w = gpu_it_w(p) * p.node_size
    if fixed_nodes is not None:
        nodes = sum(np.asarray(fixed_nodes[f], dtype=float) for f in m.fleets)
        need = np.ceil(np.round(nodes * per_node_w / p.rack_w, 9))
        m.R = m.v.add((p.G,), lb=need, ub=need)
    else:
        m.R = m.v.add((p.G,), integer=True)
        r = m.rows.block(p.G, 0.0, np.inf)
        m.rows.add(r, m.R, float(p.rack_w))
        for f in m.fleets:
            m.rows.add(r, m.M[f], -per_node_w)
    r = m.rows.block(1, -np.inf, float(p.max_racks))
    m.rows.add(r, m.R, 1.0)
    if elastic:
        m.slack = m.v.add((1,), cost=1.0)
        m.rows.add(r, m.slack, -1.0)


def _peak_power(m: Model) -> None:
    """P >= facility power in every hour; P is the physical objective's second tier."""
    P = m.v.add((1,), cost=PEAK_WEIGHT / max(float(m.dyn_w.max(initial=0.0)), 1e-300))
    r = m.rows.block(m.hours.n, 0.0, np.inf)
    m.rows.add(r, np.full(m.hours.n, P[0]), 1.0)
    m.busy_power(r, -1.0)


def _energy_cost_cap(m: Model, cap_usd: float) -> None:
    """Busy energy in USD <= the cost-optimal schedule's, so the physical objective keeps the cost."""
    rate = m.energy_usd_rate()
    r = m.rows.block(1, -np.inf, cap_usd)
    for j in range(m.p.J):
        m.rows.add(np.full(m.x[:, j].shape, r[0]), m.x[:, j], rate)
    for k in range(m.p.K):
        m.rows.add(np.full(m.y[:, k].shape, r[0]), m.y[:, k], rate)
