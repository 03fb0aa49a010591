"""The pydantic base of capplan's results, and the Monte Carlo summary that what-ifs and plans share.

The planner's, sweeps', sensitivity, validation and calibration results (:mod:`capplan.results_plan`,
:mod:`capplan.results_analysis`, :mod:`capplan.results_roadmap`) are pydantic models on ``_Out``; the
what-if and listing results (:mod:`capplan.results`) are plain records whose pydantic twins
(:mod:`capplan.results_base`) are built on ``_Out`` too. Re-exported by :mod:`capplan.results`. No ``from
__future__ import annotations`` (see :mod:`capplan.catalog.schemas`)."""

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


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
