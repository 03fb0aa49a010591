"""The catalogue: GPUs, software-stack efficiencies and workloads, read from TOML into frozen pydantic models."""

from capplan.catalog.load import Catalog, load_catalog

__all__ = ["Catalog", "load_catalog"]
