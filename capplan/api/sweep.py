"""`capplan.sweep`: a grid of what-ifs evaluated with numpy, not a Python loop per scenario.

The grid is the product of ``vary`` values. Scenarios are grouped by the inputs that change the model
or the chip (workload, GPU, precision, stack, offload, pricing, --set keys); within a group every
numeric input (resolution, seconds, fps, steps, GPUs, price, PUE, ...) is an array and the group is
evaluated by one call of the vectorised model. Results agree with `capplan video` / `capplan text`
scenario by scenario (tested).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
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
from capplan.api.text import _check_weight_precision
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.calibration import Calibration, load_calibration
from capplan.catalog.convert import GB
from capplan.catalog.knobs import expand_sets
from capplan.catalog.overrides import PREFIXES, apply_to_catalog, economics_overlay, parse_sets, parse_value
from capplan.errors import UserError
from capplan.models import dit
from capplan.planning import core
from capplan.planning.costs import gpu_hour_cost
from capplan.planning.parallel import iter_map
from capplan.planning.resolve import text_setup, video_setup
from capplan.results import SweepColumns, SweepResult, SweepRow

_NOT_RUN: dict[str, Any] = {"status": "cannot run"}

VIDEO_GROUP = ("workload", "gpu", "precision", "stack", "offload", "pricing", "clip_seconds", "long_video")
VIDEO_NUMERIC = ("gpus", "resolution", "seconds", "frames", "fps", "steps", "cfg", "price_per_gpu_hour", "pue", "electricity_usd_per_kwh")
TEXT_GROUP = ("workload", "gpu", "gpus", "precision", "kv_precision", "compute_precision", "engine", "stack", "pricing")
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
        out[key] = [parse_value(v.strip(), f"--vary {key}", key) for v in values.split(",") if v.strip()]
    return out


def _grid_size(vary: dict[str, list[Any]]) -> int:
    n = math.prod(len(v) for v in vary.values()) if vary else 1
    if n > MAX_SCENARIOS:
        raise UserError("--vary", f"{n:,} scenarios", f"a sweep is limited to {MAX_SCENARIOS:,} scenarios")
    return n


#: Scenarios evaluated at once: memory stays flat in the size of the grid.
CHUNK = 65_536
_COLUMNS = ("status", "reason", "cost_per_unit_usd", "time_s", "gpu_seconds", "peak_memory_gb", "fits_in_memory", "energy_kwh_per_unit", "throughput", "max_batch", "gpus_per_replica")


def iter_sweep(
    command: str,
    vary: list[str] | None = None,
    *,
    fixed: dict[str, Any] | None = None,
    sets: list[str] | None = None,
    calibration: str | Path | None = None,
    catalog: Catalog | None = None,
    chunk: int = CHUNK,
    workers: int = 1,
    cluster: str | None = None,
) -> Iterator[SweepColumns]:
    """The sweep in chunks of at most ``chunk`` scenarios, in grid order, as columns (numpy arrays and
    lists): what large sweeps and streaming writers use. Validation happens before the first chunk."""
    if command not in ("video", "text"):
        raise UserError("COMMAND", command, "sweep video or text")
    cat = catalog or load_catalog()
    cal = load_calibration(calibration, set(cat.gpus))
    allowed = (VIDEO_GROUP + VIDEO_NUMERIC) if command == "video" else (TEXT_GROUP + TEXT_NUMERIC)
    grid_keys = parse_vary(vary, allowed)
    fixed = {k: v for k, v in (fixed or {}).items() if v is not None}
    n_total = _grid_size(grid_keys)
    _check_ids(cat, command, {**{k: [v] for k, v in fixed.items()}, **grid_keys})
    keys = list(grid_keys)
    for k in keys:  # numeric values are checked once over the whole grid, not per chunk
        if k not in (VIDEO_GROUP if command == "video" else TEXT_GROUP) and "." not in k and k not in ("resolution", "cfg"):
            _arr({k: grid_keys[k]}, k, 0, len(grid_keys[k]), f"--{k.replace('_', '-')}", positive=k != "electricity_usd_per_kwh",
                 integer=k in ("gpus", "steps", "frames", "prompt_tokens", "output_tokens"))
    return _chunks(cat, cal, command, keys, grid_keys, fixed, list(sets or []), n_total, chunk, workers, cluster)


@dataclass(frozen=True)
class _Grid:
    """Everything a chunk needs, picklable, so chunks can run in worker processes."""

    cat: Catalog
    cal: Calibration
    command: str
    keys: list[str]
    grid_keys: dict[str, list[Any]]
    fixed: dict[str, Any]
    sets: list[str]
    n_total: int
    chunk: int


def _chunks(
    cat: Catalog, cal: Calibration, command: str, keys: list[str], grid_keys: dict[str, list[Any]], fixed: dict[str, Any],
    sets: list[str], n_total: int, chunk: int, workers: int = 1, cluster: str | None = None,
) -> Iterator[SweepColumns]:
    """The chunks in grid order, serially or on ``workers`` processes / a dask ``cluster`` (same results)."""
    if workers > 1 or cluster is not None:
        chunk = min(chunk, max(1024, math.ceil(n_total / (4 * max(workers, 2)))))  # enough chunks to share out
    grid = _Grid(cat, cal, command, keys, grid_keys, fixed, sets, n_total, chunk)
    return iter_map(functools.partial(_chunk_columns, grid), range(0, n_total, chunk), workers=workers, cluster=cluster, chunksize=1)


def _chunk_columns(g: _Grid, start: int) -> SweepColumns:
    """Scenarios ``start`` .. ``start + chunk`` of the grid, walked by index arithmetic (no Python object
    per scenario): scenario i has value ``(i // stride[k]) % size[k]`` of key k, the last key varying
    fastest (itertools.product's order)."""
    command, keys, grid_keys, fixed, n_total = g.command, g.keys, g.grid_keys, g.fixed, g.n_total
    group_keys = VIDEO_GROUP if command == "video" else TEXT_GROUP
    is_group = [k in group_keys or "." in k for k in keys]
    group_names = [k for k, grp in zip(keys, is_group) if grp]
    unit = "video-minute" if command == "video" else "million tokens (input + output)"
    throughput_unit = "video-minutes per GPU-hour" if command == "video" else "output tokens/s per GPU"
    sizes = [len(grid_keys[k]) for k in keys]
    strides = [math.prod(sizes[j + 1 :]) for j in range(len(keys))]
    values = {k: _value_array(k, grid_keys[k]) for k, grp in zip(keys, is_group) if not grp}
    fn = _video_group if command == "video" else _text_group
    flat = np.arange(start, min(n_total, start + g.chunk), dtype=np.int64)
    n = len(flat)
    index = {k: (flat // strides[j]) % sizes[j] for j, k in enumerate(keys)}
    gid = np.zeros(n, dtype=np.int64)
    for k, grp in zip(keys, is_group):
        if grp:
            gid = gid * len(grid_keys[k]) + index[k]
    cols: dict[str, np.ndarray] = {
        "status": np.full(n, "ok", dtype=object), "reason": np.full(n, None, dtype=object),
        **{c: np.full(n, np.nan) for c in _COLUMNS[2:]},
    }
    order = np.argsort(gid, kind="stable")
    bounds = np.flatnonzero(np.diff(gid[order])) + 1
    for ix in np.split(order, bounds) if n else []:
        first = ix[0]
        gfixed = {**fixed, **{k: grid_keys[k][int(index[k][first])] for k in group_names}}
        gsets = g.sets + [f"{k}={v!r}" if isinstance(v, str) else f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in gfixed.items() if "." in k]
        gfixed = {k: v for k, v in gfixed.items() if "." not in k}
        numeric = {k: v[index[k][ix]] for k, v in values.items()}
        try:
            out = fn(g.cat, gfixed, gsets, numeric, len(ix), g.cal)
        except CellError as exc:
            out = {**_NOT_RUN, "reason": np.full(len(ix), str(exc.error), dtype=object)}
        for c in _COLUMNS:
            if c in out:
                cols[c][ix] = out[c]
    return SweepColumns(
        command=command, varied=keys, fixed=fixed, start=start, n_total=n_total, unit=unit, throughput_unit=throughput_unit,
        grid={k: grid_keys[k] for k in keys}, index=index, data=cols,
    )


def _reasons(where: np.ndarray, values: np.ndarray, message: Callable[[Any], str]) -> np.ndarray:
    """Per-row reasons (None elsewhere): ``message`` of each row's value where ``where`` holds, formatted
    once per distinct value (a grid repeats them), not once per row."""
    reason = np.full(where.size, None, dtype=object)
    if where.any():
        distinct, which = np.unique(values[where], return_inverse=True)
        reason[where] = np.array([message(v) for v in distinct.tolist()], dtype=object)[which]
    return reason


def _value_array(key: str, vals: list[Any]) -> np.ndarray:
    """A varied key's values as an array the group functions index: numbers as floats, booleans as
    bools, anything else (resolutions) as objects."""
    if all(isinstance(v, bool) for v in vals):
        return np.array(vals, dtype=bool)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return np.array(vals, dtype=float)
    return np.array(vals, dtype=object)


def sweep(
    command: str,
    vary: list[str] | None = None,
    *,
    fixed: dict[str, Any] | None = None,
    sets: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    calibration: str | Path | None = None,
    catalog: Catalog | None = None,
    workers: int = 1,
    cluster: str | None = None,
) -> SweepResult:
    """Evaluate ``command`` ("video" or "text") over the grid of ``vary`` values (``key=v1,v2``), other
    inputs from ``fixed`` (the command's options) and ``sets`` (``--set`` keys applied to every scenario).

    A cell that cannot run (a precision the chip lacks, a model that does not fit, targets no batch
    meets) is a row with its ``status`` and ``reason``; the sweep fails only when no cell ran. For large
    grids, :func:`iter_sweep` gives the same numbers as columns, chunk by chunk."""
    rows: list[SweepRow] = []
    meta: SweepColumns | None = None
    for part in iter_sweep(command, vary, fixed=fixed, sets=sets, calibration=calibration, catalog=catalog, workers=workers, cluster=cluster):
        meta = part
        rows += [SweepRow.model_construct(**r) for r in part.rows()]
        if progress:
            progress(part.start + part.n, part.n_total)
    assert meta is not None
    check_some_ran(rows)
    return SweepResult(capplan_version=__version__, command=command, varied=meta.varied, fixed=meta.fixed, n_scenarios=meta.n_total, rows=rows)  # type: ignore[arg-type]


def check_some_ran(rows: Iterable[Any]) -> None:
    """A sweep where no cell could run is an error (the first reason says why)."""
    first = None
    for r in rows:
        status = r.status if hasattr(r, "status") else r["status"]
        if status != "cannot run":
            return
        first = first or (r.reason if hasattr(r, "reason") else r["reason"])
    raise UserError("--vary", "(every cell)", f"no scenario can run: {first}")


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
            raise UserError("precision", v, f"choose one of {', '.join(allowed)}")


class CellError(Exception):
    """A group of cells that cannot run (e.g. a precision the GPU lacks): reported in the rows."""

    def __init__(self, error: UserError) -> None:
        self.error = error


def _arr(numeric: dict[str, Any], key: str, default: Any, n: int, option: str, *, integer: bool = False, positive: bool = True) -> np.ndarray:
    vals = numeric.get(key)
    if vals is None:
        return np.full(n, default, dtype=float)
    if isinstance(vals, np.ndarray) and vals.dtype == float:
        return vals  # checked once for the whole grid (iter_sweep)
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


def _prices(numeric: dict[str, Any], fixed: dict[str, Any], econ: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    price = (
        _arr(numeric, "price_per_gpu_hour", fixed.get("price_per_gpu_hour", np.nan), n, "--price-per-gpu-hour")
        if ("price_per_gpu_hour" in numeric or fixed.get("price_per_gpu_hour") is not None)
        else np.full(n, np.nan)
    )
    pue = _arr(numeric, "pue", fixed.get("pue", econ.energy.pue), n, "--pue")
    elec = _arr(numeric, "electricity_usd_per_kwh", fixed.get("electricity_usd_per_kwh", econ.energy.mean_usd_per_kwh), n, "--electricity-usd-per-kwh", positive=False)
    return price, pue, elec


def _bools(numeric: dict[str, Any], key: str, default: bool, n: int) -> np.ndarray:
    vals = numeric.get(key)
    if vals is None:
        return np.full(n, default)
    if isinstance(vals, np.ndarray) and vals.dtype == bool:
        return vals
    if not all(isinstance(v, bool) for v in vals):
        raise UserError("--vary", f"{key}={','.join(map(str, vals))}", f"{key} takes true or false")
    return np.array(vals, dtype=bool)


def _video_group(cat: Catalog, fixed: dict[str, Any], sets: list[str], numeric: dict[str, Any], n: int, cal: Calibration) -> dict[str, Any]:
    try:
        cat, w, g, (econ, stack) = _resolved(cat, fixed, sets, "video")
        precision = fixed.get("precision", "bf16")
        _check_precision(g, precision, VIDEO_PRECISIONS)
        offload = fixed.get("offload", "none")
        if offload not in dit.OFFLOAD_MODES:
            raise UserError("offload", offload, f"choose one of {', '.join(dit.OFFLOAD_MODES)}")
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
    setup = video_setup(w, g, eff, stack, precision, offload, calibration=cal, runtime=cat.efficiency.runtime)
    r = core.video_estimate(
        setup, gpus=gpus, width_px=width, height_px=height, frames=frames, fps=fps, steps=steps, cfg=cfg, clip_seconds=clip_s,
        one_sequence=fixed.get("long_video") == "one-sequence",
    )
    gpu_s = r.gpu_seconds
    cost = gpu_s / 3600.0 * np.asarray(hour.usd_per_hour)
    minutes = r.video_s / 60.0
    energy_kwh = gpu_s * np.asarray(hour.facility_w) / 3.6e6
    peak = np.asarray(r.estimate.peak_memory_bytes, dtype=float) / GB
    fits = np.asarray(r.fits, dtype=bool)
    reason = _reasons(~fits, peak, lambda v: f"{v:.1f} GB needed, {g.memory.memory_gb:g} GB on {g.id}")
    return dict(
        status=np.where(fits, "ok", "does not fit").astype(object),
        reason=reason,
        cost_per_unit_usd=np.where(fits, cost / minutes, np.nan),
        time_s=r.time_s,
        gpu_seconds=gpu_s,
        peak_memory_gb=peak,
        fits_in_memory=fits,
        energy_kwh_per_unit=energy_kwh / minutes,
        throughput=3600.0 / gpu_s * r.video_s / 60.0,
    )


def _text_group(cat: Catalog, fixed: dict[str, Any], sets: list[str], numeric: dict[str, Any], n: int, cal: Calibration) -> dict[str, Any]:
    try:
        cat, w, g, (econ, stack) = _resolved(cat, fixed, sets, "text")
        rt = cat.efficiency.runtime
        precision, kv_precision = fixed.get("precision", "bf16"), fixed.get("kv_precision", "bf16")
        compute = _check_weight_precision(g, precision, fixed.get("compute_precision"))  # as text() does: weight-only where the chip lacks the format
        if kv_precision not in KV_PRECISIONS:
            raise UserError("kv_precision", kv_precision, f"choose one of {', '.join(KV_PRECISIONS)}")
        _check_precision(g, kv_precision, KV_PRECISIONS, "kv_precision")
        eff = _efficiency(cat, g.id, stack)
        setup = text_setup(w, g, eff, rt, stack, precision, kv_precision, calibration=cal, engine=fixed.get("engine"), compute_precision=compute)
        tp = fixed.get("gpus")
        if tp is not None and (isinstance(tp, bool) or not isinstance(tp, int) or not core.valid_tp(setup.arch, tp)):
            raise UserError("gpus", tp, f"{w.id} splits over {', '.join(str(t) for t in core.AUTO_TP if core.valid_tp(setup.arch, t))} GPUs")
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
    # (per-row reasons only where a status alone does not say it: numbers live in the other columns)
    status = np.full(n, "ok", dtype=object)  # (filled by mask, lowest precedence first: no string arrays to convert)
    status[arr.max_batch == 0] = "no batch meets the targets"
    status[~arr.fits] = "does not fit"
    status[too_long] = "cannot run"
    reason = _reasons(too_long, (P + O).astype(int), lambda t: f"prompt + output ({t}) exceeds {w.id}'s context of {w.architecture.max_context} tokens")
    ok = status == "ok"
    return dict(
        status=status,
        reason=reason,
        cost_per_unit_usd=np.where(ok, cost, np.nan),
        peak_memory_gb=arr.weights_bytes / GB,
        fits_in_memory=arr.fits,
        energy_kwh_per_unit=np.where(ok, energy, np.nan),
        throughput=np.where(too_long, np.nan, tps / tpa),
        max_batch=arr.max_batch,
        gpus_per_replica=tpa,
    )
