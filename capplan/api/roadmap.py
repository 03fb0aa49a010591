"""`capplan.roadmap`: which GPUs to rent, commit to or buy each month over 1-5 years, siloed vs. consolidated.

Per-GPU capacities come from :func:`capplan.api.text` and :func:`capplan.api.video` as in a plan; the
monthly program is :mod:`capplan.planning.roadmap`; this module reads the roadmap file, builds the
arrays and the result.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from capplan import __version__
from capplan.api.common import KV_PRECISIONS, TEXT_PRECISIONS, VIDEO_PRECISIONS, ensure_finite, parse_resolution
from capplan.api.text import text
from capplan.api.video import video
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.load import data_root, read_toml, validate
from capplan.catalog.roadmap_schema import MAX_MONTHS, Growth, Roadmap, month_index, month_label
from capplan.errors import UserError
from capplan.planning import demand as demand_model
from capplan.planning import roadmap as rm
from capplan.planning.costs import gpu_hour_cost
from capplan.results import ServiceCapacity
from capplan.results_roadmap import GPUAssumption, MonthPlan, NPVBreakdown, Order, RoadmapMonth, RoadmapPlan, RoadmapResult

DEFAULT_ROADMAP = "default"
FOLDER = ("workloads", "roadmaps")


def roadmap_path(scenario: str | Path | None) -> Path:
    """A path, or the name of a bundled roadmap (workloads/roadmaps/<name>.toml)."""
    name = DEFAULT_ROADMAP if scenario is None else scenario
    p = Path(name)
    folder = data_root().joinpath(*FOLDER)
    try:
        if p.is_file():
            return p
        bundled = folder / f"{name}.toml"
        if bundled.is_file():
            return bundled
    except (OSError, ValueError):  # a name too long for the file system, or a NUL byte
        pass
    known = sorted(f.stem for f in folder.glob("*.toml"))
    raise UserError("SCENARIO", str(name), f"give a roadmap TOML file or a bundled roadmap: {', '.join(known)}")


def _growth(g: Growth, months: int, where: str, base: Path, start: str) -> np.ndarray:
    """(M,) multipliers of the first month's day. A ``month`` column, if the CSV has one, must count
    the months from the roadmap's start (YYYY-MM), so that rows cannot silently shift."""
    if g.frac_per_year is not None:
        return (1.0 + g.frac_per_year) ** (np.arange(months) / 12.0)
    path = Path(str(g.csv)) if Path(str(g.csv)).is_absolute() else base / str(g.csv)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise UserError(f"{where}.csv", str(g.csv), f"the file cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UserError(f"{where}.csv", str(g.csv), "it must be a UTF-8 CSV file") from None
    except csv.Error as exc:
        raise UserError(f"{where}.csv", str(g.csv), f"it is not a valid CSV file ({exc})") from None
    if not rows or g.column not in rows[0]:
        cols = ", ".join(str(k) for k in rows[0].keys() if k is not None) if rows else "none"
        raise UserError(f"{where}.column", g.column, f"{path} has columns: {cols}")
    if len(rows) < months:
        raise UserError(f"{where}.csv", f"{len(rows)} rows", f"give at least one row per month ({months})")
    vals = []
    for i, r in enumerate(rows[:months]):
        if "month" in r and (r["month"] or "").strip() != month_label(start, i):
            raise UserError(f"{path}: row {i + 2}, column month", r["month"], f"rows must count months from the roadmap's start: expected {month_label(start, i)}")
        try:
            v = float(r[str(g.column)])
        except (TypeError, ValueError):
            raise UserError(f"{path}: row {i + 2}, column {g.column}", r[str(g.column)], "it must be a number") from None
        if not math.isfinite(v) or v < 0 or v > 1e6:
            raise UserError(f"{path}: row {i + 2}, column {g.column}", v, "a multiplier must be a number from 0 to 1e6")
        vals.append(v)
    return np.array(vals)


def _day(profile, where: str) -> np.ndarray:
    if profile.values is not None:
        return np.array(profile.values, dtype=float)
    return demand_model.shaped_profile(profile.shape, float(profile.peak), profile.trough, 24)


def roadmap(
    scenario: str | Path | None = None,
    *,
    months: int | None = None,
    discount_rate: float | None = None,
    time_limit_s: float = 60.0,
    exact: bool = False,
    catalog: Catalog | None = None,
) -> RoadmapResult:
    """A month-by-month capacity roadmap for a roadmap file (a path, or a bundled roadmap's name;
    default: the bundled ``default``), siloed and consolidated, valued by net present cost."""
    if months is not None and (isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS):
        raise UserError("--months", months, f"a whole number of months from 1 to {MAX_MONTHS}")
    if discount_rate is not None and not (isinstance(discount_rate, (int, float)) and math.isfinite(discount_rate) and 0 <= discount_rate < 1):
        raise UserError("--discount-rate", discount_rate, "a yearly fraction from 0 to below 1, e.g. 0.08")
    if not (isinstance(time_limit_s, (int, float)) and math.isfinite(time_limit_s) and 0 < time_limit_s <= 86400):
        raise UserError("--time-limit-s", time_limit_s, "it must be a number of seconds from 0 to 86400")
    path = roadmap_path(scenario)
    where = str(path)
    spec = validate(Roadmap, read_toml(path), where)
    cat = catalog or load_catalog()
    M = months or spec.months
    econ = cat.economics(None, overlay=dict(spec.economics), overlay_source=f"roadmap {path}", pricing="rent")
    stack = cat.stack(spec.stack, option=f"{where}: field stack")
    r = spec.discount_rate_frac_per_year if discount_rate is None else discount_rate
    if r is None:
        r = econ.ownership.cost_of_capital_frac
    life_years = spec.contracts.own_life_years or econ.ownership.amortization_years
    for i, cand in enumerate(spec.gpus):
        if cand.id not in cat.gpus:
            raise UserError(f"{where}: field gpus.{i}.id", cand.id, f"choose catalogued GPUs: {', '.join(sorted(cat.gpus))}")
    for i, s in enumerate(spec.text):
        if s.workload not in cat.text:
            raise UserError(f"{where}: field text.{i}.workload", s.workload, f"choose a catalogued text model: {', '.join(sorted(cat.text))}")
        if s.precision not in TEXT_PRECISIONS:
            raise UserError(f"{where}: field text.{i}.precision", s.precision, f"choose one of {', '.join(TEXT_PRECISIONS)}")
        if s.kv_precision not in KV_PRECISIONS:
            raise UserError(f"{where}: field text.{i}.kv_precision", s.kv_precision, f"choose one of {', '.join(KV_PRECISIONS)}")
    for i, v in enumerate(spec.video):
        if v.workload not in cat.video:
            raise UserError(f"{where}: field video.{i}.workload", v.workload, f"choose a catalogued video model: {', '.join(sorted(cat.video))}")
        if v.precision not in VIDEO_PRECISIONS:
            raise UserError(f"{where}: field video.{i}.precision", v.precision, f"choose one of {', '.join(VIDEO_PRECISIONS)}")
        if v.resolution is not None:
            parse_resolution(v.resolution, option=f"{where}: field video.{i}.resolution")

    gpus = [g.id for g in spec.gpus]
    G, J, K = len(gpus), len(spec.text), len(spec.video)
    base = path.parent
    text_demand = np.array([_day(s.requests_per_s, where)[None, :] * _growth(s.growth, M, f"{where}: field text.{i}.growth", base, spec.start)[:, None] for i, s in enumerate(spec.text)]).reshape(J, M, 24)
    video_arrivals = np.array([_day(v.videos_per_hour, where)[None, :] * _growth(v.growth, M, f"{where}: field video.{i}.growth", base, spec.start)[:, None] for i, v in enumerate(spec.video)]).reshape(K, M, 24)

    # Per-GPU capacity of every service on every GPU type, from the what-if models (as in a plan).
    capacities: list[ServiceCapacity] = []
    text_cap = np.zeros((G, J))
    video_rate = np.zeros((G, K))
    video_seconds = np.zeros(K)
    for gi, g in enumerate(gpus):
        for k, v in enumerate(spec.video):
            n_ok, rate, note = 0, 0.0, ""
            try:  # the smallest sequence-parallel size within a node that fits: plan's and video()'s auto rule
                res = video(
                    v.workload, g, gpus=None, max_gpus=spec.node_size, resolution=v.resolution, seconds=v.seconds, fps=v.fps, steps=v.steps,
                    cfg=v.cfg, precision=v.precision, stack=stack, catalog=cat,
                )
            except UserError as exc:
                note = str(exc)
            else:
                video_seconds[k] = res.video_seconds
                if res.fits_in_memory:
                    n_ok, rate = res.inputs.gpus, 3600.0 / res.gpu_seconds
                else:
                    note = res.suggestion or "does not fit"
            video_rate[gi, k] = rate
            capacities.append(ServiceCapacity(service=v.id, kind="video", gpu=g, gpus_per_replica=n_ok, capacity_per_gpu=rate, note="" if rate else note))
        for j, s in enumerate(spec.text):
            try:
                t = text(
                    s.workload, g, precision=s.precision, kv_precision=s.kv_precision, prompt_tokens=s.prompt_tokens, output_tokens=s.output_tokens,
                    ttft_ms=s.ttft_ms, tpot_ms=s.tpot_ms, stack=stack, catalog=cat, max_gpus=spec.node_size,
                )
            except UserError as exc:
                capacities.append(ServiceCapacity(service=s.id, kind="text", gpu=g, gpus_per_replica=0, capacity_per_gpu=0.0, note=str(exc)))
                continue
            cap = t.requests_per_s_per_replica / t.gpus_per_replica if t.fits_in_memory else 0.0
            text_cap[gi, j] = cap
            note = "" if cap > 0 else (t.suggestion or "; ".join(t.warnings) or "no batch meets the targets")
            capacities.append(ServiceCapacity(service=s.id, kind="text", gpu=g, gpus_per_replica=t.gpus_per_replica, capacity_per_gpu=cap, note=note))
    for j, s in enumerate(spec.text):
        if not text_cap[:, j].any() and text_demand[j].any():
            raise UserError(f"{where}: field text.{j}", s.id, f"no GPU in [[gpus]] can serve {s.workload} under its targets within a node of {spec.node_size}")
    for k, v in enumerate(spec.video):
        if not video_rate[:, k].any() and video_arrivals[k].any():
            raise UserError(f"{where}: field video.{k}", v.id, f"no GPU in [[gpus]] can generate {v.workload} at these settings within a node of {spec.node_size}")

    # Prices: the catalogue's figures in the first month, falling at the GPU's (or the file's) rate.
    years = np.arange(M) / 12.0
    decline = np.array([g.price_decline_frac_per_year if g.price_decline_frac_per_year is not None else spec.prices.decline_frac_per_year for g in spec.gpus])
    trend = (1.0 - decline[:, None]) ** years[None, :]
    rent = np.array([cat.gpus[g].price.usd_per_gpu_hour for g in gpus])[:, None] * trend
    capex0 = np.array([cat.gpus[g].price.capex_usd_per_gpu or 0.0 for g in gpus])
    capex = capex0[:, None] * trend
    allowed = np.array([[kind in g.contracts for kind in rm.KINDS] for g in spec.gpus], dtype=bool)
    allowed[:, rm.OWN] &= capex0 > 0
    ct = spec.contracts
    lead = np.tile([ct.on_demand_lead_months, ct.reserved_lead_months, ct.reserved_lead_months, ct.own_lead_months], (G, 1))
    life_months = int(round(life_years * 12))
    term = np.array([1, 12, 36, life_months])
    disc = np.array([0.0, ct.reserved_1y_discount_frac, ct.reserved_3y_discount_frac, 0.0])
    first = np.array([max(month_index(g.available_from, spec.start), 0) if g.available_from else 0 for g in spec.gpus])
    max_gpus = np.array([float(g.max_gpus) if g.max_gpus is not None else np.inf for g in spec.gpus])
    hour_costs = [gpu_hour_cost(cat.gpus[g], econ) for g in gpus]

    commitments = []
    for i, c in enumerate(spec.commitments):
        gi = gpus.index(c.gpu)
        kind = rm.KINDS.index(c.kind)
        start = month_index(c.start, spec.start)
        if start >= M:
            raise UserError(f"{where}: field commitments.{i}.start", c.start, f"a commitment must start before the horizon ends ({month_label(spec.start, M - 1)})")
        fleet = c.fleet if (J and K) else ("text" if J else "video")
        if c.kind == "own":
            cx = c.capex_usd_per_gpu or float(capex0[gi])
            if cx <= 0:
                raise UserError(f"{where}: field commitments.{i}.capex_usd_per_gpu", "(missing)", f"{c.gpu} has no catalogue capex; give the price paid")
            commitments.append(rm.Commitment(gi, kind, start, c.gpus, fleet, capex_usd_per_gpu=cx))
        else:
            rate = c.usd_per_gpu_hour or float(rent[gi, 0] * (1.0 - disc[kind]))
            commitments.append(rm.Commitment(gi, kind, start, c.gpus, fleet, usd_per_gpu_hour=rate))

    problem = rm.RoadmapProblem(
        months=M,
        node_size=spec.node_size,
        text_demand=text_demand,
        text_capacity=text_cap,
        video_arrivals=video_arrivals,
        video_rate=video_rate,
        video_deadline_h=np.array([v.deadline_hours for v in spec.video], dtype=int),
        rent_usd_per_gpu_hour=rent,
        capex_usd_per_gpu=capex,
        allowed=allowed,
        lead_months=lead,
        term_months=term,
        reserved_discount_frac=disc,
        first_month=first,
        max_gpus=max_gpus,
        busy_w=np.array([h.facility_w for h in hour_costs]),
        idle_w=np.array([h.idle_facility_w for h in hour_costs]),
        energy_usd_per_kwh=econ.energy.mean_usd_per_kwh,
        opex_frac_per_year=econ.ownership.opex_frac_per_year,
        discount_rate_frac_per_year=float(r),
        headroom_frac=spec.headroom_frac,
        fixed_usd_per_month_per_fleet=spec.fixed_usd_per_month_per_fleet,
        commitments=tuple(commitments),
    )
    for name in ("text_demand", "text_capacity", "video_arrivals", "video_rate", "rent_usd_per_gpu_hour", "capex_usd_per_gpu"):
        arr = np.asarray(getattr(problem, name), dtype=float)
        if arr.size and not np.all(np.isfinite(arr)):
            raise UserError(where, name, "the roadmap's numbers are outside the range the optimizer can use (an input is absurdly large or small)")
    sols = {mode: rm.solve_roadmap(problem, mode, time_limit_s=time_limit_s, exact=exact) for mode in ("siloed", "consolidated")}
    for mode, sol in sols.items():
        if sol.active is None:
            hint = "raise max_gpus, allow more contracts, shorten lead times or move availability dates earlier" if sol.status == "infeasible" else f"raise the time limit ({time_limit_s:g} s)"
            raise UserError(where, spec.name, f"the {mode} roadmap found no plan ({sol.status}); {hint}")

    df = rm.discount_factors(problem.discount_rate_frac_per_year, M)
    tokens_per_request = np.array([s.prompt_tokens + s.output_tokens for s in spec.text], dtype=float)
    million_tokens = (text_demand.sum(axis=2) * 3600.0 * tokens_per_request[:, None]).sum(axis=0) * rm.DAYS_PER_MONTH / 1e6 if J else np.zeros(M)
    video_minutes = (video_arrivals.sum(axis=2) * video_seconds[:, None]).sum(axis=0) / 60.0 * rm.DAYS_PER_MONTH if K else np.zeros(M)
    label = [month_label(spec.start, m) for m in range(M)]

    def month_plans(sol: rm.RoadmapSolution) -> list[MonthPlan]:
        assert sol.active is not None and sol.deliveries is not None and sol.text_gpus is not None and sol.video_gpus is not None
        costs = rm.monthly_costs(problem, sol)
        active = sol.active.sum(axis=0)  # (G, C, M)
        busy_text = sol.text_gpus.sum(axis=(0, 1, 3))  # (M,) GPU-hours of the representative day
        busy_video = sol.video_gpus.sum(axis=(0, 1, 3))
        out = []
        for m in range(M):
            total = float(active[:, :, m].sum())
            if sol.mode == "siloed":
                text_cost = float(costs["economic"][sol.fleets.index("text"), m])
                video_cost = float(costs["economic"][sol.fleets.index("video"), m])
            else:
                busy = busy_text[m] + busy_video[m]
                share = busy_text[m] / busy if busy > 0 else 0.5
                text_cost = float(costs["economic"][0, m]) * share
                video_cost = float(costs["economic"][0, m]) * (1.0 - share)
            out.append(MonthPlan(
                gpus={g: float(active[i, :, m].sum()) for i, g in enumerate(gpus)},  # every type, so that CSV columns are fixed
                gpus_by_contract={kind: float(active[:, c, m].sum()) for c, kind in enumerate(rm.KINDS)},
                total_gpus=total,
                ordered_gpus=float(sum(sol.deliveries[:, :, c, m + lead[0, c]].sum() for c in range(1, len(rm.KINDS)) if m + lead[0, c] < M)),
                utilization=float((busy_text[m] + busy_video[m]) / (total * 24.0)) if total > 0 else 0.0,
                cash_usd=float(costs["cash"][:, m].sum()),
                cost_usd=float(costs["economic"][:, m].sum()),
                text_cost_usd=text_cost,
                video_cost_usd=video_cost,
                cost_per_million_tokens_usd=text_cost / float(million_tokens[m]) if million_tokens[m] > 0 else None,
                cost_per_video_minute_usd=video_cost / float(video_minutes[m]) if video_minutes[m] > 0 else None,
            ))
        return out

    def plan(sol: rm.RoadmapSolution) -> RoadmapPlan:
        assert sol.deliveries is not None and sol.active is not None
        orders = []
        for f, fleet in enumerate(sol.fleets):
            for d in range(M):
                for gi, g in enumerate(gpus):
                    for c, kind in enumerate(rm.KINDS):
                        q = float(sol.deliveries[f, gi, c, d])
                        if kind == "on-demand" or q <= 0:
                            continue
                        orders.append(Order(
                            order_month=label_at(d - int(lead[gi, c])), delivery_month=label[d], gpu=g, kind=kind, gpus=q,  # type: ignore[arg-type]
                            ends_month=label_at(d + int(term[c]) - 1), fleet=fleet,
                        ))
        orders.sort(key=lambda o: (o.order_month, o.delivery_month, o.fleet, o.gpu, o.kind))
        costs = rm.monthly_costs(problem, sol)
        return RoadmapPlan(
            mode=sol.mode,  # type: ignore[arg-type]
            status=sol.status,
            npv_usd=sol.npv_usd,
            npv=NPVBreakdown(**rm.npv_breakdown(problem, sol)),
            cash_usd=float(costs["cash"].sum()),
            gpu_months={kind: float(sol.active[:, :, c, :].sum()) for c, kind in enumerate(rm.KINDS)},
            orders=orders,
            mip_gap=sol.mip_gap,
            solve_s=sol.solve_s,
        )

    def label_at(i: int) -> str:
        return month_label(spec.start, i)

    silo, cons = plan(sols["siloed"]), plan(sols["consolidated"])
    ms, mc = month_plans(sols["siloed"]), month_plans(sols["consolidated"])
    rows = [
        RoadmapMonth(
            month=label[m], index=m,
            text_peak_requests_per_s=float(text_demand[:, m, :].sum(axis=0).max()) if J else 0.0,
            videos_per_day=float(video_arrivals[:, m, :].sum()) if K else 0.0,
            million_tokens=float(million_tokens[m]), video_minutes=float(video_minutes[m]), discount_factor=float(df[m]),
            siloed=ms[m], consolidated=mc[m],
        )
        for m in range(M)
    ]
    assumptions = [
        GPUAssumption(
            gpu=g.id,
            first_month=label[first[i]] if first[i] > 0 else None,
            max_gpus=g.max_gpus,
            contracts=[k for c, k in enumerate(rm.KINDS) if allowed[i, c]],
            on_demand_usd_per_gpu_hour=[float(rent[i, 0]), float(rent[i, -1])],
            capex_usd_per_gpu=[float(capex[i, 0]), float(capex[i, -1])] if capex0[i] > 0 else None,
            price_decline_frac_per_year=float(decline[i]),
        )
        for i, g in enumerate(spec.gpus)
    ]
    warnings = []
    for mode, sol in sols.items():
        if sol.status == "time_limit":
            warnings.append(f"the {mode} roadmap stopped at the time limit; its cost is within {100 * (sol.mip_gap or 0):.2f}% of the best possible")
    savings = silo.npv_usd - cons.npv_usd
    return ensure_finite(RoadmapResult(
        capplan_version=__version__,
        scenario=spec.name,
        scenario_file=str(path) if not path.resolve().is_relative_to(data_root().resolve()) else f"bundled:{path.stem}",
        start=spec.start,
        months=M,
        discount_rate_frac_per_year=float(r),
        own_life_years=float(life_years),
        capacities=capacities,
        gpus=assumptions,
        siloed=silo,
        consolidated=cons,
        savings_npv_usd=savings,
        savings_pct=savings / silo.npv_usd * 100.0 if silo.npv_usd > 0 else 0.0,
        rows=rows,
        warnings=warnings,
    ), where)

