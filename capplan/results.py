"""Typed inputs and outputs of the public API (pydantic). JSON output is ``model_dump(mode="json")`` of
these models, so their field names are the JSON contract; ``capplan schema`` prints their JSON Schema."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class EfficiencyUsed(_Out):
    """The achieved fractions of peak the estimate used (text: the LLM serving-kernel figures)."""

    stack: str
    gemm_frac: float
    attention_frac: float
    conv_frac: float
    memory_bandwidth_frac: float = Field(description="video: memory-bound ops; text: weight streaming")
    kv_bandwidth_frac: float | None = Field(default=None, description="text: paged-KV attention reads")
    source: str


class CostBreakdown(_Out):
    hardware: float = Field(description="rent, or amortised capex + upkeep [USD]")
    energy: float = Field(description="electricity at the facility (0 when renting: included in the rent) [USD]")


class EconomicsUsed(_Out):
    pricing: Literal["rent", "own"]
    gpu_usd_per_hour: float = Field(description="all-in cost of one busy GPU-hour")
    hardware_usd_per_gpu_hour: float
    energy_usd_per_gpu_hour: float
    pue: float
    electricity_usd_per_kwh: float
    facility_w_per_gpu: float = Field(description="busy GPU + server share, x PUE [W]")
    carbon_kg_per_kwh: float | None


class Uncertainty(_Out):
    """Monte Carlo over uncertain inputs (uniform draws, seeded)."""

    metric: str
    samples: int
    valid_samples: int = Field(description="draws that gave a cost (the rest: infeasible or no batch meets the targets)")
    seed: int
    ranges: dict[str, list[float]]
    p10: float
    p50: float
    p90: float
    metrics: dict[str, dict[str, float]] | None = Field(
        default=None, description="plan: P10/P50/P90 of each reported metric (siloed, consolidated and the saving), keyed by metric"
    )


class VideoInputs(_Out):
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


class FlopByStage(_Out):
    text_encoder: float
    dit_linear: float
    self_attention: float
    cross_attention: float
    vae_decode: float


class TimeByStage(_Out):
    text_encoder: float
    dit_linear: float
    attention: float
    elementwise: float
    communication: float
    vae_decode: float
    offload_transfer: float


class MemoryByComponent(_Out):
    dit_weights: float
    text_encoder: float
    vae: float
    activations: float


class LongVideo(_Out):
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


class VideoResult(_Out):
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
    gpu_memory_gb: float
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
    uncertainty: Uncertainty | None = None
    warnings: list[str] = Field(default_factory=list)


class GPUListing(_Out):
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


class WorkloadListing(_Out):
    id: str
    name: str
    kind: Literal["video", "text"]
    params: float
    detail: str


class TextInputs(_Out):
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


class IterationByPart(_Out):
    """One steady-state serving iteration (= TPOT) at max_batch, by kernel group [s]."""

    gemm: float = Field(description="dense GEMMs: projections, dense MLPs, shared experts, LM head")
    experts: float = Field(description="routed experts (MoE)")
    attention: float
    elementwise: float = Field(description="norms, activations, MoE combine")
    communication: float = Field(description="tensor-parallel all-reduces")
    at_kernel_floor: list[str] = Field(default_factory=list, description="parts whose time is set by the kernel-time floor, not by FLOPs or bytes")
    host: float = Field(default=0.0, description="the serving engine's scheduler/host time per iteration that its overlap scheduler does not hide")


class TextResult(_Out):
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
    prefill_time_share: float = Field(description="share of GPU time spent on prefill, used to split cost")
    iteration_s: IterationByPart | None = Field(default=None, description="the iteration at max_batch by part (none when no batch fits)")
    cost_per_million_output_tokens_usd: float | None
    cost_per_million_input_tokens_usd: float | None
    cost_per_million_tokens_usd: float | None = Field(description="all cost over input + output tokens")
    economics: EconomicsUsed
    cost_breakdown_usd: CostBreakdown | None = Field(description="per million tokens (input + output), blended")
    power_kw: float = Field(description="facility power of one busy replica [kW]")
    energy_kwh_per_million_tokens: float | None = Field(description="per million output tokens [kWh]")
    carbon_kg_per_million_tokens: float | None = Field(description="per million output tokens [kg CO2e]")
    uncertainty: Uncertainty | None = None
    warnings: list[str] = Field(default_factory=list)


class ServiceCapacity(_Out):
    service: str
    kind: Literal["text", "video"]
    gpu: str
    gpus_per_replica: int
    capacity_per_gpu: float = Field(description="requests/s (text) or videos/hour (video) per GPU; 0 = cannot serve")
    capacity_per_gpu_co_resident: float | None = Field(default=None, description="text: requests/s per GPU with the video pipeline resident too")
    note: str = ""


class HourPlan(_Out):
    hour: int
    text_gpus: float
    video_gpus: float
    switching_gpus: float = Field(description="GPUs' time lost reloading weights when changing role [GPU-hours in the hour]")
    idle_gpus: float
    video_backlog: float = Field(description="videos waiting at the end of the hour")
    power_mw: float


class FleetPlan(_Out):
    mode: Literal["siloed", "consolidated"]
    status: str
    gpus: dict[str, int] = Field(description="GPU type -> count, all fleets")
    fleets: dict[str, dict[str, int]] = Field(description="fleet -> GPU type -> count")
    total_gpus: int
    racks: int
    total_cost_usd: float
    cost_per_hour_usd: float
    hardware_cost_usd: float
    energy_cost_usd: float
    fixed_cost_usd: float
    network_cost_usd: float
    text_cost_usd: float
    video_cost_usd: float
    cost_per_video_minute_usd: float | None
    cost_per_million_tokens_usd: float | None
    utilization: float = Field(description="busy GPU-hours / owned GPU-hours")
    idle_gpu_hours: float
    backfill_value_usd: float
    peak_power_mw: float
    energy_mwh: float
    solve_s: float = Field(default=0.0, exclude=True, description="solver wall time [s]; left out of JSON so that two runs give identical bytes")
    mip_gap: float | None
    schedule: list[HourPlan]


class Crossing(_Out):
    bytes_per_request: float
    siloed_added_latency_ms: float
    siloed_network_cost_usd: float
    consolidated_added_latency_ms: float = 0.0
    consolidated_network_cost_usd: float = 0.0


class Infeasible(_Out):
    """Why an arrangement has no plan: the constraint that binds and by how much."""

    constraint: str = Field(description="power_cap, availability, max_racks or demand")
    reason: str
    amount: float | None = Field(description="what the plan would need, in unit")
    limit: float | None = Field(description="what the constraint allows, in unit")
    unit: str
    hour: int | None = Field(default=None, description="the hour where it binds (power)")


class PlanResult(_Out):
    schema_version: str = SCHEMA_VERSION
    capplan_version: str
    currency: str = "USD"
    scenario: str
    scenario_file: str
    horizon_hours: int
    pricing: Literal["rent", "own"]
    cost_split: str = "a shared fleet's cost is split between text and video by the GPU-hours each used"
    video_minutes: float
    million_tokens: float
    capacities: list[ServiceCapacity]
    siloed: FleetPlan | None = Field(description="null when no siloed fleet meets the constraints (see infeasible)")
    consolidated: FleetPlan | None = Field(description="null when no consolidated fleet meets the constraints (see infeasible)")
    infeasible: dict[str, Infeasible] = Field(
        default_factory=dict, description="arrangement (siloed, consolidated) -> why no fleet of that arrangement meets the constraints"
    )
    savings_usd: float | None = Field(description="siloed minus consolidated total cost; null when either is infeasible")
    savings_pct: float | None
    consolidated_sharing: Literal["reload", "co-resident"] = Field(
        default="reload", description="reload: GPUs reload the video weights when they change role; co-resident: both models stay in memory"
    )
    crossing: Crossing | None
    uncertainty: Uncertainty | None = None
    warnings: list[str] = Field(default_factory=list)
    assumptions: Assumptions | None = None
    demand: DemandSeries | None = None


class SweepRow(_Out):
    inputs: dict[str, Any] = Field(description="the varied inputs of this scenario")
    status: Literal["ok", "does not fit", "no batch meets the targets", "cannot run"] = Field(
        default="ok", description="ok: priced; otherwise why this cell has no cost (see reason)"
    )
    reason: str | None = Field(default=None, description="why the cell cannot run, as the what-if command would say it")
    cost_per_unit_usd: float | None = Field(description="USD per video-minute (video) or per million tokens, input + output (text); null: not priced (see status)")
    unit: str
    time_s: float | None = Field(description="wall time of the requested video (video)")
    gpu_seconds: float | None
    peak_memory_gb: float | None
    fits_in_memory: bool | None
    energy_kwh_per_unit: float | None = Field(description="kWh per video-minute or per million output tokens")
    throughput: float | None
    throughput_unit: str
    max_batch: int | None = None
    gpus_per_replica: int | None = None


class SweepResult(_Out):
    schema_version: str = SCHEMA_VERSION
    capplan_version: str
    currency: str = "USD"
    command: Literal["video", "text"]
    varied: list[str]
    fixed: dict[str, Any]
    n_scenarios: int
    rows: list[SweepRow]


@dataclass(frozen=True)
class SweepColumns:
    """A chunk of a sweep as columns (one entry per scenario, grid order from ``start``): what
    ``iter_sweep`` (``from capplan.api.sweep import iter_sweep``) yields, so that large sweeps are priced and written without
    one object per row. NaN in a numeric column is a missing value (null in JSON)."""

    command: str
    varied: list[str]
    fixed: dict[str, Any]
    start: int
    n_total: int
    unit: str
    throughput_unit: str
    grid: dict[str, list[Any]]  # each varied key's values
    index: dict[str, np.ndarray]  # each scenario's index into them
    data: dict[str, Any]

    @property
    def n(self) -> int:
        return len(self.data["status"])

    @property
    def inputs(self) -> dict[str, list[Any]]:
        return {k: [v[i] for i in self.index[k].tolist()] for k, v in self.grid.items()}

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each scenario as a dict with the keys (and order) of :class:`SweepRow`."""
        d = self.data
        num = {k: np.asarray(d[k], dtype=float).tolist() for k in ("cost_per_unit_usd", "time_s", "gpu_seconds", "peak_memory_gb", "energy_kwh_per_unit", "throughput")}
        ints = {k: np.asarray(d[k], dtype=float).tolist() for k in ("max_batch", "gpus_per_replica")}
        fits = np.asarray(d["fits_in_memory"], dtype=float).tolist()
        status, reason = list(d["status"]), list(d["reason"])
        inputs = self.inputs
        keys = list(inputs)
        cols = [inputs[k] for k in keys]
        nan = math.isnan
        for i in range(self.n):
            yield {
                "inputs": {k: c[i] for k, c in zip(keys, cols)},
                "status": status[i],
                "reason": reason[i],
                "cost_per_unit_usd": None if nan(num["cost_per_unit_usd"][i]) else num["cost_per_unit_usd"][i],
                "unit": self.unit,
                "time_s": None if nan(num["time_s"][i]) else num["time_s"][i],
                "gpu_seconds": None if nan(num["gpu_seconds"][i]) else num["gpu_seconds"][i],
                "peak_memory_gb": None if nan(num["peak_memory_gb"][i]) else num["peak_memory_gb"][i],
                "fits_in_memory": None if nan(fits[i]) else bool(fits[i]),
                "energy_kwh_per_unit": None if nan(num["energy_kwh_per_unit"][i]) else num["energy_kwh_per_unit"][i],
                "throughput": None if nan(num["throughput"][i]) else num["throughput"][i],
                "throughput_unit": self.throughput_unit,
                "max_batch": None if nan(ints["max_batch"][i]) else int(ints["max_batch"][i]),
                "gpus_per_replica": None if nan(ints["gpus_per_replica"][i]) else int(ints["gpus_per_replica"][i]),
            }


