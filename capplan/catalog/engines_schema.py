"""The schema of hardware_profiles/engines.toml (pydantic), used when the file is read and validated.

:mod:`capplan.catalog.engines` keeps the validated file as plain records in the catalogue cache, so a
text what-if served from the cache does not define these classes (docs/benchmarks.md, "Cold start")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from capplan.catalog.engines import RELEASE_FIELDS
from capplan.catalog.schemas import Fraction, Identifier, NonNegFloat, PositiveFloat, PositiveInt, Source, _Strict

#: Two (expert columns per GPU, fraction of peak) points of a fused-MoE shape rule.
Anchors = Annotated[list[Annotated[list[PositiveFloat], Field(min_length=2, max_length=2)]], Field(min_length=2, max_length=2)]

class EngineKernels(_Strict):
    serving_gemm_frac: Fraction | None = None
    serving_gemm_fp8_frac: Fraction | None = None
    serving_gemm_fp8_block_frac: Fraction | None = None
    prefill_attention_frac: Fraction | None = None
    prefill_mla_attention_frac: Fraction | None = None  # MLA's prefill attention (multi-head form), where it differs
    decode_attention_bandwidth_frac: Fraction | None = None
    weight_stream_frac: Fraction | None = None
    weight_stream_fp8_frac: Fraction | None = None
    weight_stream_w4_frac: Fraction | None = None  # dense 4-bit weights computed at 16 bits (W4A16 GEMMs)
    fused_moe_frac: Fraction | None = None
    fused_moe_weight_stream_frac: Fraction | None = None
    fused_moe_weight_stream_fp8_frac: Fraction | None = None
    fused_moe_fp8_block_frac: Fraction | None = None
    fused_moe_weight_stream_fp8_block_frac: Fraction | None = None
    # 4-bit experts computed at 16 bits (weight-only): of 16-bit peak, and of HBM bandwidth
    fused_moe_w4a16_frac: Fraction | None = None
    fused_moe_weight_stream_w4_frac: Fraction | None = None
    source: Source


class TritonFusedMoe(_Strict):
    """Efficiency of the Triton fused-MoE kernel by expert shape (see transformer.FusedMoeShape)."""

    # (smallest per-expert weight slab on a GPU [MB], fraction of HBM bandwidth), largest slab first
    stream_frac_by_expert_mb: list[Annotated[list[NonNegFloat], Field(min_length=2, max_length=2)]] = Field(min_length=1)
    # two (columns per GPU, fraction of 16-bit peak) anchors, log-linear between them, then clamped
    compute_frac_by_columns: Annotated[list[Annotated[list[PositiveFloat], Field(min_length=2, max_length=2)]], Field(min_length=2, max_length=2)]
    compute_frac_clamp: Annotated[list[Fraction], Field(min_length=2, max_length=2)]
    # block-scaled fp8 GEMMs: the 16-bit rule times the engine's factor, as a fraction of fp8 peak (an engine not
    # listed: fp8 keeps the engine's figure)
    fp8_compute_factor_by_engine: dict[Identifier, PositiveFloat] = Field(default_factory=dict)
    fp8_source: Source | None = None
    combine: Literal["max", "quadrature"]
    source: Source

    @model_validator(mode="after")
    def _largest_first(self) -> TritonFusedMoe:
        sizes = [mb for mb, _ in self.stream_frac_by_expert_mb]
        if sizes != sorted(sizes, reverse=True) or sizes[-1] != 0:
            raise ValueError("stream_frac_by_expert_mb must list slabs from the largest down to 0")
        fracs = [f for _, f in self.stream_frac_by_expert_mb] + [f for _, f in self.compute_frac_by_columns]
        if any(f > 1 for f in fracs):
            raise ValueError("a fraction of peak above 1")
        return self


class MemoryTier(_Strict):
    """SGLang's defaults for GPUs below ``below_gpu_memory_gib`` (None: no upper bound); first match wins."""

    below_gpu_memory_gib: Annotated[float, Field(gt=0)] | None = None
    chunked_prefill_size: PositiveInt
    cuda_graph_max_bs_tp_below_4: PositiveInt
    cuda_graph_max_bs_tp_4_or_more: PositiveInt


