"""Schemas of the catalogue files (pydantic). Field names carry their units as written in the files
(GB, TB/s, TFLOP/s); conversion to SI happens in :mod:`capplan.catalog.convert`, nowhere else. The
catalogue validates each file here once, then keeps it as a plain record (:mod:`capplan.catalog.records`,
which also holds the methods of these classes).

No ``from __future__ import annotations`` here or in :mod:`capplan.results`: with it pydantic
evaluates every field's annotation string when the class is created, some 3 ms of each cold start
(docs/benchmarks.md). A model is therefore defined after the models its fields name."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from capplan.catalog.records import EfficiencyProfileMethods, EnergyMethods, GPUProfileMethods, RuntimeDefaultsMethods, VideoWorkloadMethods

PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(gt=0)]
Source = Annotated[str, Field(min_length=8, description="document, table/section and date the numbers come from")]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)]


class _Strict(BaseModel):
    # defer_build: a model's validator is built when first used, so commands pay only for theirs.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, strict=True)


# --- hardware -------------------------------------------------------------------------------------


class Compute(_Strict):
    fp32_tflop_per_s: PositiveFloat
    tf32_tflop_per_s: PositiveFloat | None = None
    bf16_tflop_per_s: PositiveFloat
    fp16_tflop_per_s: PositiveFloat | None = None
    fp8_tflop_per_s: PositiveFloat | None = None
    fp4_tflop_per_s: PositiveFloat | None = None
    sm_count: PositiveInt | None = None
    boost_clock_ghz: PositiveFloat | None = None
    source: Source


class Memory(_Strict):
    memory_gb: PositiveFloat
    # the total the runtime reports (cudaMemGetInfo / rocm-smi), what engines take their memory share of;
    # None: memory_gb (decimal GB) stands in
    device_memory_mib: PositiveInt | None = None
    memory_bandwidth_tb_per_s: PositiveFloat
    source: Source


class Interconnect(_Strict):
    scale_up_gb_per_s: PositiveFloat
    host_link_gb_per_s: PositiveFloat
    source: Source


class Power(_Strict):
    tdp_w: PositiveFloat
    idle_w: PositiveFloat
    server_overhead_w_per_gpu: NonNegFloat
    source: Source

    @model_validator(mode="after")
    def _idle_below_tdp(self) -> "Power":
        if self.idle_w >= self.tdp_w:
            raise ValueError(f"idle_w ({self.idle_w}) must be below tdp_w ({self.tdp_w})")
        return self


class Price(_Strict):
    usd_per_gpu_hour: Annotated[float, Field(gt=0, le=1e5, allow_inf_nan=False)]
    source: Source
    capex_usd_per_gpu: Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)] | None = None
    capex_source: str | None = None


class GPUProfile(_Strict, GPUProfileMethods):
    """One file of hardware_profiles/."""

    id: Identifier
    name: str
    vendor: Literal["nvidia", "amd", "intel", "google", "other"]
    architecture: str
    form_factor: str
    compute: Compute
    memory: Memory
    interconnect: Interconnect
    power: Power
    price: Price


# --- efficiency (software stack x chip) -----------------------------------------------------------


class StackInfo(_Strict):
    description: str


class EfficiencyProfile(_Strict, EfficiencyProfileMethods):
    """Achieved fractions of peak for one chip under one software stack, from kernel benchmarks."""

    gemm_frac: Fraction
    gemm_fp8_frac: Fraction | None = None
    gemm_fp4_frac: Fraction | None = None
    attention_hdim64_frac: Fraction
    attention_hdim128_frac: Fraction
    conv_frac: Fraction
    memory_bandwidth_frac: Fraction
    source: Source
    # LLM serving kernels (optional; without them the text model falls back to the figures above):
    serving_gemm_frac: Fraction | None = None  # bf16 GEMMs at serving shapes (M = 256-4096 tokens)
    serving_gemm_fp8_frac: Fraction | None = None
    weight_stream_frac: Fraction | None = None  # HBM bandwidth of weight-streaming decode GEMMs, bf16
    weight_stream_fp8_frac: Fraction | None = None
    decode_attention_bandwidth_frac: Fraction | None = None  # paged-KV decode attention
    serving_source: str | None = None


# --- workloads ------------------------------------------------------------------------------------


Params = Annotated[float, Field(gt=0, le=1e14, allow_inf_nan=False)]


class DiTSection(_Strict):
    params: Params
    hidden_size: PositiveInt
    layers: PositiveInt
    heads: PositiveInt
    head_dim: PositiveInt
    ffn_size: PositiveInt
    ffn_gated: bool
    patch_t: PositiveInt
    patch_h: PositiveInt
    patch_w: PositiveInt
    attention: Literal["full_3d", "factorised"]
    text_conditioning: Literal["joint", "cross"]
    text_tokens: PositiveInt
    source: Source
    # Weights acting on each video / each text token (counted from the model code; see dit.token_params).
    # Without them every weight counts against every token, which overstates the linear FLOPs of models
    # whose adaLN modulation, text stream or cross-attention K/V are a large share of the parameters.
    video_token_params: Params | None = None
    text_token_params: Annotated[float, Field(ge=0, le=1e14, allow_inf_nan=False)] | None = None
    token_params_source: str | None = None
    # Memory-bound traffic per token and block of the reference implementation, in passes of a bf16
    # vector of the hidden / attention / ffn width (see capplan.models.dit.ELEMENTWISE_HIDDEN_PASSES).
    elementwise_hidden_passes: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)] | None = None
    elementwise_inner_passes: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)] | None = None
    elementwise_ffn_passes: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)] | None = None
    elementwise_source: str | None = None

    @model_validator(mode="after")
    def _token_params_within_total(self) -> "DiTSection":
        for name in ("video_token_params", "text_token_params"):
            v = getattr(self, name)
            if v is not None and v > self.params:
                raise ValueError(f"{name} ({v:g}) exceeds params ({self.params:g})")
        return self


class VAESection(_Strict):
    temporal_compression: PositiveInt
    spatial_compression: PositiveInt
    latent_channels: PositiveInt
    causal_first_frame: bool
    params: Params
    decode_flop_per_pixel: Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)]
    source: Source
    # A VAE that decodes independent chunks of frames (Step-Video-T2V: 17 frames <-> 3 latent frames).
    chunk_frames: PositiveInt | None = None
    chunk_latent_frames: PositiveInt | None = None
    # Published decode time / the conv-rule time (decode FLOPs at conv_frac) on the benchmark's GPU.
    decode_time_factor: Annotated[float, Field(ge=0.1, le=100, allow_inf_nan=False)] = 1.0
    decode_time_source: str | None = None

    @model_validator(mode="after")
    def _chunks_paired(self) -> "VAESection":
        if (self.chunk_frames is None) != (self.chunk_latent_frames is None):
            raise ValueError("chunk_frames and chunk_latent_frames go together")
        return self


class TextEncoder(_Strict):
    name: str
    params: Params
    source: Source


class VideoDefaults(_Strict):
    width: Annotated[int, Field(gt=0, le=16384)]
    height: Annotated[int, Field(gt=0, le=16384)]
    frames: Annotated[int, Field(gt=0, le=100_000)]
    fps: Annotated[float, Field(ge=0.1, le=1000, allow_inf_nan=False)]
    steps: Annotated[int, Field(gt=0, le=10_000)]
    cfg: bool
    source: Source
    guided_forwards_per_step: Annotated[int, Field(ge=2, le=8)] = 2  # DiT forwards per step with guidance on


class VideoPipeline(_Strict):
    """How the model's reference multi-GPU pipeline runs the stages around the DiT."""

    vae_decode_split: bool = False  # VAE decode divided across the sequence-parallel GPUs
    text_encoder_split: bool = False
    all_to_all_latency_s: NonNegFloat = 0.0  # fixed cost of one Ulysses all-to-all
    all_to_all_bandwidth_frac: Fraction = 1.0  # achieved share of the scale-up link's bandwidth
    source: str = ""


