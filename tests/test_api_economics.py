"""Energy and ownership economics through the API, checked by hand from the catalogue's own numbers."""

from __future__ import annotations

import pytest

import capplan
from capplan.catalog import load_catalog
from capplan.errors import UserError
from capplan.models.economics import annuity_factor

CAT = load_catalog()


def test_rent_includes_energy_and_reports_kwh():
    r = capplan.video("cogvideox-5b", "h100-sxm")
    g = CAT.gpus["h100-sxm"]
    assert r.economics.pricing == "rent"
    assert r.cost_breakdown_usd.energy == 0.0
    assert r.cost_breakdown_usd.hardware == pytest.approx(r.cost_usd)
    busy_w = (g.power.tdp_w + g.power.server_overhead_w_per_gpu) * r.economics.pue
    assert r.energy_kwh == pytest.approx(r.gpu_seconds * busy_w / 3.6e6)
    assert r.energy_kwh_per_video_minute == pytest.approx(r.energy_kwh / (r.video_seconds / 60))


def test_owned_gpu_hour_is_annuity_plus_opex_plus_energy():
    r = capplan.video("cogvideox-5b", "h100-sxm", pricing="own")
    g, e = CAT.gpus["h100-sxm"], CAT.economics()
    o = e.ownership
    hw = g.price.capex_usd_per_gpu * (float(annuity_factor(o.cost_of_capital_frac, o.amortization_years)) + o.opex_frac_per_year) / 8760
    energy = (g.power.tdp_w + g.power.server_overhead_w_per_gpu) * e.energy.pue / 1e3 * e.energy.electricity_usd_per_kwh
    assert r.economics.hardware_usd_per_gpu_hour == pytest.approx(hw)
    assert r.economics.energy_usd_per_gpu_hour == pytest.approx(energy)
    assert r.cost_usd == pytest.approx(r.gpu_seconds / 3600 * (hw + energy))
    assert r.cost_breakdown_usd.hardware + r.cost_breakdown_usd.energy == pytest.approx(r.cost_usd)


def test_energy_and_cost_grow_with_pue_and_price():
    lo = capplan.video("cogvideox-5b", "h100-sxm", pricing="own", pue=1.1, electricity_usd_per_kwh=0.05)
    hi = capplan.video("cogvideox-5b", "h100-sxm", pricing="own", pue=1.6, electricity_usd_per_kwh=0.05)
    dear = capplan.video("cogvideox-5b", "h100-sxm", pricing="own", pue=1.6, electricity_usd_per_kwh=0.20)
    assert lo.energy_kwh < hi.energy_kwh
    assert lo.cost_usd < hi.cost_usd < dear.cost_usd
    assert hi.energy_kwh == pytest.approx(lo.energy_kwh * 1.6 / 1.1)


def test_ownership_cost_falls_with_longer_amortisation(tmp_path):
    costs = []
    for years in (3, 5, 7):
        f = tmp_path / f"e{years}.toml"
        f.write_text(f"pricing = 'own'\n[ownership]\namortization_years = {years}\n")
        costs.append(capplan.video("cogvideox-5b", "h100-sxm", economics=f).cost_usd)
    assert costs[0] > costs[1] > costs[2]


def test_text_energy_per_million_tokens():
    t = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1)
    g = CAT.gpus["h100-sxm"]
    kw = (g.power.tdp_w + g.power.server_overhead_w_per_gpu) * t.economics.pue / 1e3
    assert t.energy_kwh_per_million_tokens == pytest.approx(kw / (t.tokens_per_s_per_replica * 3600) * 1e6)


@pytest.mark.parametrize(
    "text,field",
    [
        ("[energy]\npue = 0.9\n", "energy.pue"),
        ("[energy]\nelectricity_usd_per_kwh = -0.1\n", "energy.electricity_usd_per_kwh"),
        ("[ownership]\namortization_years = 0\n", "ownership.amortization_years"),
        ("[ownership]\ncost_of_capital_frac = -0.1\n", "ownership.cost_of_capital_frac"),
        ("pricing = 'lease'\n", "pricing"),
        ("[energy]\npue = 'high'\n", "energy.pue"),
        ("[energy\n", "valid TOML"),
    ],
)
def test_bad_economics_files_name_file_and_field(tmp_path, text, field):
    f = tmp_path / "econ.toml"
    f.write_text(text)
    with pytest.raises(UserError) as exc:
        capplan.video("cogvideox-5b", "h100-sxm", economics=f)
    msg = str(exc.value)
    assert str(f) in msg and field in msg and "\n" not in msg


@pytest.mark.parametrize("engine", ["vllm", "sglang", "trtllm"])
def test_prefill_is_charged_the_time_prompts_add_to_the_decode_step(engine):
    # one sequence with a 128-token prompt and 2,048 output tokens: the step reads the weights for the
    # output token anyway, so the prompt adds a prefill's work once per 2,048 steps, well under 1% of the
    # GPU time (charging each part its time alone gave it half)
    kw = dict(gpus=8, precision="fp8", engine=engine, concurrency=1, prompt_tokens=128, output_tokens=2048)
    r = capplan.text("llama-3.1-70b", "h100-sxm", **kw)
    assert 0 < r.prefill_time_share < 0.01
    # an input token then costs less than an output token, and the two parts add up to the blended cost
    assert r.cost_per_million_input_tokens_usd < r.cost_per_million_output_tokens_usd
    total_usd = r.cost_per_million_tokens_usd * (128 + 2048)
    assert r.cost_per_million_input_tokens_usd * 128 + r.cost_per_million_output_tokens_usd * 2048 == pytest.approx(total_usd)


def test_prefill_share_grows_with_the_prompt():
    shares = [capplan.text("llama-3.1-70b", "h100-sxm", gpus=4, prompt_tokens=p, output_tokens=256, concurrency=32).prefill_time_share for p in (256, 1024, 4096)]
    assert 0 < shares[0] < shares[1] < shares[2] < 1