#: Kernel groups an engine may launch with programmatic dependent launch (PDL), by the names the models use.
PdlGroup = Literal["dense_gemm", "experts", "attention", "elementwise"]


class OlderVersions(_Strict):
    """Defaults of the engine's releases before ``version`` that differ from the current ones. Every
    field is optional (None: this entry says nothing about it); ``kernels`` overrides single kernel keys
    of a generation the engine's profile lists."""

    version: Annotated[str, Field(pattern=r"^\d+(\.\d+)*$")]
    scheduler_overhead_s_per_iteration: NonNegFloat | None = None
    scheduler_overhead_s_per_sequence: NonNegFloat | None = None
    prefill_cuda_graph_max_tokens: Annotated[int, Field(ge=0)] | None = None
    # the largest decode batch that replays a CUDA graph; 0: the release ran every iteration without one
    cuda_graph_max_batch: Annotated[int, Field(ge=0)] | None = None
    # the running-request limit of the release (every GPU)
    max_num_seqs: PositiveInt | None = None
    # a scheduler that turns chunked prefill on only for contexts above this many tokens (vLLM V0); without
    # it prompts run in prefill-only iterations and an iteration holds max(context, unchunked_min_batched_tokens)
    # tokens, with it chunked_prefill_batched_tokens
    chunked_prefill_above_context: PositiveInt | None = None
    chunked_prefill_batched_tokens: PositiveInt | None = None
    unchunked_min_batched_tokens: PositiveInt | None = None
    chunked_prefill_on_amd: bool | None = None  # whether the context rule applies on AMD GPUs
    # the kernel groups the release launches with PDL, by GPU generation (an empty list: none)
    pdl_groups: dict[Identifier, list[PdlGroup]] | None = None
    # host seconds per kernel launch outside CUDA graphs of the release (its runtime's dispatch path)
    eager_host_s_per_kernel: NonNegFloat | None = None
    eager_host_s_per_kernel_mla_moe: NonNegFloat | None = None
    # by GPU generation: the release's block-fp8 dense GEMMs ran an untuned fixed-tile config there, each
    # taking this per 128-deep block of its reduction (K) dimension
    untuned_block_fp8_gemm_s_per_k_block: dict[Identifier, NonNegFloat] | None = None
    # the release's block-fp8 compute factor of the Triton fused-MoE shape rule ([triton_fused_moe])
    triton_fp8_compute_factor: PositiveFloat | None = None
    kernels: dict[Identifier, EngineKernels] | None = None
    source: Source

    @model_validator(mode="after")
    def _says_something(self) -> OlderVersions:
        if all(getattr(self, name) is None for name in RELEASE_FIELDS) and not self.kernels:
            raise ValueError(f"the entry for releases before {self.version} sets no figure; set one of {', '.join(RELEASE_FIELDS)} or kernels")
        return self