class VideoWorkload(_Strict, VideoWorkloadMethods):
    """One file of workloads/video/."""

    id: Identifier
    name: str
    kind: Literal["video"]
    organization: str = ""
    dit: DiTSection
    vae: VAESection
    text_encoders: list[TextEncoder] = Field(default_factory=list)
    defaults: VideoDefaults
    pipeline: VideoPipeline = Field(default_factory=VideoPipeline)


class TextArchitecture(_Strict):
    params_total: Params
    params_active: Params
    layers: PositiveInt
    hidden_size: PositiveInt
    heads: PositiveInt
    kv_heads: PositiveInt
    head_dim: PositiveInt
    ffn_size: PositiveInt
    ffn_gated: bool
    vocab_size: PositiveInt
    tied_embeddings: bool
    max_context: PositiveInt
    attention: Literal["gqa", "mla"] = "gqa"
    # a per-head RMSNorm on the queries and on the keys of every layer (Qwen3's q_norm / k_norm)
    qk_norm: bool = False
    source: Source

    @model_validator(mode="after")
    def _consistent(self) -> "TextArchitecture":
        if self.params_active > self.params_total:
            raise ValueError("params_active exceeds params_total")
        if self.heads % self.kv_heads:
            raise ValueError(f"heads ({self.heads}) must be a multiple of kv_heads ({self.kv_heads})")
        return self


