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

from capplan.catalog.calibration import Calibration
from capplan.errors import UserError
from capplan.planning.core import text_capacity, text_cost_per_million, text_fixed, video_estimate, with_graph_limit
from capplan.planning.resolve import PARALLEL, text_setup, video_setup
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


def draw(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.uniform(lo, hi, n) for k, (lo, hi) in sorted(ranges.items())}


def summary(values: np.ndarray, ranges: dict[str, tuple[float, float]], n: int, seed: int, metric: str) -> Uncertainty:
    v = values[np.isfinite(values)]
    if v.size == 0:
        raise UserError("--uncertain", "(all draws)", "no draw gave a cost (nothing meets the targets)")
    p10, p50, p90 = (float(x) for x in np.percentile(v, [10, 50, 90]))
    return Uncertainty(metric=metric, samples=n, seed=seed, ranges={k: list(r) for k, r in ranges.items()}, p10=p10, p50=p50, p90=p90, valid_samples=int(v.size))


#: --uncertain efficiency keys -> the op class they set (capplan.catalog.knobs), as --set does.
KEY_CLASS = {"gemm_frac": "gemm", "attention_frac": "attention", "bandwidth_frac": "bandwidth", "conv_frac": "conv"}


def _class_values(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {KEY_CLASS[k]: v for k, v in d.items() if k in KEY_CLASS}


def video_uncertainty(result: Any, ranges: dict[str, tuple[float, float]], n: int, seed: int, catalog: Any, calibration: Calibration) -> Uncertainty:
    """P10/P50/P90 of cost per video-minute around a `video` result: every draw through the core."""
    i = result.inputs
    w, g = catalog.video[i.workload], catalog.gpus[i.gpu]
    eff = catalog.efficiency.gpu[g.id][i.stack]
    d = draw(ranges, n, seed)
    setup = video_setup(w, g, eff, i.stack, i.precision, i.offload, calibration=calibration, values=_class_values(d), runtime=catalog.efficiency.runtime)
    steps = np.rint(d["steps"]) if "steps" in d else np.full(n, float(i.steps))
    r = video_estimate(
        setup, gpus=i.gpus, width_px=i.width, height_px=i.height, frames=i.frames, fps=i.fps, steps=steps, cfg=i.cfg,
        clip_seconds=i.clip_seconds, one_sequence=i.long_video == "one-sequence",
    )
    cost = r.gpu_seconds / 3600.0 * _usd_per_gpu_hour(result, d) / (r.video_s / 60.0)
    return summary(np.broadcast_to(cost, (n,)).astype(float), ranges, n, seed, "cost_per_video_minute_usd")


def _usd_per_gpu_hour(result: Any, d: dict[str, np.ndarray]) -> np.ndarray:
    """All-in GPU-hour cost under drawn price, PUE and electricity."""
    e = result.economics
    if e.pricing == "rent":
        return d.get("price", np.asarray(e.gpu_usd_per_hour))
    pue = d.get("pue", np.asarray(e.pue))
    elec = d.get("electricity", np.asarray(e.electricity_usd_per_kwh))
    busy_kw = e.facility_w_per_gpu / e.pue * pue / 1e3
    return e.hardware_usd_per_gpu_hour + busy_kw * elec


def text_uncertainty(result: Any, ranges: dict[str, tuple[float, float]], n: int, seed: int, catalog: Any, calibration: Calibration) -> Uncertainty:
    """P10/P50/P90 of cost per million tokens around a `text` result (the batch is re-optimised per
    draw, at the result's tensor-parallel size), every draw through the core."""
    i = result.inputs
    w, g = catalog.text[i.workload], catalog.gpus[i.gpu]
    d = draw(ranges, n, seed)
    expert_parallel, attention_dp = PARALLEL[i.moe_parallel]
    setup = text_setup(
        w, g, catalog.efficiency.gpu[g.id][i.stack], catalog.efficiency.runtime, i.stack, i.precision, i.kv_precision,
        calibration=calibration, values={k: v.reshape(-1, 1) for k, v in _class_values(d).items()},  # the core's (scenario, 1) columns
        engine=i.engine or None, compute_precision=i.compute_precision or None, expert_parallel=expert_parallel, attention_dp=attention_dp,
        engine_version=i.engine_version, max_model_len=i.max_model_len,
    )
    if i.poll_interval != setup.poll_interval:  # the what-if's scheduler looks, as its own setup had them
        setup = dataclasses.replace(setup, poll_interval=i.poll_interval)
    if i.cuda_graph_max_batch is not None and i.cuda_graph_max_batch != setup.engine.graph_max_batch:  # ... and its graph limit
        setup = with_graph_limit(setup, i.cuda_graph_max_batch)
    P = np.rint(d["prompt_tokens"]) if "prompt_tokens" in d else np.full(n, float(i.prompt_tokens))
    O = np.rint(d["output_tokens"]) if "output_tokens" in d else np.full(n, float(i.output_tokens))
    if i.concurrency is not None:
        arr = text_fixed(setup, tp=i.gpus, concurrency=i.concurrency, prompt_tokens=P, output_tokens=O, with_share=False)
    else:
        arr = text_capacity(
            setup, tp=i.gpus, prompt_tokens=P, output_tokens=O, ttft_ms=np.inf if i.ttft_ms is None else i.ttft_ms,
            tpot_ms=np.inf if i.tpot_ms is None else i.tpot_ms, with_share=False,
        )
    cost = text_cost_per_million(arr, _usd_per_gpu_hour(result, d), P, O)["all"]
    return summary(np.broadcast_to(cost, (n,)).astype(float), ranges, n, seed, "cost_per_million_tokens_usd")


