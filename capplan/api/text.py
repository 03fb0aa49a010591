"""`capplan.text`: LLM serving capacity and cost per million tokens under latency targets."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from capplan import __version__
from capplan.api.common import (
    DEFAULT_GPU,
    DEFAULT_TEXT_WORKLOAD,
    KV_PRECISIONS,
    MAX_GPUS,
    TEXT_PRECISIONS,
    _check_precision,
    _efficiency,
    _efficiency_used,
    _positive,
    _sets_or_uncertainty,
    build,
    economics_used,
    ensure_finite,
    hour_cost,
    pcie_collectives_note,
    request_args,
    resolve_economics,
)
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.cache import ByIdentity
from capplan.catalog.calibration import load_calibration
from capplan.catalog.convert import GB
from capplan.catalog.engines import engine_for, engine_id, load_engines
from capplan.errors import UserError
from capplan.models import transformer
from capplan.models.burst import LENGTHS
from capplan.models.precision import BYTES_PER_VALUE, COMPUTE_PRECISION, COMPUTE_PRECISIONS
from capplan.planning.burst import text_burst
from capplan.planning.core import (
    AUTO_TP,
    AUTO_TP_TRIES,
    LIMITS,
    TextArrays,
    TextSetup,
    text_at_batch,
    text_auto,
    text_capacity,
    text_cost_per_million,
    text_fixed,
    text_need_bytes,
    text_usable_bytes,
    valid_tp,
    with_graph_limit,
)
from capplan.planning.resolve import PARALLEL, compute_precision_for, text_setup
from capplan.results import (
    BurstRun,
    CostBreakdown,
    EfficiencyUsed,
    IterationByPart,
    TextInputs,
    TextResult,
)

if TYPE_CHECKING:
    from capplan.catalog.schemas import GPUProfile

#: what a result reports of a setup's kernel efficiencies (frozen, so one object serves every result of
#: the setup) and the notes on its engine figures and precision
_EFFICIENCY = ByIdentity()


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
    engine: str | None = None,
    concurrency: int | None = None,
    compute_precision: str | None = None,
    parallel: str | None = None,
    expert_parallel: bool | None = None,
    attention_dp: bool | None = None,
    engine_version: str | None = None,
    requests: int | None = None,
    output_lengths: str = "exponential",
    max_output_tokens: int | None = None,
    poll_interval: int | None = None,
    max_model_len: int | None = None,
    cuda_graph_max_batch: int | None = None,
) -> TextResult:
    """Serving capacity and cost per million tokens of a catalogued LLM on a catalogued GPU.

    The largest continuous batch that fits in memory and meets the TTFT and TPOT targets (defaults:
    the catalogue's chat targets; ``no_latency_targets`` for pure throughput) sets throughput.
    ``gpus`` is the tensor-parallel size of one replica; None picks the smallest that fits.

    ``engine``: "trtllm", "vllm" or "sglang" (None: engines.toml's default): its kernel figures for the
    GPU's generation, memory setting, running-request limit, token budget, CUDA-graph limit and host
    overhead. ``concurrency``: a fixed number of requests in flight instead of the most that meets the
    targets (a closed-loop benchmark). ``precision`` is the weight format; on a GPU without tensor cores
    for it the GEMMs run at 16 bits (weight-only quantisation), or at ``compute_precision`` when given.
    MoE layout: ``parallel`` "tp", "ep" or "dep", or ``expert_parallel`` / ``attention_dp`` one by one
    (None: the engine's default). ``engine_version``: an older release of the engine (e.g. "0.7.3"),
    whose defaults engines.toml lists where they differ.

    ``requests``: also price a run of that many prompts on one replica, sent at once (a batch job, or
    a benchmark with every request in flight from the start) or, with ``concurrency``, by a client that
    keeps that many in flight (a serving benchmark's ``--num-prompts`` and ``--max-concurrency``,
    warm-up and drain included): how long until the last output is done, its mean TTFT and TPOT, and
    what the replica's GPUs cost for it. ``output_lengths`` is the distribution of output lengths
    around ``output_tokens``: "exponential" (default: long-tailed, the maximum-entropy choice when only
    the mean is known; cut at ``max_output_tokens``, else at what the context leaves after the
    prompt or 20 means), "uniform" (1 .. 2 x ``output_tokens`` - 1, or
    2 x ``output_tokens`` - ``max_output_tokens`` .. ``max_output_tokens`` when given: a benchmark's
    ``--random-range-ratio``; the mean is ``output_tokens`` either way) or "fixed".

    ``max_model_len``: the context the server is started with (default: the model's), by which vLLM's
    V0 releases (``engine_version`` before 0.8) chose their token budget and prefill scheduling.
    ``poll_interval``: the engine's scheduler looks for new requests only every that many decode steps
    (SGLang's ``--scheduler-recv-interval`` or ``--num-continuous-decode-steps``; None: every step), so a
    request waits (n - 1) / 2 more iterations on average when others are in flight, and a run's arrivals
    are admitted only then. ``cuda_graph_max_batch``: the largest decode batch the server replays from a
    CUDA graph (SGLang ``--cuda-graph-max-bs``, TensorRT-LLM ``cuda_graph_config.max_batch_size``; 0: none;
    None: the engine's default); larger batches launch every kernel from the host.
    """
    cat = catalog or load_catalog()
    if sets or uncertain:
        args = {k: v for k, v in locals().items() if k in request_args(text)}
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
    _positive("concurrency", concurrency, integer=True, upper=1_000_000)
    _positive("requests", requests, integer=True, upper=10_000_000)
    _positive("poll_interval", poll_interval, integer=True, upper=10_000)
    _positive("max_model_len", max_model_len, integer=True, upper=w.architecture.max_context)
    _positive("max_output_tokens", max_output_tokens, integer=True, upper=10_000_000)
    _positive("cuda_graph_max_batch", cuda_graph_max_batch, integer=True, upper=1_000_000, zero=True)  # (0: no CUDA graphs)
    if output_lengths not in LENGTHS:
        raise UserError("output_lengths", output_lengths, f"choose one of {', '.join(LENGTHS)}")
    if max_output_tokens is not None and output_lengths == "fixed":
        raise UserError("max_output_tokens", max_output_tokens, "fixed output lengths are output_tokens each; it is the cut of exponential ones or the top of uniform ones")
    if max_output_tokens is not None and output_lengths == "uniform" and not output_tokens <= max_output_tokens <= 2 * output_tokens - 1:
        raise UserError(
            "max_output_tokens", max_output_tokens,
            f"uniform lengths run from 2 x output_tokens - max_output_tokens to max_output_tokens: give {output_tokens} .. {2 * output_tokens - 1}",
        )
    engine_name = engine_id(engine)
    compute = _check_weight_precision(g, precision, compute_precision)
    ep, dp = _moe_layout(parallel, expert_parallel, attention_dp)
    if kv_precision not in KV_PRECISIONS:
        raise UserError("kv_precision", kv_precision, f"choose one of {', '.join(KV_PRECISIONS)}")
    _check_precision(g, kv_precision, KV_PRECISIONS, "kv_precision")
    context = prompt_tokens + output_tokens
    if max_model_len is not None and context > max_model_len:
        raise UserError("max_model_len", max_model_len, f"the server's context must hold prompt + output ({context} tokens)")
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
    hour = hour_cost(g, econ, price_per_gpu_hour)
    price = float(hour.usd_per_hour)
    cal = load_calibration(calibration, set(cat.gpus) if calibration is not None else None)
    setup = text_setup(
        w, g, eff, rt, stack_id, precision, kv_precision, calibration=cal, engine=engine_name, compute_precision=compute,
        expert_parallel=ep, attention_dp=dp, engine_version=engine_version, max_model_len=max_model_len,
    )
    if poll_interval is not None:
        setup = dataclasses.replace(setup, poll_interval=poll_interval)
    if cuda_graph_max_batch is not None:
        setup = with_graph_limit(setup, cuda_graph_max_batch)
    arch = setup.arch
    targets: dict[str, Any] = dict(ttft_ms=np.inf if ttft_t is None else ttft_t, tpot_ms=np.inf if tpot_t is None else tpot_t)
    reserved = reserved_memory_gb * GB
    auto = gpus is None
    if auto:
        candidates = tuple(t for t in AUTO_TP if valid_tp(arch, t) and (max_gpus is None or t <= max_gpus))
        if not candidates:
            raise UserError("max_gpus", max_gpus, f"{w.id} splits over {', '.join(str(t) for t in AUTO_TP if valid_tp(arch, t))} GPUs")
        if concurrency is None:
            arr = text_auto(setup, candidates=candidates, prompt_tokens=prompt_tokens, output_tokens=output_tokens, reserved_bytes=reserved, **targets)
        else:
            arr = _auto_fixed(setup, candidates, concurrency, prompt_tokens, output_tokens, reserved)
    else:
        if not valid_tp(arch, int(gpus)):  # type: ignore[arg-type]
            valid = [str(t) for t in range(1, min(MAX_GPUS, arch.heads) + 1) if valid_tp(arch, t)]
            raise UserError(
                "gpus", gpus, f"{w.id}'s {arch.heads} attention and {arch.kv_heads} KV heads split evenly over {', '.join(valid)} GPUs (tensor parallelism)"
            )
        if concurrency is None:
            arr = text_capacity(setup, tp=int(gpus or 0), prompt_tokens=prompt_tokens, output_tokens=output_tokens, reserved_bytes=reserved, **targets)
        else:
            arr = text_fixed(
                setup, tp=gpus, concurrency=concurrency, prompt_tokens=prompt_tokens, output_tokens=output_tokens, reserved_bytes=reserved  # type: ignore[arg-type]
            )
    tp = int(arr.tp[0])
    fits, max_batch = bool(arr.fits[0]), int(arr.max_batch[0])
    limited = LIMITS[int(arr.limited_by[0])]
    usable = float(text_usable_bytes(setup, float(arr.weights_bytes[0]))) - reserved
    warnings: list[str] = []
    suggestion = None
    if not fits:
        nxt = next((n for n in AUTO_TP if n > tp and valid_tp(arch, n) and text_need_bytes(setup, n, context) <= usable), None)
        need_gb = float(text_need_bytes(setup, tp, context)) / GB
        suggestion = f"does not fit: {need_gb:.1f} GB per GPU needed for the weights and one sequence, {usable / GB:.1f} GB usable" + (
            f"; try --gpus {nxt}" if nxt else "; try a lower --precision or a larger GPU"
        )
    elif concurrency is not None:
        if max_batch < concurrency:
            warnings.append(
                f"only {max_batch} of the {concurrency} requests run at once (limited by {limited}); the rest wait, which the TTFT shown leaves out"
            )
        if tpot_t is not None and float(arr.tpot_s[0]) * 1e3 > tpot_t or ttft_t is not None and float(arr.ttft_s[0]) * 1e3 > ttft_t:
            warnings.append(f"at concurrency {concurrency} the latency targets (TTFT {ttft_t:g} ms, TPOT {tpot_t:g} ms) are not met")
    elif max_batch == 0:
        it1 = float(arr.tpot_s[0]) * 1e3
        which = "TPOT" if tpot_t is not None and it1 > tpot_t else "TTFT"
        got = it1 if which == "TPOT" else float(arr.ttft_s[0]) * 1e3
        tgt = tpot_t if which == "TPOT" else ttft_t
        warnings.append(f"the {which} target of {tgt:g} ms cannot be met even at batch 1 ({got:.1f} ms); try more --gpus or a faster GPU")
    if auto:
        warnings.append(f"--gpus not given: {tp} GPU(s) per replica is the cheapest tensor-parallel size that fits")
    warnings.extend(pcie_collectives_note(g, tp))
    warnings.extend(_EFFICIENCY.get((setup, g), ("notes", precision), lambda: _engine_notes(setup, g, precision, arch.is_moe)))
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
    burst = (
        _burst(setup, tp, requests, prompt_tokens, output_tokens, output_lengths, max_output_tokens, w.architecture.max_context, price, concurrency)
        if fits else None
    )
    return ensure_finite(
        build(
            TextResult,
            capplan_version=__version__,
            inputs=build(
                TextInputs,
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
                engine=setup.engine_id,
                compute_precision=setup.compute_precision,
                concurrency=concurrency,
                moe_parallel=("dep" if setup.engine.attention_dp else "ep") if setup.engine.expert_parallel else "tp",
                engine_version=engine_version,
                poll_interval=setup.poll_interval,
                max_model_len=max_model_len if max_model_len is not None else w.architecture.max_context,
                cuda_graph_max_batch=int(setup.engine.graph_max_batch) if math.isfinite(setup.engine.graph_max_batch) else None,
            ),
            efficiency=_EFFICIENCY.get((setup, eff, g), (stack_id,), lambda: _engine_efficiency(_efficiency_used(stack_id, setup.rates, eff, serving=True), setup, g)),
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
            economics=economics_used(econ, hour),
            cost_breakdown_usd=build(CostBreakdown, hardware=cost_all * hw / price, energy=cost_all * en / price) if cost_all is not None else None,
            power_kw=facility_w * tp / 1e3,
            energy_kwh_per_million_tokens=energy_per_m,
            carbon_kg_per_million_tokens=energy_per_m * carbon if energy_per_m is not None and carbon is not None else None,
            burst=burst,
            warnings=warnings,
        ),
        "text",
    )


def _check_weight_precision(g: GPUProfile, precision: str, compute_precision: str | None) -> str:
    """The compute precision of a text model stored at ``precision`` on ``g`` (see
    :func:`capplan.planning.resolve.compute_precision_for`), or a one-line error."""
    if precision not in TEXT_PRECISIONS:
        raise UserError("precision", precision, f"choose one of {', '.join(TEXT_PRECISIONS)}")
    if compute_precision is not None:
        if compute_precision not in COMPUTE_PRECISIONS:
            raise UserError("compute_precision", compute_precision, f"choose one of {', '.join(COMPUTE_PRECISIONS)}")
        # narrower arithmetic than storage would quantise the weights again: not a serving mode
        if BYTES_PER_VALUE[compute_precision] < BYTES_PER_VALUE[precision] - 0.1:
            raise UserError("compute_precision", compute_precision, f"a compute precision at least as wide as the {precision} weights")
    try:
        return compute_precision_for(g, precision, compute_precision)
    except KeyError:
        have = [p for p in COMPUTE_PRECISIONS if g.peak_tflop_per_s(p) is not None]
        raise UserError("compute_precision" if compute_precision else "precision", compute_precision or precision, f"{g.id} computes in {', '.join(have)}") from None


def _moe_layout(parallel: str | None, expert_parallel: bool | None, attention_dp: bool | None) -> tuple[bool | None, bool | None]:
    for name, v in (("expert_parallel", expert_parallel), ("attention_dp", attention_dp)):
        if v is not None and not isinstance(v, bool):
            raise UserError(name, v, "choose true or false")
    if parallel is None:
        return expert_parallel, attention_dp
    if parallel not in PARALLEL:
        raise UserError("parallel", parallel, f"choose one of {', '.join(PARALLEL)}")
    if expert_parallel is not None or attention_dp is not None:
        raise UserError("parallel", parallel, "give parallel or expert_parallel/attention_dp, not both")
    return PARALLEL[parallel]


def _auto_fixed(setup: TextSetup, candidates: tuple[int, ...], concurrency: int, P: int, O: int, reserved: float) -> TextArrays:
    """Fixed concurrency over the first fitting tensor-parallel sizes: the cheapest per token, as text_auto."""
    c = np.asarray(candidates, dtype=float)
    r = text_fixed(setup, tp=c, concurrency=concurrency, prompt_tokens=P, output_tokens=O, reserved_bytes=reserved)
    eligible = r.fits & (np.cumsum(r.fits) <= AUTO_TP_TRIES)
    if not eligible.any():
        return r.take([len(c) - 1])
    score = np.where(eligible & (r.tokens_per_s > 0), c / np.where(r.tokens_per_s > 0, r.tokens_per_s, 1.0), np.inf)
    return r.take([int(np.argmin(score)) if np.isfinite(score).any() else int(np.argmax(eligible))])


def _engine_efficiency(used: EfficiencyUsed, setup: TextSetup, g: GPUProfile) -> EfficiencyUsed:
    """The efficiencies used, their source naming the engine's figures first where it has them."""
    e = engine_for(setup.engine_id, g)
    if not e.kernels:
        return used
    src = load_engines().engines[e.id].kernels[g.architecture].source
    keys = ", ".join(e.kernels)
    return used.model_copy(update={"source": f"{e.name} on {g.architecture} ({keys}), hardware_profiles/engines.toml: {src} Otherwise: {used.source}"})


def _engine_notes(setup: TextSetup, g: GPUProfile, precision: str, moe: bool) -> list[str]:
    """What the result should say about the engine figures and the precision it used."""
    notes = []
    e = engine_for(setup.engine_id, g)
    low = setup.compute_precision in ("fp8", "fp4")
    # only the keys this run would read: its compute width, MoE keys for MoE models (block-fp8 is not modelled)
    w4 = precision in ("int4", "fp4") and not low  # weight-only 4-bit: the W4A16 streaming figure is read
    used = [
        k for k in e.missing_kernels
        if (moe or "moe" not in k) and (setup.arch.is_mla or "mla" not in k) and "block" not in k and (w4 or "w4" not in k) and (("fp8" in k) == low or "attention" in k or k == "fused_moe_frac")
    ]
    # MLA's prefill figure falls back to the engine's other prefill figure, and stands in for it
    prefill_keys = {"prefill_attention_frac", "prefill_mla_attention_frac"}
    missing = [k for k in used if k not in prefill_keys or prefill_keys <= set(e.missing_kernels)]
    if missing:
        notes.append(f"{e.name} has no {g.architecture} figure for {', '.join(missing)}: efficiency.toml's engine-neutral serving figures are used")
    if setup.compute_precision != COMPUTE_PRECISION[precision]:
        notes.append(
            f"{precision} weights are stored and streamed at {precision} width and computed at {setup.compute_precision}"
            + (f" ({g.id} has no {COMPUTE_PRECISION[precision]} tensor cores; weight-only quantisation)" if g.peak_tflop_per_s(COMPUTE_PRECISION[precision]) is None else "")
        )
    return notes


def _burst(
    setup: TextSetup, tp: int, requests: int | None, P: int, O: int, lengths: str, cut: int | None, max_context: int, usd_per_gpu_hour: float,
    concurrency: int | None = None,
) -> BurstRun | None:
    """A run of ``requests`` on one replica of ``tp`` GPUs (all at once, or ``concurrency`` in flight),
    or None when not asked for."""
    if requests is None:
        return None
    # uniform: 1 .. 2 O - 1, mean O; exponential: cut at the context's room after the prompt, or at 20
    # means, beyond which e^-20 of the mass lies
    top = {
        "fixed": None, "uniform": float(cut if cut is not None else 2 * O - 1), "exponential": float(cut if cut is not None else min(max_context - P, 20 * O)),
    }[lengths]
    in_flight = concurrency if concurrency is not None and concurrency < requests else None  # (else: all at once)
    try:
        est = text_burst(
            setup, tp=tp, requests=requests, prompt_tokens=P, output_tokens=O, lengths=lengths, max_output_tokens=top,
            concurrency=None if in_flight is None else float(in_flight),
        )
    except ValueError as exc:  # (too long to follow iteration by iteration: the steady state's throughput applies)
        raise UserError("requests", requests, f"{exc}; for this many requests use the steady-state throughput (without requests)") from None
    if est is None:
        return None
    gpu_hours = est.duration_s * tp / 3600.0
    return build(
        BurstRun, requests=requests, concurrency=in_flight, output_lengths=lengths,
        max_output_tokens=top if lengths != "fixed" else None, duration_s=est.duration_s, output_tokens_per_s=est.output_tokens_per_s,
        mean_ttft_ms=est.mean_ttft_s * 1e3, mean_tpot_ms=est.mean_tpot_s * 1e3 if np.isfinite(est.mean_tpot_s) else None,
        iterations=est.iterations, gpu_hours=gpu_hours, cost_usd=gpu_hours * usd_per_gpu_hour,
    )


def _iteration_by_part(it: transformer.StepCost | None, k: int) -> IterationByPart | None:
    """The iteration at batch index ``k`` by kernel group, and which groups sit on the kernel floor."""
    if it is None:
        return None
    s = it if type(it.time_s) is float else it.at(k)  # (a one-scenario capacity's iteration is one already)
    # (time, floor, idle gaps between its kernels and the dense GEMMs' and attention's ramps, roofline): a part is floored
    # where its floors lengthen it beyond its roofline (each dense GEMM is floored on its own); the experts' fixed per-operation time is
    # not a floor, so they count as floored where their time is the floor's
    parts = {
        "gemm": (s.gemm_time_s - s.expert_time_s, s.gemm_floor_s, s.gemm_gap_s + s.gemm_ramp_s, max(s.gemm_compute_s, s.gemm_memory_s)),
        "experts": (s.expert_time_s, s.expert_floor_s, s.expert_gap_s, None),
        "attention": (s.attention_time_s, s.attention_floor_s, s.attention_gap_s + s.attention_ramp_s, max(s.attention_compute_s, s.attention_memory_s)),
        "elementwise": (s.elementwise_time_s, s.elementwise_floor_s, s.elementwise_gap_s, s.elementwise_memory_s),
    }
    floored = [
        name for name, (t, fl, gap, roof) in parts.items()
        if fl > 0 and (t - gap <= fl * (1 + 1e-9) if roof is None else t - gap > roof * (1 + 1e-9))
    ]
    return build(IterationByPart, **{name: float(t) for name, (t, *_) in parts.items()}, communication=float(s.communication_time_s), at_kernel_floor=floored, host=float(s.overhead_s))
