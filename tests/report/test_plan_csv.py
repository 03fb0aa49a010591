"""The plan's CSV outputs: a long table whose columns never change, and the hourly schedule."""

from __future__ import annotations

import csv
import io

from planbuild import make_plan

from capplan.report.flat import PLAN_CSV_COLUMNS, SCHEDULE_CSV_COLUMNS, plan_long_csv, plan_long_rows, plan_schedule_csv, render_csv
from capplan.results import Uncertainty

# Written out by hand from tests/report/conftest.py: 2 hours, siloed 4 x a ($100), consolidated 2 x a + 1 x b
# ($80), hardware 3/4 of each total, $0.50 per idle GPU-hour, no text tokens (so no cost per million tokens).
EXPECTED = """\
arrangement,gpu,metric,value
,,scenario,tiny
,,scenario_file,tiny.toml
,,currency,USD
,,horizon_hours,2
,,pricing,rent
,,video_minutes,10.0
,,million_tokens,0.0
,,savings_usd,20.0
,,savings_pct,20.0
,,consolidated_sharing,reload
siloed,,infeasible,0
siloed,,infeasible.constraint,
siloed,,infeasible.amount,
siloed,,infeasible.limit,
siloed,,infeasible.unit,
siloed,,infeasible.hour,
siloed,,infeasible.reason,
siloed,,gpus,4
siloed,a,gpus,4
siloed,b,gpus,0
siloed,,fleet_gpus.text,1
siloed,a,fleet_gpus.text,1
siloed,b,fleet_gpus.text,0
siloed,,fleet_gpus.video,3
siloed,a,fleet_gpus.video,3
siloed,b,fleet_gpus.video,0
siloed,,status,optimal
siloed,,racks,1
siloed,,total_cost_usd,100.0
siloed,,cost_per_hour_usd,50.0
siloed,,hardware_cost_usd,75.0
siloed,,energy_cost_usd,25.0
siloed,,fixed_cost_usd,0.0
siloed,,network_cost_usd,0.0
siloed,,text_cost_usd,25.0
siloed,,video_cost_usd,75.0
siloed,,cost_per_video_minute_usd,7.5
siloed,,cost_per_million_tokens_usd,
siloed,,utilization,0.5
siloed,,idle_gpu_hours,4.0
siloed,,backfill_value_usd,2.0
siloed,,peak_power_mw,0.25
siloed,,energy_mwh,0.5
siloed,,mip_gap,0.0
consolidated,,infeasible,0
consolidated,,infeasible.constraint,
consolidated,,infeasible.amount,
consolidated,,infeasible.limit,
consolidated,,infeasible.unit,
consolidated,,infeasible.hour,
consolidated,,infeasible.reason,
consolidated,,gpus,3
consolidated,a,gpus,2
consolidated,b,gpus,1
consolidated,,fleet_gpus.shared,3
consolidated,a,fleet_gpus.shared,2
consolidated,b,fleet_gpus.shared,1
consolidated,,status,optimal
consolidated,,racks,1
consolidated,,total_cost_usd,80.0
consolidated,,cost_per_hour_usd,40.0
consolidated,,hardware_cost_usd,60.0
consolidated,,energy_cost_usd,20.0
consolidated,,fixed_cost_usd,0.0
consolidated,,network_cost_usd,0.0
consolidated,,text_cost_usd,20.0
consolidated,,video_cost_usd,60.0
consolidated,,cost_per_video_minute_usd,6.0
consolidated,,cost_per_million_tokens_usd,
consolidated,,utilization,0.5
consolidated,,idle_gpu_hours,3.0
consolidated,,backfill_value_usd,1.5
consolidated,,peak_power_mw,0.25
consolidated,,energy_mwh,0.5
consolidated,,mip_gap,0.0
,a,capacity_per_gpu.chat,2.5
,a,gpus_per_replica.chat,1
,a,capacity_per_gpu.clips,40.0
,a,gpus_per_replica.clips,1
,b,capacity_per_gpu.chat,3.0
,b,gpus_per_replica.chat,2
,b,capacity_per_gpu.clips,0.0
,b,gpus_per_replica.clips,1
,,assumption.stack,fa3
,,assumption.engine,vllm
,,assumption.pricing,rent
,a,assumption.gpu_usd_per_hour,2.5
,b,assumption.gpu_usd_per_hour,4.0
,a,assumption.hardware_usd_per_gpu_hour,
,b,assumption.hardware_usd_per_gpu_hour,
,,assumption.electricity_usd_per_kwh,
,,assumption.pue,
,,assumption.backfill_usd_per_gpu_hour,0.5
,,assumption.tokens_counted,input + output
,,assumption.horizon_hours,2
,,assumption.power_cap_mw,1.5
"""


