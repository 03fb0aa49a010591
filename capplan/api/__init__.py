"""The public Python API: one typed function per command. The CLI is a thin layer over these.

>>> import capplan
>>> r = capplan.video("cogvideox-5b", "h100-sxm")      # doctest: +SKIP
>>> round(r.cost_per_video_minute_usd, 2)               # doctest: +SKIP
"""

from __future__ import annotations

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
from capplan.api.plan import plan
from capplan.api.roadmap import roadmap
from capplan.api.sensitivity import sensitivity
from capplan.api.sweep import sweep
from capplan.api.text import text
from capplan.api.video import video

__all__ = ["video", "text", "plan", "roadmap", "sweep", "sensitivity", "list_gpus", "list_workloads", "resolve_economics", "parse_resolution"]

