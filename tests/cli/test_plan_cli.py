"""`capplan plan` end to end: the default scenario, the JSON contract, bad scenarios."""

from __future__ import annotations

import pytest

CONTRACT = {"gpus", "total_cost_usd", "cost_per_video_minute_usd", "cost_per_million_tokens_usd", "peak_power_mw", "energy_mwh", "utilization", "schedule"}


@pytest.fixture(scope="module")
def default_plan():
    import capplan

    return capplan.plan()


def test_default_plan_report(cli):
    r = cli("plan")
    assert r.code == 0, r.err
    for text in ("Siloed", "Consolidated", "Cost per minute of video", "Cost per million tokens", "Peak power", "Consolidation saves", "█"):
        assert text in r.out


def test_plan_json_contract(cli):
    r = cli("plan", "--format", "json")
    assert r.code == 0, r.err
    d = r.json()
    assert "savings_pct" in d
    for mode in ("siloed", "consolidated"):
        assert CONTRACT <= d[mode].keys()
        assert len(d[mode]["schedule"]) == d["horizon_hours"]
        assert all(isinstance(v, int) and v > 0 for v in d[mode]["gpus"].values())


def test_consolidated_not_dearer_and_schedules_conserve(default_plan):
    p = default_plan
    assert p.consolidated.total_cost_usd <= p.siloed.total_cost_usd
    assert p.savings_pct == pytest.approx((p.siloed.total_cost_usd - p.consolidated.total_cost_usd) / p.siloed.total_cost_usd * 100)
    for plan in (p.siloed, p.consolidated):
        assert plan.text_cost_usd + plan.video_cost_usd == pytest.approx(plan.total_cost_usd)
        for h in plan.schedule:
            busy = h.text_gpus + h.video_gpus + h.switching_gpus
            assert busy <= plan.total_gpus + 1e-6
            assert h.idle_gpus == pytest.approx(plan.total_gpus - busy, abs=1e-6)
        assert plan.peak_power_mw == pytest.approx(max(h.power_mw for h in plan.schedule))


def test_video_minutes_and_tokens_follow_demand(default_plan):
    from capplan.api.plan import load_scenario, scenario_path

    sc = load_scenario(scenario_path(None))
    assert default_plan.horizon_hours == sc.horizon_hours
    assert default_plan.video_minutes > 0 and default_plan.million_tokens > 0


def _write(tmp_path, text):
    f = tmp_path / "s.toml"
    f.write_text(text)
    return str(f)


GOOD = """
name = "t"
horizon_hours = 24
[[text]]
id = "chat"
workload = "llama-3.1-8b"
requests_per_s = { shape = "flat", peak = 10 }
[[video]]
id = "v"
workload = "wan2.1-t2v-1.3b"
resolution = "832x480"
deadline_hours = 3
videos_per_hour = { values = [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10] }
[fleet]
gpus = ["h100-sxm"]
node_size = 1
"""


def test_a_small_custom_scenario(cli, tmp_path):
    r = cli("plan", _write(tmp_path, GOOD), "--format", "json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["consolidated"]["total_gpus"] <= d["siloed"]["total_gpus"]


BAD = [
    (GOOD.replace('gpus = ["h100-sxm"]', 'gpus = ["h100x"]'), "fleet.gpus.0"),
    (GOOD.replace("peak = 10", "peak = -10"), "requests_per_s.peak"),
    (GOOD.replace("horizon_hours = 24", "horizon_hours = 0"), "horizon_hours"),
    (GOOD.replace('workload = "llama-3.1-8b"', 'workload = "cogvideox-5b"'), "text.0.workload"),
    (GOOD.replace('{ shape = "flat", peak = 10 }', '{ shape = "flat" }'), "needs a peak"),
    (GOOD.replace('{ shape = "flat", peak = 10 }', '{ shape = "spiky", peak = 10 }'), "shape"),
    (GOOD.replace("deadline_hours = 3", "deadline_hours = -1"), "deadline_hours"),
    (GOOD.replace('name = "t"', 'name = "t"\npower_cap_mw = 0.001'), "power_cap_mw"),
    (GOOD.replace("[[text]]", "[[text]]\nbogus = 1"), "bogus"),
    (GOOD.replace("10, 10, 10]", "10, 10]"), "values"),
    ("name = 'x'\n[fleet]\ngpus = ['h100-sxm']\n", "at least one"),
    ("not toml [", "valid TOML"),
]


@pytest.mark.parametrize("text,needle", BAD)
def test_bad_scenarios_give_one_clear_line(cli, tmp_path, text, needle):
    r = cli("plan", _write(tmp_path, text))
    assert r.code == 2, (r.code, r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0], lines


def test_infeasible_power_cap_names_the_need(cli, tmp_path):
    r = cli("plan", _write(tmp_path, GOOD.replace('name = "t"', 'name = "t"\npower_cap_mw = 0.001')))
    assert "MW at hour" in r.err and "0.001 MW" in r.err


def test_unknown_bundled_scenario(cli):
    r = cli("plan", "no-such-scenario")
    assert r.code == 2 and "chat-and-video" in r.err


def test_co_residency_auto_is_the_cheaper_of_reload_and_co_resident(tmp_path):
    import capplan

    costs = {}
    for mode in ("never", "always", "auto"):
        f = tmp_path / f"{mode}.toml"
        f.write_text(GOOD + f'[sharing]\nco_resident = "{mode}"\n')
        r = capplan.plan(str(f))
        costs[mode] = r.consolidated.total_cost_usd
        assert r.consolidated_sharing == ("co-resident" if mode == "always" else r.consolidated_sharing)
        if mode == "never":
            assert r.consolidated_sharing == "reload"
        text_caps = [c for c in r.capacities if c.kind == "text"]
        assert all((c.capacity_per_gpu_co_resident is None) == (mode == "never") for c in text_caps)
        # the video pipeline's memory comes out of the KV cache: never more text capacity
        assert all(c.capacity_per_gpu_co_resident is None or c.capacity_per_gpu_co_resident <= c.capacity_per_gpu + 1e-9 for c in text_caps)
    assert costs["auto"] <= min(costs["never"], costs["always"]) + 1e-6


def test_html_and_output_to_one_file_are_refused_before_any_work(cli, tmp_path):
    target = tmp_path / "same.out"
    r = cli("plan", "--html", str(target), "--output", str(target))
    assert r.code == 2 and "--html" in r.err and not target.exists()
