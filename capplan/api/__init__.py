"""The public Python API: one typed function per command. The CLI is a thin layer over these.

>>> import capplan
>>> r = capplan.video("cogvideox-5b", "h100-sxm")      # doctest: +SKIP
>>> round(r.cost_per_video_minute_usd, 2)               # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from capplan.api.common import (  # noqa: F401  (the API's shared names)
    AUTO_TP,
    COMPUTE_PRECISION,
    DEFAULT_GPU,
    DEFAULT_TEXT_WORKLOAD,
    DEFAULT_VIDEO_WORKLOAD,
    KV_PRECISIONS,
    MAX_GPUS,
    RESOLUTIONS,
    TEXT_PRECISIONS,
    VIDEO_PRECISIONS,
    _check_precision,
    _efficiency,
    _positive,
    ensure_finite,
    parse_resolution,
    resolve_economics,
)
from capplan.api.listing import list_gpus, list_workloads
from capplan.api.text import text
from capplan.api.video import video

__all__ = ["video", "text", "plan", "sweep", "sensitivity", "list_gpus", "list_workloads", "resolve_economics", "parse_resolution"]

_LAZY = {"plan": "capplan.plan_api", "sweep": "capplan.sweep_api", "sensitivity": "capplan.sensitivity_api"}


def __getattr__(name: str) -> Any:
    """plan, sweep and sensitivity build on video() and text(); they (and scipy) load only when used,
    so a what-if starts fast."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'capplan.api' has no attribute {name!r}")
