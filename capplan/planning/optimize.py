"""Fleet sizing and hourly scheduling as a mixed-integer linear program (scipy.optimize.milp, HiGHS).

Decision variables, for GPU types g, text workloads j, video workloads k and hours t:

- ``M[f, g]`` (integer): nodes of type g in fleet f (GPUs = node_size x M). Siloed plans have a text
  fleet and a video fleet; a consolidated plan has one.
- ``x[g, j, t] >= 0``: GPUs of type g serving text workload j during hour t (an hourly average).
- ``y[g, k, t] >= 0``: GPUs of type g generating video k during hour t.
- ``B[k, t] >= 0``: videos of k waiting at the end of hour t (the backlog).
- ``up[g, t], down[g, t] >= 0`` (consolidated, when switching roles costs time): GPUs moved to and from
  video between hours t-1 and t.
- ``R[g]`` (integer, when ``max_racks`` is set): racks of type g.

Constraints (one function each in :mod:`capplan.planning.formulation`):

- text is served in its hour: ``sum_g cap[g, j] x[g, j, t] >= demand[j, t]``;
- video conservation, cyclic over the horizon so a day's backlog does not vanish:
  ``B[k, t] = B[k, t-1] + arrivals[k, t] - sum_g rate[g, k] y[g, k, t]``;
- deadline: the backlog holds only the last D hours of arrivals, ``B[k, t] <= sum_{t-D < s <= t} arrivals[k, s]``
  (first in, first out, every video is done within D hours);
- capacity: busy GPUs (plus GPU-hours lost to weight reloads when switching roles) fit in each
  fleet after headroom, ``usage <= (1 - headroom_frac) GPUs`` and the fleet keeps ``headroom_gpus`` spare;
- power: ``sum_g idle_w GPUs + (busy_w - idle_w) busy GPUs <= cap`` in every hour;
- availability: ``GPUs of type g over all fleets <= available``;
- racks: ``rack_w R[g] >= it_w GPUs[g]`` and ``sum_g R[g] <= max_racks``.

Objective, in two stages. (1) Cost: hardware (GPUs x hourly rent or amortised capex, every hour of the
horizon) + energy (facility power, which follows utilisation, at the hour's price) + a tiny cost on
backlog. (2) With the fleet of (1) fixed and its energy cost capped at (1)'s, an LP minimises the
physical footprint: busy GPU energy first, then peak power, then backlog and role switches. Under rent
pricing a busy GPU costs no more than an idle one, so stage (1) alone leaves the schedule arbitrary
(any GPUs may be "busy"); stage (2) makes utilisation, energy and peak power the physical minimum for
the chosen fleet, and identical whatever the pricing when energy prices are flat.

Long horizons (>= ``DECOMPOSE_MIN_HOURS``) are sized on representative weeks and costed whole:

1. The horizon is cut into weeks (the last block may be shorter). Weeks with identical data
   (demand, arrivals, prices and the backlog allowed at their start) form a class; a tiled profile
   (a 24- or 168-hour shape over a year) has two or three classes.
2. The MILP sizes the fleet on one week per class (all classes when there are at most
   ``MAX_CLASSES``, else the weeks of each peak), its hourly costs weighted by the class's size.
   Each week is an *open* block: the backlog carried in is a free variable within the deadline
   window and its first hour has no switching rows, so the block is a relaxation of the whole
   horizon restricted to it.
3. With that fleet fixed, the whole horizon is one LP (exact, cyclic): the cost, the schedule and
   an upper bound UB. If the fleet cannot serve the horizon, the weeks that fail on their own are
   added to the sizing set and step 2 repeats; if none fails alone (work carried across week
   boundaries, which open weeks leave out), the fleet is sized on the same weeks each closed on
   itself, and failing that the whole MILP is solved.
4. Lower bound LB = the MILP's dual bound (the relaxed blocks, hardware over the whole horizon)
   + for weeks outside the sizing set, a closed-form floor of their energy (each request served by
   the most energy-efficient type at its hour's price; each video whose deadline falls inside its
   week by the most efficient type at the cheapest hour of its window). Every fleet's true cost is
   >= LB, so UB is within (UB - LB) / UB of optimal: that gap is reported as ``mip_gap``. If it is
   above ``DECOMPOSITION_GAP`` (0.5 %), the weeks with the most energy above their floor join the
   sizing set and steps 2-4 repeat. Under rent pricing energy costs nothing, so the gap is the
   MILP's own; with all classes in the sizing set only the open-block boundaries separate LB from UB,
   and if that is still above 0.5 % the whole MILP settles it (its plan is kept if cheaper; if it
   runs out of time the representative plan is returned with status "time_limit" and its gap).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from capplan.planning.formulation import (
    FAMILIES,
    Hours,
    Model,
    backlog_window,
    build,
    gpu_it_w,
)

# Algorithm settings, not facts about the world. Below four weeks the whole MILP takes about a second.
DECOMPOSE_MIN_HOURS = 672
BLOCK_HOURS = 168  # a week: demand repeats weekly (weekday/weekend), so tiled profiles give few classes
MAX_CLASSES = 8  # up to 8 distinct weeks (1344 h) are all sized on, a MILP of a few seconds
DECOMPOSITION_GAP = 0.005  # the promised distance from optimal
# How often the main thread wakes while HiGHS works, so that Ctrl-C gets through.
_POLL_S = 0.05

Progress = Callable[[str, float], None]


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
    rack_w: float | None = None  # IT watts a rack holds
    max_racks: int | None = None  # None = unlimited
    it_w: np.ndarray | None = None  # (G,) IT watts of a busy GPU, for racks (default: busy_w)
    gpu_names: tuple[str, ...] = ()  # for messages (default: "type g")

    @property
    def G(self) -> int:
        return len(self.hw_usd_per_gpu_hour)

    @property
    def J(self) -> int:
        return self.text_demand.shape[0]

    @property
    def K(self) -> int:
        return self.video_arrivals.shape[0]

    def gpu_name(self, g: int) -> str:
        return self.gpu_names[g] if g < len(self.gpu_names) else f"type {g}"


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
    mip_gap: float | None = None  # (cost - lower bound) / cost
    solve_s: float = 0.0
    message: str = ""
    lower_bound_usd: float | None = None  # no fleet and schedule costs less
    method: str = "milp"  # "milp" | "lp" (fleet fixed) | "representative weeks"
    racks: np.ndarray | None = None  # (G,) whole racks per type, when rack_w is known
    sized_hours: int = 0  # hours the MILP saw (fewer than the horizon for representative weeks)

    @property
    def gpus_total(self) -> np.ndarray:
        return sum(self.fleets.values())  # type: ignore[return-value]


@dataclass(frozen=True)
class Infeasibility:
    """Why a plan has no solution: the constraint that binds and by how much."""

    constraint: str  # "power_cap" | "availability" | "max_racks" | "demand"
    reason: str  # one line for people
    amount: float  # what the plan needs, in ``unit``
    limit: float | None  # what the constraint allows
    unit: str  # "MW" | "GPUs" | "racks" | ""
    hour: int | None = None  # where it binds, for power


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
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


def _run(m: Model, time_limit_s: float, mip_rel_gap: float = 1e-4) -> Any:
    """HiGHS on a model, in a worker thread: HiGHS releases the GIL, and the main thread waits in
    short joins so that Ctrl-C stops the wait at once (the abandoned daemon thread ends with the
    process) instead of after the solve."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    v, rows = m.v, m.rows
    A = sparse.csr_matrix((np.concatenate(rows.v), (np.concatenate(rows.r), np.concatenate(rows.c))), shape=(rows.m, v.n))
    integrality = np.concatenate(v.integer) if m.integral else np.zeros(v.n)
    kwargs = dict(
        constraints=LinearConstraint(A, np.concatenate(rows.lb), np.concatenate(rows.ub)),
        integrality=integrality,
        bounds=Bounds(np.concatenate(v.lb), np.concatenate(v.ub)),
        options={"time_limit": max(time_limit_s, 1e-3), "mip_rel_gap": mip_rel_gap, "disp": False},
    )
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["res"] = milp(np.concatenate(v.cost), **kwargs)
        except BaseException as exc:  # noqa: BLE001  (re-raised on the main thread)
            out["err"] = exc

    worker = threading.Thread(target=work, name="capplan-highs", daemon=True)
    with quiet_stdout():
        worker.start()
        while worker.is_alive():
            worker.join(_POLL_S)
    if "err" in out:
        raise out["err"]
    return out["res"]


