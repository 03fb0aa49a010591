"""Catalogue choices -> the core's setups: a workload on a GPU at a precision under a software stack
(and, for text, a serving engine), with a calibration's multipliers for that kind of workload applied."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from capplan.catalog.cache import ByIdentity
from capplan.catalog.calibration import NONE, Calibration
from capplan.catalog.convert import allreduce, device_rates, dit_architecture, kernel_floors, llm_architecture
from capplan.catalog.knobs import scale_rates, set_rates
from capplan.catalog.load import load_catalog
from capplan.models import transformer
from capplan.models.device import DeviceRates
from capplan.models.precision import BYTES_PER_VALUE, COMPUTE_PRECISION
from capplan.planning.core import TextSetup, VideoSetup

if TYPE_CHECKING:
    from capplan.catalog.engines import EngineSetup
    from capplan.catalog.schemas import EfficiencyProfile, GPUProfile, RuntimeDefaults, TextWorkload, VideoWorkload


def rates_for(
    kind: str, g: GPUProfile, eff: EfficiencyProfile, stack: str, precision: str, head_dim: int,
    calibration: Calibration = NONE, values: Mapping[str, Any] | None = None, *, compute_precision: str | None = None,
    engine_kernels: Mapping[str, float] | None = None,
) -> DeviceRates:
    """Device rates of ``g`` for a model of ``kind`` ("video" or "text"): the stack's efficiencies (with a
    serving engine's kernel figures over them), times the calibration's class multipliers for that kind,
    then any class set to drawn ``values``."""
    base = device_rates(g, eff, precision, head_dim, compute_precision=compute_precision, engine_kernels=engine_kernels)
    rates = scale_rates(base, calibration.scale(kind, g.id, stack))
    return set_rates(rates, values) if values else rates


def compute_precision_for(g: GPUProfile, precision: str, compute_precision: str | None = None) -> str:
    """The precision a model's GEMMs run at: ``compute_precision`` when given, else the weight format's
    own when the GPU has tensor cores for it, else 16 bits (weight-only quantisation: the weights are
    stored and streamed narrow and widened in the kernel, as Marlin-style W8A16/W4A16 and the MXFP4 MoE
    kernels on Hopper do). Raises KeyError when none applies."""
    if compute_precision is not None:
        if g.peak_tflop_per_s(compute_precision) is None:
            raise KeyError(compute_precision)
        return compute_precision
    own = COMPUTE_PRECISION[precision]
    if g.peak_tflop_per_s(own) is not None:
        return own
    for wide in ("bf16", "fp16"):
        if g.peak_tflop_per_s(wide) is not None:
            return wide
    raise KeyError(own)


#: MoE layouts by name: (expert parallel, attention data parallel).
PARALLEL = {"tp": (False, False), "ep": (True, False), "dep": (True, True)}
#: Engine kernel key -> the efficiency.toml field a user's ``--set`` changes for the same kernels.
_SAME_KERNELS = {
    "serving_gemm_frac": "serving_gemm_frac",
    "serving_gemm_fp8_frac": "serving_gemm_fp8_frac",
    "serving_gemm_fp8_block_frac": "serving_gemm_fp8_frac",
    "prefill_attention_frac": "attention_hdim128_frac",
    "prefill_mla_attention_frac": "attention_hdim128_frac",
    "decode_attention_bandwidth_frac": "decode_attention_bandwidth_frac",
    "weight_stream_frac": "weight_stream_frac",
    "weight_stream_fp8_frac": "weight_stream_fp8_frac",
    "weight_stream_w4_frac": "weight_stream_frac",
    "fused_moe_frac": "serving_gemm_frac",
    "fused_moe_weight_stream_frac": "weight_stream_frac",
    "fused_moe_weight_stream_fp8_frac": "weight_stream_fp8_frac",
}
#: The kernel keys a block-scaled fp8 / a W4A16 MoE's own figures replace.
_BLOCK_FP8_PAIRS = (("fused_moe_fp8_block_frac", "fused_moe_frac"), ("fused_moe_weight_stream_fp8_block_frac", "fused_moe_weight_stream_fp8_frac"))
_W4A16_PAIRS = (("fused_moe_w4a16_frac", "fused_moe_frac"), ("fused_moe_weight_stream_w4_frac", "fused_moe_weight_stream_frac"))
_KERNEL_CLASS = {"fused_moe_frac": "gemm", "fused_moe_weight_stream_frac": "bandwidth", "fused_moe_weight_stream_fp8_frac": "bandwidth"}


def engine_kernels_under(kernels: Mapping[str, float], eff: EfficiencyProfile, catalogued: EfficiencyProfile | None) -> dict[str, float]:
    """The engine's kernel figures that still apply once a user has changed efficiency fields (``eff``
    against the ``catalogued`` profile): a field the user set wins over the engine's figure for the same
    kernels, so a ``--set`` knob means the same under every engine."""
    if catalogued is None:
        return dict(kernels)
    return {k: v for k, v in kernels.items() if getattr(eff, _SAME_KERNELS[k]) == getattr(catalogued, _SAME_KERNELS[k])}


def engine_terms(
    e: EngineSetup, moe: bool, compute_precision: str, *, expert_parallel: bool | None = None, attention_dp: bool | None = None, mla: bool = False,
) -> transformer.EngineTerms:
    """The engine's per-iteration terms. ``expert_parallel`` / ``attention_dp`` (None: the engine's
    default layout) apply to MoE models only; dense models are tensor-parallel throughout. ``mla``: the
    model's layers are MLA + MoE ones, whose eager host time per kernel the engine may give apart."""
    ep_default, dp_default = PARALLEL[e.moe_parallel_default]
    ep = (ep_default if expert_parallel is None else expert_parallel) and moe
    dp = (dp_default if attention_dp is None else attention_dp) and moe
    low = compute_precision in ("fp8", "fp4")
    return transformer.EngineTerms(
        iteration_overhead_s=e.iteration_overhead_s,
        per_sequence_overhead_s=e.per_sequence_overhead_s,
        graph_max_batch=float(e.cuda_graph_max_batch),
        eager_launch_s=e.eager_launch_mla_moe_s if mla and moe and e.eager_launch_mla_moe_s is not None else e.eager_launch_s,
        fused_moe_frac=e.kernels.get("fused_moe_frac"),
        fused_moe_stream_frac=e.kernels.get("fused_moe_weight_stream_fp8_frac" if low else "fused_moe_weight_stream_frac"),
        expert_parallel=ep,
        attention_dp=dp,
        prefill_graph_max_tokens=e.prefill_graph_max_tokens,
        separate_prefill=e.separate_prefill,
        # (for a dense model the even spread reads the same weights and is what both forms give)
        lumpy_prefill=moe and not e.separate_prefill,
        pdl=e.pdl,
    )


