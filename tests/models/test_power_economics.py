"""Power and ownership economics against hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capplan.models.economics import annuity_factor, energy_usd_per_hour, owned_hardware_usd_per_hour
from capplan.models.power import energy_kwh, facility_power_w, gpu_power_w, it_power_w, max_gpus_under_cap, racks_needed


def test_gpu_power_linear_between_idle_and_tdp():
    assert gpu_power_w(0.0, 70, 700) == 70
    assert gpu_power_w(1.0, 70, 700) == 700
    assert gpu_power_w(0.5, 70, 700) == pytest.approx(385)
    assert gpu_power_w(1.7, 70, 700) == 700  # clipped


def test_dgx_h100_node_power():
    # DGX H100: 8 x (700 W GPU + 575 W server share) = 10.2 kW, x PUE 1.3 = 13.26 kW from the grid
    it = it_power_w(1.0, 70, 700, 575) * 8
    assert it == pytest.approx(10_200)
    assert facility_power_w(it, 1.3) == pytest.approx(13_260)
    assert energy_kwh(13_260, 3600) == pytest.approx(13.26)


def test_energy_grows_with_utilization_and_pue():
    u = np.linspace(0, 1, 11)
    p = facility_power_w(it_power_w(u, 70, 700, 575), 1.2)
    assert np.all(np.diff(p) > 0)
    assert np.all(facility_power_w(it_power_w(u, 70, 700, 575), 1.5) > p)


def test_annuity_hand_computed():
    # 8% over 5 years: 0.08 / (1 - 1.08^-5) = 0.250456...
    assert annuity_factor(0.08, 5) == pytest.approx(0.08 / (1 - 1.08**-5))
    assert annuity_factor(0.08, 5) == pytest.approx(0.2504565, rel=1e-6)
    assert annuity_factor(0.0, 4) == pytest.approx(0.25)


def test_owned_gpu_hour_equals_annuity_plus_opex_plus_energy():
    # $40,000 per GPU, 5 years at 8%, 5% upkeep: 40,000 x (0.2504565 + 0.05) / 8760 = $1.3719/h
    hw = owned_hardware_usd_per_hour(40_000, 5, 0.08, 0.05)
    assert hw == pytest.approx(40_000 * (0.2504565 + 0.05) / 8760, rel=1e-6)
    assert hw == pytest.approx(1.3719, abs=1e-4)
    # energy at full load: 1,275 W x PUE 1.3 = 1.6575 kW at $0.08/kWh = $0.1326/h
    e = energy_usd_per_hour(facility_power_w(it_power_w(1.0, 70, 700, 575), 1.3), 0.08)
    assert e == pytest.approx(0.1326)
    assert hw + e == pytest.approx(1.5045, abs=1e-4)


@given(st.floats(0.0, 0.3), st.floats(1.0, 9.0), st.floats(0.1, 5.0))
def test_ownership_cost_falls_as_amortisation_lengthens(rate, years, extra):
    assert owned_hardware_usd_per_hour(1e4, years + extra, rate, 0.05) < owned_hardware_usd_per_hour(1e4, years, rate, 0.05)


def test_site_limits():
    # 5 MW at 1.6575 kW per GPU: 3,016 GPUs; 1,000 GPUs at 1,275 W in 40 kW racks: 32 racks
    assert max_gpus_under_cap(5e6, 1657.5) == 3016
    assert racks_needed(1000, 1275, 40_000) == 32
