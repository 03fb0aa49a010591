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
from capplan.api.common import (
    DEFAULT_GPU,
    DEFAULT_TEXT_WORKLOAD,
    DEFAULT_VIDEO_WORKLOAD,
    KV_PRECISIONS,
    TEXT_PRECISIONS,
    VIDEO_PRECISIONS,
    _check_precision,
    _efficiency,
    parse_resolution,
    resolve_economics,
)
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.calibration import Calibration, load_calibration
from capplan.catalog.convert import GB
from capplan.catalog.knobs import expand_sets
from capplan.catalog.overrides import PREFIXES, apply_to_catalog, economics_overlay, parse_sets, parse_value
from capplan.errors import UserError
from capplan.models import dit
from capplan.planning import core
from capplan.planning.costs import gpu_hour_cost
from capplan.planning.resolve import text_setup, video_setup
from capplan.results import SweepResult, SweepRow

_ROW_DEFAULTS: dict[str, Any] = {"max_batch": None, "gpus_per_replica": None, "status": "ok", "reason": None}
_NOT_RUN: dict[str, Any] = dict(
    status="cannot run", cost_per_unit_usd=None, time_s=None, gpu_seconds=None, peak_memory_gb=None, fits_in_memory=None,
    energy_kwh_per_unit=None, throughput=None,
)

VIDEO_GROUP = ("workload", "gpu", "precision", "stack", "offload", "pricing", "clip_seconds", "long_video")
VIDEO_NUMERIC = ("gpus", "resolution", "seconds", "frames", "fps", "steps", "cfg", "price_per_gpu_hour", "pue", "electricity_usd_per_kwh")
TEXT_GROUP = ("workload", "gpu", "gpus", "precision", "kv_precision", "stack", "pricing")
TEXT_NUMERIC = ("prompt_tokens", "output_tokens", "ttft_ms", "tpot_ms", "price_per_gpu_hour", "pue", "electricity_usd_per_kwh")
MAX_SCENARIOS = 5_000_000