def _moe_shape(
    t: Any, compute_precision: str, eff: EfficiencyProfile, catalogued: EfficiencyProfile | None, mult: Mapping[str, float], values: Mapping[str, Any] | None,
    fp8_block_scaled: bool = False, fp8_factor: float | None = None,
) -> transformer.FusedMoeShape | None:
    """The Triton fused-MoE shape rule where the engine runs that kernel (None: it does not). Its compute
    part applies to 16-bit GEMMs, and to block-scaled fp8 ones scaled by the engine's ``fp8_factor`` (the
    file's ``fp8_compute_factor_by_engine``; None: fp8 keeps the engine's figure); per-tensor fp8 keeps the
    engine's figure. A user's
    ``--set`` on the serving GEMM or weight-streaming figure, or a drawn value of that class, turns the
    matching part off (the fixed figures then apply, as for the engine's own), and a calibration scales it."""
    if t is None:
        return None
    gemm_field = "serving_gemm_fp8_frac" if compute_precision == "fp8" else "serving_gemm_frac"
    user_gemm = catalogued is not None and getattr(eff, gemm_field) != getattr(catalogued, gemm_field)
    user_stream = catalogued is not None and eff.weight_stream_frac != catalogued.weight_stream_frac
    stream = () if user_stream or (values and "bandwidth" in values) else tuple((float(mb) * 1e6, float(f)) for mb, f in t.stream_frac_by_expert_mb)
    factor = 1.0 if compute_precision in ("bf16", "fp16") else fp8_factor if compute_precision == "fp8" and fp8_block_scaled else None
    if user_gemm or (values and "gemm" in values) or factor is None:
        compute = None
    else:
        compute = tuple((float(cols), float(frac) * factor) for cols, frac in t.compute_frac_by_columns)
    return transformer.FusedMoeShape(
        stream_by_slab=stream, compute_anchors=compute, compute_clamp=tuple(float(c) * (factor or 1.0) for c in t.compute_frac_clamp),  # type: ignore[arg-type]
        quadrature=t.combine == "quadrature",
        compute_scale=float(mult.get("gemm", 1.0)), stream_scale=float(mult.get("bandwidth", 1.0)),
    )


