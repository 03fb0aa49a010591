"""Monte Carlo over uncertain inputs: ``--uncertain key=low:high`` gives P10/P50/P90 of the cost.

Each uncertain input is drawn uniformly between its low and high value, independently, from a seeded
generator (numpy PCG64), so a run is reproducible. For `video` and `text` all draws are evaluated in
one vectorised call of the model (the efficiency fractions, price and sizes become arrays); a `plan`
is a MILP per draw, so it takes fewer draws.

Keys:

- video / text (absolute values): ``gemm_frac``, ``attention_frac`` (video), ``bandwidth_frac`` (text:
  the serving kernels' GEMM, weight-streaming and KV-read fractions),
  ``conv_frac`` (video), ``price`` (USD per GPU-hour, rent), ``pue``, ``electricity`` (USD/kWh, own),
  ``steps`` (video), ``prompt_tokens``, ``output_tokens`` (text);
- plan (multipliers of the scenario's values): ``text_demand``, ``video_demand`` (demand growth),
  ``price_scale``, ``efficiency_scale``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from capplan.errors import UserError
from capplan.results import Uncertainty

VIDEO_KEYS = ("gemm_frac", "attention_frac", "bandwidth_frac", "conv_frac", "price", "pue", "electricity", "steps")
TEXT_KEYS = ("gemm_frac", "bandwidth_frac", "price", "pue", "electricity", "prompt_tokens", "output_tokens")
PLAN_KEYS = ("text_demand", "video_demand", "price_scale", "efficiency_scale")
FRACTIONS = ("gemm_frac", "attention_frac", "bandwidth_frac", "conv_frac")


def parse_ranges(items: list[str] | None, allowed: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for item in items or []:
        key, eq, rng = item.partition("=")
        key = key.strip().replace("-", "_")
        lo_s, colon, hi_s = rng.partition(":")
        if not eq or not colon:
            raise UserError("--uncertain", item, "write key=low:high, e.g. gemm_frac=0.6:0.8")
        if key not in allowed:
            raise UserError("--uncertain", key, f"choose one of {', '.join(allowed)}")
        try:
            lo, hi = float(lo_s), float(hi_s)
        except ValueError:
            raise UserError("--uncertain", item, "low and high must be numbers") from None
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi or lo < 0 or (key not in ("electricity",) and lo <= 0):
            raise UserError("--uncertain", item, "low and high must be finite, positive, and low <= high")
        if key in FRACTIONS and hi > 1:
            raise UserError("--uncertain", item, "an efficiency is a fraction of peak: at most 1")
        if key == "efficiency_scale" and hi > 1:
            raise UserError("--uncertain", item, "efficiency_scale scales fractions of peak that may already be near 1: at most 1")
        if key == "pue" and lo < 1:
            raise UserError("--uncertain", item, "PUE is at least 1")
        out[key] = (lo, hi)
    return out


def _draw(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(lo, hi, n) for k, (lo, hi) in sorted(ranges.items())}


def _summary(values: np.ndarray, ranges: dict[str, tuple[float, float]], n: int, seed: int, metric: str) -> Uncertainty:
    v = values[np.isfinite(values)]
    if v.size == 0:
        raise UserError("--uncertain", "(all draws)", "no draw gave a cost (nothing meets the targets)")
    p10, p50, p90 = (float(x) for x in np.percentile(v, [10, 50, 90]))
    return Uncertainty(metric=metric, samples=n, seed=seed, ranges={k: list(r) for k, r in ranges.items()}, p10=p10, p50=p50, p90=p90, valid_samples=int(v.size))


def video_uncertainty(result: Any, ranges: dict[str, tuple[float, float]], n: int, seed: int, catalog: Any) -> Uncertainty:
    """P10/P50/P90 of cost per video-minute around a `video` result."""
    from capplan.catalog.convert import device_rates, dit_architecture
    from capplan.models import dit
    from capplan.models.precision import BYTES_PER_VALUE

    i = result.inputs
    w, g = catalog.video[i.workload], catalog.gpus[i.gpu]
    eff = catalog.efficiency.gpu[g.id][i.stack]
    d = _draw(ranges, n, seed)
    rates = device_rates(g, eff, i.precision, w.dit.head_dim)
    rates = dataclasses.replace(
        rates,
        gemm_frac=d.get("gemm_frac", rates.gemm_frac),
        bf16_gemm_frac=d.get("gemm_frac", rates.bf16_gemm_frac),
        attention_frac=d.get("attention_frac", rates.attention_frac),
        memory_bandwidth_frac=d.get("bandwidth_frac", rates.memory_bandwidth_frac),
        conv_frac=d.get("conv_frac", rates.conv_frac),
    )
    steps = np.rint(d["steps"]) if "steps" in d else i.steps
    frames = dit.frames_for_seconds(i.clip_seconds, i.fps, w.vae.causal_first_frame) if result.n_clips > 1 else i.frames
    est = dit.estimate_video(
        dit_architecture(w), rates, width_px=i.width, height_px=i.height, frames=frames, steps=steps, cfg=i.cfg, n_gpus=i.gpus,
        weight_bytes_per_param=BYTES_PER_VALUE[i.precision], offload=i.offload,
    )
    gpu_h = np.asarray(est.gpu_seconds) * result.n_clips / 3600.0
    usd_h = _usd_per_gpu_hour(result, d, g)
    cost = gpu_h * usd_h / (result.video_seconds / 60.0)
    return _summary(np.broadcast_to(cost, (n,)).astype(float), ranges, n, seed, "cost_per_video_minute_usd")


def _usd_per_gpu_hour(result: Any, d: dict[str, np.ndarray], g: Any) -> np.ndarray:
    """All-in GPU-hour cost under drawn price, PUE and electricity."""
    e = result.economics
    if e.pricing == "rent":
        return d.get("price", np.asarray(e.gpu_usd_per_hour))
    pue = d.get("pue", np.asarray(e.pue))
    elec = d.get("electricity", np.asarray(e.electricity_usd_per_kwh))
    busy_kw = e.facility_w_per_gpu / e.pue * pue / 1e3
    return e.hardware_usd_per_gpu_hour + busy_kw * elec


def text_uncertainty(result: Any, ranges: dict[str, tuple[float, float]], n: int, seed: int, catalog: Any) -> Uncertainty:
    """P10/P50/P90 of cost per million tokens around a `text` result (the batch is re-optimised per draw)."""
    from capplan.catalog.convert import GB, allreduce, device_rates, kernel_floors, llm_architecture
    from capplan.models import transformer
    from capplan.models.precision import BYTES_PER_VALUE

    i = result.inputs
    w, g = catalog.text[i.workload], catalog.gpus[i.gpu]
    rt = catalog.efficiency.runtime
    d = _draw(ranges, n, seed)
    rates = device_rates(g, catalog.efficiency.gpu[g.id][i.stack], i.precision, w.architecture.head_dim)
    col = lambda a: np.asarray(a, dtype=float).reshape(-1, 1) if np.ndim(a) else a  # noqa: E731
    # the text model runs on the serving-kernel fractions: a drawn GEMM efficiency replaces the
    # serving-shape GEMM figure, a drawn bandwidth efficiency both weight streaming and KV reads
    rates = dataclasses.replace(
        rates,
        serving_gemm_frac=col(d.get("gemm_frac", rates.serving_gemm_frac)) if "gemm_frac" in d else rates.serving_gemm_frac,
        weight_stream_frac=col(d["bandwidth_frac"]) if "bandwidth_frac" in d else rates.weight_stream_frac,
        kv_bandwidth_frac=col(d["bandwidth_frac"]) if "bandwidth_frac" in d else rates.kv_bandwidth_frac,
    )
    P = col(np.rint(d["prompt_tokens"])) if "prompt_tokens" in d else float(i.prompt_tokens)
    O = col(np.rint(d["output_tokens"])) if "output_tokens" in d else float(i.output_tokens)
    batch = np.arange(1, rt.max_batch + 1, dtype=float)[None, :]
    pts = transformer.serving_points(
        llm_architecture(w), rates, batch=batch, prompt_tokens=P, output_tokens=O, weight_bytes_per_param=BYTES_PER_VALUE[i.precision],
        kv_bytes=BYTES_PER_VALUE[i.kv_precision], tp=i.gpus, allreduce=allreduce(rt, g, i.gpus), floors=kernel_floors(rt, g),
    )
    usable = g.memory.memory_gb * GB * rt.gpu_memory_utilization_frac
    shape = (n, batch.shape[1])
    ok = np.broadcast_to(np.asarray(pts.memory_bytes) <= usable, shape).copy()
    if i.tpot_ms is not None:
        ok &= np.broadcast_to(np.asarray(pts.iteration_s) * 1e3 <= i.tpot_ms, shape)
    if i.ttft_ms is not None:
        ok &= np.broadcast_to(np.asarray(pts.ttft_s) * 1e3 <= i.ttft_ms, shape)
    n_ok = np.where(ok.all(axis=1), ok.shape[1], np.argmin(ok, axis=1))
    tps_all = np.broadcast_to(np.asarray(pts.output_tokens_per_s), ok.shape)
    tps = np.where(n_ok > 0, np.take_along_axis(tps_all, np.maximum(n_ok - 1, 0)[:, None], axis=1)[:, 0], np.nan)
    usd_h = _usd_per_gpu_hour(result, d, g)
    ratio = np.broadcast_to(np.asarray(P, dtype=float).reshape(-1) / np.asarray(O, dtype=float).reshape(-1), (n,))
    cost = i.gpus * usd_h / 3600.0 / (tps * (1.0 + ratio)) * 1e6
    return _summary(np.broadcast_to(cost, (n,)).astype(float), ranges, n, seed, "cost_per_million_tokens_usd")


def plan_uncertainty(run: Any, ranges: dict[str, tuple[float, float]], n: int, seed: int) -> Uncertainty:
    """P10/P50/P90 of the consolidated plan's total cost; ``run(sets)`` solves one plan."""
    d = {k: [float(x) for x in v] for k, v in _draw(ranges, n, seed).items()}  # plain floats: their repr is TOML
    totals = np.empty(n)
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
            sets += [f"efficiency.{f}*={m!r}" for f in ("gemm_frac", "gemm_fp8_frac", "attention_hdim64_frac", "attention_hdim128_frac", "memory_bandwidth_frac", "conv_frac")]
        try:
            totals[s] = run(sets).consolidated.total_cost_usd
        except UserError:
            totals[s] = np.nan  # an infeasible draw (e.g. demand beyond the power cap)
    return _summary(totals, ranges, n, seed, "consolidated.total_cost_usd")
