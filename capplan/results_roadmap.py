"""Results of `capplan roadmap` (pydantic). JSON output is ``model_dump(mode="json")`` of these models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from capplan.results import SCHEMA_VERSION, ServiceCapacity, _Out


class Order(_Out):
    """GPUs to order (or commit to) in a month, delivered ``lead_months`` later."""

    order_month: str
    delivery_month: str
    gpu: str
    kind: Literal["on-demand", "reserved-1y", "reserved-3y", "own"]
    gpus: float = Field(description="GPUs; whole nodes except on-demand, which is rented by the GPU (a monthly average)")
    ends_month: str = Field(description="last month of the term (owned: of the service life)")
    fleet: str = Field(description="text / video (siloed) or shared (consolidated)")


class MonthPlan(_Out):
    """One month of one plan (siloed or consolidated), in that month's US dollars."""

    gpus: dict[str, float] = Field(description="GPU type -> GPUs in service")
    gpus_by_contract: dict[str, float] = Field(description="on-demand / reserved-1y / reserved-3y / own -> GPUs in service")
    total_gpus: float
    ordered_gpus: float = Field(description="GPUs ordered or committed to this month (on-demand excluded)")
    utilization: float = Field(description="busy GPU-hours / GPU-hours in service, on the month's representative day")
    cash_usd: float = Field(description="paid this month: rent, reserved payments, purchases at delivery, upkeep, energy")
    cost_usd: float = Field(description="economic cost: purchases spread over their life as an annuity at the discount rate")
    text_cost_usd: float
    video_cost_usd: float
    cost_per_million_tokens_usd: float | None
    cost_per_video_minute_usd: float | None


class RoadmapMonth(_Out):
    """One row of the roadmap: demand and both plans."""

    month: str
    index: int
    text_peak_requests_per_s: float
    videos_per_day: float
    million_tokens: float = Field(description="input + output tokens in the month [millions]")
    video_minutes: float
    discount_factor: float = Field(description="(1 + r)^(-index/12)")
    siloed: MonthPlan
    consolidated: MonthPlan


class NPVBreakdown(_Out):
    """Present value at the first month of each kind of payment [USD]."""

    on_demand: float
    reserved: float
    purchases: float
    upkeep_and_idle_energy: float
    busy_energy: float
    fixed: float = Field(description="fixed cost per fleet and month (siloed: two fleets)")
    reserved_after_horizon: float = Field(description="payments of reserved terms running past the horizon (they bind)")
    book_value_credit: float = Field(description="minus: straight-line book value of owned GPUs at the horizon's end")


class RoadmapPlan(_Out):
    mode: Literal["siloed", "consolidated"]
    status: str
    npv_usd: float = Field(description="net present cost over the horizon [USD at the first month]")
    npv: NPVBreakdown
    cash_usd: float = Field(description="undiscounted payments within the horizon")
    gpu_months: dict[str, float] = Field(description="contract kind -> GPU-months in service")
    orders: list[Order]
    mip_gap: float | None = Field(description="relative gap to the LP relaxation (a bound on how far from optimal)")
    solve_s: float = Field(default=0.0, exclude=True, description="solver wall time [s]; left out of JSON so that two runs give identical bytes")


class GPUAssumption(_Out):
    gpu: str
    first_month: str | None = Field(description="first delivery month; null = before the horizon")
    max_gpus: int | None
    contracts: list[str]
    on_demand_usd_per_gpu_hour: list[float] = Field(description="first and last month")
    capex_usd_per_gpu: list[float] | None = Field(description="first and last month")
    price_decline_frac_per_year: float


class RoadmapResult(_Out):
    schema_version: str = SCHEMA_VERSION
    capplan_version: str
    currency: str = "USD"
    scenario: str
    scenario_file: str
    start: str
    months: int
    discount_rate_frac_per_year: float
    own_life_years: float
    requirement: str = Field(
        default="each month is sized for its representative day (the first month's day x growth), served hour by hour as in `capplan plan`",
    )
    cost_split: str = "a shared fleet's cost is split between text and video by the GPU-hours each used"
    capacities: list[ServiceCapacity]
    gpus: list[GPUAssumption]
    siloed: RoadmapPlan
    consolidated: RoadmapPlan
    savings_npv_usd: float
    savings_pct: float
    rows: list[RoadmapMonth] = Field(description="one per month")
    warnings: list[str] = Field(default_factory=list)
