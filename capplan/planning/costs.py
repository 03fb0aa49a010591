"""The cost of one GPU-hour under a scenario's economics: rented, or owned.

Every input may be an array (one entry per scenario: a sweep over prices or PUE, Monte Carlo draws);
the outputs then are arrays too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from capplan.errors import UserError
from capplan.models import economics as econ_model
from capplan.models import power

if TYPE_CHECKING:
    from capplan.catalog.schemas import Economics, GPUProfile

Number = float | np.ndarray


@dataclass(frozen=True)
class GPUHourCost:
    """Cost and power of one GPU for one busy hour (utilisation 1)."""

    pricing: str
    hardware_usd_per_hour: Number  # rent, or annuity of capex + upkeep
    energy_usd_per_hour: Number  # 0 when renting: the rent includes power
    it_w: float  # GPU + its share of the server, busy
    facility_w: Number  # x PUE
    idle_facility_w: Number  # the same at utilisation 0

    @property
    def usd_per_hour(self) -> Number:
        return self.hardware_usd_per_hour + self.energy_usd_per_hour


def gpu_hour_cost(
    gpu: GPUProfile,
    econ: Economics,
    rent_usd_per_hour: ArrayLike | None = None,
    *,
    pue: ArrayLike | None = None,
    electricity_usd_per_kwh: ArrayLike | None = None,
) -> GPUHourCost:
    """``rent_usd_per_hour`` (NaN entries: the catalogue price), ``pue`` and ``electricity_usd_per_kwh``
    override the economics; scalars give floats, arrays give arrays."""
    p = gpu.power
    pue_v = econ.energy.pue if pue is None else pue
    it_w = float(power.it_power_w(1.0, p.idle_w, p.tdp_w, p.server_overhead_w_per_gpu))
    facility_w = power.facility_power_w(it_w, pue_v)
    idle_w = power.facility_power_w(power.it_power_w(0.0, p.idle_w, p.tdp_w, p.server_overhead_w_per_gpu), pue_v)
    scalar = all(x is None or np.ndim(x) == 0 for x in (rent_usd_per_hour, pue, electricity_usd_per_kwh))
    out = (lambda x: float(x)) if scalar else (lambda x: np.asarray(x, dtype=float))  # noqa: E731
    rent_given = rent_usd_per_hour is not None and not np.all(np.isnan(np.asarray(rent_usd_per_hour, dtype=float)))
    if econ.pricing == "rent":
        rent = gpu.price.usd_per_gpu_hour if rent_usd_per_hour is None else np.where(np.isnan(np.asarray(rent_usd_per_hour, dtype=float)), gpu.price.usd_per_gpu_hour, rent_usd_per_hour)
        return GPUHourCost("rent", out(rent), out(np.zeros_like(np.asarray(rent, dtype=float))), it_w, out(facility_w), out(idle_w))
    if rent_given:
        shown = float(np.nanmax(np.asarray(rent_usd_per_hour, dtype=float)))
        raise UserError("price_per_gpu_hour", shown, "it applies to --pricing rent; owned GPUs cost their capex, upkeep and energy")
    if gpu.price.capex_usd_per_gpu is None:
        raise UserError(f"hardware_profiles/{gpu.id}.toml: field price.capex_usd_per_gpu", "(missing)", "--pricing own needs the GPU's capex")
    o = econ.ownership
    hw = econ_model.owned_hardware_usd_per_hour(gpu.price.capex_usd_per_gpu, o.amortization_years, o.cost_of_capital_frac, o.opex_frac_per_year)
    elec = econ.energy.mean_usd_per_kwh if electricity_usd_per_kwh is None else electricity_usd_per_kwh
    energy = econ_model.energy_usd_per_hour(facility_w, elec)
    return GPUHourCost("own", out(np.broadcast_to(hw, np.shape(energy))), out(energy), it_w, out(facility_w), out(idle_w))
