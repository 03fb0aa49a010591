"""`capplan.sweep`: a grid of what-ifs evaluated with numpy, not a Python loop per scenario.

The grid is the product of ``vary`` values. Scenarios are grouped by the inputs that change the model
or the chip (workload, GPU, precision, stack, offload, pricing, --set keys); within a group every
numeric input (resolution, seconds, fps, steps, GPUs, price, PUE, ...) is an array and the group is
evaluated by one call of the vectorised model. Results agree with `capplan video` / `capplan text`
scenario by scenario (tested).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from capplan import __version__
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.convert import GB, allreduce, device_rates, dit_architecture, kernel_floors, llm_architecture
from capplan.errors import UserError
from capplan.models import dit, transformer
from capplan.models.precision import BYTES_PER_VALUE
from capplan.results import SweepResult, SweepRow

_ROW_DEFAULTS: dict[str, Any] = {"max_batch": None, "gpus_per_replica": None}

VIDEO_GROUP = ("workload", "gpu", "precision", "stack", "offload", "pricing", "clip_seconds")
VIDEO_NUMERIC = ("gpus", "resolution", "seconds", "frames", "fps", "steps", "cfg", "price_per_gpu_hour", "pue", "electricity_usd_per_kwh")
TEXT_GROUP = ("workload", "gpu", "gpus", "precision", "kv_precision", "stack", "pricing")
TEXT_NUMERIC = ("prompt_tokens", "output_tokens", "ttft_ms", "tpot_ms", "price_per_gpu_hour", "pue", "electricity_usd_per_kwh")
MAX_SCENARIOS = 5_000_000
TEXT_CHUNK_ELEMENTS = 4_000_000  # scenarios x batch sizes evaluated at once


def parse_vary(items: list[str] | None, allowed: tuple[str, ...]) -> dict[str, list[Any]]:
    """["resolution=480p,720p", "steps=20,50"] -> {"resolution": ["480p", "720p"], "steps": [20, 50]}."""
    from capplan.catalog.overrides import PREFIXES, parse_value

    out: dict[str, list[Any]] = {}
    for item in items or []:
        key, eq, values = item.partition("=")
        key = key.strip().replace("-", "_")
        if not eq or not key or not values.strip():
            raise UserError("--vary", item, "write key=v1,v2,... e.g. resolution=480p,720p")
        if key not in allowed and key.split(".", 1)[0] not in PREFIXES[:5]:
            raise UserError("--vary", key, f"vary one of {', '.join(allowed)} or a --set key (gpu.*, workload.*, efficiency.*, economics.*)")
        if key in out:
            raise UserError("--vary", key, "each key may be varied once")
        out[key] = [parse_value(v.strip()) for v in values.split(",") if v.strip()]
    return out


def _grid(vary: dict[str, list[Any]], fixed: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    keys = list(vary)
    n = math.prod(len(v) for v in vary.values()) if vary else 1
    if n > MAX_SCENARIOS:
        raise UserError("--vary", f"{n:,} scenarios", f"a sweep is limited to {MAX_SCENARIOS:,} scenarios")
    return keys, list(itertools.product(*(vary[k] for k in keys)))


def sweep(
    command: str,
    vary: list[str] | None = None,
    *,
    fixed: dict[str, Any] | None = None,
    sets: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    calibration: str | Path | None = None,
    catalog: Catalog | None = None,
) -> SweepResult:
    """Evaluate ``command`` ("video" or "text") over the grid of ``vary`` values (``key=v1,v2``), other
    inputs from ``fixed`` (the command's options) and ``sets`` (``--set`` keys applied to every scenario)."""
    if command not in ("video", "text"):
        raise UserError("COMMAND", command, "sweep video or text")
    cat = catalog or load_catalog()
    if calibration is not None:
        from capplan.calibration import apply_calibration

        cat = apply_calibration(cat, calibration)
    allowed = (VIDEO_GROUP + VIDEO_NUMERIC) if command == "video" else (TEXT_GROUP + TEXT_NUMERIC)
    grid_keys = parse_vary(vary, allowed)
    fixed = {k: v for k, v in (fixed or {}).items() if v is not None}
    keys, combos = _grid(grid_keys, fixed)
    group_keys = VIDEO_GROUP if command == "video" else TEXT_GROUP
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    is_group = [k in group_keys or "." in k for k in keys]
    for i, combo in enumerate(combos):
        groups[tuple(v for v, g in zip(combo, is_group) if g)].append(i)
    group_names = [k for k, g in zip(keys, is_group) if g]
    rows: list[SweepRow | None] = [None] * len(combos)
    done = 0
    for gvals, idx in groups.items():
        gfixed = {**fixed, **dict(zip(group_names, gvals))}
        gsets = list(sets or []) + [f"{k}={v!r}" if isinstance(v, str) else f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in gfixed.items() if "." in k]
        gfixed = {k: v for k, v in gfixed.items() if "." not in k}
        numeric = {k: [combos[i][keys.index(k)] for i in idx] for k, g in zip(keys, is_group) if not g}
        fn = _video_group if command == "video" else _text_group
        for i, row in zip(idx, fn(cat, gfixed, gsets, numeric, len(idx))):
            rows[i] = SweepRow.model_construct(inputs={k: combos[i][j] for j, k in enumerate(keys)}, **{**_ROW_DEFAULTS, **row})
        done += len(idx)
        if progress:
            progress(done, len(combos))
    return SweepResult(capplan_version=__version__, command=command, varied=keys, fixed=fixed, n_scenarios=len(combos), rows=[r for r in rows if r is not None])


def _arr(numeric: dict[str, list[Any]], key: str, default: Any, n: int, option: str, *, integer: bool = False, positive: bool = True) -> np.ndarray:
    vals = numeric.get(key)
    if vals is None:
        return np.full(n, default, dtype=float)
    try:
        a = np.array(vals, dtype=float)
    except (TypeError, ValueError):
        raise UserError("--vary", f"{key}={','.join(map(str, vals))}", f"{option} takes numbers") from None
    bad = ~np.isfinite(a) | ((a <= 0) if positive else (a < 0)) | ((a != np.round(a)) if integer else False)
    if bad.any():
        raise UserError("--vary", f"{key}={a[bad][0]:g}", f"{option} takes {'whole ' if integer else ''}numbers greater than 0")
    return a


def _resolved(cat: Catalog, fixed: dict[str, Any], sets: list[str], command: str) -> tuple[Catalog, Any, Any, Any]:
    """Workload, GPU, efficiency and economics of a group, after --set keys (validated like `video`)."""
    from capplan import api
    from capplan.catalog.overrides import apply_to_catalog, economics_overlay, parse_sets

    workload = fixed.get("workload", api.DEFAULT_VIDEO_WORKLOAD if command == "video" else api.DEFAULT_TEXT_WORKLOAD)
    gpu = fixed.get("gpu", api.DEFAULT_GPU)
    w = cat.video_workload(workload) if command == "video" else cat.text_workload(workload)
    g = cat.gpu(gpu)
    stack = cat.stack(fixed.get("stack"))
    parsed = parse_sets(sets)
    if parsed:
        cat = apply_to_catalog(cat, parsed, gpus=[g.id], workload=w.id, stack=stack)
        w = cat.video[w.id] if command == "video" else cat.text[w.id]
        g = cat.gpus[g.id]
    econ = api.resolve_economics(cat, pricing=fixed.get("pricing"), economics=fixed.get("economics"), overlay=economics_overlay(parsed) or None)
    eff = api._efficiency(cat, g.id, stack)
    return cat, w, g, (eff, econ, stack)


def _hourly(g: Any, econ: Any, price: np.ndarray, pue: np.ndarray, elec: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hardware USD/h, energy USD/h, facility W) per GPU for arrays of price, PUE and electricity."""
    from capplan.models import economics as em
    from capplan.models import power

    p = g.power
    facility_w = power.facility_power_w(power.it_power_w(1.0, p.idle_w, p.tdp_w, p.server_overhead_w_per_gpu), pue)
    if econ.pricing == "rent":
        rent = np.where(np.isnan(price), g.price.usd_per_gpu_hour, price)
        return rent, np.zeros_like(rent), facility_w
    if not np.all(np.isnan(price)):
        raise UserError("--price-per-gpu-hour", float(np.nanmax(price)), "it applies to --pricing rent")
    if g.price.capex_usd_per_gpu is None:
        raise UserError(f"hardware_profiles/{g.id}.toml: field price.capex_usd_per_gpu", "(missing)", "--pricing own needs the GPU's capex")
    o = econ.ownership
    hw = em.owned_hardware_usd_per_hour(g.price.capex_usd_per_gpu, o.amortization_years, o.cost_of_capital_frac, o.opex_frac_per_year)
    return np.broadcast_to(hw, facility_w.shape).astype(float), em.energy_usd_per_hour(facility_w, elec), facility_w


def _video_group(cat: Catalog, fixed: dict[str, Any], sets: list[str], numeric: dict[str, list[Any]], n: int) -> list[dict[str, Any]]:
    from capplan import api

    cat, w, g, (eff, econ, stack) = _resolved(cat, fixed, sets, "video")
    precision = fixed.get("precision", "bf16")
    api._check_precision(g, precision, api.VIDEO_PRECISIONS)
    offload = fixed.get("offload", "none")
    if offload not in dit.OFFLOAD_MODES:
        raise UserError("--offload", offload, f"choose one of {', '.join(dit.OFFLOAD_MODES)}")
    d = w.defaults
    causal = w.vae.causal_first_frame
    lead = 1.0 if causal else 0.0
    if "resolution" in numeric:
        wh = np.array([api.parse_resolution(str(r)) for r in numeric["resolution"]], dtype=float)
        width, height = wh[:, 0], wh[:, 1]
    else:
        width_v, height_v = api.parse_resolution(fixed["resolution"]) if fixed.get("resolution") else (d.width, d.height)
        width, height = np.full(n, float(width_v)), np.full(n, float(height_v))
    fps = _arr(numeric, "fps", fixed.get("fps", d.fps), n, "--fps")
    gpus = _arr(numeric, "gpus", fixed.get("gpus", 1), n, "--gpus", integer=True)
    steps = _arr(numeric, "steps", fixed.get("steps", d.steps), n, "--steps", integer=True)
    cfg_vals = numeric.get("cfg")
    cfg = np.array([bool(c) for c in cfg_vals]) if cfg_vals is not None else np.full(n, d.cfg if fixed.get("cfg") is None else bool(fixed["cfg"]))
    if "frames" in numeric or fixed.get("frames") is not None:
        frames = _arr(numeric, "frames", fixed.get("frames"), n, "--frames", integer=True)
    else:
        seconds = _arr(numeric, "seconds", fixed.get("seconds", np.nan), n, "--seconds")
        frames = np.where(np.isnan(seconds), float(d.frames), dit.frames_for_seconds(np.nan_to_num(seconds), fps, causal))
    video_s = np.maximum(frames - lead, 1.0) / fps
    clip_s = float(fixed.get("clip_seconds") or (d.frames - lead) / d.fps)
    n_clips = dit.clips_needed(video_s, clip_s, fps)
    longer = n_clips > 1
    clip_frames = np.where(longer, dit.frames_for_seconds(clip_s, fps, causal), frames)
    price = _arr(numeric, "price_per_gpu_hour", fixed.get("price_per_gpu_hour", np.nan), n, "--price-per-gpu-hour") if ("price_per_gpu_hour" in numeric or fixed.get("price_per_gpu_hour") is not None) else np.full(n, np.nan)
    pue = _arr(numeric, "pue", fixed.get("pue", econ.energy.pue), n, "--pue")
    elec = _arr(numeric, "electricity_usd_per_kwh", fixed.get("electricity_usd_per_kwh", econ.energy.mean_usd_per_kwh), n, "--electricity-usd-per-kwh", positive=False)

    est = dit.estimate_video(
        dit_architecture(w), device_rates(g, eff, precision, w.dit.head_dim),
        width_px=width, height_px=height, frames=clip_frames, steps=steps, cfg=cfg, n_gpus=gpus,
        weight_bytes_per_param=BYTES_PER_VALUE[precision], offload=offload,
    )
    hw, energy_h, facility_w = _hourly(g, econ, price, pue, elec)
    gpu_s = np.asarray(est.gpu_seconds) * n_clips
    cost = gpu_s / 3600.0 * (hw + energy_h)
    minutes = video_s / 60.0
    energy_kwh = gpu_s * facility_w / 3.6e6
    fits = np.asarray(est.fits_in_memory)
    return [
        dict(
            cost_per_unit_usd=float(cost[i] / minutes[i]),
            unit="video-minute",
            time_s=float(np.asarray(est.time_s)[i] * n_clips[i]),
            gpu_seconds=float(gpu_s[i]),
            peak_memory_gb=float(np.asarray(est.peak_memory_bytes)[i] / GB),
            fits_in_memory=bool(fits[i]),
            energy_kwh_per_unit=float(energy_kwh[i] / minutes[i]),
            throughput=float(3600.0 / gpu_s[i] * video_s[i] / 60.0),
            throughput_unit="video-minutes per GPU-hour",
        )
        for i in range(n)
    ]


def _text_group(cat: Catalog, fixed: dict[str, Any], sets: list[str], numeric: dict[str, list[Any]], n: int) -> list[dict[str, Any]]:
    from capplan import api

    cat, w, g, (eff, econ, stack) = _resolved(cat, fixed, sets, "text")
    rt = cat.efficiency.runtime
    precision, kv_precision = fixed.get("precision", "bf16"), fixed.get("kv_precision", "bf16")
    api._check_precision(g, precision, api.TEXT_PRECISIONS)
    if kv_precision not in api.KV_PRECISIONS:
        raise UserError("--kv-precision", kv_precision, f"choose one of {', '.join(api.KV_PRECISIONS)}")
    api._check_precision(g, kv_precision, api.KV_PRECISIONS, "--kv-precision")
    arch = llm_architecture(w)
    rates = device_rates(g, eff, precision, w.architecture.head_dim)
    wb, kvb = BYTES_PER_VALUE[precision], BYTES_PER_VALUE[kv_precision]
    usable = g.memory.memory_gb * GB * rt.gpu_memory_utilization_frac
    P = _arr(numeric, "prompt_tokens", fixed.get("prompt_tokens", 1024), n, "--prompt-tokens", integer=True)
    O = _arr(numeric, "output_tokens", fixed.get("output_tokens", 256), n, "--output-tokens", integer=True)
    no_targets = bool(fixed.get("no_latency_targets", False))
    ttft = np.full(n, np.inf) if no_targets else _arr(numeric, "ttft_ms", fixed.get("ttft_ms", rt.default_ttft_ms), n, "--ttft-ms")
    tpot = np.full(n, np.inf) if no_targets else _arr(numeric, "tpot_ms", fixed.get("tpot_ms", rt.default_tpot_ms), n, "--tpot-ms")
    price = _arr(numeric, "price_per_gpu_hour", fixed.get("price_per_gpu_hour", np.nan), n, "--price-per-gpu-hour") if ("price_per_gpu_hour" in numeric or fixed.get("price_per_gpu_hour") is not None) else np.full(n, np.nan)
    pue = _arr(numeric, "pue", fixed.get("pue", econ.energy.pue), n, "--pue")
    elec = _arr(numeric, "electricity_usd_per_kwh", fixed.get("electricity_usd_per_kwh", econ.energy.mean_usd_per_kwh), n, "--electricity-usd-per-kwh", positive=False)
    kv_tok = float(transformer.kv_bytes_per_token(arch, kvb))
    tp = fixed.get("gpus")
    if tp is None:
        tp = next((t for t in api.AUTO_TP if transformer.weights_bytes_per_gpu(arch, wb, t) + kv_tok * float(np.max(P + O)) / transformer.kv_shard(arch, t) <= usable), api.AUTO_TP[-1])
    tp = int(tp)
    if tp <= 0:
        raise UserError("--gpus", tp, "it must be a whole number greater than 0")
    batch = np.arange(1, rt.max_batch + 1, dtype=float)[None, :]
    best = np.zeros(n, dtype=int)
    tps = np.zeros(n)
    for lo in range(0, n, max(1, TEXT_CHUNK_ELEMENTS // batch.shape[1])):
        sl = slice(lo, min(n, lo + max(1, TEXT_CHUNK_ELEMENTS // batch.shape[1])))
        pts = transformer.serving_points(
            arch, rates, batch=batch, prompt_tokens=P[sl, None], output_tokens=O[sl, None], weight_bytes_per_param=wb, kv_bytes=kvb,
            tp=tp, allreduce=allreduce(rt, g, tp), floors=kernel_floors(rt, g),
        )
        ok = (np.asarray(pts.memory_bytes) <= usable) & (np.asarray(pts.iteration_s) * 1e3 <= tpot[sl, None]) & (np.asarray(pts.ttft_s) * 1e3 <= ttft[sl, None])
        n_ok = np.where(ok.all(axis=1), ok.shape[1], np.argmin(ok, axis=1))
        best[sl] = n_ok
        k = np.maximum(n_ok - 1, 0)
        tps[sl] = np.where(n_ok > 0, np.take_along_axis(np.asarray(pts.output_tokens_per_s), k[:, None], axis=1)[:, 0], 0.0)
    hw, energy_h, facility_w = _hourly(g, econ, price, pue, elec)
    usd_per_s = tp * (hw + energy_h) / 3600.0
    tokens_per_s = tps * (1.0 + P / O)
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = np.where(tps > 0, usd_per_s / tokens_per_s * 1e6, np.nan)
        energy = np.where(tps > 0, tp * facility_w / 1e3 / (tps * 3600.0) * 1e6, np.nan)
    weights_gb = float(transformer.weights_bytes_per_gpu(arch, wb, tp)) / GB
    return [
        dict(
            cost_per_unit_usd=None if np.isnan(cost[i]) else float(cost[i]),
            unit="million tokens (input + output)",
            time_s=None,
            gpu_seconds=None,
            peak_memory_gb=weights_gb,
            fits_in_memory=bool(best[i] > 0 or weights_gb * GB + kv_tok * (P[i] + O[i]) / transformer.kv_shard(arch, tp) <= usable),
            energy_kwh_per_unit=None if np.isnan(energy[i]) else float(energy[i]),
            throughput=float(tps[i] / tp),
            throughput_unit="output tokens/s per GPU",
            max_batch=int(best[i]),
            gpus_per_replica=tp,
        )
        for i in range(n)
    ]