def _status(res: Any) -> str:
    return {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}.get(res.status, "error")


class _Clock:
    def __init__(self, limit_s: float) -> None:
        self.end = time.perf_counter() + limit_s

    def left(self, floor_s: float = 0.0) -> float:
        return max(self.end - time.perf_counter(), floor_s)


def _silent(phase: str, frac: float) -> None:
    return None


def solve(
    problem: PlanProblem,
    mode: str,
    *,
    fixed_nodes: dict[str, np.ndarray] | None = None,
    time_limit_s: float = 120.0,
    mip_rel_gap: float = 1e-4,
    progress: Progress | None = None,
) -> PlanSolution:
    """Size and schedule a fleet. ``mode`` is "siloed" or "consolidated". ``fixed_nodes`` pins the
    node counts (fleet -> (G,)), turning the MILP into an LP (used to cross-check against brute force).
    ``progress(phase, fraction done)`` is called at phase boundaries."""
    if mode not in ("siloed", "consolidated"):
        raise ValueError(mode)
    t0 = time.perf_counter()
    clock = _Clock(time_limit_s)
    report = progress or _silent
    done = [0.0]

    def say(phase: str, frac: float) -> None:
        done[0] = max(done[0], frac)  # a refinement round does not move the bar back
        report(phase, done[0])

    if fixed_nodes is None and problem.hours >= DECOMPOSE_MIN_HOURS:
        sol = _solve_representative(problem, mode, clock, mip_rel_gap, say)
    else:
        sol = _solve_whole(problem, mode, fixed_nodes, clock, mip_rel_gap, say)
    sol.solve_s = time.perf_counter() - t0
    say("done", 1.0)
    return sol


