"""Typed outputs of the public API. JSON output is ``model_dump(mode="json")`` of these, so their field
names are the JSON contract; ``capplan schema`` prints their JSON Schema.

This module defines what a what-if (``capplan video``, ``capplan text``) and a listing return, as plain
records declared like pydantic models (:mod:`capplan.results_base`: their pydantic twins, built on first
use, give the JSON Schema and validation): a cold what-if does not import pydantic's model machinery.
The results of the planner (:mod:`capplan.results_plan`), of sweeps, sensitivity, validation and
calibration (:mod:`capplan.results_analysis`) and the shared :class:`Uncertainty`
(:mod:`capplan.results_common`) are pydantic models defined there and imported from here on first use
(docs/benchmarks.md, "Cold start").
"""

import importlib
from typing import TYPE_CHECKING, Any, Literal

from capplan.results_base import Field, Out

if TYPE_CHECKING:
    from capplan.results_analysis import (  # noqa: F401
        CalibrateResult,
        ErrorSummary,
        FittedFactor,
        SensitivityResult,
        SensitivityRow,
        SweepColumns,
        SweepResult,
        SweepRow,
        ValidateResult,
        ValidationRow,
    )
    from capplan.results_common import Uncertainty, _Out  # noqa: F401
    from capplan.results_plan import (  # noqa: F401
        Assumptions,
        Crossing,
        DemandSeries,
        FleetPlan,
        HourPlan,
        Infeasible,
        PlanResult,
        ServiceCapacity,
    )

SCHEMA_VERSION = "1"

#: result class -> the module that defines it (imported on first use, see the module docstring)
_ELSEWHERE: dict[str, str] = {
    "Uncertainty": "capplan.results_common",
    "_Out": "capplan.results_common",
    **dict.fromkeys(
        ("Assumptions", "Crossing", "DemandSeries", "FleetPlan", "HourPlan", "Infeasible", "PlanResult", "ServiceCapacity"), "capplan.results_plan"
    ),
    **dict.fromkeys(
        (
            "CalibrateResult",
            "ErrorSummary",
            "FittedFactor",
            "SensitivityResult",
            "SensitivityRow",
            "SweepColumns",
            "SweepResult",
            "SweepRow",
            "ValidateResult",
            "ValidationRow",
        ),
        "capplan.results_analysis",
    ),
}


def __getattr__(name: str) -> "Any":
    where = _ELSEWHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ELSEWHERE})


class _Record(Out):
    _lazy_names = {"Uncertainty": "capplan.results_common"}  # for the twins: `uncertainty: "Uncertainty | None"`


class EfficiencyUsed(_Record):
    """The achieved fractions of peak the estimate used (text: the LLM serving-kernel figures)."""

    stack: str
    gemm_frac: float
    attention_frac: float
    conv_frac: float
    memory_bandwidth_frac: float = Field(description="video: memory-bound ops; text: weight streaming")
    kv_bandwidth_frac: float | None = Field(default=None, description="text: paged-KV attention reads")
    source: str


class CostBreakdown(_Record):
    hardware: float = Field(description="rent, or amortised capex + upkeep [USD]")
    energy: float = Field(description="electricity at the facility (0 when renting: included in the rent) [USD]")


class EconomicsUsed(_Record):
    pricing: Literal["rent", "own"]
    gpu_usd_per_hour: float = Field(description="all-in cost of one busy GPU-hour")
    hardware_usd_per_gpu_hour: float
    energy_usd_per_gpu_hour: float
    pue: float
    electricity_usd_per_kwh: float
    facility_w_per_gpu: float = Field(description="busy GPU + server share, x PUE [W]")
    carbon_kg_per_kwh: float | None


class VideoInputs(_Record):
    """Every input of a video estimate, after defaults were applied."""

    workload: str
    gpu: str
    gpus: int
    width: int
    height: int
    frames: int
    fps: float
    seconds: float
    steps: int
    cfg: bool
    precision: str
    stack: str
    offload: Literal["none", "model", "sequential"]
    price_per_gpu_hour_usd: float
    clip_seconds: float
    long_video: Literal["clips", "one-sequence"]


class FlopByStage(_Record):
    text_encoder: float
    dit_linear: float
    self_attention: float
    cross_attention: float
    vae_decode: float


