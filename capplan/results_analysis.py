"""Results of sweeps, sensitivity, validation and calibration (pydantic); re-exported by
:mod:`capplan.results`, which documents why they live apart."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field

from capplan.results import SCHEMA_VERSION, _Out


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
    line: int = Field(description="the row's line in its CSV file (the header is line 1)")
    beats_ideal: bool = Field(
        default=False,
        description="the measurement is faster than the run priced with every kernel at peak and no overheads: the run had something "
        "its row does not state (prefix-cache hits, speculative decoding); listed, left out of the summary",
    )
    cause: str | None = Field(
        default=None,
        description="a bundled row more than 30% off: the id of its stated cause in validation/residuals.toml (docs/validation.md, "
        "'Every row more than 30% off'); null for every other row and for a user's file",
    )


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