def _fused_moe_shape(
    e: EngineSetup, w: TextWorkload, precision: str, cp: str, fp8_block_scaled: bool, w4a16: bool, eff: EfficiencyProfile,
    catalogued: EfficiencyProfile | None, mult: Mapping[str, float], values: Mapping[str, Any] | None,
) -> transformer.FusedMoeShape | None:
    """The engine's fused-MoE efficiency by expert shape for this model and precision (None: its fixed
    figures apply). The engine's measured low-precision rules (block-fp8, NVFP4) win over the Triton rule;
    a release's own block-fp8 figures, measured at these models' shapes, and a W4A16 MoE, another kernel
    than the one the Triton rule measured, win over the Triton rule."""
    if w.moe is None:
        return None
    if fp8_block_scaled and cp == "fp8":
        rule = _moe_columns_rule(e.fused_moe_fp8_block_by_columns, eff, catalogued, mult, values)
    elif precision == "fp4" and cp == "fp4" and w.fp4_checkpoint == "nvfp4":
        rule = _moe_columns_rule(e.fused_moe_nvfp4_by_columns, eff, catalogued, mult, values)
    else:
        rule = None
    block_release = fp8_block_scaled and cp in ("fp8", "fp4") and bool(e.block_fp8_kernels)
    if rule is not None or block_release or w4a16:
        return rule
    return _moe_shape(e.triton_fused_moe, cp, eff, catalogued, mult, values, fp8_block_scaled, e.triton_fp8_compute_factor)


def _moe_columns_rule(
    anchors: tuple[tuple[float, float], tuple[float, float]] | None, eff: EfficiencyProfile, catalogued: EfficiencyProfile | None,
    mult: Mapping[str, float], values: Mapping[str, Any] | None,
) -> transformer.FusedMoeShape | None:
    """An engine's low-precision (block-fp8 or NVFP4) fused MoE measured by expert shape (None: the engine
    has no such rule, or a user's ``--set`` on the low-precision serving GEMM figure or a drawn GEMM value
    replaces it): its compute fraction follows the expert columns each GPU holds (2048 / tp for
    DeepSeek-V3 under tensor parallelism, all 2048 under expert parallelism), log-linear between the two
    anchors and held at their values outside."""
    user_gemm = catalogued is not None and eff.serving_gemm_fp8_frac != catalogued.serving_gemm_fp8_frac
    if anchors is None or user_gemm or (values and "gemm" in values):
        return None
    fracs = [f for _, f in anchors]
    return transformer.FusedMoeShape(compute_anchors=anchors, compute_clamp=(min(fracs), max(fracs)), compute_scale=float(mult.get("gemm", 1.0)))


#: Resolved text setups (see text_setup).
_TEXT_SETUPS = ByIdentity()