class SensitivityRow(_Out):
    input: str
    key: str
    output_low: float | None = Field(description="the metric with this input lowered by pct")
    output_high: float | None = Field(description="the metric with this input raised by pct")
    swing: float | None = Field(description="|high - low|")


class SensitivityResult(_Out):
    schema_version: str = SCHEMA_VERSION
    capplan_version: str
    currency: str = "USD"
    command: Literal["video", "text", "plan"]
    metric: str
    pct: float
    base_value: float
    rows: list[SensitivityRow]


class ValidationRow(_Out):
    kind: Literal["video", "text"]
    model: str
    gpu: str
    num_gpus: int
    quantity: str
    measured: float
    predicted: float
    error: float = Field(description="(predicted - measured) / measured")
    verified: bool = Field(description="false: the row comes from a secondary source")
    source: str


class ErrorSummary(_Out):
    group: str
    n: int
    median_abs_error: float
    p90_abs_error: float
    median_signed_error: float = Field(
        description="median of predicted time / measured time - 1 (a throughput's time is its inverse): below 0 the model is optimistic and under-buys"
    )


class ValidateResult(_Out):
    schema_version: str = SCHEMA_VERSION
    capplan_version: str
    stack: str
    calibration: str | None
    rows: list[ValidationRow]
    summary: list[ErrorSummary]


