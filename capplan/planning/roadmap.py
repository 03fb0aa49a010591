"""A monthly capacity roadmap as a mixed-integer linear program: which GPUs to rent, commit to or buy
in each month so that every month's peak day is served, at the least net present cost.

Pure numbers: arrays in, arrays out (scipy is imported when a problem is solved). Indices: GPU types
g, contract kinds c (:data:`KINDS`), delivery months d, months m, hours t of a month's representative
day, text services j, video services k, fleets f ("text" and "video" when siloed, "shared" when
consolidated).

Decision variables:

- ``n[f, g, c, d]`` (integer): nodes of type g delivered to fleet f in month d under contract c; they
  serve months d .. d + term_c - 1 (on-demand: one month; reserved: 12 or 36; owned: the service life);
- ``A[f, g, m]`` GPUs active, ``R[f, g, m]`` of them rented (on-demand or reserved);
- ``x[g, j, m, t]``, ``y[g, k, m, t]``: GPUs serving text j / generating video k in hour t of month m's day;
- ``B[k, m, t]``: videos waiting at the end of the hour (cyclic over the day, as in ``capplan plan``);
- ``u[f, g, m, t]``: busy GPUs that are owned, ``u >= busy - R`` (rented GPUs, whose rent includes
  power, are used first), so that owned GPUs pay for the energy their work draws.

The month's requirement is the plan's hourly model on one representative day, repeated every day of
the month: text is served in its hour, videos within their deadline. Costs are discounted monthly at
``(1 + r)^(-m/12)``; see docs/methodology.md, "Roadmap", for the equations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from capplan.models.economics import annuity_factor
from capplan.planning.formulation import Rows, Vars, cyclic_window_sum  # one MILP builder for the fleet problem and the roadmap
from capplan.planning.optimize import quiet_stdout  # one guard of stdout for every HiGHS solve

KINDS: tuple[str, ...] = ("on-demand", "reserved-1y", "reserved-3y", "own")
OWN = KINDS.index("own")
HOURS_PER_MONTH = 8760.0 / 12.0
DAYS_PER_MONTH = 365.0 / 12.0
# Cost per video-hour of backlog: breaks ties between equal-cost schedules, far below any real cost.
BACKLOG_TIE_BREAK_USD = 1e-6
# Ways to turn the relaxation's node counts into whole nodes; the cheapest feasible one is kept.
ROUNDINGS = (np.rint, np.ceil, lambda z: np.floor(z + 0.25), lambda z: np.floor(z + 0.75))
FIX_BLOCK_MONTHS = 6  # relax-and-fix rounds this many delivery months at a time


@dataclass(frozen=True)
class Commitment:
    """Capacity already contracted before the plan: kept, paid and used for its whole term."""

    gpu: int
    kind: int  # index into KINDS (not on-demand)
    start: int  # delivery month; negative = before the first month
    gpus: int
    fleet: str  # "text" | "video" (siloed); a consolidated plan puts every commitment in its one fleet
    usd_per_gpu_hour: float = 0.0  # reserved: the contracted rate
    capex_usd_per_gpu: float = 0.0  # owned: paid at delivery when start >= 0 (sunk otherwise)


@dataclass(frozen=True)
class RoadmapProblem:
    """Numbers of a roadmap; arrays are indexed [g], [g, m], [g, c], [c], [j, m, t], [g, j], [k, m, t], [g, k]."""

    months: int
    node_size: int
    text_demand: np.ndarray  # (J, M, T) requests/s in hour t of month m's day
    text_capacity: np.ndarray  # (G, J) requests/s per GPU, 0 = cannot serve
    video_arrivals: np.ndarray  # (K, M, T) videos per hour
    video_rate: np.ndarray  # (G, K) videos per GPU-hour, 0 = cannot serve
    video_deadline_h: np.ndarray  # (K,) whole hours
    rent_usd_per_gpu_hour: np.ndarray  # (G, M) on-demand price of a GPU-hour delivered in month m
    capex_usd_per_gpu: np.ndarray  # (G, M) purchase price in month m (0 where it cannot be bought)
    allowed: np.ndarray  # (G, C) bool: contract c offered for GPU g
    lead_months: np.ndarray  # (G, C) months from order to delivery
    term_months: np.ndarray  # (C,) on-demand 1, reserved 12 / 36, owned: service life
    reserved_discount_frac: np.ndarray  # (C,) off the on-demand rate (0 for on-demand and owned)
    first_month: np.ndarray  # (G,) first month the GPU can be delivered (its availability date)
    max_gpus: np.ndarray  # (G,) GPUs of the type active at once, inf = unlimited
    busy_w: np.ndarray  # (G,) facility watts of a busy GPU
    idle_w: np.ndarray  # (G,) facility watts of an idle GPU
    energy_usd_per_kwh: float
    opex_frac_per_year: float  # upkeep of owned GPUs, a fraction of their price per year
    discount_rate_frac_per_year: float
    headroom_frac: float = 0.0
    commitments: tuple[Commitment, ...] = ()
    fixed_usd_per_month_per_fleet: float = 0.0  # operations of a standalone product: siloed pays it twice

    @property
    def G(self) -> int:
        return len(self.busy_w)

    @property
    def J(self) -> int:
        return self.text_demand.shape[0]

    @property
    def K(self) -> int:
        return self.video_arrivals.shape[0]

    @property
    def T(self) -> int:
        return self.text_demand.shape[2] if self.J else self.video_arrivals.shape[2]


@dataclass
class RoadmapSolution:
    mode: str
    status: str
    fleets: list[str] = field(default_factory=list)
    deliveries: np.ndarray | None = None  # (F, G, C, M) GPUs delivered (new contracts only)
    active: np.ndarray | None = None  # (F, G, C, M) GPUs active, commitments included
    text_gpus: np.ndarray | None = None  # (G, J, M, T)
    video_gpus: np.ndarray | None = None  # (G, K, M, T)
    owned_busy: np.ndarray | None = None  # (F, G, M, T)
    npv_usd: float = 0.0
    mip_gap: float | None = None
    solve_s: float = 0.0
    message: str = ""


def discount_factors(rate_frac_per_year: float, months: int) -> np.ndarray:
    """Present value of 1 USD paid at the start of month m: (1 + r)^(-m/12), m = 0 .. months-1."""
    return (1.0 + rate_frac_per_year) ** (-np.arange(months) / 12.0)


def book_value_frac(age_months: np.ndarray | float, life_months: float) -> np.ndarray:
    """Straight-line book value of an owned GPU after ``age_months`` of service, a fraction of its price."""
    return np.clip(1.0 - np.asarray(age_months, dtype=float) / life_months, 0.0, 1.0)


def _served(d: int, term: int, months: int) -> range:
    return range(max(d, 0), min(d + term, months))


def unit_npv(p: RoadmapProblem) -> np.ndarray:
    """(G, C, M): net present cost of one GPU delivered in month d under contract c, before the energy
    its work draws (owned GPUs: price at delivery + upkeep + idle energy while in service within the
    horizon - book value at the horizon's end; reserved: every payment of the term, also those after
    the horizon, since the contract binds)."""
    G, C, M = p.G, len(KINDS), p.months
    r = p.discount_rate_frac_per_year
    life = int(p.term_months[OWN])
    longest = M + int(p.term_months.max()) + 1
    df = discount_factors(r, longest)
    out = np.zeros((G, C, M))
    idle_usd_per_month = p.idle_w / 1e3 * HOURS_PER_MONTH * p.energy_usd_per_kwh  # (G,)
    for d in range(M):
        for c, kind in enumerate(KINDS):
            term = int(p.term_months[c])
            if kind == "own":
                in_service = df[d : min(d + life, M)].sum()
                capex = p.capex_usd_per_gpu[:, d]
                upkeep = capex * p.opex_frac_per_year / 12.0 + idle_usd_per_month
                out[:, c, d] = capex * df[d] + upkeep * in_service - capex * book_value_frac(M - d, life) * df[M]
            else:
                rate = p.rent_usd_per_gpu_hour[:, d] * (1.0 - p.reserved_discount_frac[c]) * HOURS_PER_MONTH
                out[:, c, d] = rate * df[d : d + term].sum()
    return out


def commitment_npv(p: RoadmapProblem) -> float:
    """Net present cost of the commitments before the energy their work draws. A purchase made before
    the first month is sunk: neither its price nor its book value at the end counts, only its upkeep."""
    M = p.months
    df = discount_factors(p.discount_rate_frac_per_year, M + int(p.term_months.max()) + 1)
    total = 0.0
    for cm in p.commitments:
        term = int(p.term_months[cm.kind])
        if KINDS[cm.kind] == "own":
            idle = p.idle_w[cm.gpu] / 1e3 * HOURS_PER_MONTH * p.energy_usd_per_kwh
            months = list(_served(cm.start, term, M))
            upkeep = cm.capex_usd_per_gpu * p.opex_frac_per_year / 12.0 + idle
            total += cm.gpus * upkeep * sum(df[m] for m in months)
            if cm.start >= 0:  # bought before the plan: price and resale value are both outside it
                total += cm.gpus * cm.capex_usd_per_gpu * (df[cm.start] - float(book_value_frac(M - cm.start, term)) * df[M])
        else:
            pay = [m for m in range(max(cm.start, 0), cm.start + term)]
            total += cm.gpus * cm.usd_per_gpu_hour * HOURS_PER_MONTH * sum(df[m] for m in pay)
    return total


def commitment_active(p: RoadmapProblem, fleets: list[str]) -> np.ndarray:
    """(F, G, C, M) GPUs of the commitments active in each month."""
    out = np.zeros((len(fleets), p.G, len(KINDS), p.months))
    for cm in p.commitments:
        f = fleets.index(cm.fleet) if cm.fleet in fleets else 0
        for m in _served(cm.start, int(p.term_months[cm.kind]), p.months):
            out[f, cm.gpu, cm.kind, m] += cm.gpus
    return out


def deliverable(p: RoadmapProblem) -> np.ndarray:
    """(G, C, M) bool: a contract of kind c for GPU g can start in month d (ordered in month d - lead >= 0,
    on or after the GPU's availability date)."""
    d = np.arange(p.months)[None, None, :]
    return p.allowed[:, :, None] & (d >= p.lead_months[:, :, None]) & (d >= p.first_month[:, None, None])


def solve_roadmap(p: RoadmapProblem, mode: str, *, time_limit_s: float = 60.0, mip_rel_gap: float = 1e-4, exact: bool = False) -> RoadmapSolution:
    """Plan a siloed ("siloed": a text fleet and a video fleet) or consolidated (one fleet) roadmap.

    ``exact`` searches every whole-node plan (slow beyond a year or so); otherwise node counts are
    searched around the LP relaxation's and ``mip_gap`` is measured against the relaxation."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    if mode not in ("siloed", "consolidated"):
        raise ValueError(mode)
    fleets = ["text", "video"] if mode == "siloed" else ["shared"]
    F, G, C, M, J, K, T = len(fleets), p.G, len(KINDS), p.months, p.J, p.K, p.T
    ns = p.node_size
    days = DAYS_PER_MONTH
    df = discount_factors(p.discount_rate_frac_per_year, M)
    e_wh = p.energy_usd_per_kwh / 1e3
    serves = {"text": (True, False), "video": (False, True), "shared": (True, True)}
    existing = commitment_active(p, fleets)  # (F, G, C, M)
    rented_kinds = [c for c in range(C) if c != OWN]

    b, rows = Vars(), Rows()
    ok = deliverable(p)
    unit = unit_npv(p)
    # On-demand GPUs are rented one by one (single-GPU instances exist) and nodes are whole, which also
    # keeps the integer part small: HiGHS then closes the gap in seconds.
    n = {
        c: b.add((F, G, M), ub=np.where(ok[None, :, c], np.inf, 0.0) * np.ones((F, 1, 1)), integer=kind != "on-demand", cost=unit[None, :, c] * (1 if kind == "on-demand" else ns))
        for c, kind in enumerate(KINDS)
    }
    A = b.add((F, G, M))
    R = b.add((F, G, M))
    x = b.add((G, J, M, T), ub=np.where(p.text_capacity > 0, np.inf, 0.0)[:, :, None, None] * np.ones((1, 1, M, T)))
    y = b.add((G, K, M, T), ub=np.where(p.video_rate > 0, np.inf, 0.0)[:, :, None, None] * np.ones((1, 1, M, T)))
    window = np.zeros((K, M, T))
    for k in range(K):
        for m in range(M):
            window[k, m] = cyclic_window_sum(p.video_arrivals[k, m], int(p.video_deadline_h[k]))
    Bk = b.add((K, M, T), ub=window, cost=BACKLOG_TIE_BREAK_USD * days * df[None, :, None])
    can_own = p.allowed[:, OWN] | np.array([any(cm.gpu == g and cm.kind == OWN for cm in p.commitments) for g in range(G)])
    dyn = (p.busy_w - p.idle_w) * e_wh * days  # (G,) USD per busy owned GPU in one hour of every day of a month
    u = b.add((F, G, M, T), ub=np.where(can_own, np.inf, 0.0)[None, :, None, None] * np.ones((F, 1, M, T)), cost=dyn[None, :, None, None] * df[None, None, :, None])

    # Active and rented GPUs: A = node_size * deliveries still in their term + commitments.
    rA = rows.block((F, G, M), existing.sum(axis=2), existing.sum(axis=2))
    rR = rows.block((F, G, M), existing[:, :, rented_kinds].sum(axis=2), existing[:, :, rented_kinds].sum(axis=2))
    rows.add(rA, A, 1.0)
    rows.add(rR, R, 1.0)
    for c in range(C):
        term = int(p.term_months[c])
        for m in range(M):
            ds = np.arange(max(0, m - term + 1), m + 1)
            per = 1.0 if KINDS[c] == "on-demand" else float(ns)
            for f in range(F):
                rows.add(rA[f, :, m][:, None], n[c][f][:, ds], -per)
                if c != OWN:
                    rows.add(rR[f, :, m][:, None], n[c][f][:, ds], -per)
    # Text served in its hour.
    if J:
        r = rows.block((J, M, T), p.text_demand, np.inf)
        for g in range(G):
            if np.any(p.text_capacity[g] > 0):
                rows.add(r, x[g], p.text_capacity[g][:, None, None])
    # Video: B[t] - B[t-1] + sum_g rate y[t] = arrivals[t], cyclic over the day; B bounded by the deadline window.
    if K:
        r = rows.block((K, M, T), p.video_arrivals, p.video_arrivals)
        prev = (np.arange(T) - 1) % T
        rows.add(r, Bk, 1.0)
        rows.add(r, Bk[:, :, prev], -1.0)
        for g in range(G):
            if np.any(p.video_rate[g] > 0):
                rows.add(r, y[g], p.video_rate[g][:, None, None])
    # Busy GPUs fit in each fleet after headroom; owned busy GPUs u >= busy - rented.
    usable = 1.0 - p.headroom_frac
    for f, name in enumerate(fleets):
        text_on, video_on = serves[name]
        cap = rows.block((G, M, T), -np.inf, 0.0)
        own = rows.block((G, M, T), 0.0, np.inf)
        for g in range(G):
            rows.add(cap[g], np.broadcast_to(A[f, g][:, None], (M, T)), -usable)
            rows.add(own[g], u[f, g], 1.0)
            rows.add(own[g], np.broadcast_to(R[f, g][:, None], (M, T)), 1.0)
            for j in range(J if text_on else 0):
                rows.add(cap[g], x[g, j], 1.0)
                rows.add(own[g], x[g, j], -1.0)
            for k in range(K if video_on else 0):
                rows.add(cap[g], y[g, k], 1.0)
                rows.add(own[g], y[g, k], -1.0)
    # Availability of each GPU type across fleets.
    for g in range(G):
        if np.isfinite(p.max_gpus[g]):
            r = rows.block((M,), -np.inf, p.max_gpus[g])
            for f in range(F):
                rows.add(r, A[f, g], 1.0)

    cost = np.concatenate(b.cost)
    Amat = sparse.csr_matrix((np.concatenate(rows.v), (np.concatenate(rows.r), np.concatenate(rows.c))), shape=(rows.m, b.n))
    constraints = LinearConstraint(Amat, np.concatenate(rows.lb), np.concatenate(rows.ub))
    integrality = np.concatenate(b.integer)
    lb, ub = np.concatenate(b.lb), np.concatenate(b.ub)
    t0 = time.perf_counter()

    def run(lo: np.ndarray, hi: np.ndarray, ints: np.ndarray, limit: float) -> object:
        with quiet_stdout():
            return milp(cost, constraints=constraints, integrality=ints, bounds=Bounds(lo, hi), options={"time_limit": limit, "mip_rel_gap": mip_rel_gap, "disp": False})

    res: object
    bound = None
    rounded = False
    if exact:
        res = run(lb, ub, integrality, time_limit_s)
    else:
        # The LP relaxation gives a lower bound; its node counts are rounded to whole nodes (the full
        # branch-and-bound search takes minutes on a 3-year plan). The gap reported is against the
        # relaxation, so it bounds how far from the optimum the plan can be.
        relaxed = run(lb, ub, np.zeros_like(integrality), time_limit_s)
        if getattr(relaxed, "x", None) is None:
            res = relaxed
        else:
            bound = float(relaxed.fun)  # type: ignore[attr-defined]
            zl = relaxed.x  # type: ignore[attr-defined]
            is_int = integrality == 1
            lo = np.where(is_int, np.floor(zl + 1e-6), lb)
            hi = np.where(is_int, np.minimum(np.ceil(zl - 1e-6), ub), ub)
            res = None
            for rounding in ROUNDINGS:
                # Whole nodes fixed at the relaxation's counts rounded; on-demand GPUs (by the GPU) and the
                # schedule are then re-optimised as an LP. Deterministic and a fraction of a second.
                fixed = np.where(is_int, np.clip(rounding(zl), lo, hi), 0.0)
                trial = run(np.where(is_int, fixed, lb), np.where(is_int, fixed, ub), np.zeros_like(integrality), time_limit_s)
                if getattr(trial, "x", None) is not None and (res is None or trial.fun < res.fun):  # type: ignore[attr-defined]
                    res = trial
            # Relax and fix: round one block of delivery months at a time and re-solve the relaxation
            # of the later months, which then make up for the earlier rounding.
            month_of = np.full(len(lb), -1)
            for c, kind in enumerate(KINDS):
                if kind != "on-demand":
                    month_of[n[c]] = np.arange(M)[None, None, :]
            zf, lo_f, hi_f = zl, lb.copy(), ub.copy()
            for start in range(0, M, FIX_BLOCK_MONTHS):
                blk = is_int & (month_of >= start) & (month_of < start + FIX_BLOCK_MONTHS)
                lo_f[blk] = hi_f[blk] = np.clip(np.rint(zf[blk]), lb[blk], ub[blk])
                trial = run(lo_f, hi_f, np.zeros_like(integrality), time_limit_s)
                if getattr(trial, "x", None) is None:
                    break
                zf = trial.x  # type: ignore[attr-defined]
            else:
                if res is None or trial.fun < res.fun:  # type: ignore[attr-defined]
                    res = trial
            rounded = res is not None
            if res is None:  # no rounding is feasible (a GPU's availability binds): search the neighbourhood
                res = run(lo, hi, integrality, max(time_limit_s - (time.perf_counter() - t0), 1.0))
            if getattr(res, "x", None) is None:
                res = run(lb, ub, integrality, max(time_limit_s - (time.perf_counter() - t0), 1.0))
    code = getattr(res, "status", 4)
    status = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}.get(code, "error")
    if rounded and status == "optimal":
        status = "rounded"
    sol = RoadmapSolution(mode=mode, status=status, fleets=fleets, solve_s=time.perf_counter() - t0, message=str(getattr(res, "message", "")))
    if getattr(res, "x", None) is None:
        return sol
    z = res.x  # type: ignore[attr-defined]
    sol.deliveries = np.stack([z[n[c]] if kind == "on-demand" else np.rint(z[n[c]]) * ns for c, kind in enumerate(KINDS)], axis=2)
    sol.deliveries[:, :, 0] = np.where(sol.deliveries[:, :, 0] < 1e-9, 0.0, sol.deliveries[:, :, 0])
    active = existing.copy()
    for c in range(C):
        term = int(p.term_months[c])
        cs = np.concatenate([np.zeros((F, G, 1)), np.cumsum(sol.deliveries[:, :, c, :], axis=2)], axis=2)
        ms = np.arange(M)
        active[:, :, c, :] += cs[:, :, ms + 1] - cs[:, :, np.maximum(ms - term + 1, 0)]
    sol.active = active
    sol.text_gpus = np.clip(z[x], 0.0, None)
    sol.video_gpus = np.clip(z[y], 0.0, None)
    sol.owned_busy = np.clip(z[u], 0.0, None)
    fixed = F * p.fixed_usd_per_month_per_fleet * df.sum()
    sol.npv_usd = float((unit[None] * sol.deliveries).sum() + commitment_npv(p) + (dyn[None, :, None, None] * df[None, None, :, None] * sol.owned_busy).sum() + fixed)
    fun = float(res.fun)  # type: ignore[attr-defined]
    if bound is not None:
        sol.mip_gap = max(fun - bound, 0.0) / max(abs(fun), 1e-300)
    else:
        sol.mip_gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
    return sol


def monthly_costs(p: RoadmapProblem, sol: RoadmapSolution) -> dict[str, np.ndarray]:
    """Per fleet and month (F, M), in USD of that month (not discounted):

    - ``cash``: what is paid in the month (rent, reserved payments, purchases at delivery, upkeep, energy);
    - ``economic``: the month's share of the cost of what is in service (purchases spread over their
      life as an annuity at the discount rate, as `capplan plan --pricing own` does), for unit costs;

    and per fleet (F,): ``after_horizon_pv``, reserved payments due after the horizon (present value),
    and ``book_value``, owned GPUs' book value at the horizon's end, so that
    NPV = sum_m cash[m] df[m] + after_horizon_pv - book_value df[M].
    """
    assert sol.active is not None and sol.deliveries is not None and sol.owned_busy is not None
    F, M = len(sol.fleets), p.months
    life_years = float(p.term_months[OWN]) / 12.0
    recovery = float(annuity_factor(p.discount_rate_frac_per_year, life_years)) / 12.0  # per month, of the price
    e_wh = p.energy_usd_per_kwh / 1e3
    energy = (p.busy_w - p.idle_w)[None, :, None] * e_wh * DAYS_PER_MONTH * sol.owned_busy.sum(axis=3)  # (F, G, M)
    cash = np.zeros((F, M))
    economic = np.zeros((F, M))
    after = np.zeros(F)  # present value at month 0 of reserved payments due after the horizon
    book = np.zeros(F)  # book value of owned GPUs at the horizon's end
    df = discount_factors(p.discount_rate_frac_per_year, M + int(p.term_months.max()) + 1)
    idle_month = p.idle_w / 1e3 * HOURS_PER_MONTH * p.energy_usd_per_kwh  # (G,)
    # New contracts: rent at the delivery month's price for the whole term.
    for c, kind in enumerate(KINDS):
        term = int(p.term_months[c])
        for d in range(M):
            new = sol.deliveries[:, :, c, d]  # (F, G)
            if not new.any():
                continue
            for m in _served(d, term, M):
                if kind == "own":
                    capex = p.capex_usd_per_gpu[:, d]
                    upkeep = new * (capex * p.opex_frac_per_year / 12.0 + idle_month)
                    cash[:, m] += upkeep.sum(axis=1)
                    economic[:, m] += (upkeep + new * capex * recovery).sum(axis=1)
                else:
                    pay = new * p.rent_usd_per_gpu_hour[:, d] * (1.0 - p.reserved_discount_frac[c]) * HOURS_PER_MONTH
                    cash[:, m] += pay.sum(axis=1)
                    economic[:, m] += pay.sum(axis=1)
            if kind == "own":
                cash[:, d] += (new * p.capex_usd_per_gpu[:, d]).sum(axis=1)
                book += (new * p.capex_usd_per_gpu[:, d]).sum(axis=1) * float(book_value_frac(M - d, term))
            elif d + term > M:
                rate = (new * p.rent_usd_per_gpu_hour[:, d] * (1.0 - p.reserved_discount_frac[c]) * HOURS_PER_MONTH).sum(axis=1)
                after += rate * df[M : d + term].sum()
    for cm in p.commitments:
        f = sol.fleets.index(cm.fleet) if cm.fleet in sol.fleets else 0
        term = int(p.term_months[cm.kind])
        for m in _served(cm.start, term, M):
            if KINDS[cm.kind] == "own":
                upkeep = cm.gpus * (cm.capex_usd_per_gpu * p.opex_frac_per_year / 12.0 + idle_month[cm.gpu])
                cash[f, m] += upkeep
                economic[f, m] += upkeep + cm.gpus * cm.capex_usd_per_gpu * recovery
            else:
                pay = cm.gpus * cm.usd_per_gpu_hour * HOURS_PER_MONTH
                cash[f, m] += pay
                economic[f, m] += pay
        if KINDS[cm.kind] == "own":
            if 0 <= cm.start < M:
                cash[f, cm.start] += cm.gpus * cm.capex_usd_per_gpu
                book[f] += cm.gpus * cm.capex_usd_per_gpu * float(book_value_frac(M - cm.start, term))
        elif cm.start + term > M:
            after[f] += cm.gpus * cm.usd_per_gpu_hour * HOURS_PER_MONTH * df[max(M, cm.start) : cm.start + term].sum()
    cash += energy.sum(axis=1) + p.fixed_usd_per_month_per_fleet
    economic += energy.sum(axis=1) + p.fixed_usd_per_month_per_fleet
    return {"cash": cash, "economic": economic, "energy": energy.sum(axis=1), "after_horizon_pv": after, "book_value": book}


def npv_breakdown(p: RoadmapProblem, sol: RoadmapSolution) -> dict[str, float]:
    """The NPV split by kind of payment; the parts add up to ``sol.npv_usd``."""
    assert sol.deliveries is not None and sol.owned_busy is not None
    M = p.months
    df = discount_factors(p.discount_rate_frac_per_year, M + int(p.term_months.max()) + 1)
    idle_month = p.idle_w / 1e3 * HOURS_PER_MONTH * p.energy_usd_per_kwh
    out = dict.fromkeys(("on_demand", "reserved", "purchases", "upkeep_and_idle_energy", "busy_energy", "fixed", "reserved_after_horizon", "book_value_credit"), 0.0)
    out["fixed"] = len(sol.fleets) * p.fixed_usd_per_month_per_fleet * float(df[:M].sum())
    new = sol.deliveries.sum(axis=0)  # (G, C, M)
    items: list[tuple[int, int, int, float, float, float]] = []  # (g, c, start, gpus, rate, capex)
    for g in range(p.G):
        for c in range(len(KINDS)):
            for d in range(M):
                if new[g, c, d] > 0:
                    rate = p.rent_usd_per_gpu_hour[g, d] * (1.0 - p.reserved_discount_frac[c])
                    items.append((g, c, d, float(new[g, c, d]), rate, float(p.capex_usd_per_gpu[g, d])))
    for cm in p.commitments:
        items.append((cm.gpu, cm.kind, cm.start, float(cm.gpus), cm.usd_per_gpu_hour, cm.capex_usd_per_gpu))
    for g, c, start, gpus, rate, capex in items:
        term = int(p.term_months[c])
        kind = KINDS[c]
        if kind == "own":
            if start >= 0:
                out["purchases"] += gpus * capex * df[start]
                out["book_value_credit"] -= gpus * capex * float(book_value_frac(M - start, term)) * df[M]
            upkeep = capex * p.opex_frac_per_year / 12.0 + idle_month[g]
            out["upkeep_and_idle_energy"] += gpus * upkeep * df[list(_served(start, term, M))].sum()
        else:
            pay = gpus * rate * HOURS_PER_MONTH
            key = "on_demand" if kind == "on-demand" else "reserved"
            out[key] += pay * df[list(_served(start, term, M))].sum()
            if start + term > M:
                out["reserved_after_horizon"] += pay * df[max(M, start) : start + term].sum()
    dyn = (p.busy_w - p.idle_w) * p.energy_usd_per_kwh / 1e3 * DAYS_PER_MONTH
    out["busy_energy"] = float((dyn[None, :, None, None] * df[None, None, :M, None] * sol.owned_busy).sum())
    return {k: float(v) for k, v in out.items()}