class MoESection(_Strict):
    n_experts: PositiveInt
    experts_per_token: PositiveInt
    n_shared_experts: Annotated[int, Field(ge=0)] = 0
    expert_ffn_size: PositiveInt
    first_dense_layers: Annotated[int, Field(ge=0)] = 0
    source: Source

    @model_validator(mode="after")
    def _k_le_n(self) -> "MoESection":
        if self.experts_per_token > self.n_experts:
            raise ValueError("experts_per_token exceeds n_experts")
        return self


class MLASection(_Strict):
    kv_lora_rank: PositiveInt
    q_lora_rank: PositiveInt | None = None
    qk_nope_head_dim: PositiveInt
    qk_rope_head_dim: PositiveInt
    v_head_dim: PositiveInt
    source: Source


class TextWorkload(_Strict):
    """One file of workloads/text/."""

    id: Identifier
    name: str
    kind: Literal["text"]
    organization: str = ""
    architecture: TextArchitecture
    moe: MoESection | None = None
    mla: MLASection | None = None
    # how the publisher's fp8 checkpoint scales its weights: one scale per 128 x 128 block (DeepSeek,
    # Qwen3 -FP8) or per tensor/channel; None: no fp8 checkpoint is published (fp8 means per tensor)
    fp8_checkpoint: Literal["block", "tensor"] | None = None
    fp8_checkpoint_source: str | None = None
    # ... and its 4-bit one: NVIDIA's NVFP4 (E2M1 values, an fp8 scale per 16) or the OCP MXFP4 (an 8-bit
    # power-of-two scale per 32); None: no 4-bit checkpoint is published
    fp4_checkpoint: Literal["nvfp4", "mxfp4"] | None = None
    fp4_checkpoint_source: str | None = None

    @model_validator(mode="after")
    def _mla_present(self) -> "TextWorkload":
        if self.architecture.attention == "mla" and self.mla is None:
            raise ValueError("attention = 'mla' needs an [mla] table")
        return self

    @model_validator(mode="after")
    def _params_match_dimensions(self) -> "TextWorkload":
        # capplan costs a model from its dimensions, not from params_total: a declared total far from
        # the count means a dimension is wrong (hidden_size = 1e9 priced a minute at $1.8e14).
        from capplan.catalog.convert import llm_architecture
        from capplan.models.transformer import param_counts

        counted = param_counts(llm_architecture(self)).total
        declared = self.architecture.params_total
        if abs(counted - declared) > PARAMS_TOLERANCE_FRAC * declared:
            raise ValueError(
                f"architecture.params_total ({declared:.4g}) differs from the {counted:.4g} parameters counted from "
                f"the dimensions by more than {PARAMS_TOLERANCE_FRAC:.0%}; check layers, hidden_size, ffn sizes, "
                "experts and vocab_size against the model's config"
            )
        return self


#: How far a text model's declared params_total may be from the count of its dimensions. The count
#: leaves out norms and biases (< 0.1%); published totals are rounded to 3 digits and some include modules
#: that serving skips (DeepSeek-V3's 14B multi-token-prediction layer: 685B on its model card, 671B
#: served, 2.1%). Every bundled model is within 0.11%. A wrong dimension moves the count by more: one
#: layer too many in an 80-layer model is 1.25%, a digit in hidden_size or vocab_size 10x.
PARAMS_TOLERANCE_FRAC = 0.05


