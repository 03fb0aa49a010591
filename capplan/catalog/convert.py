"""Catalogue entries (file units) -> model inputs (SI). The only place GB, TB/s and TFLOP/s become numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from capplan.models.device import DeviceRates, attention_frac_for_head_dim
from capplan.models.precision import COMPUTE_PRECISION

if TYPE_CHECKING:  # the entries are records at run time (capplan.catalog.records)
    from numpy.typing import ArrayLike

    from capplan.catalog.schemas import EfficiencyProfile, GPUProfile, RuntimeDefaults, TextWorkload, VideoWorkload
    from capplan.models.dit import DiTArchitecture
    from capplan.models.transformer import AllReduce, KernelFloors, LLMArchitecture

GB = 1e9
TB = 1e12
TFLOP = 1e12


def device_rates(
    gpu: GPUProfile, eff: EfficiencyProfile, precision: str, head_dim: int, *, compute_precision: str | None = None,
    engine_kernels: Mapping[str, float] | None = None,
) -> DeviceRates:
    """Rates of ``gpu`` for a model stored at ``precision`` with attention ``head_dim``, its GEMMs run at
    ``compute_precision`` (None: the format's own). ``engine_kernels``: a serving engine's kernel figures
    for this GPU (keys of capplan.catalog.engines.KERNEL_KEYS), which replace the engine-neutral serving
    fields they name; the prefill-attention figure is at head dim 128 and is scaled to ``head_dim`` as the
    engine-neutral figures are.

    Raises KeyError if the chip has no tensor rate for the compute precision (callers check first).
    """
    compute_precision = compute_precision or COMPUTE_PRECISION[precision]
    peak = gpu.peak_tflop_per_s(compute_precision)
    if peak is None:
        raise KeyError(compute_precision)
    serving_gemm, weight_stream, kv_bw = eff.serving_fracs(compute_precision)
    attention = float(attention_frac_for_head_dim(eff.attention_hdim64_frac, eff.attention_hdim128_frac, head_dim))
    k = engine_kernels or {}
    low = compute_precision in ("fp8", "fp4")
    serving_gemm = k.get("serving_gemm_fp8_frac" if low else "serving_gemm_frac", serving_gemm)
    weight_stream = k.get("weight_stream_fp8_frac" if low else "weight_stream_frac", weight_stream)
    if precision in ("int4", "fp4") and not low:  # 4-bit weights computed at 16 bits: the engine's W4A16 GEMMs
        weight_stream = k.get("weight_stream_w4_frac", weight_stream)
    kv_bw = k.get("decode_attention_bandwidth_frac", kv_bw)
    if "prefill_attention_frac" in k:
        attention = attention * k["prefill_attention_frac"] / eff.attention_hdim128_frac
    return DeviceRates(
        serving_gemm_frac=serving_gemm,
        weight_stream_frac=weight_stream,
        kv_bandwidth_frac=kv_bw,
        gemm_flop_per_s=peak * TFLOP,
        gemm_frac=eff.gemm_frac_for(compute_precision),
        bf16_flop_per_s=gpu.compute.bf16_tflop_per_s * TFLOP,
        bf16_gemm_frac=eff.gemm_frac,
        attention_frac=attention,
        conv_frac=eff.conv_frac,
        memory_bandwidth_bytes_per_s=gpu.memory.memory_bandwidth_tb_per_s * TB,
        memory_bandwidth_frac=eff.memory_bandwidth_frac,
        memory_bytes=gpu.device_memory_bytes(),
        scale_up_bytes_per_s=gpu.interconnect.scale_up_gb_per_s * GB,
        host_link_bytes_per_s=gpu.interconnect.host_link_gb_per_s * GB,
    )


def dit_architecture(w: VideoWorkload, runtime: RuntimeDefaults | None = None) -> DiTArchitecture:
    """The DiT model's numbers for ``w``; with ``runtime``, the catalogue's measured all-to-all curve in
    place of the workload's fixed share."""
    # the model classes are imported where used: a text what-if does not define the DiT's, nor video the LLM's
    from capplan.models.dit import ELEMENTWISE_FFN_PASSES, ELEMENTWISE_HIDDEN_PASSES, DiTArchitecture

    curve = (runtime.all_to_all_frac_by_mib if runtime is not None else None) or []

    d, v = w.dit, w.vae
    return DiTArchitecture(
        dit_params=d.params,
        hidden_size=d.hidden_size,
        layers=d.layers,
        heads=d.heads,
        head_dim=d.head_dim,
        ffn_size=d.ffn_size,
        ffn_gated=d.ffn_gated,
        patch_t=d.patch_t,
        patch_h=d.patch_h,
        patch_w=d.patch_w,
        full_3d_attention=d.attention == "full_3d",
        joint_text=d.text_conditioning == "joint",
        text_tokens=d.text_tokens,
        vae_temporal_compression=v.temporal_compression,
        vae_spatial_compression=v.spatial_compression,
        vae_causal_first_frame=v.causal_first_frame,
        vae_params=v.params,
        vae_decode_flop_per_pixel=v.decode_flop_per_pixel,
        text_encoder_params=sum(t.params for t in w.text_encoders),
        video_token_params=d.video_token_params,
        text_token_params=d.text_token_params,
        guided_forwards_per_step=w.defaults.guided_forwards_per_step,
        vae_chunk_frames=v.chunk_frames or 0,
        vae_chunk_latent_frames=v.chunk_latent_frames or 0,
        vae_decode_time_factor=v.decode_time_factor,
        vae_decode_split=w.pipeline.vae_decode_split,
        text_encoder_split=w.pipeline.text_encoder_split,
        all_to_all_latency_s=w.pipeline.all_to_all_latency_s,
        all_to_all_bandwidth_frac=w.pipeline.all_to_all_bandwidth_frac,
        all_to_all_frac_by_bytes=tuple((mib * 2**20, frac) for mib, frac in curve),
        elementwise_hidden_passes=_or(d.elementwise_hidden_passes, ELEMENTWISE_HIDDEN_PASSES),
        elementwise_inner_passes=_or(d.elementwise_inner_passes, 0.0),
        elementwise_ffn_passes=_or(d.elementwise_ffn_passes, ELEMENTWISE_FFN_PASSES),
    )


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def llm_architecture(w: TextWorkload) -> LLMArchitecture:
    from capplan.models.transformer import LLMArchitecture

    a, m, mla = w.architecture, w.moe, w.mla
    return LLMArchitecture(
        layers=a.layers,
        hidden_size=a.hidden_size,
        heads=a.heads,
        kv_heads=a.kv_heads,
        head_dim=a.head_dim,
        ffn_size=a.ffn_size,
        ffn_gated=a.ffn_gated,
        vocab_size=a.vocab_size,
        tied_embeddings=a.tied_embeddings,
        n_experts=m.n_experts if m else 0,
        experts_per_token=m.experts_per_token if m else 0,
        n_shared_experts=m.n_shared_experts if m else 0,
        expert_ffn_size=m.expert_ffn_size if m else 0,
        first_dense_layers=m.first_dense_layers if m else 0,
        kv_lora_rank=mla.kv_lora_rank if mla else 0,
        q_lora_rank=(mla.q_lora_rank or 0) if mla else 0,
        qk_nope_head_dim=mla.qk_nope_head_dim if mla else 0,
        qk_rope_head_dim=mla.qk_rope_head_dim if mla else 0,
        v_head_dim=mla.v_head_dim if mla else 0,
        qk_norm=a.qk_norm,
    )


def allreduce(runtime: RuntimeDefaults, gpu: GPUProfile, tp: ArrayLike) -> AllReduce:
    """The all-reduce cost model of TP groups of ``gpu`` under the runtime's measured figures; ``tp`` may
    be an array (one group size per scenario), giving an AllReduce of arrays."""
    from capplan.models.transformer import AllReduce

    link = gpu.interconnect.scale_up_gb_per_s
    factor = float((runtime.custom_allreduce_latency_factor_by_gpu or {}).get(gpu.id, 1.0))
    t = np.asarray(tp, dtype=float)
    if t.size == 1:
        t = t.reshape(())
    if t.ndim == 0:
        ring_lat, bus_frac, custom_lat, custom_bw = runtime.allreduce_for(int(t), link)
        custom_lat = None if custom_lat is None else custom_lat * factor
        return AllReduce(ring_latency_s=ring_lat, bus_frac=bus_frac, custom_latency_s=custom_lat, custom_bytes_per_s=custom_bw)
    sizes = np.array(sorted(set(t.ravel().tolist())), dtype=float)  # (np.unique would import numpy.ma on a what-if's path)
    table = [runtime.allreduce_for(int(v), link) for v in sizes]
    idx = np.searchsorted(sizes, t)
    ring_lat, bus_frac = table[0][0], table[0][1]
    if any(row[2] is None or row[3] is None for row in table):
        return AllReduce(ring_latency_s=ring_lat, bus_frac=bus_frac)
    lat = np.array([row[2] for row in table], dtype=float)[idx] * factor
    bw = np.array([row[3] for row in table], dtype=float)[idx]
    return AllReduce(ring_latency_s=ring_lat, bus_frac=bus_frac, custom_latency_s=lat, custom_bytes_per_s=bw)  # type: ignore[arg-type]


def kernel_floors(runtime: RuntimeDefaults, gpu: GPUProfile) -> KernelFloors:
    """The shortest kernel and fused-MoE times on ``gpu``'s vendor's serving stack, and the idle gap
    between consecutive kernels there (0 when none is catalogued)."""
    from capplan.models.transformer import KernelFloors

    return KernelFloors(
        kernel_s=float((runtime.min_kernel_time_s_by_vendor or {}).get(gpu.vendor, 0.0)),
        fused_moe_s=float((runtime.min_fused_moe_time_s_by_vendor or {}).get(gpu.vendor, 0.0)),
        gemm_s=float((runtime.min_gemm_kernel_time_s_by_vendor or {}).get(gpu.vendor, 0.0)),
        gap_s=float((runtime.kernel_gap_s_by_vendor or {}).get(gpu.vendor, 0.0)),
        gap_visible_s=float((runtime.kernel_gap_visible_s_by_vendor or {}).get(gpu.vendor, 0.0)),
        gemm_ramp_s=float((runtime.gemm_ramp_s_by_architecture or {}).get(gpu.architecture, 0.0)),
        attention_ramp_s=float((runtime.attention_ramp_s_by_architecture or {}).get(gpu.architecture, 0.0)),
        attention_unit_s=float((runtime.attention_unit_s_by_architecture or {}).get(gpu.architecture, 0.0)),
        mla_attention_ramp_s=float((runtime.mla_attention_ramp_s_by_architecture or {}).get(gpu.architecture, 0.0)),
        mla_attention_unit_s=float((runtime.mla_attention_unit_s_by_architecture or {}).get(gpu.architecture, 0.0)),
    )