def _has_energy_cost(p: PlanProblem) -> bool:
    return bool(np.any(p.energy_usd_per_kwh > 0))


def _solve_whole(p: PlanProblem, mode: str, fixed_nodes: dict[str, np.ndarray] | None, clock: _Clock, mip_rel_gap: float, say: Progress) -> PlanSolution:
    say(f"sizing the {mode} fleet", 0.0)
    m = build(p, mode, Hours.cyclic(p.hours), fixed_nodes=fixed_nodes)
    res = _run(m, clock.left(), mip_rel_gap)
    sol = PlanSolution(mode=mode, status=_status(res), message=str(res.message), method="milp" if m.integral else "lp", sized_hours=p.hours)
    if res.x is None:
        return sol
    nodes = {f: np.rint(res.x[m.M[f]]) for f in m.fleets}
    say(f"scheduling the {mode} fleet", 0.7)
    z, final = _physical(p, mode, nodes, m.var_cost_usd(res.x) if _has_energy_cost(p) else None, clock)
    if z is None:  # the polish failed numerically: keep the cost-optimal schedule
        z, final = res.x, m
    _fill(sol, final, z, nodes)
    if m.integral:
        sol.mip_gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
        bound = getattr(res, "mip_dual_bound", None)
        # The bound includes the backlog tie-break (<< 1 USD); never report it above the cost.
        sol.lower_bound_usd = min(float(bound), sol.hardware_usd + sol.energy_usd) if bound is not None and np.isfinite(bound) else None
    else:
        sol.mip_gap = 0.0
        sol.lower_bound_usd = sol.hardware_usd + sol.energy_usd
    return sol


def _physical(p: PlanProblem, mode: str, nodes: dict[str, np.ndarray], energy_cap_usd: float | None, clock: _Clock) -> tuple[np.ndarray | None, Model]:
    """The schedule of least busy energy, then peak power, for a fixed fleet, its energy cost no more
    than ``energy_cap_usd`` (None: energy is free, as under rent)."""
    cap = None if energy_cap_usd is None else energy_cap_usd * (1 + 1e-9) + 1e-7
    m = build(p, mode, Hours.cyclic(p.hours), objective="physical", fixed_nodes=nodes, energy_cap_usd=cap)
    res = _run(m, clock.left(floor_s=5.0), 0.0)
    return (res.x if res.status == 0 else None), m


