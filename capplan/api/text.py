"""`capplan.text`: LLM serving capacity and cost per million tokens under latency targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from capplan import __version__
from capplan.api.common import (
    _TEXT_ARGS,
    AUTO_TP,
    DEFAULT_GPU,
    DEFAULT_TEXT_WORKLOAD,
    KV_PRECISIONS,
    MAX_GPUS,
    TEXT_PRECISIONS,
    _calibrated,
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
from capplan.catalog.convert import GB, allreduce, device_rates, kernel_floors, llm_architecture
from capplan.errors import UserError
from capplan.models import transformer
from capplan.models.precision import BYTES_PER_VALUE
from capplan.planning.costs import gpu_hour_cost
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
    cat = _calibrated(catalog or load_catalog(), calibration)
    if sets or uncertain:
        args = {k: v for k, v in locals().items() if k in _TEXT_ARGS}
        return _sets_or_uncertainty(
            text, "text", cat, args, sets=sets, uncertain=uncertain, samples=samples, seed=seed, overlay=_economics_overlay
        )
    w = cat.text_workload(workload)
    g = cat.gpu(gpu)
    stack_id = cat.stack(stack)
    rt = cat.efficiency.runtime
    _positive("--gpus", gpus, integer=True, upper=MAX_GPUS)
    _positive("--prompt-tokens", prompt_tokens, integer=True, upper=10_000_000)
    _positive("--output-tokens", output_tokens, integer=True, upper=10_000_000)
    _positive("--ttft-ms", ttft_ms, upper=1e9)
    _positive("--tpot-ms", tpot_ms, upper=1e9)
    _positive("--price-per-gpu-hour", price_per_gpu_hour, upper=1e6)
    _check_precision(g, precision, TEXT_PRECISIONS)
    if kv_precision not in KV_PRECISIONS:
        raise UserError("--kv-precision", kv_precision, f"choose one of {', '.join(KV_PRECISIONS)}")
    _check_precision(g, kv_precision, KV_PRECISIONS, "--kv-precision")
    context = prompt_tokens + output_tokens
    if context > w.architecture.max_context:
        raise UserError(
            "--prompt-tokens",
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
    price = hour.usd_per_hour

    arch = llm_architecture(w)
    rates = device_rates(g, eff, precision, w.architecture.head_dim)
    wb, kvb = BYTES_PER_VALUE[precision], BYTES_PER_VALUE[kv_precision]
    # reserved_memory_gb: memory each GPU keeps for something else (a co-resident video model in a plan)
    usable = g.memory.memory_gb * GB * rt.gpu_memory_utilization_frac - reserved_memory_gb * GB
    kv_tok = float(transformer.kv_bytes_per_token(arch, kvb))

    def fits_one(tp: int) -> bool:
        need = transformer.weights_bytes_per_gpu(arch, wb, tp) + kv_tok * context / transformer.kv_shard(arch, tp)
        return bool(need <= usable)

    def _text_at(tp: int, auto: bool) -> TextResult:
        fits = fits_one(tp)
        batch = np.arange(1, rt.max_batch + 1, dtype=float)
        common = dict(
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
            weight_bytes_per_param=wb,
            kv_bytes=kvb,
            tp=tp,
            allreduce=allreduce(rt, g, tp),
            floors=kernel_floors(rt, g),
        )
        pts = transformer.serving_points(arch, rates, batch=batch, **common)
        ok_mem = np.asarray(pts.memory_bytes) <= usable
        ok_tpot = np.ones_like(ok_mem) if tpot_t is None else np.asarray(pts.iteration_s) * 1e3 <= tpot_t
        ok_ttft = np.ones_like(ok_mem) if ttft_t is None else np.asarray(pts.ttft_s) * 1e3 <= ttft_t
        ok = ok_mem & ok_tpot & ok_ttft
        # every constraint tightens with batch, so the feasible set is 1..max_batch
        n_ok = int(np.argmin(ok)) if not ok.all() else len(ok)
        if n_ok == len(ok):
            limited = "max_batch"
        else:
            i = n_ok  # first infeasible batch index
            limited = "memory" if not ok_mem[i] else ("tpot" if not ok_tpot[i] else "ttft")
        max_batch = n_ok
        warnings: list[str] = []
        suggestion = None
        if not fits:
            nxt = next((n for n in AUTO_TP if n > tp and fits_one(n)), None)
            need_gb = (transformer.weights_bytes_per_gpu(arch, wb, tp) + kv_tok * context / transformer.kv_shard(arch, tp)) / GB
            suggestion = f"does not fit: {need_gb:.1f} GB per GPU needed for the weights and one sequence, {usable / GB:.1f} GB usable" + (
                f"; try --gpus {nxt}" if nxt else "; try a lower --precision or a larger GPU"
            )
        elif max_batch == 0:
            which = "TPOT" if not ok_tpot[0] else "TTFT"
            got = float(pts.iteration_s[0]) * 1e3 if which == "TPOT" else float(pts.ttft_s[0]) * 1e3
            tgt = tpot_t if which == "TPOT" else ttft_t
            warnings.append(
                f"the {which} target of {tgt:g} ms cannot be met even at batch 1 ({got:.1f} ms); try more --gpus or a faster GPU"
            )
        if auto:
            warnings.append(f"--gpus not given: {tp} GPU(s) per replica is the cheapest tensor-parallel size that fits")

        def f(x: Any) -> float:
            return float(np.asarray(x))

        iteration = None
        if max_batch > 0:
            k = max_batch - 1
            iteration = _iteration_by_part(pts.iteration, k)
            tps = f(pts.output_tokens_per_s[k])
            tpot_v, ttft_v = f(pts.iteration_s[k]) * 1e3, f(pts.ttft_s[k]) * 1e3
            kv_gb = f(pts.kv_cache_bytes[k]) / GB
            # Split the cost between input and output by the time prefill and decode would take alone.
            share = f(transformer.prefill_time_share(arch, rates, batch=float(max_batch), **common))
            usd_per_s = tp * price / 3600.0
            out_per_s, in_per_s = tps, tps * prompt_tokens / output_tokens
            cost_out = usd_per_s * (1 - share) / out_per_s * 1e6
            cost_in = usd_per_s * share / in_per_s * 1e6
            cost_all = usd_per_s / (out_per_s + in_per_s) * 1e6
        else:
            tps = tpot_v = ttft_v = 0.0
            kv_gb = share = 0.0
            cost_out = cost_in = cost_all = None
            tpot_v = f(pts.iteration_s[0]) * 1e3
            ttft_v = f(pts.ttft_s[0]) * 1e3
        weights_gb = f(transformer.weights_bytes_per_gpu(arch, wb, tp)) / GB
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
                efficiency=_efficiency_used(stack_id, rates, eff, serving=True),
                fits_in_memory=fits,
                suggestion=suggestion,
                max_batch=max_batch if fits else 0,
                batch_limited_by=limited if fits else "memory",  # type: ignore[arg-type]
                gpus_per_replica=tp,
                ttft_ms=ttft_v if fits else None,
                tpot_ms=tpot_v if fits else None,
                tokens_per_s_per_replica=tps if fits else 0.0,
                tokens_per_s_per_gpu=tps / tp if fits else 0.0,
                input_tokens_per_s_per_gpu=tps * prompt_tokens / output_tokens / tp if fits else 0.0,
                requests_per_s_per_replica=tps / output_tokens if fits else 0.0,
                weights_gb=weights_gb,
                kv_cache_gb=kv_gb if fits else 0.0,
                kv_cache_bytes_per_token=kv_tok,
                memory_gb=weights_gb + (kv_gb if fits else 0.0),
                usable_memory_gb=usable / GB,
                prefill_time_share=share if fits else 0.0,
                iteration_s=iteration,
                cost_per_million_output_tokens_usd=cost_out if fits else None,
                cost_per_million_input_tokens_usd=cost_in if fits else None,
                cost_per_million_tokens_usd=cost_all if fits else None,
                economics=_economics_used(econ, hour),
                cost_breakdown_usd=CostBreakdown(
                    hardware=cost_all * hour.hardware_usd_per_hour / price, energy=cost_all * hour.energy_usd_per_hour / price
                )
                if fits and cost_all is not None
                else None,
                power_kw=hour.facility_w * tp / 1e3,
                energy_kwh_per_million_tokens=hour.facility_w * tp / 1e3 / (tps * 3600.0) * 1e6 if fits and tps > 0 else None,
                carbon_kg_per_million_tokens=(
                    hour.facility_w * tp / 1e3 / (tps * 3600.0) * 1e6 * econ.energy.carbon_kg_per_kwh
                    if fits and tps > 0 and econ.energy.carbon_kg_per_kwh is not None
                    else None
                ),
                warnings=warnings,
            ),
            "text",
        )

    auto = gpus is None
    if auto:
        # The cheapest tensor-parallel size that fits and meets the targets: more GPUs per replica buy
        # memory for a larger batch and cut latency, at the price of all-reduces.
        candidates = [n for n in AUTO_TP if max_gpus is None or n <= max_gpus]
        fitting = [n for n in candidates if fits_one(n)][:4] or [candidates[-1]]
        results = [_text_at(n, True) for n in fitting]
        priced = [r for r in results if r.cost_per_million_tokens_usd is not None]
        return min(priced, key=lambda r: r.cost_per_million_tokens_usd) if priced else results[0]  # type: ignore[arg-type, return-value]
    return _text_at(int(gpus), False)  # type: ignore[arg-type]


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
