"""A plan's charts: the result's numbers handed to capplan.report.charts, for the HTML page and as
stand-alone SVG files. The result model is a type hint only (no pydantic needed at run time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from capplan.report.arrangements import fleets
from capplan.report.charts import cost_svg, demand_svg, schedule_svg, standalone_svg

if TYPE_CHECKING:
    from capplan.results import FleetPlan, PlanResult

#: FleetPlan cost fields in the order of charts.COST_PARTS.
COST_FIELDS = ("hardware_cost_usd", "energy_cost_usd", "fixed_cost_usd", "network_cost_usd")


def plan_cost_svg(r: PlanResult) -> str | None:
    """Cost columns of the arrangements that have a fleet (an infeasible one has no cost to draw);
    None when neither has."""
    columns = [(p.mode.capitalize(), [float(getattr(p, f)) for f in COST_FIELDS], p.total_cost_usd) for p in fleets(r)]
    return cost_svg(columns, horizon_hours=r.horizon_hours) if columns else None


def schedule_axes(r: PlanResult) -> tuple[float, float]:
    """GPU and backlog axis tops shared by the schedule charts, so that they compare at a glance."""
    gpu_max = float(max((p.total_gpus for p in fleets(r)), default=0))
    backlog_max = max((h.video_backlog for p in fleets(r) for h in p.schedule), default=0.0)
    return gpu_max, backlog_max


def plan_schedule_svg(p: FleetPlan, gpu_max: float | None = None, backlog_max: float | None = None) -> str:
    hours = np.array([[h.text_gpus, h.video_gpus, h.switching_gpus, h.idle_gpus, h.video_backlog] for h in p.schedule], dtype=float).reshape(-1, 5)
    return schedule_svg(hours, owned_gpus=p.total_gpus, name=f"{p.mode} plan", chart_id=f"chart-schedule-{p.mode}", gpu_max=gpu_max, backlog_max=backlog_max)


def plan_demand_svg(r: PlanResult) -> str | None:
    """The demand chart, or None when the result carries no demand."""
    d = r.demand
    if d is None or not (d.text_demand or d.video_arrivals):
        return None
    return demand_svg(d.text_demand, d.video_arrivals)


def plan_svgs(r: PlanResult) -> dict[str, str]:
    """File name -> stand-alone SVG document of every chart of the plan (demand only when known; an
    infeasible arrangement has no schedule chart and no cost column)."""
    gpu_max, backlog_max = schedule_axes(r)
    out: dict[str, str] = {}
    cost = plan_cost_svg(r)
    if cost is not None:
        out["cost.svg"] = cost
    demand = plan_demand_svg(r)
    if demand is not None:
        out["demand.svg"] = demand
    for p in fleets(r):
        out[f"schedule-{p.mode}.svg"] = plan_schedule_svg(p, gpu_max, backlog_max)
    return {name: standalone_svg(svg) for name, svg in out.items()}