def _fill(sol: PlanSolution, m: Model, z: np.ndarray, nodes: dict[str, np.ndarray]) -> None:
    """Read a whole-horizon solution into ``sol`` with its costs and power."""
    p = m.p
    e_kwh = p.energy_usd_per_kwh / 1e3
    sol.fleets = {f: nodes[f] * p.node_size for f in m.fleets}
    sol.text_gpus = z[m.x]
    sol.video_gpus = z[m.y]
    sol.backlog = z[m.B]
    sol.switch_gpus = (z[m.up] + z[m.down]) * p.switch_gpu_hours[:, None] if m.switching else np.zeros((p.G, p.hours))
    n_total = sol.gpus_total
    busy = sol.text_gpus.sum(axis=1) + sol.video_gpus.sum(axis=1)  # (G, T)
    power = n_total[:, None] * p.idle_w[:, None] + busy * (p.busy_w - p.idle_w)[:, None]
    sol.power_w = power.sum(axis=0)
    sol.hardware_usd = float((n_total * p.hw_usd_per_gpu_hour).sum() * p.hours)
    sol.energy_usd = float((power * e_kwh[None, :]).sum())
    if p.rack_w:
        sol.racks = np.ceil(np.round(n_total * gpu_it_w(p) / p.rack_w, 9))


# ---- long horizons: size on representative weeks, cost the whole horizon -------------------------


def _energy_floor_usd(p: PlanProblem, starts: list[int], lengths: list[int]) -> np.ndarray:
    """Per block, energy USD no schedule can go below, whatever the fleet (see the module docstring)."""
    e = p.energy_usd_per_kwh / 1e3
    dyn = p.busy_w - p.idle_w
    per_hour = np.zeros(p.hours)
    for j in range(p.J):
        ok = p.text_capacity[:, j] > 0
        if ok.any():
            per_hour += p.text_demand[j] * e * float((dyn[ok] / p.text_capacity[ok, j]).min())
    floors = np.array([per_hour[s:s + n].sum() for s, n in zip(starts, lengths)])
    for k in range(p.K):
        ok = p.video_rate[:, k] > 0
        if not ok.any():
            continue
        d = int(p.video_deadline_h[k])
        per_video = float((dyn[ok] / p.video_rate[ok, k]).min())
        for b, (s, n) in enumerate(zip(starts, lengths)):
            inside = max(n - d, 0)  # arrivals whose whole window stays in the block
            if inside:
                windows = np.lib.stride_tricks.sliding_window_view(e[s:s + n], d + 1).min(axis=1)[:inside]
                floors[b] += float((p.video_arrivals[k, s:s + inside] * windows).sum()) * per_video
    return floors


def _week_classes(p: PlanProblem) -> tuple[list[int], list[int], list[list[int]]]:
    """Weeks of the horizon and classes of weeks with identical data."""
    starts = list(range(0, p.hours, BLOCK_HOURS))
    lengths = [min(BLOCK_HOURS, p.hours - s) for s in starts]
    classes: dict[bytes, list[int]] = {}
    for b, (s, n) in enumerate(zip(starts, lengths)):
        # The arrivals that may still wait at the block's start, raw (their window sum differs by
        # rounding from one place in the horizon to another).
        before = [p.video_arrivals[k, (s - 1 - np.arange(int(p.video_deadline_h[k]))) % p.hours] for k in range(p.K)]
        key = b"|".join(np.ascontiguousarray(a).tobytes() for a in (
            np.array([n]), p.text_demand[:, s:s + n], p.video_arrivals[:, s:s + n], p.energy_usd_per_kwh[s:s + n], *before,
        ))
        classes.setdefault(key, []).append(b)
    return starts, lengths, list(classes.values())


