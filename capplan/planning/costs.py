"""The cost of one GPU-hour under a scenario's economics: rented, or owned."""

from __future__ import annotations

from dataclasses import dataclass

from capplan.catalog.schemas import Economics, GPUProfile
from capplan.errors import UserError
from capplan.models import economics as econ_model
from capplan.models import power


@dataclass(frozen=True)
class GPUHourCost:
    """Cost and power of one GPU for one busy hour (utilisation 1)."""

    pricing: str
    hardware_usd_per_hour: float  # rent, or annuity of capex + upkeep
    energy_usd_per_hour: float  # 0 when renting: the rent includes power
    it_w: float  # GPU + its share of the server, busy
    facility_w: float  # x PUE
    idle_facility_w: float  # the same at utilisation 0

    @property
    def usd_per_hour(self) -> float:
        return self.hardware_usd_per_hour + self.energy_usd_per_hour


def gpu_hour_cost(gpu: GPUProfile, econ: Economics, rent_usd_per_hour: float | None = None) -> GPUHourCost:
    p = gpu.power
    it_w = float(power.it_power_w(1.0, p.idle_w, p.tdp_w, p.server_overhead_w_per_gpu))
    facility_w = float(power.facility_power_w(it_w, econ.energy.pue))
    idle_w = float(power.facility_power_w(power.it_power_w(0.0, p.idle_w, p.tdp_w, p.server_overhead_w_per_gpu), econ.energy.pue))
    if econ.pricing == "rent":
        rent = rent_usd_per_hour if rent_usd_per_hour is not None else gpu.price.usd_per_gpu_hour
        return GPUHourCost("rent", rent, 0.0, it_w, facility_w, idle_w)
    if rent_usd_per_hour is not None:
        raise UserError("--price-per-gpu-hour", rent_usd_per_hour, "it applies to --pricing rent; owned GPUs cost their capex, upkeep and energy")
    if gpu.price.capex_usd_per_gpu is None:
        raise UserError(f"hardware_profiles/{gpu.id}.toml: field price.capex_usd_per_gpu", "(missing)", "--pricing own needs the GPU's capex")
    o = econ.ownership
    hw = float(econ_model.owned_hardware_usd_per_hour(gpu.price.capex_usd_per_gpu, o.amortization_years, o.cost_of_capital_frac, o.opex_frac_per_year))
    energy = float(econ_model.energy_usd_per_hour(facility_w, econ.energy.mean_usd_per_kwh))
    return GPUHourCost("own", hw, energy, it_w, facility_w, idle_w)