class FittedFactor(_Out):
    kind: Literal["video", "text"] = Field(description="the kernels the factor applies to: video DiT kernels or LLM serving kernels")
    gpu: str
    op_class: Literal["gemm", "attention", "bandwidth", "conv"]
    multiplier: float = Field(description="fitted efficiency / default efficiency")


class CalibrateResult(_Out):
    schema_version: str = SCHEMA_VERSION
    capplan_version: str
    measurements: str
    stack: str
    n_rows: int
    default_median_abs_error: float
    fitted_median_abs_error: float
    held_out_median_abs_error: float
    held_out_method: str
    factors: list[FittedFactor]
    covers: str = Field(description="what the fit saw: it changes only these kinds, GPUs and stack")
    rejected_rows: list[str] = Field(default_factory=list, description="rows that could not be used, with the reason")
    warnings: list[str] = Field(default_factory=list)
    calibration_file: str | None


# --- plan assumptions and demand (appended; filled by plan(), rendered by capplan.report) ----------


class DemandSeries(_Out):
    """The hourly demand a plan was sized against, summed over the services of each kind."""

    text_demand: list[float] | None = Field(default=None, description="text requests per second, all text services, one value per hour [1/s]")
    video_arrivals: list[float] | None = Field(default=None, description="videos arriving per hour, all video services, one value per hour [1/h]")