def text_setup(
    w: TextWorkload, g: GPUProfile, eff: EfficiencyProfile, runtime: RuntimeDefaults, stack: str, precision: str, kv_precision: str,
    *, calibration: Calibration = NONE, values: Mapping[str, Any] | None = None, engine: str | None = None,
    compute_precision: str | None = None, expert_parallel: bool | None = None, attention_dp: bool | None = None,
    fp8_block_scaled: bool = False, engine_version: str | None = None, max_model_len: int | None = None,
) -> TextSetup:
    """``engine`` None: engines.toml's default engine. Its kernel figures for ``g``'s generation replace
    efficiency.toml's serving fields, its memory setting, running-request limit and token budget replace
    the [runtime] ones, and its host overhead and CUDA-graph limit enter every iteration.
    ``fp8_block_scaled``: the checkpoint's fp8 weights carry one scale per 128 x 128 block (DeepSeek's
    native fp8, the Qwen3 -FP8 releases), whose GEMMs are other kernels than per-tensor fp8 ones.
    ``max_model_len``: the context the server was started with (None: the model's), which an engine
    release may choose its token budget and prefill scheduling by (vLLM's V0 engine).

    Setups are kept (the last 64): catalogue entries and calibrations are immutable, so the same
    objects and choices give the same setup, and resolving one was a tenth of a scalar ``text()`` call.
    The objects are matched by identity (a ``--set`` makes new ones) and held, so an id is not reused
    while its entry lives; with drawn ``values`` (Monte Carlo) nothing is kept."""
    kw: dict[str, Any] = dict(
        calibration=calibration, values=values, engine=engine, compute_precision=compute_precision, expert_parallel=expert_parallel,
        attention_dp=attention_dp, fp8_block_scaled=fp8_block_scaled, engine_version=engine_version, max_model_len=max_model_len,
    )
    if values:
        return _text_setup(w, g, eff, runtime, stack, precision, kv_precision, **kw)
    return _TEXT_SETUPS.get(  # type: ignore[no-any-return]
        (w, g, eff, runtime, calibration, load_catalog()),  # (the catalogue: text_setup reads its efficiency table)
        (stack, precision, kv_precision, engine, compute_precision, expert_parallel, attention_dp, fp8_block_scaled, engine_version, max_model_len),
        lambda: _text_setup(w, g, eff, runtime, stack, precision, kv_precision, **kw),
    )


