"""Efficiency knobs: one name, one meaning, in every precision, stack and path.

An efficiency is a fraction of a hardware peak that real kernels reach. The catalogue keeps one field
per kernel family and precision (``gemm_frac`` for bf16 GEMMs, ``gemm_fp8_frac``, ``serving_gemm_frac``
for GEMMs at serving shapes, ...). A user, a sensitivity bar, an ``--uncertain`` range and a calibration
speak of *op classes* instead: "GEMM efficiency", whatever the precision or kernel. The class names are
the generic field names (``gemm_frac``, ``attention_frac``, ``memory_bandwidth_frac``, ``conv_frac``):

- ``--set efficiency.gemm_frac*=0.9`` scales every field of the GEMM class;
- ``--set efficiency.gemm_frac=0.7`` sets every field of the class to 0.7;
- a per-field name (``efficiency.gemm_fp8_frac=0.6``) still changes that field alone.

:data:`RATE_FIELDS` says which :class:`~capplan.models.device.DeviceRates` fractions a class drives, so
a calibration multiplier or a Monte Carlo draw on a class changes exactly what the override does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from capplan.models.device import DeviceRates

CLASSES = ("gemm", "attention", "bandwidth", "conv")

#: Class -> the catalogue fields (efficiency.toml) it covers.
PROFILE_FIELDS: dict[str, tuple[str, ...]] = {
    "gemm": ("gemm_frac", "gemm_fp8_frac", "gemm_fp4_frac", "serving_gemm_frac", "serving_gemm_fp8_frac"),
    "attention": ("attention_hdim64_frac", "attention_hdim128_frac"),
    "bandwidth": ("memory_bandwidth_frac", "weight_stream_frac", "weight_stream_fp8_frac", "decode_attention_bandwidth_frac"),
    "conv": ("conv_frac",),
}
#: The generic (class) name users write after ``efficiency.``.
CLASS_NAMES: dict[str, str] = {"gemm_frac": "gemm", "attention_frac": "attention", "memory_bandwidth_frac": "bandwidth", "conv_frac": "conv"}
#: Class -> the DeviceRates fractions it drives.
RATE_FIELDS: dict[str, tuple[str, ...]] = {
    "gemm": ("gemm_frac", "bf16_gemm_frac", "serving_gemm_frac"),
    "attention": ("attention_frac",),
    "bandwidth": ("memory_bandwidth_frac", "weight_stream_frac", "kv_bandwidth_frac"),
    "conv": ("conv_frac",),
}


def expand_sets(parsed: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Parsed ``efficiency.<class name>`` keys (set or ``*=`` scale, see
    :func:`capplan.catalog.overrides.parse_sets`) become one key per field of the class; others pass
    through. A scale leaves fields a profile does not have unset."""
    out: list[tuple[str, Any]] = []
    for key, value in parsed:
        prefix, _, name = key.partition(".")
        if prefix == "efficiency" and name in CLASS_NAMES:
            out += [(f"efficiency.{f}", value) for f in PROFILE_FIELDS[CLASS_NAMES[name]]]
        else:
            out.append((key, value))
    return out


def scale_rates(rates: DeviceRates, multipliers: Mapping[str, Any]) -> DeviceRates:
    """The rates with each class's fractions multiplied (scalars or arrays), capped at 1 (a kernel
    cannot beat the peak)."""
    changes: dict[str, Any] = {}
    for cls, m in multipliers.items():
        for f in RATE_FIELDS[cls]:
            v = getattr(rates, f)
            if v is not None:
                changes[f] = np.minimum(np.asarray(v, dtype=float) * np.asarray(m, dtype=float), 1.0)
    return dataclasses.replace(rates, **changes) if changes else rates


def set_rates(rates: DeviceRates, values: Mapping[str, Any]) -> DeviceRates:
    """The rates with each class's fractions set to a value (scalars or arrays): a Monte Carlo draw."""
    changes = {f: np.asarray(v, dtype=float) for cls, v in values.items() for f in RATE_FIELDS[cls] if getattr(rates, f) is not None}
    return dataclasses.replace(rates, **changes) if changes else rates
