"""The catalogue: GPUs, software-stack efficiencies and workloads, read from TOML, validated by pydantic schemas and kept as frozen records."""

from capplan.catalog.load import Catalog, checked_input, find_scenario, list_scenarios, load_catalog, read_text

__all__ = ["Catalog", "checked_input", "find_scenario", "list_scenarios", "load_catalog", "read_text"]
