"""Catalogue choices -> the core's setups: a workload on a GPU at a precision under a software stack,
with a calibration's multipliers for that kind of workload applied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from capplan.catalog.calibration import NONE, Calibration
from capplan.catalog.convert import GB, allreduce, device_rates, dit_architecture, kernel_floors, llm_architecture
from capplan.catalog.knobs import scale_rates, set_rates
from capplan.catalog.schemas import EfficiencyProfile, GPUProfile, RuntimeDefaults, TextWorkload, VideoWorkload
from capplan.models.device import DeviceRates
from capplan.models.precision import BYTES_PER_VALUE
from capplan.planning.core import TextSetup, VideoSetup


def rates_for(
    kind: str, g: GPUProfile, eff: EfficiencyProfile, stack: str, precision: str, head_dim: int,
    calibration: Calibration = NONE, values: Mapping[str, Any] | None = None,
) -> DeviceRates:
    """Device rates of ``g`` for a model of ``kind`` ("video" or "text"): the stack's efficiencies,
    times the calibration's class multipliers for that kind, then any class set to drawn ``values``."""
    rates = scale_rates(device_rates(g, eff, precision, head_dim), calibration.scale(kind, g.id, stack))
    return set_rates(rates, values) if values else rates


def text_setup(
    w: TextWorkload, g: GPUProfile, eff: EfficiencyProfile, runtime: RuntimeDefaults, stack: str, precision: str, kv_precision: str,
    *, calibration: Calibration = NONE, values: Mapping[str, Any] | None = None,
) -> TextSetup:
    def ar(tp: np.ndarray) -> Any:
        return allreduce(runtime, g, tp)

    return TextSetup(
        arch=llm_architecture(w),
        rates=rates_for("text", g, eff, stack, precision, w.architecture.head_dim, calibration, values),
        weight_bytes_per_param=BYTES_PER_VALUE[precision],
        kv_bytes=BYTES_PER_VALUE[kv_precision],
        usable_bytes=g.memory.memory_gb * GB * runtime.gpu_memory_utilization_frac,
        max_batch=runtime.max_batch,
        floors=kernel_floors(runtime, g),
        allreduce=ar,
    )


def video_setup(
    w: VideoWorkload, g: GPUProfile, eff: EfficiencyProfile, stack: str, precision: str, offload: str,
    *, calibration: Calibration = NONE, values: Mapping[str, Any] | None = None,
) -> VideoSetup:
    return VideoSetup(
        arch=dit_architecture(w),
        rates=rates_for("video", g, eff, stack, precision, w.dit.head_dim, calibration, values),
        weight_bytes_per_param=BYTES_PER_VALUE[precision],
        offload=offload,
        causal_first_frame=w.vae.causal_first_frame,
    )