class Assumptions(_Out):
    """What a plan's numbers rest on, so that a reader (or a finance team) can check and restate them."""

    stack: str = Field(description="attention / kernel stack whose efficiencies the models used")
    engine: str | None = Field(default=None, description="serving engine whose defaults (batching, memory reserve) were used")
    pricing: Literal["rent", "own"]
    gpu_usd_per_hour: dict[str, float] = Field(description="GPU type -> all-in cost of one GPU-hour used in the plan [USD]")
    hardware_usd_per_gpu_hour: dict[str, float] | None = Field(
        default=None, description="GPU type -> rent, or amortised capex + upkeep, per GPU-hour, without energy [USD]"
    )
    electricity_usd_per_kwh: float | None = Field(default=None, description="owned GPUs: mean electricity price [USD/kWh]")
    pue: float | None = Field(default=None, description="owned GPUs: facility power / IT power")
    backfill_usd_per_gpu_hour: float = Field(description="what an idle GPU-hour is worth when backfilled (batch work, resale) [USD]")
    tokens_counted: Literal["input + output"] = Field(
        default="input + output", description="cost per million tokens divides by input + output tokens together (a blended price)"
    )
    horizon_hours: int
    power_cap_mw: float | None = Field(default=None, description="site power cap the plan had to respect (none: uncapped) [MW]")
    notes: list[str] = Field(default_factory=list, description="other assumptions, one sentence each")