class EngineProfile(_Strict):
    name: str
    version: str
    gpu_memory_utilization_frac: Fraction
    gpu_memory_utilization_basis: Literal["total", "total_static", "free_after_load"]
    max_num_seqs: PositiveInt
    max_num_seqs_small_gpu: PositiveInt | None = None
    max_num_batched_tokens: PositiveInt
    max_num_batched_tokens_small_gpu: PositiveInt | None = None
    # which GPUs get the *_small_gpu defaults: below this memory, or whose id contains one of these names
    small_gpu_below_gib: PositiveFloat | None = None
    small_gpu_names: list[str] = Field(default_factory=list)
    cuda_graph_max_batch: PositiveInt
    scheduler_overhead_s_per_iteration: NonNegFloat
    # host time per running sequence per iteration that the scheduler does not hide (0: none published)
    scheduler_overhead_s_per_sequence: NonNegFloat = 0.0
    scheduler_overlapped: bool
    # the most tokens a prefill (or mixed) iteration may hold and still replay a CUDA graph; 0: prefill
    # always runs eager. None: not stated (prefill is priced like a graphed decode batch)
    prefill_cuda_graph_max_tokens: Annotated[int, Field(ge=0)] | None = None
    # new prompts run as prefill batches of their own between decode batches (not mixed into them)
    separate_prefill_batches: bool = False
    prefill_source: Source | None = None
    # the scheduler admits a request only when the KV cache holds its prompt plus its whole requested
    # output (TensorRT-LLM's GUARANTEED_NO_EVICT); False: blocks are taken as tokens arrive
    kv_reserved_to_completion: bool = False
    kv_reservation_source: Source | None = None
    # host seconds per kernel (as capplan counts them) of a forward run outside CUDA graphs, where the
    # engine's Python dispatch is measured; None: the driver-path eager_kernel_launch_s of the file
    eager_host_s_per_kernel: NonNegFloat | None = None
    eager_host_s_per_kernel_mla_moe: NonNegFloat | None = None  # MLA + MoE (DeepSeek-family) layers
    eager_host_source: Source | None = None
    # activation-quantisation kernels the engine fuses into the norm / activation kernel before the GEMM,
    # per layer (fp8 / fp4 compute); the other quantised GEMM inputs each launch a quantisation kernel
    act_quant_fused_inputs_per_layer: Annotated[int, Field(ge=0)] = 0
    act_quant_source: Source | None = None
    # generations on which the engine's tensor-parallel MoE runs the Triton fused-MoE kernel
    triton_fused_moe_generations: list[Identifier] = Field(default_factory=list)
    # the first release whose kernels the rule was measured on (older releases keep the fixed figures)
    triton_fused_moe_since: Annotated[str, Field(pattern=r"^\d+(\.\d+)*$")] | None = None
    triton_fused_moe_source: Source | None = None
    moe_parallel_default: Literal["tp", "dep"] = "tp"
    moe_parallel_source: str | None = None
    # kernel groups the engine launches with programmatic dependent launch (CUDA, compute capability 9.0
    # and up), by GPU generation: the GPU's idle gap between those kernels is hidden
    pdl_groups: dict[Identifier, list[PdlGroup]] = Field(default_factory=dict)
    pdl_source: Source | None = None
    # the engine's decode attention kernel's time per (decoding sequence x KV head), by GPU generation, in
    # place of efficiency.toml's attention_unit_s_by_architecture
    decode_attention_unit_s: dict[Identifier, NonNegFloat] = Field(default_factory=dict)
    decode_attention_unit_source: Source | None = None
    # its GQA decode attention's streaming rate over an fp8 KV cache as a share of the 16-bit one, by GPU
    # architecture, in place of efficiency.toml's fp8_kv_decode_ratio_by_gpu
    fp8_kv_decode_ratio: dict[Identifier, Fraction] = Field(default_factory=dict)
    fp8_kv_decode_source: Source | None = None
    # its fused MoE over block-scaled fp8 experts: two (expert columns per GPU, fraction of fp8 peak) anchors by
    # GPU architecture, log-linear between them and held at their values outside (in place of a single figure)
    fused_moe_fp8_block_by_columns: dict[Identifier, Anchors] = Field(default_factory=dict)
    fused_moe_fp8_block_by_columns_source: Source | None = None
    # ... and over NVFP4 experts, as a fraction of fp4 peak
    fused_moe_nvfp4_by_columns: dict[Identifier, Anchors] = Field(default_factory=dict)
    fused_moe_nvfp4_by_columns_source: Source | None = None
    source: Source
    gpu_memory_tiers: list[MemoryTier] | None = None
    before_version: list[OlderVersions] | None = None
    kernels: dict[Identifier, EngineKernels] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _older_kernels_run_here(self) -> EngineProfile:
        # an older release's kernel override for a generation the profile does not list would never apply
        for o in self.before_version or []:
            for gen in o.kernels or {}:
                if gen not in self.kernels:
                    raise ValueError(f"before_version {o.version} sets kernels for {gen}, which the engine's kernels do not list ({', '.join(self.kernels)})")
        return self


class EnginesFile(_Strict):
    default_engine: Identifier
    eager_kernel_launch_s: NonNegFloat
    eager_kernel_launch_source: Source
    triton_fused_moe: TritonFusedMoe | None = None
    # the engines' host time per kernel outside graphs on each vendor's GPUs, as a multiple of NVIDIA's
    eager_host_factor_by_vendor: dict[str, PositiveFloat] | None = None
    eager_host_factor_source: Source | None = None
    engines: dict[Identifier, EngineProfile]
