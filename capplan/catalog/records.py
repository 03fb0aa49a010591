"""The validated catalogue as plain frozen records, so that a what-if served from the disk cache never
imports pydantic's model machinery nor defines the catalogue's schema classes (about 10 ms of every cold
start, docs/benchmarks.md "Cold start").

A file is validated by its pydantic schema (:mod:`capplan.catalog.schemas`) once, when the catalogue is
built; :func:`to_record` then turns the validated model into a record of the same class name with the
same fields, in the same order, holding the same values, and the same methods (the mixins below, which
the schema classes inherit too). Records are what the catalogue and its cache hold, whether the cache was
hit or not. They offer what callers use of a pydantic model: attribute access, ``model_dump``,
``model_copy`` (no validation, as pydantic's), equality and hashing by value, pickling. Anything that
changes an entry's data validates it again through :meth:`Record.schema` (``--set``, economics files).

This module must not import pydantic (tests/test_layering.py checks a cached what-if does not).
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

from capplan.frozen import Frozen

# --- the schemas' methods, shared by the pydantic classes and the records ---------------------------
# (No class annotations here: pydantic would take them for fields of the schema classes, first in order.)


class GPUProfileMethods:
    def peak_tflop_per_s(self: Any, compute_precision: str) -> float | None:
        """Dense peak at a compute precision, or None when the chip has no such tensor rate."""
        c = self.compute
        table = {
            "fp32": c.fp32_tflop_per_s,
            "tf32": c.tf32_tflop_per_s,
            "bf16": c.bf16_tflop_per_s,
            "fp16": c.fp16_tflop_per_s or c.bf16_tflop_per_s,
            "fp8": c.fp8_tflop_per_s,
            "fp4": c.fp4_tflop_per_s,
        }
        return table.get(compute_precision)  # type: ignore[no-any-return]

    def device_memory_bytes(self: Any) -> float:
        """Memory as the runtime reports its total, which serving engines and PyTorch allocate from
        (a datasheet's "80 GB" HBM3 is 85.5e9 bytes, 81082 MiB of them visible to CUDA); the datasheet
        figure in decimal GB where the profile does not give it."""
        m = self.memory
        return float(m.device_memory_mib) * 2**20 if m.device_memory_mib else float(m.memory_gb) * 1e9


class EfficiencyProfileMethods:
    def gemm_frac_for(self: Any, compute_precision: str) -> float:
        """GEMM efficiency at a compute precision; low-precision figures fall back to the bf16 one."""
        if compute_precision == "fp8" and self.gemm_fp8_frac is not None:
            return self.gemm_fp8_frac
        if compute_precision == "fp4" and self.gemm_fp4_frac is not None:
            return self.gemm_fp4_frac
        return self.gemm_frac

    def serving_fracs(self: Any, compute_precision: str) -> tuple[float, float, float]:
        """(GEMM, weight-streaming, KV-read) efficiency of LLM serving kernels at a compute precision.

        Low-precision (fp8, fp4) kernels use the fp8 figures, the nearest measured; missing figures fall
        back to the best-shape GEMM and STREAM bandwidth figures."""
        low = compute_precision in ("fp8", "fp4")
        gemm = (self.serving_gemm_fp8_frac if low else self.serving_gemm_frac) or self.gemm_frac_for(compute_precision)
        stream = (self.weight_stream_fp8_frac if low else self.weight_stream_frac) or self.memory_bandwidth_frac
        kv = self.decode_attention_bandwidth_frac or self.memory_bandwidth_frac
        return gemm, stream, kv


class VideoWorkloadMethods:
    @property
    def native_seconds(self: Any) -> float:
        return self.defaults.frames / self.defaults.fps


class RuntimeDefaultsMethods:
    def allreduce_for(self: Any, tp: int, link_gb_per_s: float) -> tuple[float, float, float | None, float | None]:
        """All-reduce parameters at a TP size: the measured custom-kernel figures of the largest
        measured TP size not above ``tp`` (the smallest for smaller groups), their bandwidth scaled by
        the GPU's scale-up link against the link they were measured on."""
        lat, bw = self.custom_allreduce_latency_s_by_tp, self.custom_allreduce_gb_per_s_by_tp
        custom_lat = custom_bw = None
        if lat and bw and self.custom_allreduce_reference_link_gb_per_s:
            sizes = sorted(int(k) for k in lat if k in bw)
            if sizes:
                key = str(max([k for k in sizes if k <= tp], default=sizes[0]))
                custom_lat = lat[key]
                custom_bw = bw[key] * 1e9 * link_gb_per_s / self.custom_allreduce_reference_link_gb_per_s
        # (ring latency [s], ring bus-bandwidth fraction, custom latency [s], custom bandwidth [bytes/s])
        return self.allreduce_latency_s, self.allreduce_bus_bandwidth_frac, custom_lat, custom_bw


class EnergyMethods:
    @property
    def mean_usd_per_kwh(self: Any) -> float:
        by_hour = self.electricity_usd_per_kwh_by_hour
        return sum(by_hour) / len(by_hour) if by_hour else self.electricity_usd_per_kwh


# --- records ----------------------------------------------------------------------------------------


class Record(Frozen):
    """A validated catalogue model's data without pydantic: frozen, compared and hashed by value."""

    #: the module that defines the pydantic schema of the same class name
    schema_module: ClassVar[str] = "capplan.catalog.schemas"

    @classmethod
    def schema(cls) -> Any:
        """The pydantic model this record was validated by (imports pydantic)."""
        return getattr(importlib.import_module(cls.schema_module), cls.__name__)

    def model_dump(self, *, mode: str = "python", exclude_none: bool = False) -> dict[str, Any]:
        """The fields as plain dicts and lists, as pydantic's ``model_dump`` gives them (the values are
        already JSON types, so ``mode`` changes nothing)."""
        return {k: _dump(v, exclude_none) for k, v in self.__dict__.items() if not (exclude_none and v is None)}

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy with ``update``'s fields replaced, not validated (as pydantic's ``model_copy``)."""
        import copy

        data = copy.deepcopy(self.__dict__) if deep else dict(self.__dict__)
        for k in update or {}:
            if k not in data:
                raise AttributeError(f"{type(self).__name__} has no field {k!r}")
        return _make(type(self), {**data, **(update or {})})


def _make(cls: type[Record], fields: dict[str, Any]) -> Any:
    r = object.__new__(cls)
    r.__dict__.update(fields)
    return r


def _dump(v: Any, exclude_none: bool) -> Any:
    if isinstance(v, Record):
        return v.model_dump(exclude_none=exclude_none)
    if isinstance(v, dict):
        return {k: _dump(x, exclude_none) for k, x in v.items()}
    if isinstance(v, list):
        return [_dump(x, exclude_none) for x in v]
    return v


class GPUProfile(Record, GPUProfileMethods):
    pass


class EfficiencyProfile(Record, EfficiencyProfileMethods):
    pass


class VideoWorkload(Record, VideoWorkloadMethods):
    pass


class RuntimeDefaults(Record, RuntimeDefaultsMethods):
    pass


class Energy(Record, EnergyMethods):
    pass


class _Engines(Record):
    schema_module = "capplan.catalog.engines_schema"


# The other schema classes have no methods: one plain record class each, under the schema's name.
_PLAIN = (
    "Compute", "Memory", "Interconnect", "Power", "Price", "StackInfo", "DiTSection", "VAESection", "TextEncoder", "VideoDefaults",
    "VideoPipeline", "TextArchitecture", "MoESection", "MLASection", "TextWorkload", "EfficiencyFile", "Ownership", "Site", "Economics",
)
_ENGINES = ("EngineKernels", "TritonFusedMoe", "MemoryTier", "OlderVersions", "EngineProfile", "EnginesFile")
RECORDS: dict[str, type[Record]] = {c.__name__: c for c in (GPUProfile, EfficiencyProfile, VideoWorkload, RuntimeDefaults, Energy)}
for _name in _PLAIN:
    RECORDS[_name] = type(_name, (Record,), {"__module__": __name__, "__qualname__": _name})
for _name in _ENGINES:
    RECORDS[_name] = type(_name, (_Engines,), {"__module__": __name__, "__qualname__": _name})
globals().update(RECORDS)  # importable by name, as pickle needs


def to_record(value: Any) -> Any:
    """A validated pydantic model (or a dict / list of them) as records; other values as they are."""
    fields = getattr(type(value), "__pydantic_fields__", None)
    if fields is not None:
        return _make(RECORDS[type(value).__name__], {k: to_record(getattr(value, k)) for k in fields})
    if isinstance(value, dict):
        return {k: to_record(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_record(v) for v in value]
    return value