def _read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_long_csv_exact():
    assert plan_long_csv(make_plan()) == EXPECTED


def test_render_csv_of_a_plan_is_the_long_csv(tiny_plan):
    assert render_csv(tiny_plan) == plan_long_csv(tiny_plan)


def test_rows_do_not_depend_on_which_gpus_were_picked(tiny_plan):
    """Another answer from the solver (all on b) keeps the same columns and the same rows, only values move."""
    other = make_plan(
        siloed=tiny_plan.siloed.model_copy(update={"gpus": {"b": 4}, "fleets": {"text": {"b": 1}, "video": {"b": 3}}}),
        consolidated=tiny_plan.consolidated.model_copy(update={"gpus": {"b": 3}, "fleets": {"shared": {"b": 3}}}),
    )
    a, b = _read(plan_long_csv(tiny_plan)), _read(plan_long_csv(other))
    assert list(a[0]) == list(b[0]) == list(PLAN_CSV_COLUMNS)
    key = lambda r: (r["arrangement"], r["gpu"], r["metric"])  # noqa: E731
    assert [key(r) for r in a] == [key(r) for r in b]
    by = {key(r): r["value"] for r in b}
    assert by[("siloed", "a", "gpus")] == "0" and by[("siloed", "b", "gpus")] == "4"
    assert by[("consolidated", "b", "fleet_gpus.shared")] == "3"


def test_values_keep_full_precision(golden_plan):
    rows = {(r["arrangement"], r["gpu"], r["metric"]): r["value"] for r in _read(plan_long_csv(golden_plan))}
    for p in (golden_plan.siloed, golden_plan.consolidated):
        for f in ("total_cost_usd", "energy_cost_usd", "utilization", "peak_power_mw"):
            assert float(rows[(p.mode, "", f)]) == getattr(p, f)
        assert int(rows[(p.mode, "", "gpus")]) == p.total_gpus == sum(int(rows[(p.mode, g, "gpus")]) for g in ("h100-sxm", "h200-sxm"))
    assert float(rows[("", "", "savings_usd")]) == golden_plan.savings_usd
    assert any(m.startswith("assumption.") for _, _, m in rows)  # plan() records its assumptions


def test_monte_carlo_bands_and_warnings_are_rows(tiny_plan):
    u = Uncertainty(metric="consolidated.total_cost_usd", samples=10, valid_samples=9, seed=3, ranges={"price_scale": [0.8, 1.2]}, p10=70.0, p50=80.0, p90=95.5)
    rows = plan_long_rows(tiny_plan.model_copy(update={"uncertainty": u, "warnings": ["a, \"quoted\" note"]}))
    assert ("", "", "uncertainty.consolidated.total_cost_usd.p90", 95.5) in rows
    assert rows[-1] == ("", "", "warning", 'a, "quoted" note')
    text = plan_long_csv(tiny_plan.model_copy(update={"warnings": ["a, \"quoted\" note"]}))
    assert text.endswith(',,warning,"a, ""quoted"" note"\n')  # CSV quoting, one line


def test_schedule_csv_exact(tiny_plan):
    assert plan_schedule_csv(tiny_plan) == (
        ",".join(SCHEDULE_CSV_COLUMNS) + "\n"
        "siloed,0,1.0,2.0,0.0,1.0,0.0,0.25\n"
        "siloed,1,0.5,1.5,0.25,1.75,3.0,0.125\n"
        "consolidated,0,1.0,2.0,0.0,0.0,0.0,0.25\n"
        "consolidated,1,0.5,1.5,0.25,0.75,3.0,0.125\n"
    )


def test_schedule_csv_has_every_hour_of_both_plans(golden_plan):
    rows = _read(plan_schedule_csv(golden_plan))
    assert len(rows) == 2 * golden_plan.horizon_hours
    for p in (golden_plan.siloed, golden_plan.consolidated):
        mine = [r for r in rows if r["arrangement"] == p.mode]
        assert [int(r["hour"]) for r in mine] == list(range(golden_plan.horizon_hours))
        assert [float(r["power_mw"]) for r in mine] == [h.power_mw for h in p.schedule]
