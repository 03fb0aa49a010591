"""Roadmap files for `capplan roadmap` (workloads/roadmaps/*.toml): services with a day's demand and its
growth, candidate GPUs with availability dates and price trends, contract terms, commitments."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from capplan.catalog.scenario import TextServiceBase, VideoServiceBase
from capplan.catalog.schemas import Source, _Strict

MAX_MONTHS = 60
Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
Frac = Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
Rate = Annotated[float, Field(ge=-0.99, le=100, allow_inf_nan=False)]
Big = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]


def month_index(month: str, start: str) -> int:
    """Months from ``start`` to ``month`` (both YYYY-MM)."""
    y, m = (int(v) for v in month.split("-"))
    y0, m0 = (int(v) for v in start.split("-"))
    return (y - y0) * 12 + (m - m0)


def month_label(start: str, i: int) -> str:
    y0, m0 = (int(v) for v in start.split("-"))
    k = y0 * 12 + (m0 - 1) + i
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


class DayProfile(_Strict):
    """Demand over the 24 hours of a day in the first month: 24 ``values``, or a named ``shape``
    between ``trough`` and ``peak`` (the shapes of `capplan plan`)."""

    values: Annotated[list[Big], Field(min_length=24, max_length=24)] | None = None
    shape: Literal["flat", "business_hours", "diurnal", "evening_peak"] | None = None
    peak: Big | None = None
    trough: Big = 0.0

    @model_validator(mode="after")
    def _one_source(self) -> DayProfile:
        if (self.values is None) == (self.shape is None):
            raise ValueError("give exactly one of values (24 numbers) or shape")
        if self.shape is not None:
            if self.peak is None:
                raise ValueError("a shape needs a peak")
            if self.trough > self.peak:
                raise ValueError(f"trough ({self.trough}) exceeds peak ({self.peak})")
        return self


class Growth(_Strict):
    """How a service's demand changes month by month: a yearly rate (compounded monthly) or a CSV
    column of multipliers of the first month's day, one row per month (an optional `month` column, YYYY-MM, is checked)."""

    frac_per_year: Rate | None = None
    csv: str | None = None
    column: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Growth:
        if (self.frac_per_year is None) == (self.csv is None):
            raise ValueError("give exactly one of frac_per_year or csv")
        if self.csv is not None and not self.column:
            raise ValueError("a csv growth needs a column")
        return self


class RoadmapText(TextServiceBase):
    requests_per_s: DayProfile
    growth: Growth


class RoadmapVideo(VideoServiceBase):
    deadline_hours: Annotated[int, Field(ge=0, le=72)] = 0
    videos_per_hour: DayProfile
    growth: Growth


Kind = Literal["on-demand", "reserved-1y", "reserved-3y", "own"]
ALL_KINDS: list[Kind] = ["on-demand", "reserved-1y", "reserved-3y", "own"]


class RoadmapGPU(_Strict):
    """A candidate GPU: when it can first be delivered, how many may be active at once, how its prices
    move, and which contracts it is offered under."""

    id: str
    available_from: Month | None = None
    max_gpus: Annotated[int, Field(ge=0)] | None = None
    price_decline_frac_per_year: Frac | None = None  # default: [prices]
    contracts: list[Kind] = Field(default_factory=lambda: list(ALL_KINDS), min_length=1)
    source: str = ""


class Prices(_Strict):
    """How rent and purchase prices move from the catalogue's figures (taken as the first month's)."""

    decline_frac_per_year: Frac
    source: Source


class Contracts(_Strict):
    reserved_1y_discount_frac: Frac
    reserved_3y_discount_frac: Frac
    on_demand_lead_months: Annotated[int, Field(ge=0, le=24)] = 0
    reserved_lead_months: Annotated[int, Field(ge=0, le=24)]
    own_lead_months: Annotated[int, Field(ge=0, le=24)]
    own_life_years: Annotated[float, Field(ge=1, le=10, allow_inf_nan=False)] | None = None  # default: economics amortization_years
    source: Source


class CommitmentSpec(_Strict):
    """Capacity contracted before the plan: it is kept, paid and used until its term ends."""

    gpu: str
    kind: Literal["reserved-1y", "reserved-3y", "own"]
    gpus: Annotated[int, Field(gt=0, le=10_000_000)]
    start: Month
    fleet: Literal["text", "video"] = "text"
    usd_per_gpu_hour: Annotated[float, Field(gt=0, le=1e5, allow_inf_nan=False)] | None = None  # reserved; default: discounted catalogue rent
    capex_usd_per_gpu: Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)] | None = None  # owned; default: catalogue capex


class Roadmap(_Strict):
    name: str
    description: str = ""
    start: Month
    months: Annotated[int, Field(ge=1, le=MAX_MONTHS)]
    node_size: Annotated[int, Field(ge=1, le=1024)] = 8
    headroom_frac: Frac = 0.0
    fixed_usd_per_month_per_fleet: Big = 0.0
    discount_rate_frac_per_year: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] | None = None  # default: economics cost_of_capital_frac
    stack: str | None = None
    text: list[RoadmapText] = Field(default_factory=list, max_length=8)
    video: list[RoadmapVideo] = Field(default_factory=list, max_length=8)
    gpus: Annotated[list[RoadmapGPU], Field(min_length=1, max_length=16)]
    prices: Prices
    contracts: Contracts
    commitments: list[CommitmentSpec] = Field(default_factory=list, max_length=256)
    economics: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[\w .,()+-]{1,80}", v):
            raise ValueError("a name of 1-80 letters, digits, spaces or .,()+-")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Roadmap:
        if not self.text and not self.video:
            raise ValueError("a roadmap needs at least one [[text]] or [[video]] service")
        ids = [s.id for s in self.text] + [s.id for s in self.video]
        if len(set(ids)) != len(ids):
            raise ValueError("service ids must be unique")
        gids = [g.id for g in self.gpus]
        if len(set(gids)) != len(gids):
            raise ValueError("each GPU once in [[gpus]]")
        for c in self.commitments:
            if c.gpu not in gids:
                raise ValueError(f"commitment GPU {c.gpu!r} is not one of the [[gpus]]: {', '.join(gids)}")
        return self
