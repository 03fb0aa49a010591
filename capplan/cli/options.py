"""Options shared by the what-if commands: economics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

PricingOpt = Annotated[Optional[str], typer.Option(help="rent (cloud price per GPU-hour, power included) or own (capex amortised + upkeep + energy). Default: rent.")]
PueOpt = Annotated[Optional[float], typer.Option(help="Facility power usage effectiveness (>= 1). Default: the catalogue's.")]
ElectricityOpt = Annotated[Optional[float], typer.Option("--electricity-usd-per-kwh", help="Electricity price [USD/kWh]. Default: the catalogue's.")]
EconomicsOpt = Annotated[Optional[Path], typer.Option(help="TOML file overriding [ownership], [energy] and [site] of hardware_profiles/economics.toml.")]
SetOpt = Annotated[
    Optional[list[str]],
    typer.Option("--set", help="Override any field: gpu.price.usd_per_gpu_hour=1.9, efficiency.gemm_frac=0.7, economics.energy.pue=1.2, video.fps=30, scenario.fleet.node_size=4. Repeatable."),
]
CalibrationOpt = Annotated[Optional[Path], typer.Option(help="Efficiency overrides written by `capplan calibrate`.")]
UncertainOpt = Annotated[
    Optional[list[str]],
    typer.Option("--uncertain", help="key=low:high drawn uniformly for a P10/P50/P90 Monte Carlo, e.g. gemm_frac=0.6:0.8, price=2:3 (plan: text_demand=1:1.5). Repeatable."),
]
SamplesOpt = Annotated[Optional[int], typer.Option(help="Monte Carlo draws (default 1000; plan 20).")]
SeedOpt = Annotated[int, typer.Option(help="Seed of the Monte Carlo draws.")]
