"""`capplan.text`: LLM serving capacity and cost per million tokens under latency targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from capplan import __version__
from capplan.api.common import (
    _TEXT_ARGS,
    DEFAULT_GPU,
    DEFAULT_TEXT_WORKLOAD,
    KV_PRECISIONS,
    MAX_GPUS,
    TEXT_PRECISIONS,
    _check_precision,
    _economics_used,
    _efficiency,
    _efficiency_used,
    _positive,
    _sets_or_uncertainty,
    ensure_finite,
    resolve_economics,
)
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.calibration import load_calibration
from capplan.catalog.convert import GB
from capplan.errors import UserError
from capplan.models import transformer
from capplan.planning.core import AUTO_TP, LIMITS, text_at_batch, text_auto, text_capacity, text_cost_per_million, text_need_bytes, valid_tp
from capplan.planning.costs import gpu_hour_cost
from capplan.planning.resolve import text_setup
from capplan.results import (
    CostBreakdown,
    IterationByPart,
    TextInputs,
    TextResult,
)


def text(
    workload: str = DEFAULT_TEXT_WORKLOAD,
    gpu: str = DEFAULT_GPU,
    *,
    gpus: int | None = None,
    precision: str = "bf16",
    kv_precision: str = "bf16",
    prompt_tokens: int = 1024,
    output_tokens: int = 256,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
    no_latency_targets: bool = False,
    price_per_gpu_hour: float | None = None,
    stack: str | None = None,
    pricing: str | None = None,
    pue: float | None = None,
    electricity_usd_per_kwh: float | None = None,
    economics: str | Path | None = None,
    max_gpus: int | None = None,
    reserved_memory_gb: float = 0.0,
    sets: list[str] | None = None,
    calibration: str | Path | None = None,
    uncertain: list[str] | None = None,
    samples: int = 1000,
    seed: int = 0,
    catalog: Catalog | None = None,
    _economics_overlay: dict[str, Any] | None = None,
) -> TextResult:
    """Serving capacity and cost per million tokens of a catalogued LLM on a catalogued GPU.

    The largest continuous batch that fits in memory and meets the TTFT and TPOT targets (defaults:
    the catalogue's chat targets; ``no_latency_targets`` for pure throughput) sets throughput.
    ``gpus`` is the tensor-parallel size of one replica; None picks the smallest that fits.
    """
    cat = catalog or load_catalog()
    if sets or uncertain:
        args = {k: v for k, v in locals().items() if k in _TEXT_ARGS}
        return _sets_or_uncertainty(
            text, "text", cat, args, sets=sets, uncertain=uncertain, samples=samples, seed=seed, overlay=_economics_overlay, calibration=calibration
        )
    w = cat.text_workload(workload)
    g = cat.gpu(gpu)
    stack_id = cat.stack(stack)
    rt = cat.efficiency.runtime
    _positive("gpus", gpus, integer=True, upper=MAX_GPUS)
    _positive("max_gpus", max_gpus, integer=True, upper=MAX_GPUS)
    _positive("prompt_tokens", prompt_tokens, integer=True, upper=10_000_000)
    _positive("output_tokens", output_tokens, integer=True, upper=10_000_000)
    _positive("ttft_ms", ttft_ms, upper=1e9)
    _positive("tpot_ms", tpot_ms, upper=1e9)
    _positive("price_per_gpu_hour", price_per_gpu_hour, upper=1e6)
    if not isinstance(no_latency_targets, bool):
        raise UserError("no_latency_targets", no_latency_targets, "choose true or false")
    if no_latency_targets and (ttft_ms is not None or tpot_ms is not None):
        raise UserError("no_latency_targets", "with --ttft-ms/--tpot-ms", "give latency targets or --no-latency-targets, not both")
    if isinstance(reserved_memory_gb, bool) or not isinstance(reserved_memory_gb, (int, float)) or not 0 <= reserved_memory_gb < 1e6:
        raise UserError("reserved_memory_gb", reserved_memory_gb, "a number of GB from 0")
    _check_precision(g, precision, TEXT_PRECISIONS)
    if kv_precision not in KV_PRECISIONS:
        raise UserError("kv_precision", kv_precision, f"choose one of {', '.join(KV_PRECISIONS)}")
    _check_precision(g, kv_precision, KV_PRECISIONS, "kv_precision")
    context = prompt_tokens + output_tokens
    if context > w.architecture.max_context:
        raise UserError(
            "prompt_tokens",
            prompt_tokens,
            f"prompt + output ({context}) must fit {w.id}'s context of {w.architecture.max_context} tokens",
        )
    eff = _efficiency(cat, g.id, stack_id)
    if no_latency_targets:
        ttft_t, tpot_t = None, None
    else:
        ttft_t = ttft_ms if ttft_ms is not None else rt.default_ttft_ms
        tpot_t = tpot_ms if tpot_ms is not None else rt.default_tpot_ms
    econ = resolve_economics(
        cat, pricing=pricing, pue=pue, electricity_usd_per_kwh=electricity_usd_per_kwh, economics=economics, overlay=_economics_overlay
    )
    hour = gpu_hour_cost(g, econ, price_per_gpu_hour)
    price = float(hour.usd_per_hour)
    cal = load_calibration(calibration, set(cat.gpus))
    setup = text_setup(w, g, eff, rt, stack_id, precision, kv_precision, calibration=cal)
    arch = setup.arch
    targets = dict(ttft_ms=np.inf if ttft_t is None else ttft_t, tpot_ms=np.inf if tpot_t is None else tpot_t)
    reserved = reserved_memory_gb * GB
    auto = gpus is None
    if auto:
        candidates = tuple(t for t in AUTO_TP if valid_tp(arch, t) and (max_gpus is None or t <= max_gpus))
        if not candidates:
            raise UserError("max_gpus", max_gpus, f"{w.id} splits over {', '.join(str(t) for t in AUTO_TP if valid_tp(arch, t))} GPUs")
        arr = text_auto(setup, candidates=candidates, prompt_tokens=prompt_tokens, output_tokens=output_tokens, reserved_bytes=reserved, **targets)
    else:
        if not valid_tp(arch, int(gpus)):  # type: ignore[arg-type]
            valid = [str(t) for t in range(1, min(MAX_GPUS, arch.heads) + 1) if valid_tp(arch, t)]
            raise UserError(
                "gpus", gpus, f"{w.id}'s {arch.heads} attention and {arch.kv_heads} KV heads split evenly over {', '.join(valid)} GPUs (tensor parallelism)"
            )
        arr = text_capacity(setup, tp=gpus, prompt_tokens=prompt_tokens, output_tokens=output_tokens, reserved_bytes=reserved, **targets)
    tp = int(arr.tp[0])
    fits, max_batch = bool(arr.fits[0]), int(arr.max_batch[0])
    limited = LIMITS[int(arr.limited_by[0])]
    usable = setup.usable_bytes - reserved
    warnings: list[str] = []
    suggestion = None
    if not fits:
        nxt = next((n for n in AUTO_TP if n > tp and valid_tp(arch, n) and text_need_bytes(setup, n, context) <= usable), None)
        need_gb = float(text_need_bytes(setup, tp, context)) / GB
        suggestion = f"does not fit: {need_gb:.1f} GB per GPU needed for the weights and one sequence, {usable / GB:.1f} GB usable" + (
            f"; try --gpus {nxt}" if nxt else "; try a lower --precision or a larger GPU"
        )
    elif max_batch == 0:
        it1 = float(arr.tpot_s[0]) * 1e3
        which = "TPOT" if tpot_t is not None and it1 > tpot_t else "TTFT"
        got = it1 if which == "TPOT" else float(arr.ttft_s[0]) * 1e3
        tgt = tpot_t if which == "TPOT" else ttft_t
        warnings.append(f"the {which} target of {tgt:g} ms cannot be met even at batch 1 ({got:.1f} ms); try more --gpus or a faster GPU")
    if auto:
        warnings.append(f"--gpus not given: {tp} GPU(s) per replica is the cheapest tensor-parallel size that fits")
    if eff.serving_gemm_frac is None and eff.weight_stream_frac is None:
        warnings.append(
            f"{g.id} has no serving-kernel efficiencies under {stack_id}: the text model falls back to best-shape kernel figures, "
            "which read 20-40% optimistic (docs/adding.md)"
        )

    served = fits and max_batch > 0
    iteration = None
    if served:
        it = arr.iteration if arr.iteration is not None else text_at_batch(setup, tp=tp, batch=float(max_batch), prompt_tokens=prompt_tokens, output_tokens=output_tokens)[0]
        iteration = _iteration_by_part(it, 0)
    costs = text_cost_per_million(arr, price, prompt_tokens, output_tokens)
    cost_all = float(costs["all"][0]) if served else None
    cost_out = float(costs["output"][0]) if served else None
    cost_in = float(costs["input"][0]) if served else None
    tps = float(arr.tokens_per_s[0]) if served else 0.0
    share = float(arr.prefill_share[0]) if served else 0.0
    kv_gb = float(arr.kv_cache_bytes[0]) / GB if served else 0.0
    weights_gb = float(arr.weights_bytes[0]) / GB
    hw, en = float(hour.hardware_usd_per_hour), float(hour.energy_usd_per_hour)
    facility_w = float(hour.facility_w)
    energy_per_m = facility_w * tp / 1e3 / (tps * 3600.0) * 1e6 if served and tps > 0 else None
    carbon = econ.energy.carbon_kg_per_kwh
    return ensure_finite(
        TextResult(
            capplan_version=__version__,
            inputs=TextInputs(
                workload=w.id,
                gpu=g.id,
                gpus=tp,
                gpus_auto=auto,
                precision=precision,
                kv_precision=kv_precision,
                prompt_tokens=prompt_tokens,
                output_tokens=output_tokens,
                ttft_ms=ttft_t,
                tpot_ms=tpot_t,
                stack=stack_id,
                price_per_gpu_hour_usd=price,
            ),
            efficiency=_efficiency_used(stack_id, setup.rates, eff, serving=True),
            fits_in_memory=fits,
            suggestion=suggestion,
            max_batch=max_batch if fits else 0,
            batch_limited_by=limited if fits else "memory",  # type: ignore[arg-type]
            gpus_per_replica=tp,
            ttft_ms=float(arr.ttft_s[0]) * 1e3 if fits else None,
            tpot_ms=float(arr.tpot_s[0]) * 1e3 if fits else None,
            tokens_per_s_per_replica=tps,
            tokens_per_s_per_gpu=tps / tp,
            input_tokens_per_s_per_gpu=tps * prompt_tokens / output_tokens / tp,
            requests_per_s_per_replica=tps / output_tokens,
            weights_gb=weights_gb,
            kv_cache_gb=kv_gb,
            kv_cache_bytes_per_token=float(transformer.kv_bytes_per_token(arch, setup.kv_bytes)),
            memory_gb=weights_gb + kv_gb,
            usable_memory_gb=usable / GB,
            prefill_time_share=share,
            iteration_s=iteration,
            cost_per_million_output_tokens_usd=cost_out,
            cost_per_million_input_tokens_usd=cost_in,
            cost_per_million_tokens_usd=cost_all,
            economics=_economics_used(econ, hour),
            cost_breakdown_usd=CostBreakdown(hardware=cost_all * hw / price, energy=cost_all * en / price) if cost_all is not None else None,
            power_kw=facility_w * tp / 1e3,
            energy_kwh_per_million_tokens=energy_per_m,
            carbon_kg_per_million_tokens=energy_per_m * carbon if energy_per_m is not None and carbon is not None else None,
            warnings=warnings,
        ),
        "text",
    )


def _iteration_by_part(it: transformer.StepCost | None, k: int) -> IterationByPart | None:
    """The iteration at batch index ``k`` by kernel group, and which groups sit on the kernel floor."""
    if it is None:
        return None
    s = it.at(k)
    parts = {
        "gemm": (s.gemm_time_s - s.expert_time_s, s.gemm_floor_s),
        "experts": (s.expert_time_s, s.expert_floor_s),
        "attention": (s.attention_time_s, s.attention_floor_s),
        "elementwise": (s.elementwise_time_s, s.elementwise_floor_s),
    }
    floored = [name for name, (t, fl) in parts.items() if fl > 0 and t <= fl * (1 + 1e-9)]
    return IterationByPart(**{name: t for name, (t, _) in parts.items()}, communication=s.communication_time_s, at_kernel_floor=floored)
