"""`capplan.sensitivity`: how much the answer moves when each input moves by ±X% (a tornado).

Each factor is changed alone, down and up by ``pct`` percent, everything else held at its value in
the base run; factors are sorted by the swing of the output. Fractions of peak are capped at 1.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capplan import __version__
from capplan.api.plan import plan
from capplan.api.text import text
from capplan.api.video import video
from capplan.errors import UserError
from capplan.planning.parallel import iter_map
from capplan.results import SensitivityResult, SensitivityRow


@dataclass(frozen=True)
class Factor:
    name: str
    key: str  # a --set key ("*=" scales the current value) or a request option ("option:steps")
    integer: bool = False
    cap_at_one: bool = False


VIDEO_FACTORS: tuple[Factor, ...] = (
    Factor("GPU price (rent) / capex (own)", "price"),
    Factor("GEMM efficiency", "efficiency.gemm_frac", cap_at_one=True),
    Factor("attention efficiency", "efficiency.attention_frac", cap_at_one=True),
    Factor("HBM bandwidth efficiency", "efficiency.memory_bandwidth_frac", cap_at_one=True),
    Factor("GPU dense peak TFLOP/s", "peak"),
    Factor("denoising steps", "option:steps", integer=True),
    Factor("frames per second", "option:fps"),
    Factor("pixels per frame", "pixels"),
    Factor("PUE", "option:pue"),
    Factor("electricity price", "option:electricity_usd_per_kwh"),
)
TEXT_FACTORS: tuple[Factor, ...] = (
    Factor("GPU price (rent) / capex (own)", "price"),
    Factor("GEMM efficiency", "efficiency.gemm_frac", cap_at_one=True),
    Factor("HBM bandwidth efficiency", "efficiency.memory_bandwidth_frac", cap_at_one=True),
    Factor("GPU dense peak TFLOP/s", "peak"),
    Factor("HBM bandwidth", "gpu.memory.memory_bandwidth_tb_per_s"),
    Factor("prompt tokens", "option:prompt_tokens", integer=True),
    Factor("output tokens", "option:output_tokens", integer=True),
    Factor("TTFT target", "option:ttft_ms"),
    Factor("TPOT target", "option:tpot_ms"),
    Factor("PUE", "option:pue"),
    Factor("electricity price", "option:electricity_usd_per_kwh"),
)
PLAN_FACTORS: tuple[Factor, ...] = (
    Factor("text demand", "text.requests_per_s.scale"),
    Factor("video demand", "video.videos_per_hour.scale"),
    Factor("GPU price (rent) / capex (own)", "price"),
    Factor("GEMM efficiency", "efficiency.gemm_frac", cap_at_one=True),
    Factor("attention efficiency", "efficiency.attention_frac", cap_at_one=True),
    Factor("HBM bandwidth efficiency", "efficiency.memory_bandwidth_frac", cap_at_one=True),
)

# An efficiency factor is an op class (capplan.catalog.knobs): "GEMM efficiency" scales the GEMM
# efficiency of every precision and kernel family, in video and text alike.


def _sets_for(f: Factor, mult: float, pricing: str, base_inputs: Any) -> tuple[list[str], dict[str, Any]]:
    """(--set keys, request options) that move factor ``f`` by ``mult``."""
    m = repr(mult)
    if f.key == "price":
        return [f"gpu.price.{'usd_per_gpu_hour' if pricing == 'rent' else 'capex_usd_per_gpu'}*={m}"], {}
    if f.key == "peak":
        return [f"gpu.compute.{p}*={m}" for p in ("bf16_tflop_per_s", "fp16_tflop_per_s", "fp8_tflop_per_s", "fp4_tflop_per_s", "tf32_tflop_per_s")], {}
    if f.key == "pixels":
        w, h = base_inputs.width, base_inputs.height
        s = math.sqrt(mult)
        return [], {"resolution": f"{max(1, round(w * s))}x{max(1, round(h * s))}"}
    if f.key.startswith("option:"):
        name = f.key.split(":", 1)[1]
        base = getattr(base_inputs, name, None)
        if base is None:
            return [], {}
        v = base * mult
        extra = {name: int(round(v)) if f.integer else v}
        if name == "fps":  # same length of video, more or fewer frames
            extra["seconds"] = base_inputs.seconds
        return [], extra
    if f.key.startswith(("text.", "video.")):
        return [f"{f.key}={m}"], {}
    return [f"{f.key}*={m}"], {}


def _run(command: str, scenario: Any, args: dict[str, Any], base_sets: list[str], extra_sets: list[str], extra: dict[str, Any]) -> Any:
    sets = base_sets + extra_sets or None
    if command == "video":
        return video(**{**args, **extra}, sets=sets)
    if command == "text":
        return text(**{**args, **extra}, sets=sets)
    return plan(scenario, **{**args, **extra}, sets=sets)


def _value(r: Any, metric: str) -> float | None:
    obj = r
    for part in metric.split("."):
        obj = getattr(obj, part) if obj is not None else None
    return obj


def _job(command: str, scenario: Any, args: dict[str, Any], base_sets: list[str], metric: str, job: tuple[Factor, float, list[str], dict[str, Any]]) -> tuple[str, Any]:
    """One side of one bar: ("ok", value), ("capped", value at the class's cap) or ("refused", why).
    Module-level so that worker processes can run it."""
    f, mult, extra_sets, extra = job
    try:
        return "ok", _value(_run(command, scenario, args, base_sets, extra_sets, extra), metric)
    except UserError as exc:
        if f.cap_at_one and mult > 1:  # a fraction pushed past 1: hold it at its cap
            return "capped", _value(_run(command, scenario, args, base_sets, [f"{f.key}=1.0"], {}), metric)
        return "refused", str(exc)


def sensitivity(
    command: str,
    *,
    pct: float = 20.0,
    args: dict[str, Any] | None = None,
    sets: list[str] | None = None,
    scenario: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    calibration: str | Path | None = None,
    workers: int = 1,
    cluster: str | None = None,
) -> SensitivityResult:
    """Tornado of ``command`` ("video", "text" or "plan") around the run given by ``args``/``sets``.
    The runs of the bars go to ``workers`` local processes or a dask ``cluster`` (same results)."""
    if not (isinstance(pct, (int, float)) and math.isfinite(pct) and 0 < pct < 100):
        raise UserError("pct", pct, "a percentage between 0 and 100")
    metrics = {"video": ("cost_per_video_minute_usd", VIDEO_FACTORS), "text": ("cost_per_million_tokens_usd", TEXT_FACTORS), "plan": ("consolidated.total_cost_usd", PLAN_FACTORS)}
    if command not in metrics:
        raise UserError("COMMAND", command, "choose video, text or plan")
    metric, factors = metrics[command]
    args = {k: v for k, v in (args or {}).items() if v is not None}
    if calibration is not None:
        args["calibration"] = calibration
    base_sets = list(sets or [])
    base = _run(command, scenario, args, base_sets, [], {})
    base_value = _value(base, metric)
    if base_value is None:
        raise UserError(command, "(base run)", "the base run has no cost (nothing meets the targets); relax them first")
    pricing = base.pricing if command == "plan" else base.economics.pricing
    base_inputs = getattr(base, "inputs", None)
    lo, hi = 1 - pct / 100, 1 + pct / 100
    bars: list[tuple[Factor, list[int | None]]] = []  # each side: an index into jobs, or None for the base value
    jobs: list[tuple[Factor, float, list[str], dict[str, Any]]] = []
    for f in factors:
        if f.key in ("option:pue", "option:electricity_usd_per_kwh") and pricing == "rent":
            continue  # power is in the rent
        sides: list[int | None] = []
        for mult in (lo, hi):
            extra_sets, extra = _sets_for(f, mult, pricing, base_inputs)
            if f.key.startswith("option:") and f.key.split(":", 1)[1] in ("pue", "electricity_usd_per_kwh"):
                e = base.economics
                extra = {f.key.split(":", 1)[1]: (e.pue if f.key.endswith("pue") else e.electricity_usd_per_kwh) * mult}
                if f.key.endswith("pue"):
                    extra["pue"] = max(1.0, extra["pue"])
            if not extra_sets and not extra:
                sides.append(None)
                continue
            sides.append(len(jobs))
            jobs.append((f, mult, extra_sets, extra))
        bars.append((f, sides))
    results: list[tuple[str, Any]] = []
    for out in iter_map(functools.partial(_job, command, scenario, args, base_sets, metric), jobs, workers=workers, cluster=cluster):
        results.append(out)
        if progress:
            progress(len(results), len(jobs))
    rows: list[SensitivityRow] = []
    for f, sides in bars:
        outs: list[float | None] = []
        for i in sides:
            if i is None:
                outs.append(base_value)
                continue
            status, v = results[i]
            if status == "refused":
                raise UserError("sensitivity", f.name, f"moving it by {pct:g}% gives an invalid input ({v})")
            outs.append(v if (status == "ok" or v is not None) else base_value)
        o_lo, o_hi = outs
        swing = abs(o_hi - o_lo) if (o_lo is not None and o_hi is not None) else math.inf
        rows.append(SensitivityRow(input=f.name, key=f.key, output_low=o_lo, output_high=o_hi, swing=swing if math.isfinite(swing) else None))
    rows.sort(key=lambda r: -(r.swing if r.swing is not None else math.inf))
    return SensitivityResult(capplan_version=__version__, command=command, metric=metric, pct=pct, base_value=base_value, rows=rows)  # type: ignore[arg-type]


