"""What a GPU-hour costs: rented, or owned (capital amortised as an annuity, plus upkeep and energy).

An owned GPU's capital is repaid like a loan: the annuity (capital recovery) factor
``r / (1 - (1 + r)^-n)`` turns a purchase price into the equal yearly payment that repays it over n
years at cost of capital r (any engineering-economics text, e.g. Park, *Contemporary Engineering
Economics*, ch. 3; with r = 0 it is 1/n, straight-line depreciation). Yearly upkeep is a fraction of
the purchase price. Energy is paid per kWh drawn at the facility (IT power x PUE).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

HOURS_PER_YEAR = 8760.0


def annuity_factor(rate_frac: ArrayLike, years: ArrayLike) -> np.ndarray:
    """Capital recovery factor [1/year]: the yearly payment per unit of capital."""
    r = np.asarray(rate_frac, dtype=float)
    n = np.asarray(years, dtype=float)
    # 1 - (1+r)^-n computed as -expm1(-n log1p(r)), accurate for small r; below 1e-12 a year the
    # factor equals 1/n to double precision (and the exponent would underflow).
    tiny = r < 1e-12
    denom = -np.expm1(-n * np.log1p(np.where(tiny, 1.0, r)))
    return np.where(tiny, 1.0 / n, np.where(tiny, 1.0, r) / denom)


def owned_hardware_usd_per_hour(capex_usd: ArrayLike, years: ArrayLike, rate_frac: ArrayLike, opex_frac_per_year: ArrayLike) -> np.ndarray:
    """Hourly cost of owning hardware, energy excluded [USD/h]: capex x (annuity + opex) / 8760."""
    capex = np.asarray(capex_usd, dtype=float)
    return capex * (annuity_factor(rate_frac, years) + np.asarray(opex_frac_per_year, dtype=float)) / HOURS_PER_YEAR


def energy_usd_per_hour(facility_w: ArrayLike, usd_per_kwh: ArrayLike) -> np.ndarray:
    """Hourly energy bill of a load of ``facility_w`` [USD/h]."""
    return np.asarray(facility_w, dtype=float) / 1e3 * np.asarray(usd_per_kwh, dtype=float)
