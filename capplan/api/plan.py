"""`capplan.plan`: size siloed and consolidated fleets for a scenario and compare them.

Per-GPU capacities come from the text and video models (:func:`capplan.api.text`,
:func:`capplan.api.video`); the fleet sizes and the hourly schedule from the MILP in
:mod:`capplan.planning.optimize`; this module wires them together and prices the result.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from capplan import __version__
from capplan.api.common import KV_PRECISIONS, TEXT_PRECISIONS, VIDEO_PRECISIONS, ensure_finite, parse_resolution
from capplan.api.text import text
from capplan.api.video import video
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.calibration import load_calibration
from capplan.catalog.convert import GB
from capplan.catalog.knobs import expand_sets
from capplan.catalog.load import data_root, find_scenario, read_toml, validate
from capplan.catalog.overrides import apply_to_catalog, economics_overlay, parse_sets, set_path
from capplan.catalog.scenario import Demand, Scenario
from capplan.errors import UserError
from capplan.planning import demand as demand_model
from capplan.planning import optimize
from capplan.planning.costs import gpu_hour_cost
from capplan.planning.fleet import HOURS_PER_MONTH, Capacities, attribute, build_problem
from capplan.planning.optimize import PlanProblem, PlanSolution
from capplan.planning.parallel import run_map
from capplan.planning.uncertainty import PLAN_KEYS, draw, parse_ranges, summary
from capplan.results import Assumptions, Crossing, DemandSeries, Infeasible, PlanResult, ServiceCapacity, Uncertainty

DEFAULT_SCENARIO = "chat-and-video"


def scenario_path(scenario: str | Path | None) -> Path:
    """A path, or the name of a scenario in the catalogue (bundled, or in CAPPLAN_PATH)."""
    return find_scenario(scenario if scenario is not None else DEFAULT_SCENARIO)


def _profile(d: Demand, hours: int, where: str, base: Path) -> np.ndarray:
    if d.shape is not None:
        out = demand_model.shaped_profile(d.shape, float(d.peak or 0.0), d.trough, hours, d.weekend_frac)
    elif d.values is not None:
        if len(d.values) not in (24, 168, hours):
            raise UserError(f"{where}.values", f"{len(d.values)} values", f"give 24, 168 or horizon_hours ({hours}) values")
        out = demand_model.tile_profile(np.array(d.values), hours)
    else:
        path = (base / str(d.csv)) if not Path(str(d.csv)).is_absolute() else Path(str(d.csv))
        out = demand_model.read_demand_csv(path, str(d.column), hours, where)
    return out * d.scale


def load_scenario(path: Path, sets: list[tuple[str, Any]] | None = None) -> Scenario:
    """Read and validate a scenario, with --set scenario./video./text. keys applied first."""

    data = read_toml(path)
    where = str(path)
    for key, value in sets or []:
        prefix, _, rest = key.partition(".")
        if prefix == "scenario":
            set_path(data, rest.split("."), value, key)
            where = f"{path} (with --set)"
        elif prefix in ("video", "text"):
            services = data.get(prefix, [])
            if not isinstance(services, list) or not services:
                raise UserError("--set", key, f"the scenario has no [[{prefix}]] services")
            for svc in services:
                if isinstance(svc, dict):
                    set_path(svc, rest.split("."), value, key)
            where = f"{path} (with --set)"
    return validate(Scenario, data, where)


def plan(
    scenario: str | Path | None = None,
    *,
    power_cap_mw: float | None = None,
    pricing: str | None = None,
    time_limit_s: float = 120.0,
    sets: list[str] | None = None,
    calibration: str | Path | None = None,
    uncertain: list[str] | None = None,
    samples: int = 20,
    seed: int = 0,
    catalog: Catalog | None = None,
    workers: int = 1,
    cluster: str | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> PlanResult:
    """Siloed vs. consolidated fleets for a scenario (a TOML path or a bundled scenario's name).

    ``sets``: ``--set`` keys (scenario.*, video.*/text.* for every service of that kind, gpu.* and
    efficiency.* for every fleet GPU, economics.*).
    """
    cat = catalog or load_catalog()
    load_calibration(calibration, set(cat.gpus))  # a bad file fails before any solve
    if uncertain:
        ranges = parse_ranges(uncertain, PLAN_KEYS)
        if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= 10_000:
            raise UserError("samples", samples, "a whole number of draws from 1 to 10000")
        kw = dict(power_cap_mw=power_cap_mw, pricing=pricing, time_limit_s=time_limit_s, catalog=cat, calibration=calibration)
        base = plan(scenario, sets=sets, **kw)  # type: ignore[arg-type]
        draw_sets = plan_draw_sets(ranges, samples, seed)
        totals = run_map(functools.partial(_draw_totals, scenario, list(sets or []), kw), draw_sets, workers=workers, cluster=cluster)
        u = plan_uncertainty(totals, ranges, samples, seed)
        return base.model_copy(update={"uncertainty": u})
    if not (isinstance(time_limit_s, (int, float)) and math.isfinite(time_limit_s) and 0 < time_limit_s <= 86400):
        raise UserError("time_limit_s", time_limit_s, "it must be a number of seconds from 0 to 86400")
    parsed = expand_sets(parse_sets(sets))
    if any(k.startswith("workload.") for k, _ in parsed):
        raise UserError("--set", next(k for k, _ in parsed if k.startswith("workload.")), "in a plan, change services with scenario., video. or text. keys")
    path = scenario_path(scenario)
    sc = load_scenario(path, parsed)
    where = str(path)
    T = sc.horizon_hours
    for i, g in enumerate(sc.fleet.gpus):
        if g not in cat.gpus:
            raise UserError(f"{where}: field fleet.gpus.{i}", g, f"choose catalogued GPUs: {', '.join(sorted(cat.gpus))}")
    if parsed:
        cat = apply_to_catalog(cat, parsed, gpus=list(dict.fromkeys(sc.fleet.gpus)), workload=None, stack=cat.stack(sc.fleet.stack))
    overlay = dict(sc.economics)
    for k, v in economics_overlay(parsed).items():
        overlay[k] = {**overlay.get(k, {}), **v} if isinstance(v, dict) and isinstance(overlay.get(k), dict) else v
    if pricing is not None and pricing not in ("rent", "own"):
        raise UserError("pricing", pricing, "choose rent or own")
    econ = cat.economics(None, overlay=overlay, overlay_source=f"scenario {path}", pricing=pricing)
    cat.stack(sc.fleet.stack, option=f"{where}: field fleet.stack")
    for i, s in enumerate(sc.text):
        if s.precision not in TEXT_PRECISIONS:
            raise UserError(f"{where}: field text.{i}.precision", s.precision, f"choose one of {', '.join(TEXT_PRECISIONS)}")
        if s.kv_precision not in KV_PRECISIONS:
            raise UserError(f"{where}: field text.{i}.kv_precision", s.kv_precision, f"choose one of {', '.join(KV_PRECISIONS)}")
    for i, v in enumerate(sc.video):
        if v.precision not in VIDEO_PRECISIONS:
            raise UserError(f"{where}: field video.{i}.precision", v.precision, f"choose one of {', '.join(VIDEO_PRECISIONS)}")
        if v.resolution is not None:
            parse_resolution(v.resolution, option=f"{where}: field video.{i}.resolution")
    cap_mw = power_cap_mw if power_cap_mw is not None else (sc.power_cap_mw or econ.site.power_cap_mw)
    if power_cap_mw is not None and not (math.isfinite(power_cap_mw) and power_cap_mw > 0):
        raise UserError("power_cap_mw", power_cap_mw, "it must be a number of megawatts greater than 0")
    for g in sc.fleet.availability:
        if g not in sc.fleet.gpus:
            raise UserError(f"{where}: field fleet.availability", g, "availability is for GPUs listed in fleet.gpus")
    for i, s in enumerate(sc.text):
        if s.workload not in cat.text:
            raise UserError(f"{where}: field text.{i}.workload", s.workload, f"choose a catalogued text model: {', '.join(sorted(cat.text))}")
        max_context = cat.text[s.workload].architecture.max_context
        if s.prompt_tokens + s.output_tokens > max_context:
            raise UserError(
                f"{where}: field text.{i}.prompt_tokens", s.prompt_tokens,
                f"prompt + output ({s.prompt_tokens + s.output_tokens}) must fit {s.workload}'s context of {max_context} tokens",
            )
    for i, v in enumerate(sc.video):
        if v.workload not in cat.video:
            raise UserError(f"{where}: field video.{i}.workload", v.workload, f"choose a catalogued video model: {', '.join(sorted(cat.video))}")

    gpus = sc.fleet.gpus
    J, K = len(sc.text), len(sc.video)
    text_demand = np.array([_profile(s.requests_per_s, T, f"{where}: field text.{i}.requests_per_s", path.parent) for i, s in enumerate(sc.text)]).reshape(J, T)
    video_arrivals = np.array([_profile(v.videos_per_hour, T, f"{where}: field video.{i}.videos_per_hour", path.parent) for i, v in enumerate(sc.video)]).reshape(K, T)
    co_mode = sc.sharing.co_resident if (J and K) else "never"
    caps, capacities = _capacities(sc, cat, calibration, co_mode)
    for j, s in enumerate(sc.text):
        if not caps.text[:, j].any() and text_demand[j].any():
            raise UserError(f"{where}: field text.{j}", s.id, f"no GPU in fleet.gpus can serve {s.workload} under its targets within a node of {sc.fleet.node_size}")
    for kk, v in enumerate(sc.video):
        if not caps.video[:, kk].any() and video_arrivals[kk].any():
            raise UserError(f"{where}: field video.{kk}", v.id, f"no GPU in fleet.gpus can generate {v.workload} at these settings within a node of {sc.fleet.node_size}")

    hour_costs = [gpu_hour_cost(cat.gpus[g], econ) for g in gpus]
    by_hour = econ.energy.electricity_usd_per_kwh_by_hour
    if econ.pricing == "own":
        e_price = demand_model.tile_profile(np.array(by_hour), T) if by_hour else np.full(T, econ.energy.electricity_usd_per_kwh)
    else:
        e_price = np.zeros(T)  # the rent includes power
    problem = build_problem(
        hours=T, node_size=sc.fleet.node_size, hour_costs=hour_costs, energy_usd_per_kwh=e_price,
        availability=np.array([float(sc.fleet.availability.get(g, np.inf)) for g in gpus]),
        host_link_bytes_per_s=np.array([cat.gpus[g].interconnect.host_link_gb_per_s * GB for g in gpus]),
        text_demand=text_demand, video_arrivals=video_arrivals, caps=caps,
        deadlines_h=np.array([v.deadline_hours for v in sc.video], dtype=int), shared_weight_frac=sc.sharing.shared_weight_frac,
        power_cap_w=cap_mw * 1e6 if cap_mw else None, headroom_frac=sc.fleet.headroom_frac, headroom_gpus=sc.fleet.headroom_gpus,
        rack_w=econ.site.rack_kw * 1e3, max_racks=sc.fleet.max_racks, gpu_names=tuple(gpus),
    )
    for name in ("hw_usd_per_gpu_hour", "busy_w", "idle_w", "energy_usd_per_kwh", "text_demand", "text_capacity", "video_arrivals", "video_rate", "switch_gpu_hours"):
        arr = np.asarray(getattr(problem, name), dtype=float)
        if arr.size and not np.all(np.isfinite(arr)):
            raise UserError(where, name, "the scenario's numbers are outside the range the optimizer can use (an input is absurdly large or small)")
    sols, sharing = _solve(problem, caps, co_mode, time_limit_s, progress)
    infeasible: dict[str, Infeasible] = {}
    warnings: list[str] = []
    for mode, sol in list(sols.items()):
        if sol.status == "infeasible":
            # price the other arrangement anyway, and say what binds this one and by how much
            why = optimize.diagnose_infeasible(problem, mode, time_limit_s=time_limit_s)
            infeasible[mode] = Infeasible(constraint=why.constraint, reason=why.reason, amount=why.amount, limit=why.limit, unit=why.unit, hour=why.hour)
            del sols[mode]
        elif sol.text_gpus is None:
            raise UserError(where, sc.name, f"the {mode} plan found no solution within {time_limit_s:g} s ({sol.status}); shorten the horizon or raise the time limit")
        elif sol.status == "time_limit":
            gap = f"{sol.mip_gap:.2%}" if sol.mip_gap is not None else "unknown"
            warnings.append(
                f"the {mode} solve stopped at its time limit ({time_limit_s:g} s) with a gap of {gap} to the best bound: the fleet may be "
                "larger than needed, and a rerun on a busier or faster machine can give another answer; raise --time-limit-s"
            )
        if sol.method == "representative weeks":
            warnings.append(
                f"the {mode} fleet was sized on {sol.sized_hours:,} representative hours of the {T:,}-hour horizon and costed over all of it "
                f"(gap to the best bound {sol.mip_gap or 0.0:.2%})"
            )
    if not sols:
        kinds = {i.constraint for i in infeasible.values()}
        source = {
            "power_cap": "power_cap_mw" if power_cap_mw is not None else f"{where}: field power_cap_mw",
            "availability": f"{where}: field fleet.availability",
            "max_racks": f"{where}: field fleet.max_racks",
        }.get(kinds.pop(), where) if len(kinds) == 1 else where
        value = f"{cap_mw:g} MW" if source.endswith("power_cap_mw") else sc.name
        raise UserError(source, value, "neither arrangement meets the constraints: " + "; ".join(f"{m}: {i.reason}" for m, i in infeasible.items()))

    tokens_per_request = np.array([s.prompt_tokens + s.output_tokens for s in sc.text], dtype=float)
    video_minutes = float((video_arrivals.sum(axis=1) * caps.video_seconds).sum() / 60.0)
    million_tokens = float((text_demand.sum(axis=1) * 3600.0 * tokens_per_request).sum() / 1e6) if J else 0.0
    crossing = _crossing(sc, cat, video_arrivals, where)
    priced = {
        mode: attribute(
            sol, gpus=gpus, problem=problem, it_w=np.array([h.it_w for h in hour_costs]), rack_w=econ.site.rack_kw * 1e3,
            fixed_usd_per_fleet=sc.fleet.fixed_usd_per_month_per_fleet * T / HOURS_PER_MONTH,
            network_usd=crossing.siloed_network_cost_usd if crossing else 0.0, video_minutes=video_minutes, million_tokens=million_tokens,
            backfill_usd_per_gpu_hour=sc.backfill_usd_per_gpu_hour,
        )
        for mode, sol in sols.items()
    }
    silo, cons = priced.get("siloed"), priced.get("consolidated")
    savings = silo.total_cost_usd - cons.total_cost_usd if silo and cons else None
    return ensure_finite(PlanResult(
        capplan_version=__version__,
        scenario=sc.name,
        scenario_file=str(path) if not path.is_relative_to(data_root() / "workloads" / "scenarios") else f"bundled:{path.stem}",
        horizon_hours=T,
        pricing=econ.pricing,
        video_minutes=video_minutes,
        million_tokens=million_tokens,
        capacities=capacities,
        siloed=silo,
        consolidated=cons,
        infeasible=infeasible,
        savings_usd=savings,
        savings_pct=(savings / silo.total_cost_usd * 100.0 if silo.total_cost_usd > 0 else 0.0) if silo and savings is not None else None,
        consolidated_sharing=sharing,  # type: ignore[arg-type]
        crossing=crossing,
        warnings=warnings,
        assumptions=Assumptions(
            stack=cat.stack(sc.fleet.stack), engine=None, pricing=econ.pricing,
            gpu_usd_per_hour={g: float(h.usd_per_hour) for g, h in zip(gpus, hour_costs)},
            hardware_usd_per_gpu_hour={g: float(h.hardware_usd_per_hour) for g, h in zip(gpus, hour_costs)},
            electricity_usd_per_kwh=econ.energy.mean_usd_per_kwh if econ.pricing == "own" else None,
            pue=econ.energy.pue if econ.pricing == "own" else None,
            backfill_usd_per_gpu_hour=sc.backfill_usd_per_gpu_hour, horizon_hours=T, power_cap_mw=cap_mw or None,
        ),
        demand=DemandSeries(
            text_demand=text_demand.sum(axis=0).tolist() if J else None, video_arrivals=video_arrivals.sum(axis=0).tolist() if K else None
        ),
    ), where)


def _capacities(sc: Scenario, cat: Catalog, calibration: Any, co_mode: str) -> tuple[Capacities, list[ServiceCapacity]]:
    """Per-GPU capacity of every service on every fleet GPU type, from the what-if models (the same
    calls, and so the same numbers, as `capplan video` / `capplan text` with GPUs left to auto within a node)."""
    gpus = sc.fleet.gpus
    G, J, K = len(gpus), len(sc.text), len(sc.video)
    text_cap, text_cap_co, video_rate = np.zeros((G, J)), np.zeros((G, J)), np.zeros((G, K))
    video_seconds, video_weight_bytes = np.zeros(K), np.zeros(K)
    out: list[ServiceCapacity] = []
    for gi, g in enumerate(gpus):
        video_mem_gb = 0.0  # what a GPU must keep for the video pipeline to be co-resident with text
        for k, v in enumerate(sc.video):
            n, rate, note = 0, 0.0, ""
            try:
                r = video(
                    v.workload, g, gpus=None, max_gpus=sc.fleet.node_size, resolution=v.resolution, seconds=v.seconds, fps=v.fps, steps=v.steps,
                    cfg=v.cfg, precision=v.precision, stack=sc.fleet.stack, catalog=cat, calibration=calibration,
                )
            except UserError as exc:
                note = str(exc)
            else:
                video_seconds[k] = r.video_seconds
                video_weight_bytes[k] = r.memory_by_component_gb.dit_weights * GB
                if r.fits_in_memory:
                    n, rate = r.inputs.gpus, 3600.0 / r.gpu_seconds
                    m = r.memory_by_component_gb
                    video_mem_gb = max(video_mem_gb, m.dit_weights * (1.0 - sc.sharing.shared_weight_frac) + m.text_encoder + m.vae + m.activations)
                else:
                    note = r.suggestion or "does not fit"
            video_rate[gi, k] = rate
            out.append(ServiceCapacity(service=v.id, kind="video", gpu=g, gpus_per_replica=n, capacity_per_gpu=rate, note="" if rate else note))
        for j, s in enumerate(sc.text):
            kw: dict[str, Any] = dict(
                precision=s.precision, kv_precision=s.kv_precision, prompt_tokens=s.prompt_tokens, output_tokens=s.output_tokens,
                ttft_ms=s.ttft_ms, tpot_ms=s.tpot_ms, stack=sc.fleet.stack, catalog=cat, max_gpus=sc.fleet.node_size, calibration=calibration,
                engine=s.engine, engine_version=s.engine_version, compute_precision=s.compute_precision, parallel=s.parallel,
            )
            try:
                t = text(s.workload, g, **kw)
            except UserError as exc:
                out.append(ServiceCapacity(service=s.id, kind="text", gpu=g, gpus_per_replica=0, capacity_per_gpu=0.0, note=str(exc)))
                continue
            cap = t.requests_per_s_per_replica / t.gpus_per_replica if t.fits_in_memory else 0.0
            text_cap[gi, j] = cap
            cap_co = None
            if co_mode != "never":
                # Both models resident: the video pipeline's memory comes out of the KV cache.
                tc = text(s.workload, g, reserved_memory_gb=video_mem_gb, **kw)
                cap_co = tc.requests_per_s_per_replica / tc.gpus_per_replica if tc.fits_in_memory else 0.0
                text_cap_co[gi, j] = cap_co
            note = "" if cap > 0 else (t.suggestion or "; ".join(t.warnings) or "no batch meets the targets")
            out.append(ServiceCapacity(service=s.id, kind="text", gpu=g, gpus_per_replica=t.gpus_per_replica, capacity_per_gpu=cap, capacity_per_gpu_co_resident=cap_co, note=note))
    caps = Capacities(text=text_cap, text_co_resident=text_cap_co, video=video_rate, video_seconds=video_seconds, video_weight_bytes=video_weight_bytes)
    return caps, out


def _solve(problem: PlanProblem, caps: Capacities, co_mode: str, time_limit_s: float, progress: Any = None) -> tuple[dict[str, PlanSolution], str]:
    """Both arrangements; the consolidated fleet either reloads video weights on a role switch or keeps
    both models resident (less memory for the KV cache, no reloads), whichever is cheaper (or as told)."""
    def say(label: str) -> Any:
        return None if progress is None else (lambda phase, frac: progress(f"{label}: {phase}", frac))

    sols = {mode: optimize.solve(problem, mode, time_limit_s=time_limit_s, progress=say(mode)) for mode in ("siloed", "consolidated")}
    sharing = "reload"
    if co_mode != "never" and caps.text_co_resident.any():
        co = optimize.solve(
            replace(problem, text_capacity=caps.text_co_resident, switch_gpu_hours=np.zeros(problem.G)), "consolidated", time_limit_s=time_limit_s,
            progress=say("consolidated, both models resident"),
        )
        reload = sols["consolidated"]
        cost = lambda x: x.hardware_usd + x.energy_usd  # noqa: E731
        if co.text_gpus is not None and (co_mode == "always" or reload.text_gpus is None or cost(co) < cost(reload) - 1e-9):
            sols["consolidated"], sharing = co, "co-resident"
    return sols, sharing


def _crossing(sc: Scenario, cat: Catalog, video_arrivals: np.ndarray, where: str) -> Crossing | None:
    """What siloed fleets pay to send refined prompts from the text fleet to the video fleet."""
    if sc.network is None or not sc.text or not sc.video:
        return None
    if sc.network.refiner is not None and sc.network.refiner not in [s.id for s in sc.text]:
        raise UserError(f"{where}: field network.refiner", sc.network.refiner, f"name a text service: {', '.join(s.id for s in sc.text)}")
    refiner = next(s for s in sc.text if s.id == sc.network.refiner) if sc.network.refiner else sc.text[0]
    hidden = cat.text[refiner.workload].architecture.hidden_size
    text_tokens = max(cat.video[v.workload].dit.text_tokens for v in sc.video)
    bytes_per_request = float(text_tokens * hidden * 2)  # bf16 hidden states of the refined prompt
    n_requests = float(video_arrivals.sum()) * sc.network.refined_prompt_frac
    return Crossing(
        bytes_per_request=bytes_per_request,
        siloed_added_latency_ms=bytes_per_request / (sc.network.link_gb_per_s * GB) * 1e3 + sc.network.rtt_ms,
        siloed_network_cost_usd=bytes_per_request * n_requests / GB * sc.network.usd_per_gb,
    )


def plan_draw_sets(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> list[list[str]]:
    """The --set keys of each Monte Carlo draw (seeded, so serial and parallel runs draw alike)."""
    d = {k: [float(x) for x in v] for k, v in draw(ranges, n, seed).items()}  # plain floats: their repr is TOML
    out = []
    for s in range(n):
        sets = []
        if "text_demand" in d:
            sets.append(f"text.requests_per_s.scale={d['text_demand'][s]!r}")
        if "video_demand" in d:
            sets.append(f"video.videos_per_hour.scale={d['video_demand'][s]!r}")
        if "price_scale" in d:
            sets += [f"gpu.price.usd_per_gpu_hour*={d['price_scale'][s]!r}", f"gpu.price.capex_usd_per_gpu*={d['price_scale'][s]!r}"]
        if "efficiency_scale" in d:
            m = d["efficiency_scale"][s]
            sets += [f"efficiency.{k}*={m!r}" for k in ("gemm_frac", "attention_frac", "memory_bandwidth_frac", "conv_frac")]
        out.append(sets)
    return out


def _draw_totals(scenario: Any, base_sets: list[str], kw: dict[str, Any], extra: list[str]) -> tuple[float | None, float | None, float | None] | None:
    """One draw: (siloed, consolidated, saving), None for an arrangement that is infeasible in this
    draw, or None for a draw where no plan can be made. Module-level, so worker processes can run it."""
    try:
        r = plan(scenario, sets=base_sets + extra, **kw)
    except UserError:
        return None
    return (r.siloed.total_cost_usd if r.siloed else None, r.consolidated.total_cost_usd if r.consolidated else None, r.savings_usd)


def plan_uncertainty(totals: list[tuple[float | None, float | None, float | None] | None], ranges: dict[str, tuple[float, float]], n: int, seed: int) -> Uncertainty:
    """P10/P50/P90 of the siloed and consolidated totals and the saving over the draws' results. The
    headline metric is the consolidated total."""
    arr = np.array([[np.nan if v is None else v for v in (t or (None, None, None))] for t in totals], dtype=float).reshape(n, 3).T
    head = summary(arr[1], ranges, n, seed, "consolidated.total_cost_usd")
    metrics = {}
    for name, row in zip(("siloed.total_cost_usd", "consolidated.total_cost_usd", "savings_usd"), arr):
        v = row[np.isfinite(row)]
        if v.size:
            p10, p50, p90 = (float(x) for x in np.percentile(v, [10, 50, 90]))
            metrics[name] = {"p10": p10, "p50": p50, "p90": p90}
    return head.model_copy(update={"metrics": metrics})
