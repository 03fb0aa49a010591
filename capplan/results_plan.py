"""Results of `capplan plan` (pydantic); re-exported by :mod:`capplan.results`, which documents why they live apart."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from capplan.results import SCHEMA_VERSION, Uncertainty, _Out


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