class TimeByStage(_Record):
    text_encoder: float
    dit_linear: float
    attention: float
    elementwise: float
    communication: float
    vae_decode: float
    offload_transfer: float


class MemoryByComponent(_Record):
    dit_weights: float
    text_encoder: float
    vae: float
    activations: float


class LongVideo(_Record):
    """How a video longer than one clip is generated, and what the alternative would cost."""

    mode: Literal["clips", "one-sequence"]
    n_clips: int
    clip_seconds: float
    clips_time_s: float
    clips_cost_per_video_minute_usd: float
    one_sequence_tokens: float
    one_sequence_time_s: float
    one_sequence_cost_per_video_minute_usd: float
    one_sequence_peak_memory_gb: float
    one_sequence_fits_in_memory: bool


class VideoResult(_Record):
    schema_version: str = SCHEMA_VERSION
    capplan_version: str
    currency: str = "USD"
    inputs: VideoInputs
    efficiency: EfficiencyUsed
    video_seconds: float = Field(description="playback length of the requested video [s]")
    n_clips: int
    latent_frames: float = Field(description="per clip")
    patches_per_frame: float
    video_tokens: float = Field(description="video tokens of one DiT sequence (one clip)")
    text_tokens: int
    tokens: float = Field(description="tokens of one DiT sequence (video + joint text tokens)")
    forward_passes: float = Field(description="DiT forwards per clip (steps x 2 with CFG)")
    flop_total: float = Field(description="FLOPs to generate the requested video [FLOP]")
    flop_by_stage: FlopByStage
    time_by_stage_s: TimeByStage = Field(description="per clip [s]")
    peak_memory_gb: float = Field(description="peak memory per GPU [GB]")
    memory_by_component_gb: MemoryByComponent
    gpu_memory_gb: float = Field(description="memory per GPU as the runtime reports its total [GB] (an '80 GB' H100 shows 85.0)")
    fits_in_memory: bool
    suggestion: str | None = None
    time_per_clip_s: float
    time_s: float = Field(description="wall time to generate the requested video [s]")
    gpu_seconds: float
    cost_per_clip_usd: float
    cost_usd: float
    cost_per_video_minute_usd: float
    gpu_hours_per_video_minute: float
    long_video: LongVideo | None = None
    economics: EconomicsUsed
    cost_breakdown_usd: CostBreakdown = Field(description="of the requested video")
    power_kw: float = Field(description="facility power while generating, all GPUs [kW]")
    energy_kwh: float = Field(description="energy of the requested video [kWh]")
    energy_kwh_per_video_minute: float
    carbon_kg_per_video_minute: float | None
    uncertainty: "Uncertainty | None" = None
    warnings: list[str] = Field(default_factory=list)


class GPUListing(_Record):
    id: str
    name: str
    vendor: str
    memory_gb: float
    memory_bandwidth_tb_per_s: float
    bf16_tflop_per_s: float
    fp8_tflop_per_s: float | None
    fp4_tflop_per_s: float | None
    tdp_w: float
    price_usd_per_gpu_hour: float


class WorkloadListing(_Record):
    id: str
    name: str
    kind: Literal["video", "text"]
    params: float
    detail: str


class TextInputs(_Record):
    workload: str
    gpu: str
    gpus: int
    gpus_auto: bool
    precision: str
    kv_precision: str
    prompt_tokens: int
    output_tokens: int
    ttft_ms: float | None
    tpot_ms: float | None
    stack: str
    price_per_gpu_hour_usd: float
    engine: str = Field(default="", description="serving engine whose defaults and kernel figures were used (hardware_profiles/engines.toml)")
    compute_precision: str = Field(default="", description="precision the GEMMs run at (below the weight format's own: weight-only quantisation)")
    concurrency: int | None = Field(default=None, description="requests in flight when fixed; None: the most that meets the latency targets")
    moe_parallel: str = Field(default="tp", description="MoE layout: tp, ep (expert parallel) or dep (expert parallel + attention data parallel)")
    engine_version: str | None = Field(default=None, description="the engine release whose defaults were used (None: the current one)")
    poll_interval: int = Field(default=1, description="decode steps between the scheduler's looks for new requests (1: every step)")
    max_model_len: int | None = Field(default=None, description="the context the server is started with [tokens] (vLLM V0 releases pick their token budget by it)")
    cuda_graph_max_batch: int | None = Field(
        default=None, description="largest decode batch replayed from a CUDA graph (the engine's default unless set; 0: none; None: no limit)"
    )


