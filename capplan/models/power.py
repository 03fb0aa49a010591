"""Power and energy of GPUs in a data centre.

A GPU draws ``idle_w`` when idle and up to its thermal design power when busy; in between capplan
takes power linear in utilisation (the fraction of time the GPU is busy), an upper bound for a busy
GPU since real kernels rarely hold the board at TDP. The server around it (CPUs, NICs, fans, power
supply losses) adds ``server_overhead_w_per_gpu`` at load: an 8-GPU DGX H100 is specified at 10.2 kW,
1,275 W per GPU against the GPU's 700 W. The facility multiplies IT power by its power usage
effectiveness (PUE = facility power / IT power; The Green Grid, White Paper #49, 2012).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def gpu_power_w(utilization_frac: ArrayLike, idle_w: ArrayLike, tdp_w: ArrayLike) -> np.ndarray:
    """GPU board power at a utilisation in [0, 1] [W]: idle + (TDP - idle) x utilisation."""
    u = np.clip(np.asarray(utilization_frac, dtype=float), 0.0, 1.0)
    idle = np.asarray(idle_w, dtype=float)
    return idle + (np.asarray(tdp_w, dtype=float) - idle) * u


def it_power_w(utilization_frac: ArrayLike, idle_w: ArrayLike, tdp_w: ArrayLike, server_overhead_w_per_gpu: ArrayLike) -> np.ndarray:
    """IT power per GPU including its share of the server [W]. The server share is held at its load
    value: host CPUs, memory and fans are sized for, and mostly draw, the busy case."""
    return gpu_power_w(utilization_frac, idle_w, tdp_w) + np.asarray(server_overhead_w_per_gpu, dtype=float)


def facility_power_w(it_w: ArrayLike, pue: ArrayLike) -> np.ndarray:
    """Power drawn from the grid for ``it_w`` of IT load [W]."""
    return np.asarray(it_w, dtype=float) * np.asarray(pue, dtype=float)


def energy_kwh(power_w: ArrayLike, seconds: ArrayLike) -> np.ndarray:
    """Energy of ``power_w`` held for ``seconds`` [kWh]."""
    return np.asarray(power_w, dtype=float) * np.asarray(seconds, dtype=float) / 3.6e6


def max_gpus_under_cap(power_cap_w: ArrayLike, facility_w_per_gpu: ArrayLike) -> np.ndarray:
    """Most GPUs a site power cap can feed when each draws ``facility_w_per_gpu`` at load [GPUs]."""
    return np.floor(np.asarray(power_cap_w, dtype=float) / np.asarray(facility_w_per_gpu, dtype=float))


def racks_needed(n_gpus: ArrayLike, it_w_per_gpu: ArrayLike, rack_w: ArrayLike) -> np.ndarray:
    """Racks for ``n_gpus`` at a rack power density ``rack_w`` of IT load [racks]."""
    return np.ceil(np.asarray(n_gpus, dtype=float) * np.asarray(it_w_per_gpu, dtype=float) / np.asarray(rack_w, dtype=float))
