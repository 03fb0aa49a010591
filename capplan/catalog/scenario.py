"""Scenario files for `capplan plan` (workloads/scenarios/*.toml): demand, fleet, sharing, economics."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from capplan.catalog.schemas import Identifier, PositiveFloat, PositiveInt, _Strict

MAX_HOURS = 8784  # a leap year


class Demand(_Strict):
    """An hourly profile: ``values`` (24, 168 or horizon_hours numbers), a ``csv`` file column, or a
    named ``shape`` between ``trough`` and ``peak``."""

    values: Annotated[list[Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]], Field(min_length=1, max_length=MAX_HOURS)] | None = None
    csv: str | None = None
    column: str | None = None
    shape: Literal["flat", "business_hours", "diurnal", "evening_peak"] | None = None
    peak: Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)] | None = None
    trough: Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)] = 0.0
    weekend_frac: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] = 1.0
    scale: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] = 1.0

    @model_validator(mode="after")
    def _one_source(self) -> Demand:
        given = [n for n, v in (("values", self.values), ("csv", self.csv), ("shape", self.shape)) if v is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of values, csv or shape (got {', '.join(given) or 'none'})")
        if self.shape is not None:
            if self.peak is None:
                raise ValueError("a shape needs a peak")
            if self.trough > self.peak:
                raise ValueError(f"trough ({self.trough}) exceeds peak ({self.peak})")
        if self.csv is not None and not self.column:
            raise ValueError("a csv profile needs a column")
        return self


class TextServiceBase(_Strict):
    """What a text service serves (shared by plan scenarios and roadmaps)."""

    id: Identifier
    workload: str
    precision: str = "bf16"
    kv_precision: str = "bf16"
    prompt_tokens: PositiveInt = 1024
    output_tokens: PositiveInt = 256
    ttft_ms: PositiveFloat | None = None
    tpot_ms: PositiveFloat | None = None


class TextService(TextServiceBase):
    # how it is served (hardware_profiles/engines.toml; None: the engine's defaults)
    engine: str | None = None
    engine_version: str | None = None
    compute_precision: str | None = None
    parallel: Literal["tp", "ep", "dep"] | None = None
    requests_per_s: Demand


class VideoServiceBase(_Strict):
    """What a video service generates (shared by plan scenarios and roadmaps)."""

    id: Identifier
    workload: str
    resolution: str | None = None
    seconds: PositiveFloat | None = None
    fps: PositiveFloat | None = None
    steps: PositiveInt | None = None
    cfg: bool | None = None
    precision: str = "bf16"


class VideoService(VideoServiceBase):
    deadline_hours: Annotated[int, Field(ge=0, le=MAX_HOURS)] = 0
    videos_per_hour: Demand


class Fleet(_Strict):
    gpus: Annotated[list[str], Field(min_length=1, max_length=32)]
    availability: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    node_size: Annotated[int, Field(ge=1, le=1024)] = 8
    headroom_frac: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.0
    headroom_gpus: Annotated[int, Field(ge=0)] = 0
    fixed_usd_per_month_per_fleet: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)] = 0.0
    stack: str | None = None
    # Racks the site can hold for this plan (whole racks per GPU type at economics site.rack_kw of IT
    # load each); None = unlimited.
    max_racks: Annotated[int, Field(ge=1, le=1_000_000)] | None = None


class Sharing(_Strict):
    """How text and video share a consolidated fleet's GPUs.

    ``shared_weight_frac``: fraction of the video model's weights that are also the text model's (1 =
    one unified model): only the rest is reloaded when a GPU switches from text to video.
    ``co_resident``: keep both models on every consolidated GPU (no reloads, but the video pipeline's
    memory comes out of the text KV cache): "always", "never", or "auto" (the cheaper of the two).
    """

    shared_weight_frac: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.0
    co_resident: Literal["auto", "always", "never"] = "auto"


class Network(_Strict):
    """The link between a text cluster and a video cluster (siloed fleets) for prompts refined by the
    text model before video generation."""

    refined_prompt_frac: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
    link_gb_per_s: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]
    rtt_ms: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
    usd_per_gb: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
    refiner: str | None = None  # text service id; default: the first


class Scenario(_Strict):
    name: str
    description: str = ""
    horizon_hours: Annotated[int, Field(ge=1, le=MAX_HOURS)] = 24
    text: list[TextService] = Field(default_factory=list, max_length=16)
    video: list[VideoService] = Field(default_factory=list, max_length=16)
    fleet: Fleet
    sharing: Sharing = Field(default_factory=Sharing)
    network: Network | None = None
    backfill_usd_per_gpu_hour: Annotated[float, Field(ge=0, le=1e5, allow_inf_nan=False)] = 0.0
    economics: dict[str, Any] = Field(default_factory=dict)
    power_cap_mw: Annotated[float, Field(gt=0, le=1e5, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _has_work(self) -> Scenario:
        if not self.text and not self.video:
            raise ValueError("a scenario needs at least one [[text]] or [[video]] service")
        ids = [s.id for s in self.text] + [s.id for s in self.video]
        if len(set(ids)) != len(ids):
            raise ValueError("service ids must be unique")
        return self

