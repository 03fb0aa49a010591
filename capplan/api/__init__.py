"""The public Python API: one typed function per command. The CLI is a thin layer over these.

>>> import capplan
>>> r = capplan.video("cogvideox-5b", "h100-sxm")      # doctest: +SKIP
>>> round(r.cost_per_video_minute_usd, 2)               # doctest: +SKIP

Every name is imported on first use, so that ``capplan video`` does not pay for the planner, the
sweep or the roadmap (the optimizer's modules and the plan scenario schemas are tens of
milliseconds of a cold start).

Six functions share their name with the submodule that defines them (``video``, ``text``,
``plan``, ``roadmap``, ``sweep``, ``sensitivity``). Importing a submodule makes Python set it as an attribute of this
package, which would hide the function (``capplan.api.plan(...)`` would then call a module). The
package's class therefore keeps the function in that attribute whichever is imported first; the
submodule itself stays reachable as ``sys.modules["capplan.api.plan"]`` and through
``from capplan.api.plan import ...``.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and IDEs; at run time these come from __getattr__
    from capplan.api.common import (  # noqa: F401
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

#: public (and shared) name -> the submodule that defines it
_COMMON = (
    "AUTO_TP",
    "COMPUTE_PRECISION",
    "DEFAULT_GPU",
    "DEFAULT_TEXT_WORKLOAD",
    "DEFAULT_VIDEO_WORKLOAD",
    "KV_PRECISIONS",
    "MAX_GPUS",
    "RESOLUTIONS",
    "TEXT_PRECISIONS",
    "VIDEO_PRECISIONS",
    "_check_precision",
    "_efficiency",
    "_positive",
    "ensure_finite",
    "parse_resolution",
    "resolve_economics",
)
_WHERE: dict[str, str] = {
    **dict.fromkeys(_COMMON, "common"),
    "list_gpus": "listing",
    "list_workloads": "listing",
    "video": "video",
    "text": "text",
    "plan": "plan",
    "roadmap": "roadmap",
    "sweep": "sweep",
    "sensitivity": "sensitivity",
}
#: functions named like their submodule
_SHADOWED = frozenset(name for name, where in _WHERE.items() if name == where)

__all__ = ["video", "text", "plan", "roadmap", "sweep", "sensitivity", "list_gpus", "list_workloads", "resolve_economics", "parse_resolution"]


class _API(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        # The import system binds a loaded submodule here; for the clashing names keep the function.
        if name in _SHADOWED and isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}":
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _API


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    if name not in _SHADOWED:  # the shadowed ones were bound by _API.__setattr__ during the import
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