class RuntimeDefaults(_Strict, RuntimeDefaultsMethods):
    """Serving-software settings and defaults the models need ([runtime] of efficiency.toml)."""

    gpu_memory_utilization_frac: Fraction
    allreduce_latency_s: NonNegFloat
    max_batch: PositiveInt
    default_ttft_ms: PositiveFloat
    default_tpot_ms: PositiveFloat
    source: Source
    # all-reduce inside a tensor-parallel group (see capplan.models.transformer.AllReduce)
    allreduce_bus_bandwidth_frac: Fraction = 1.0
    custom_allreduce_latency_s_by_tp: dict[str, NonNegFloat] | None = None
    custom_allreduce_gb_per_s_by_tp: dict[str, PositiveFloat] | None = None
    custom_allreduce_reference_link_gb_per_s: PositiveFloat | None = None
    # the custom kernel's fixed latency on a GPU as a multiple of the one it was measured on (by GPU id)
    custom_allreduce_latency_factor_by_gpu: dict[str, PositiveFloat] | None = None
    allreduce_source: str | None = None
    # shortest time a kernel takes inside a CUDA/HIP graph, by GPU vendor (see transformer.step_cost)
    min_kernel_time_s_by_vendor: dict[str, NonNegFloat] | None = None
    # ... and of one fused-MoE operation (align, two grouped GEMMs, activation, combine) at one token
    min_fused_moe_time_s_by_vendor: dict[str, NonNegFloat] | None = None
    min_kernel_source: str | None = None
    # ... and of one GEMM-class kernel (dense GEMM, absorbed-MLA BMM, router GEMM) at decode batch sizes
    min_gemm_kernel_time_s_by_vendor: dict[str, NonNegFloat] | None = None
    min_gemm_kernel_source: str | None = None
    # idle time between two consecutive dependent kernels on the GPU (launch and ramp of the next), by vendor
    kernel_gap_s_by_vendor: dict[str, NonNegFloat] | None = None
    # ... of which a profiler shows this much between kernels (the rest is inside measured kernel times)
    kernel_gap_visible_s_by_vendor: dict[str, NonNegFloat] | None = None
    kernel_gap_source: str | None = None
    # time a dense GEMM takes beyond its roofline, its gap excluded, by GPU architecture
    gemm_ramp_s_by_architecture: dict[str, NonNegFloat] | None = None
    gemm_ramp_source: str | None = None
    # time a paged decode-attention kernel takes beyond its roofline (its gap excluded), and its time per
    # (decoding sequence x KV head on the GPU), by GPU architecture
    attention_ramp_s_by_architecture: dict[str, NonNegFloat] | None = None
    attention_unit_s_by_architecture: dict[str, NonNegFloat] | None = None
    attention_ramp_source: str | None = None
    # ... the same for MLA's decode kernels (per decoding sequence)
    mla_attention_ramp_s_by_architecture: dict[str, NonNegFloat] | None = None
    mla_attention_unit_s_by_architecture: dict[str, NonNegFloat] | None = None
    mla_attention_ramp_source: str | None = None
    # GQA decode attention over an fp8 KV cache: its streaming rate as a share of the 16-bit one, by GPU id
    # (absent: 1, the rate of a 16-bit cache); a serving engine may state its own by architecture
    fp8_kv_decode_ratio_by_gpu: dict[str, Fraction] | None = None
    fp8_kv_decode_source: str | None = None
    # A video DiT's sequence-parallel all-to-all: (message per GPU [MiB], achieved share of the scale-up link)
    # points, smallest first, log-linear between them and held outside (absent: the workload's fixed share)
    all_to_all_frac_by_mib: list[Annotated[list[PositiveFloat], Field(min_length=2, max_length=2)]] | None = None
    all_to_all_source: str | None = None


class EfficiencyFile(_Strict):
    """hardware_profiles/efficiency.toml."""

    default_stack: Identifier
    stacks: dict[Identifier, StackInfo]
    runtime: RuntimeDefaults
    gpu: dict[Identifier, dict[Identifier, EfficiencyProfile]]

    @model_validator(mode="after")
    def _stacks_known(self) -> "EfficiencyFile":
        if self.default_stack not in self.stacks:
            raise ValueError(f"default_stack {self.default_stack!r} is not one of the [stacks] tables")
        for gpu_id, by_stack in self.gpu.items():
            for stack in by_stack:
                if stack not in self.stacks:
                    raise ValueError(f"gpu.{gpu_id}.{stack}: unknown stack; known: {', '.join(self.stacks)}")
        return self


# --- economics (hardware_profiles/economics.toml, or a user's --economics file laid over it) -------


class Ownership(_Strict):
    amortization_years: Annotated[float, Field(ge=0.1, le=50, allow_inf_nan=False)]
    cost_of_capital_frac: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
    opex_frac_per_year: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
    source: str = ""


Price_kwh = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


class Energy(_Strict, EnergyMethods):
    electricity_usd_per_kwh: Price_kwh
    electricity_usd_per_kwh_by_hour: Annotated[list[Price_kwh], Field(min_length=24, max_length=24)] | None = None
    pue: Annotated[float, Field(ge=1, le=5, allow_inf_nan=False)]
    carbon_kg_per_kwh: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] | None = None
    source: str = ""


class Site(_Strict):
    rack_kw: Annotated[float, Field(gt=0, le=1e4, allow_inf_nan=False)]
    power_cap_mw: Annotated[float, Field(gt=0, le=1e5, allow_inf_nan=False)] | None = None
    source: str = ""


class Economics(_Strict):
    pricing: Literal["rent", "own"] = "rent"
    ownership: Ownership
    energy: Energy
    site: Site
