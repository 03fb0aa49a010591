"""Small plan results built by hand, so that renderers can be checked against exact, hand-written output.
(A module with its own name, not conftest, so that test files can import it unambiguously.)"""

from __future__ import annotations

from pathlib import Path

from capplan.results import Assumptions, DemandSeries, FleetPlan, HourPlan, PlanResult, ServiceCapacity

GOLDEN_PLAN = Path(__file__).resolve().parents[1] / "golden" / "plan-small.json"


def fleet(mode: str, gpus: dict[str, int], fleets: dict[str, dict[str, int]], total: float, **kw) -> FleetPlan:
    n = sum(gpus.values())
    hw = kw.pop("hardware", total * 0.75)
    fields = dict(
        mode=mode,
        status="optimal",
        gpus=gpus,
        fleets=fleets,
        total_gpus=n,
        racks=1,
        total_cost_usd=total,
        cost_per_hour_usd=total / 2,
        hardware_cost_usd=hw,
        energy_cost_usd=total - hw,
        fixed_cost_usd=0.0,
        network_cost_usd=0.0,
        text_cost_usd=total * 0.25,
        video_cost_usd=total * 0.75,
        cost_per_video_minute_usd=total * 0.75 / 10.0,
        cost_per_million_tokens_usd=None,
        utilization=0.5,
        idle_gpu_hours=float(n),
        backfill_value_usd=float(n) * 0.5,
        peak_power_mw=0.25,
        energy_mwh=0.5,
        mip_gap=0.0,
        schedule=[
            HourPlan(hour=0, text_gpus=1.0, video_gpus=2.0, switching_gpus=0.0, idle_gpus=n - 3.0, video_backlog=0.0, power_mw=0.25),
            HourPlan(hour=1, text_gpus=0.5, video_gpus=1.5, switching_gpus=0.25, idle_gpus=n - 2.25, video_backlog=3.0, power_mw=0.125),
        ],
    )
    fields.update(kw)
    return FleetPlan(**fields)


def make_plan(**update) -> PlanResult:
    """Two hours, two GPU types considered (a and b), siloed on 4 x a, consolidated on 2 x a + 1 x b."""
    r = PlanResult(
        capplan_version="0.0.test",
        scenario="tiny",
        scenario_file="tiny.toml",
        horizon_hours=2,
        pricing="rent",
        video_minutes=10.0,
        million_tokens=0.0,
        capacities=[
            ServiceCapacity(service="chat", kind="text", gpu="a", gpus_per_replica=1, capacity_per_gpu=2.5),
            ServiceCapacity(service="clips", kind="video", gpu="a", gpus_per_replica=1, capacity_per_gpu=40.0),
            ServiceCapacity(service="chat", kind="text", gpu="b", gpus_per_replica=2, capacity_per_gpu=3.0),
            ServiceCapacity(service="clips", kind="video", gpu="b", gpus_per_replica=1, capacity_per_gpu=0.0, note="does not fit"),
        ],
        siloed=fleet("siloed", {"a": 4}, {"text": {"a": 1}, "video": {"a": 3}}, 100.0),
        consolidated=fleet("consolidated", {"a": 2, "b": 1}, {"shared": {"a": 2, "b": 1}}, 80.0),
        savings_usd=20.0,
        savings_pct=20.0,
        crossing=None,
        assumptions=Assumptions(
            stack="fa3",
            engine="vllm",
            pricing="rent",
            gpu_usd_per_hour={"a": 2.5, "b": 4.0},
            backfill_usd_per_gpu_hour=0.5,
            horizon_hours=2,
            power_cap_mw=1.5,
        ),
        demand=DemandSeries(text_demand=[2.0, 1.0], video_arrivals=[60.0, 30.0]),
    )
    return r.model_copy(update=update) if update else r