def parse_vary(items: list[str] | None, allowed: tuple[str, ...]) -> dict[str, list[Any]]:
    """["resolution=480p,720p", "steps=20,50"] -> {"resolution": ["480p", "720p"], "steps": [20, 50]}."""
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
    inputs from ``fixed`` (the command's options) and ``sets`` (``--set`` keys applied to every scenario).

    A cell that cannot run (a precision the chip lacks, a model that does not fit, targets no batch
    meets) is a row with its ``status`` and ``reason``; the sweep fails only when no cell ran."""
    if command not in ("video", "text"):
        raise UserError("COMMAND", command, "sweep video or text")
    cat = catalog or load_catalog()
    cal = load_calibration(calibration, set(cat.gpus))
    allowed = (VIDEO_GROUP + VIDEO_NUMERIC) if command == "video" else (TEXT_GROUP + TEXT_NUMERIC)
    grid_keys = parse_vary(vary, allowed)
    fixed = {k: v for k, v in (fixed or {}).items() if v is not None}
    keys, combos = _grid(grid_keys, fixed)
    _check_ids(cat, command, {**{k: [v] for k, v in fixed.items()}, **grid_keys})
    group_keys = VIDEO_GROUP if command == "video" else TEXT_GROUP
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    is_group = [k in group_keys or "." in k for k in keys]
    for i, combo in enumerate(combos):
        groups[tuple(v for v, g in zip(combo, is_group) if g)].append(i)
    group_names = [k for k, g in zip(keys, is_group) if g]
    rows: list[SweepRow | None] = [None] * len(combos)
    done = 0
    unit = "video-minute" if command == "video" else "million tokens (input + output)"
    throughput_unit = "video-minutes per GPU-hour" if command == "video" else "output tokens/s per GPU"
    for gvals, idx in groups.items():
        gfixed = {**fixed, **dict(zip(group_names, gvals))}
        gsets = list(sets or []) + [f"{k}={v!r}" if isinstance(v, str) else f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in gfixed.items() if "." in k]
        gfixed = {k: v for k, v in gfixed.items() if "." not in k}
        numeric = {k: [combos[i][keys.index(k)] for i in idx] for k, g in zip(keys, is_group) if not g}
        fn = _video_group if command == "video" else _text_group
        try:
            out = fn(cat, gfixed, gsets, numeric, len(idx), cal)
        except CellError as exc:
            out = [dict(_NOT_RUN, reason=str(exc.error))] * len(idx)
        for i, row in zip(idx, out):
            rows[i] = SweepRow.model_construct(
                inputs={k: combos[i][j] for j, k in enumerate(keys)}, unit=unit, throughput_unit=throughput_unit, **{**_ROW_DEFAULTS, **row}
            )
        done += len(idx)
        if progress:
            progress(done, len(combos))
    final = [r for r in rows if r is not None]
    if final and all(r.status == "cannot run" for r in final):
        raise UserError("--vary", "(every cell)", f"no scenario can run: {final[0].reason}")
    return SweepResult(capplan_version=__version__, command=command, varied=keys, fixed=fixed, n_scenarios=len(combos), rows=final)


def _check_ids(cat: Catalog, command: str, values: dict[str, list[Any]]) -> None:
    """Unknown ids are typos, refused before anything runs; a known GPU without a precision is a cell."""
    for v in values.get("gpu", []):
        cat.gpu(v)
    for v in values.get("workload", []):
        if command == "video":
            cat.video_workload(v)
        else:
            cat.text_workload(v)
    for v in values.get("stack", []):
        cat.stack(v)
    allowed = VIDEO_PRECISIONS if command == "video" else TEXT_PRECISIONS
    for v in values.get("precision", []):
        if v not in allowed:
            raise UserError("--precision", v, f"choose one of {', '.join(allowed)}")


class CellError(Exception):
    """A group of cells that cannot run (e.g. a precision the GPU lacks): reported in the rows."""

    def __init__(self, error: UserError) -> None:
        self.error = error


def _arr(numeric: dict[str, list[Any]], key: str, default: Any, n: int, option: str, *, integer: bool = False, positive: bool = True) -> np.ndarray:
    vals = numeric.get(key)
    if vals is None:
        return np.full(n, default, dtype=float)
    if any(isinstance(v, bool) for v in vals):
        raise UserError("--vary", f"{key}={','.join(map(str, vals))}", f"{option} takes numbers")
    try:
        a = np.array(vals, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise UserError("--vary", f"{key}={','.join(map(str, vals))}", f"{option} takes numbers") from None
    bad = ~np.isfinite(a) | ((a <= 0) if positive else (a < 0)) | ((a != np.round(a)) if integer else False)
    if bad.any():
        raise UserError("--vary", f"{key}={a[bad][0]:g}", f"{option} takes {'whole ' if integer else ''}numbers greater than 0")
    return a


def _resolved(cat: Catalog, fixed: dict[str, Any], sets: list[str], command: str) -> tuple[Catalog, Any, Any, Any]:
    """Workload, GPU, efficiency and economics of a group, after --set keys (validated like `video`)."""
    workload = fixed.get("workload", DEFAULT_VIDEO_WORKLOAD if command == "video" else DEFAULT_TEXT_WORKLOAD)
    gpu = fixed.get("gpu", DEFAULT_GPU)
    w = cat.video_workload(workload) if command == "video" else cat.text_workload(workload)
    g = cat.gpu(gpu)
    stack = cat.stack(fixed.get("stack"))
    parsed = expand_sets(parse_sets(sets))
    if parsed:
        cat = apply_to_catalog(cat, parsed, gpus=[g.id], workload=w.id, stack=stack)
        w = cat.video[w.id] if command == "video" else cat.text[w.id]
        g = cat.gpus[g.id]
    econ = resolve_economics(cat, pricing=fixed.get("pricing"), economics=fixed.get("economics"), overlay=economics_overlay(parsed) or None)
    return cat, w, g, (econ, stack)


def _prices(numeric: dict[str, list[Any]], fixed: dict[str, Any], econ: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    price = (
        _arr(numeric, "price_per_gpu_hour", fixed.get("price_per_gpu_hour", np.nan), n, "--price-per-gpu-hour")
        if ("price_per_gpu_hour" in numeric or fixed.get("price_per_gpu_hour") is not None)
        else np.full(n, np.nan)
    )
    pue = _arr(numeric, "pue", fixed.get("pue", econ.energy.pue), n, "--pue")
    elec = _arr(numeric, "electricity_usd_per_kwh", fixed.get("electricity_usd_per_kwh", econ.energy.mean_usd_per_kwh), n, "--electricity-usd-per-kwh", positive=False)
    return price, pue, elec


def _bools(numeric: dict[str, list[Any]], key: str, default: bool, n: int) -> np.ndarray:
    vals = numeric.get(key)
    if vals is None:
        return np.full(n, default)
    if not all(isinstance(v, bool) for v in vals):
        raise UserError("--vary", f"{key}={','.join(map(str, vals))}", f"{key} takes true or false")
    return np.array(vals, dtype=bool)


def _video_group(cat: Catalog, fixed: dict[str, Any], sets: list[str], numeric: dict[str, list[Any]], n: int, cal: Calibration) -> list[dict[str, Any]]:
    try:
        cat, w, g, (econ, stack) = _resolved(cat, fixed, sets, "video")
        precision = fixed.get("precision", "bf16")
        _check_precision(g, precision, VIDEO_PRECISIONS)
        offload = fixed.get("offload", "none")
        if offload not in dit.OFFLOAD_MODES:
            raise UserError("--offload", offload, f"choose one of {', '.join(dit.OFFLOAD_MODES)}")
        eff = _efficiency(cat, g.id, stack)
    except UserError as exc:
        raise CellError(exc) from None
    d = w.defaults
    causal = w.vae.causal_first_frame
    if "resolution" in numeric:
        wh = np.array([parse_resolution(str(r)) for r in numeric["resolution"]], dtype=float)
        width, height = wh[:, 0], wh[:, 1]
    else:
        width_v, height_v = parse_resolution(fixed["resolution"]) if fixed.get("resolution") else (d.width, d.height)
        width, height = np.full(n, float(width_v)), np.full(n, float(height_v))
    fps = _arr(numeric, "fps", fixed.get("fps", d.fps), n, "--fps")
    gpus = _arr(numeric, "gpus", fixed.get("gpus", 1), n, "--gpus", integer=True)
    steps = _arr(numeric, "steps", fixed.get("steps", d.steps), n, "--steps", integer=True)
    cfg = _bools(numeric, "cfg", d.cfg if fixed.get("cfg") is None else bool(fixed["cfg"]), n)
    if "frames" in numeric or fixed.get("frames") is not None:
        frames = _arr(numeric, "frames", fixed.get("frames"), n, "--frames", integer=True)
    else:
        seconds = _arr(numeric, "seconds", fixed.get("seconds", np.nan), n, "--seconds")
        frames = core.video_frames(causal, fps, seconds=seconds, default_frames=d.frames)
    clip_s = float(fixed.get("clip_seconds") or (d.frames - (1.0 if causal else 0.0)) / d.fps)
    price, pue, elec = _prices(numeric, fixed, econ, n)
    try:
        hour = gpu_hour_cost(g, econ, price, pue=pue, electricity_usd_per_kwh=elec)
    except UserError as exc:
        raise CellError(exc) from None
    setup = video_setup(w, g, eff, stack, precision, offload, calibration=cal)
    r = core.video_estimate(
        setup, gpus=gpus, width_px=width, height_px=height, frames=frames, fps=fps, steps=steps, cfg=cfg, clip_seconds=clip_s,
        one_sequence=fixed.get("long_video") == "one-sequence",
    )
    gpu_s = r.gpu_seconds
    cost = gpu_s / 3600.0 * np.asarray(hour.usd_per_hour)
    minutes = r.video_s / 60.0
    energy_kwh = gpu_s * np.asarray(hour.facility_w) / 3.6e6
    peak = np.asarray(r.estimate.peak_memory_bytes, dtype=float)
    return [
        dict(
            status="ok" if r.fits[i] else "does not fit",
            reason=None if r.fits[i] else f"{peak[i] / GB:.1f} GB needed, {g.memory.memory_gb:g} GB on {g.id}",
            cost_per_unit_usd=float(cost[i] / minutes[i]) if r.fits[i] else None,
            time_s=float(r.time_s[i]),
            gpu_seconds=float(gpu_s[i]),
            peak_memory_gb=float(peak[i] / GB),
            fits_in_memory=bool(r.fits[i]),
            energy_kwh_per_unit=float(energy_kwh[i] / minutes[i]),
            throughput=float(3600.0 / gpu_s[i] * r.video_s[i] / 60.0),
        )
        for i in range(n)
    ]


def _text_group(cat: Catalog, fixed: dict[str, Any], sets: list[str], numeric: dict[str, list[Any]], n: int, cal: Calibration) -> list[dict[str, Any]]:
    try:
        cat, w, g, (econ, stack) = _resolved(cat, fixed, sets, "text")
        rt = cat.efficiency.runtime
        precision, kv_precision = fixed.get("precision", "bf16"), fixed.get("kv_precision", "bf16")
        _check_precision(g, precision, TEXT_PRECISIONS)
        if kv_precision not in KV_PRECISIONS:
            raise UserError("--kv-precision", kv_precision, f"choose one of {', '.join(KV_PRECISIONS)}")
        _check_precision(g, kv_precision, KV_PRECISIONS, "--kv-precision")
        eff = _efficiency(cat, g.id, stack)
        setup = text_setup(w, g, eff, rt, stack, precision, kv_precision, calibration=cal)
        tp = fixed.get("gpus")
        if tp is not None and (isinstance(tp, bool) or not isinstance(tp, int) or not core.valid_tp(setup.arch, tp)):
            raise UserError("--gpus", tp, f"{w.id} splits over {', '.join(str(t) for t in core.AUTO_TP if core.valid_tp(setup.arch, t))} GPUs")
    except UserError as exc:
        raise CellError(exc) from None
    P = _arr(numeric, "prompt_tokens", fixed.get("prompt_tokens", 1024), n, "--prompt-tokens", integer=True)
    O = _arr(numeric, "output_tokens", fixed.get("output_tokens", 256), n, "--output-tokens", integer=True)
    no_targets = bool(fixed.get("no_latency_targets", False))
    ttft = np.full(n, np.inf) if no_targets else _arr(numeric, "ttft_ms", fixed.get("ttft_ms", rt.default_ttft_ms), n, "--ttft-ms")
    tpot = np.full(n, np.inf) if no_targets else _arr(numeric, "tpot_ms", fixed.get("tpot_ms", rt.default_tpot_ms), n, "--tpot-ms")
    price, pue, elec = _prices(numeric, fixed, econ, n)
    try:
        hour = gpu_hour_cost(g, econ, price, pue=pue, electricity_usd_per_kwh=elec)
    except UserError as exc:
        raise CellError(exc) from None
    too_long = P + O > w.architecture.max_context
    if tp is None:
        arr = core.text_auto(setup, candidates=tuple(t for t in core.AUTO_TP if core.valid_tp(setup.arch, t)), prompt_tokens=P, output_tokens=O, ttft_ms=ttft, tpot_ms=tpot, with_share=False)
    else:
        arr = core.text_capacity(setup, tp=tp, prompt_tokens=P, output_tokens=O, ttft_ms=ttft, tpot_ms=tpot, with_share=False)
    cost = core.text_cost_per_million(arr, hour.usd_per_hour, P, O)["all"]
    tps, tpa = arr.tokens_per_s, arr.tp
    with np.errstate(divide="ignore", invalid="ignore"):
        energy = np.where(tps > 0, tpa * np.asarray(hour.facility_w) / 1e3 / (tps * 3600.0) * 1e6, np.nan)
    rows = []
    for i in range(n):
        if too_long[i]:
            status, reason = "cannot run", f"prompt + output ({int(P[i] + O[i])}) exceeds {w.id}'s context of {w.architecture.max_context} tokens"
        elif not arr.fits[i]:
            status, reason = "does not fit", f"{float(core.text_need_bytes(setup, tpa[i], P[i] + O[i])) / GB:.1f} GB per GPU needed at {int(tpa[i])} GPU(s) per replica, {setup.usable_bytes / GB:.1f} GB usable"
        elif arr.max_batch[i] == 0:
            status, reason = "no batch meets the targets", f"batch 1 takes TPOT {arr.tpot_s[i] * 1e3:.1f} ms, TTFT {arr.ttft_s[i] * 1e3:.1f} ms"
        else:
            status, reason = "ok", None
        ok = status == "ok"
        rows.append(
            dict(
                status=status,
                reason=reason,
                cost_per_unit_usd=float(cost[i]) if ok else None,
                time_s=None,
                gpu_seconds=None,
                peak_memory_gb=float(arr.weights_bytes[i]) / GB,
                fits_in_memory=bool(arr.fits[i]),
                energy_kwh_per_unit=float(energy[i]) if ok else None,
                throughput=float(tps[i] / tpa[i]) if not too_long[i] else None,
                max_batch=int(arr.max_batch[i]),
                gpus_per_replica=int(tpa[i]),
            )
        )
    return rows