class IterationByPart(_Record):
    """One steady-state serving iteration (= TPOT) at max_batch, by kernel group [s]."""

    gemm: float = Field(description="dense GEMMs: projections, dense MLPs, shared experts, LM head")
    experts: float = Field(description="routed experts (MoE)")
    attention: float
    elementwise: float = Field(description="norms, activations, MoE combine")
    communication: float = Field(description="tensor-parallel all-reduces")
    at_kernel_floor: list[str] = Field(default_factory=list, description="parts whose time the kernel-time floors set or lengthen beyond what their FLOPs or bytes take")
    host: float = Field(default=0.0, description="the serving engine's scheduler/host time per iteration that its overlap scheduler does not hide")


class BurstRun(_Record):
    """``requests`` prompts sent to one replica, all at once or with ``concurrency`` in flight, priced
    iteration by iteration (ramp-up through the prefill budget, the drain of the longest outputs;
    docs/methodology.md, "A burst of requests")."""

    requests: int
    concurrency: int | None = Field(default=None, description="requests the client keeps in flight (None: all sent at once)")
    output_lengths: Literal["fixed", "uniform", "exponential"]
    max_output_tokens: float | None = Field(default=None, description="the longest output (uniform: the range's top; exponential: the cut)")
    duration_s: float = Field(description="first request in to last token out [s]")
    output_tokens_per_s: float = Field(description="output tokens over the whole run, per replica")
    mean_ttft_ms: float = Field(description="sending (all at time 0 without a concurrency) to first token, averaged over the requests [ms]")
    mean_tpot_ms: float | None = Field(
        default=None, description="(E2E - TTFT) / (output tokens - 1), averaged over the requests with two or more output tokens [ms]"
    )
    iterations: float
    gpu_hours: float = Field(description="GPU-hours of the replica for the whole run")
    cost_usd: float = Field(description="the replica's GPUs for the whole run at the GPU-hour price")


class TextResult(_Record):
    schema_version: str = SCHEMA_VERSION
    capplan_version: str
    currency: str = "USD"
    inputs: TextInputs
    efficiency: EfficiencyUsed
    fits_in_memory: bool
    suggestion: str | None = None
    max_batch: int = Field(description="largest batch of concurrent sequences meeting memory and latency targets (0: none)")
    batch_limited_by: Literal["memory", "tpot", "ttft", "max_batch", "none"]
    gpus_per_replica: int
    ttft_ms: float | None
    tpot_ms: float | None
    tokens_per_s_per_replica: float = Field(description="output tokens/s of one replica")
    tokens_per_s_per_gpu: float = Field(description="output tokens/s per GPU")
    input_tokens_per_s_per_gpu: float
    requests_per_s_per_replica: float
    weights_gb: float = Field(description="weights per GPU [GB]")
    kv_cache_gb: float = Field(description="KV cache per GPU at max_batch [GB]")
    kv_cache_bytes_per_token: float
    memory_gb: float = Field(description="weights + KV cache per GPU [GB]")
    usable_memory_gb: float
    prefill_time_share: float = Field(description="share of GPU time prompts add to the decode iteration (1 - decode alone / iteration), used to split cost")
    iteration_s: IterationByPart | None = Field(default=None, description="the iteration at max_batch by part (none when no batch fits)")
    cost_per_million_output_tokens_usd: float | None
    cost_per_million_input_tokens_usd: float | None
    cost_per_million_tokens_usd: float | None = Field(description="all cost over input + output tokens")
    economics: EconomicsUsed
    cost_breakdown_usd: CostBreakdown | None = Field(description="per million tokens (input + output), blended")
    power_kw: float = Field(description="facility power of one busy replica [kW]")
    energy_kwh_per_million_tokens: float | None = Field(description="per million output tokens [kWh]")
    carbon_kg_per_million_tokens: float | None = Field(description="per million output tokens [kg CO2e]")
    burst: BurstRun | None = Field(default=None, description="a burst of requests sent at once (only with requests=N)")
    uncertainty: "Uncertainty | None" = None
    warnings: list[str] = Field(default_factory=list)