def _peak_classes(p: PlanProblem, starts: list[int], classes: list[list[int]]) -> set[int]:
    """Classes holding a peak of some workload, of the GPUs the load needs, or of its total."""
    of_block = {b: c for c, blocks in enumerate(classes) for b in blocks}
    week = lambda t: of_block[int(t) // BLOCK_HOURS]  # noqa: E731
    picks = set()
    load = np.zeros(p.hours)
    for j in range(p.J):
        picks.add(week(np.argmax(p.text_demand[j])))
        load += p.text_demand[j] / max(float(p.text_capacity[:, j].max()), 1e-300)
    window = backlog_window(p)
    for k in range(p.K):
        picks.add(week(np.argmax(p.video_arrivals[k])))
        picks.add(week(np.argmax(window[k] + p.video_arrivals[k])))
        load += p.video_arrivals[k] / max(float(p.video_rate[:, k].max()), 1e-300)
    picks.add(week(np.argmax(load)))
    totals = [load[s:s + BLOCK_HOURS].sum() for s in starts]
    picks.add(of_block[int(np.argmax(totals))])
    return picks


def _sizing_hours(p: PlanProblem, starts: list[int], lengths: list[int], classes: list[list[int]], chosen: set[int], cyclic: bool = False) -> Hours:
    """One block per chosen class, weighted by its size. The backlog a class's block carries in may
    differ from what it leaves by at most what enters the class from other weeks (per block of the
    class) or leaves it for them: zero for a class that is the whole horizon."""
    cs = sorted(chosen)
    window = backlog_window(p)
    end = lambda b: (starts[b] + lengths[b] - 1) % p.hours  # noqa: E731
    lo = np.zeros((len(cs), p.K))
    hi = np.zeros((len(cs), p.K))
    n_blocks = len(starts)
    for i, c in enumerate(cs):
        members = set(classes[c])
        entering = [(b - 1) % n_blocks for b in classes[c] if (b - 1) % n_blocks not in members]
        leaving = [b for b in classes[c] if (b + 1) % n_blocks not in members]
        hi[i] = sum((window[:, end(b)] for b in entering), np.zeros(p.K)) / len(members)
        lo[i] = -sum((window[:, end(b)] for b in leaving), np.zeros(p.K)) / len(members)
    return Hours.blocks([starts[classes[c][0]] for c in cs], [lengths[classes[c][0]] for c in cs], [len(classes[c]) for c in cs], cyclic, lo, hi)


def _cost_whole_horizon(p: PlanProblem, mode: str, nodes: dict[str, np.ndarray], clock: _Clock) -> tuple[np.ndarray | None, Model | None]:
    """The least-cost, then physical, schedule of the whole horizon for a fixed fleet (None: the fleet
    cannot serve it)."""
    cap = None
    if _has_energy_cost(p):
        m1 = build(p, mode, Hours.cyclic(p.hours), fixed_nodes=nodes)
        r1 = _run(m1, clock.left(floor_s=5.0))
        if r1.status != 0:
            return None, None
        cap = m1.var_cost_usd(r1.x)
    return _physical(p, mode, nodes, cap, clock)


def _solve_representative(p: PlanProblem, mode: str, clock: _Clock, mip_rel_gap: float, say: Progress) -> PlanSolution:
    starts, lengths, classes = _week_classes(p)
    floors = _energy_floor_usd(p, starts, lengths)
    chosen = set(range(len(classes))) if len(classes) <= MAX_CLASSES else _peak_classes(p, starts, classes)
    target = max(DECOMPOSITION_GAP, mip_rel_gap)
    best: PlanSolution | None = None
    rounds = 0
    while True:
        hours = _sizing_hours(p, starts, lengths, classes, chosen)
        say(f"sizing the {mode} fleet on {len(chosen)} representative weeks", 0.05 + 0.3 * (1 - 0.5**rounds))
        m = build(p, mode, hours)
        res = _run(m, clock.left(), mip_rel_gap)
        if res.x is None:
            if best is not None:  # out of time while refining: keep the last costed plan
                best.status = "time_limit"
                return best
            return PlanSolution(mode=mode, status=_status(res), message=str(res.message), method="representative weeks", sized_hours=hours.n)
        nodes = {f: np.rint(res.x[m.M[f]]) for f in m.fleets}
        bound = getattr(res, "mip_dual_bound", None)
        lb = float(bound if bound is not None and np.isfinite(bound) else res.fun)
        lb += float(sum(floors[b] for c in range(len(classes)) if c not in chosen for b in classes[c]))
        say(f"costing the {mode} fleet over {p.hours} h", 0.4 + 0.3 * (1 - 0.5**rounds))
        rounds += 1
        z, final = _cost_whole_horizon(p, mode, nodes, clock)
        if z is None:
            failing = _failing_classes(p, mode, nodes, starts, lengths, classes, chosen, clock)
            if failing and clock.left() > 0:
                chosen |= failing
                continue
            # Every week passes alone: work carried across week boundaries is what the open weeks
            # left out. Size on the same weeks each closed on itself (an approximation, not a bound).
            mc = build(p, mode, _sizing_hours(p, starts, lengths, classes, chosen, cyclic=True))
            rc = _run(mc, clock.left(floor_s=1.0), mip_rel_gap)
            if rc.x is not None:
                nodes = {f: np.rint(rc.x[mc.M[f]]) for f in mc.fleets}
                z, final = _cost_whole_horizon(p, mode, nodes, clock)
            if z is None:
                say(f"sizing the {mode} fleet over the whole horizon", 0.5)
                return _solve_whole(p, mode, None, clock, mip_rel_gap, say)
        assert final is not None
        sol = PlanSolution(mode=mode, status="optimal", message=str(res.message), method="representative weeks", sized_hours=hours.n)
        _fill(sol, final, z, nodes)
        ub = sol.hardware_usd + sol.energy_usd
        sol.lower_bound_usd = min(lb, ub)
        sol.mip_gap = (ub - sol.lower_bound_usd) / ub if ub > 0 else 0.0
        best = sol
        if sol.mip_gap <= target:
            return sol
        left = [c for c in range(len(classes)) if c not in chosen]
        if clock.left() <= 0:
            sol.status = "time_limit"
            return sol
        if not left:
            # The gap is what open week boundaries lose; only the whole MILP can close it.
            say(f"sizing the {mode} fleet over the whole horizon", 0.5)
            whole = _solve_whole(p, mode, None, clock, mip_rel_gap, say)
            if whole.text_gpus is not None and whole.hardware_usd + whole.energy_usd <= ub:
                return whole
            # Keep the cheaper representative plan, with the whole MILP's bound if it is better.
            if whole.lower_bound_usd is not None:
                sol.lower_bound_usd = min(max(sol.lower_bound_usd, whole.lower_bound_usd), ub)
                sol.mip_gap = (ub - sol.lower_bound_usd) / ub if ub > 0 else 0.0
            sol.status = "optimal" if whole.status == "optimal" else "time_limit"
            return sol
        # Refine where the energy spent sits furthest above its floor.
        spent = _energy_by_block(sol, p, starts, lengths)
        excess = {c: sum(spent[b] - floors[b] for b in classes[c]) for c in left}
        chosen |= set(sorted(left, key=lambda c: -excess[c])[:4])


def _energy_by_block(sol: PlanSolution, p: PlanProblem, starts: list[int], lengths: list[int]) -> np.ndarray:
    busy = sol.text_gpus.sum(axis=1) + sol.video_gpus.sum(axis=1)  # type: ignore[union-attr]
    usd = ((p.busy_w - p.idle_w)[:, None] * busy).sum(axis=0) * p.energy_usd_per_kwh / 1e3
    return np.array([usd[s:s + n].sum() for s, n in zip(starts, lengths)])


def _failing_classes(p: PlanProblem, mode: str, nodes: dict[str, np.ndarray], starts: list[int], lengths: list[int], classes: list[list[int]], chosen: set[int], clock: _Clock) -> set[int]:
    """Classes whose week, as an open block, this fleet cannot serve."""
    failing = set()
    for c in range(len(classes)):
        if c in chosen or clock.left() <= 0:
            continue
        b = classes[c][0]
        m = build(p, mode, Hours.blocks([starts[b]], [lengths[b]], [1.0]), objective="none", fixed_nodes=nodes)
        if _run(m, clock.left(floor_s=1.0)).status == 2:
            failing.add(c)
    return failing


# ---- infeasible problems: which constraint binds, by how much ------------------------------------


def _families(p: PlanProblem) -> list[str]:
    present = []
    if p.power_cap_w is not None:
        present.append("power_cap")
    if np.any(np.isfinite(p.availability)):
        present.append("availability")
    if p.max_racks is not None and p.rack_w:
        present.append("max_racks")
    return present


def diagnose_infeasible(problem: PlanProblem, mode: str, *, time_limit_s: float = 60.0) -> Infeasibility:
    """Name the constraint that makes ``mode`` infeasible, and by how much (returned, not raised).

    Each of power cap, availability and rack limit in turn may be exceeded at a cost and the least
    excess is found; the first that needs one is reported. On long horizons the representative
    weeks stand for the horizon, so the amount is a lower bound ("at least")."""
    p = problem
    clock = _Clock(time_limit_s)
    for j in range(p.J):
        if p.text_demand[j].any() and not (p.text_capacity[:, j] > 0).any():
            return Infeasibility("demand", f"no GPU type can serve text workload {j}", float(p.text_demand[j].max()), 0.0, "requests/s")
    for k in range(p.K):
        if p.video_arrivals[k].any() and not (p.video_rate[:, k] > 0).any():
            return Infeasibility("demand", f"no GPU type can generate video workload {k}", float(p.video_arrivals[k].max()), 0.0, "videos/h")
    if p.hours >= DECOMPOSE_MIN_HOURS:
        starts, lengths, classes = _week_classes(p)
        chosen = set(range(len(classes))) if len(classes) <= MAX_CLASSES else _peak_classes(p, starts, classes)
        hours, at_least = _sizing_hours(p, starts, lengths, classes, chosen), "at least "
    else:
        hours, at_least = Hours.cyclic(p.hours), ""
    present = _families(p)
    if _run(build(p, mode, hours, objective="none", relax=tuple(present)), clock.left(floor_s=1.0)).status == 2:
        return Infeasibility("demand", f"no {mode} fleet meets this demand even without power, availability and rack limits; check deadlines and headroom", 0.0, None, "")
    for fam in present:
        found = _elastic(p, mode, hours, fam, (), clock, at_least)
        if found is not None:
            return found
    for fam in present:  # no single limit is to blame: each with the others lifted
        found = _elastic(p, mode, hours, fam, tuple(f for f in present if f != fam), clock, at_least, together=True)
        if found is not None:
            return found
    return Infeasibility("demand", f"the {mode} plan found no solution within the time limit", 0.0, None, "")


def _elastic(p: PlanProblem, mode: str, hours: Hours, fam: str, relax: tuple[str, ...], clock: _Clock, at_least: str, together: bool = False) -> Infeasibility | None:
    m = build(p, mode, hours, objective="elastic", elastic=fam, relax=relax)
    res = _run(m, clock.left(floor_s=1.0))
    if res.x is None or m.slack is None:
        return None
    slack = res.x[m.slack]
    if float(slack.max(initial=0.0)) <= 1e-6:
        return None
    also = " (with the other limits lifted)" if together else ""
    if fam == "power_cap":
        cap = float(p.power_cap_w or 0.0)
        nodes = {f: res.x[m.M[f]] for f in m.fleets}
        busy = res.x[m.x].sum(axis=1) + res.x[m.y].sum(axis=1)
        power = (sum(nodes.values()) * p.idle_w * p.node_size)[:, None] + busy * (p.busy_w - p.idle_w)[:, None]
        t = int(hours.glob[int(np.argmax(power.sum(axis=0)))])
        need = cap + float(slack[0]) * 1e6
        return Infeasibility(
            "power_cap", f"the {mode} fleet needs {at_least}{need / 1e6:.3g} MW at hour {t} (day {t // 24}, {t % 24:02d}:00) vs a cap of {cap / 1e6:.3g} MW{also}",
            need / 1e6, cap / 1e6, "MW", t,
        )
    if fam == "availability":
        types = np.flatnonzero(np.isfinite(p.availability))
        i = int(np.argmax(slack))
        g = int(types[i])
        need = float(p.availability[g]) + float(np.ceil(slack[i] - 1e-6)) * p.node_size
        return Infeasibility(
            "availability", f"the {mode} fleet needs {at_least}{need:.0f} {p.gpu_name(g)} GPUs vs {p.availability[g]:.0f} available{also}",
            need, float(p.availability[g]), "GPUs",
        )
    need = float(p.max_racks or 0) + float(np.ceil(slack[0] - 1e-6))
    return Infeasibility("max_racks", f"the {mode} fleet needs {at_least}{need:.0f} racks vs max_racks {p.max_racks}{also}", need, float(p.max_racks or 0), "racks")


__all__ = ["PlanProblem", "PlanSolution", "Infeasibility", "solve", "diagnose_infeasible", "FAMILIES"]
