"""capplan: GPU cost and capacity planning for generative-AI inference.

The public API is re-exported lazily, so ``import capplan`` stays cheap for the CLI:
``capplan.video(...)``, ``capplan.text(...)``, ``capplan.plan(...)``, ``capplan.list_gpus()``, ``capplan.list_workloads()``.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = ("video", "text", "plan", "roadmap", "sweep", "sensitivity", "list_gpus", "list_workloads", "load_catalog")


def __getattr__(name: str) -> Any:
    if name == "load_catalog":
        from capplan.catalog import load_catalog

        return load_catalog
    if name in _API:
        from capplan import api

        return getattr(api, name)
    raise AttributeError(f"module 'capplan' has no attribute {name!r}")


__all__ = ["__version__", *_API]


def __dir__() -> list[str]:
    """The lazily loaded API too, so a notebook or IDE completes ``capplan.vi`` to ``capplan.video``."""
    return sorted({*__all__, *(n for n in globals() if n.startswith("__") and n.endswith("__"))})