def _text_setup(
    w: TextWorkload, g: GPUProfile, eff: EfficiencyProfile, runtime: RuntimeDefaults, stack: str, precision: str, kv_precision: str,
    *, calibration: Calibration, values: Mapping[str, Any] | None, engine: str | None, compute_precision: str | None,
    expert_parallel: bool | None, attention_dp: bool | None, fp8_block_scaled: bool, engine_version: str | None, max_model_len: int | None,
) -> TextSetup:
    one_group: dict[float, Any] = {}

    def ar(tp: np.ndarray) -> Any:
        t = np.asarray(tp, dtype=float)
        if t.size != 1:
            return allreduce(runtime, g, t)
        size = float(t.reshape(-1)[0])  # one TP size (a what-if): its model is kept
        if size not in one_group:
            one_group[size] = allreduce(runtime, g, t)
        return one_group[size]

    from capplan.catalog.engines import engine_for  # a video what-if does not pay for engines.toml's schemas

    e = engine_for(engine, g, version=engine_version)
    if e.context_budget_rule is not None:
        # vLLM V0: chunked prefill (at its own token budget) only above a context length; below it prompts
        # run in prefill-only iterations of up to max(context, a floor) tokens
        above, chunked_tokens, unchunked_floor = e.context_budget_rule
        context = float(max_model_len or w.architecture.max_context)
        chunked = context > above
        e = dataclasses.replace(
            e, max_batched_tokens=int(chunked_tokens if chunked else max(context, unchunked_floor)), separate_prefill=e.separate_prefill or not chunked,
        )
    cp = compute_precision_for(g, precision, compute_precision)
    # fp8 weights are the publisher's checkpoint: block-scaled where the workload says so
    fp8_block_scaled = fp8_block_scaled or (precision == "fp8" and w.fp8_checkpoint == "block")
    catalogued = load_catalog().efficiency.gpu.get(g.id, {}).get(stack)
    kernels = engine_kernels_under(e.kernels, eff, catalogued)
    # Block-scaled fp8 experts, and 4-bit experts computed at 16 bits (weight-only W4A16), run their own
    # fused-MoE kernels where the engine has figures for them (unless a --set replaced the same kernels).
    w4a16 = precision in ("int4", "fp4") and cp in ("bf16", "fp16") and bool(e.w4a16_kernels)
    figures: Mapping[str, float] = {}
    pairs: tuple[tuple[str, str], ...] = ()
    if fp8_block_scaled and cp in ("fp8", "fp4"):
        figures, pairs = e.block_fp8_kernels, _BLOCK_FP8_PAIRS
    elif w4a16:
        figures, pairs = e.w4a16_kernels, _W4A16_PAIRS
    own = {key: figures[own_key] for own_key, key in pairs if own_key in figures}
    kernels.update(engine_kernels_under(own, eff, catalogued))
    # Calibration multipliers and drawn values act on op classes; the fused-MoE figures belong to the
    # GEMM and bandwidth classes like the dense serving figures they replace.
    mult = calibration.scale("text", g.id, stack)
    for k, cls in _KERNEL_CLASS.items():
        if k in kernels and values and cls in values:
            del kernels[k]
        elif k in kernels and cls in mult:
            kernels[k] = min(kernels[k] * mult[cls], 1.0)
    # MLA's prefill attention (the multi-head form over up-projected keys and values) has its own figure
    mla_prefill = kernels.pop("prefill_mla_attention_frac", None)
    if mla_prefill is not None and w.architecture.attention == "mla":
        kernels["prefill_attention_frac"] = mla_prefill
    if fp8_block_scaled and "serving_gemm_fp8_block_frac" in kernels:
        kernels["serving_gemm_fp8_frac"] = kernels["serving_gemm_fp8_block_frac"]
    shape = _fused_moe_shape(e, w, precision, cp, fp8_block_scaled, w4a16, eff, catalogued, mult, values)
    e = dataclasses.replace(e, kernels=kernels)
    arch = llm_architecture(w)
    terms = engine_terms(e, w.moe is not None, cp, expert_parallel=expert_parallel, attention_dp=attention_dp, mla=arch.is_mla)
    if fp8_block_scaled and cp == "fp8" and e.block_fp8_gemm_k_block_s:  # (a release's untuned block-fp8 GEMM configs)
        terms = dataclasses.replace(terms, gemm_k_block_s=e.block_fp8_gemm_k_block_s)
    if shape is not None:
        terms = dataclasses.replace(terms, fused_moe_shape=shape)
    memory = g.device_memory_bytes()
    rates = rates_for("text", g, eff, stack, precision, w.architecture.head_dim, calibration, values, compute_precision=cp, engine_kernels=kernels)
    if kv_precision == "fp8" and not arch.is_mla:
        # GQA decode kernels dequantise an fp8 cache as they read it, and on some chips that caps their rate
        # below the 16-bit one's (MLA's kernels are other tables, not measured this way)
        ratio = e.fp8_kv_decode_ratio if e.fp8_kv_decode_ratio is not None else (runtime.fp8_kv_decode_ratio_by_gpu or {}).get(g.id, 1.0)
        kv = rates.kv_bandwidth_frac if rates.kv_bandwidth_frac is not None else rates.memory_bandwidth_frac
        rates = dataclasses.replace(rates, kv_bandwidth_frac=kv * ratio)
    return TextSetup(
        arch=arch,
        rates=rates,
        weight_bytes_per_param=BYTES_PER_VALUE[precision],
        kv_bytes=BYTES_PER_VALUE[kv_precision],
        usable_bytes=memory * e.memory_frac,
        max_batch=e.max_running,
        floors=dataclasses.replace(
            kernel_floors(runtime, g), act_quant=cp in ("fp8", "fp4"), act_quant_fused_per_layer=float(e.act_quant_fused_per_layer),
            # (the engine's own decode-attention unit cost, where it has one, in place of the file's)
            **({} if e.decode_attention_unit_s is None else {"attention_unit_s": e.decode_attention_unit_s}),
        ),
        allreduce=ar,
        engine=terms,
        memory_basis=e.memory_basis,
        memory_bytes=memory,
        memory_frac=e.memory_frac,
        max_batched_tokens=float(e.max_batched_tokens),
        engine_id=e.id,
        compute_precision=cp,
        kv_reserved_to_completion=e.kv_reserved_to_completion,
    )


def video_setup(
    w: VideoWorkload, g: GPUProfile, eff: EfficiencyProfile, stack: str, precision: str, offload: str,
    *, calibration: Calibration = NONE, values: Mapping[str, Any] | None = None, runtime: RuntimeDefaults | None = None,
) -> VideoSetup:
    """``runtime``: the catalogue's [runtime] figures (None: the bundled catalogue's)."""
    return VideoSetup(
        arch=dit_architecture(w, runtime or load_catalog().efficiency.runtime),
        rates=rates_for("video", g, eff, stack, precision, w.dit.head_dim, calibration, values),
        weight_bytes_per_param=BYTES_PER_VALUE[precision],
        offload=offload,
        causal_first_frame=w.vae.causal_first_frame,
    )
