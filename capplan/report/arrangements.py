"""The wording every plan format shares about its two arrangements: which have a fleet, why one that has
none is infeasible (the binding constraint, what it needs against what it allows), and the savings
sentence, which needs both.

One module so that the table, Markdown, CSV, HTML and diff outputs say it the same way. Only the
standard library and capplan.report's own helpers are imported at run time (the HTML page renders
without pydantic); the result models are type hints only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from capplan.report.fmt import sig, usd
from capplan.report.planfacts import savings_sentence

if TYPE_CHECKING:
    from capplan.results import FleetPlan, Infeasible, PlanResult

ARRANGEMENTS = ("siloed", "consolidated")
INFEASIBLE = "INFEASIBLE"

#: Infeasible.constraint -> how people call it. Unknown names are shown with spaces for underscores.
CONSTRAINT_LABELS = {"power_cap": "power cap", "availability": "GPU availability", "max_racks": "rack limit", "demand": "demand"}
#: What the limit is called beside the amount ("needs 3.11 MW, cap 2.30 MW").
LIMIT_WORDS = {"power_cap": "cap", "availability": "available", "max_racks": "limit", "demand": "capacity"}
#: Units whose amounts are continuous (always three significant figures, "2.30 MW"); others print whole numbers whole.
CONTINUOUS_UNITS = ("MW", "MWh", "kW", "W")


def fleet(r: PlanResult, mode: str) -> FleetPlan | None:
    return getattr(r, mode, None)


def fleets(r: PlanResult) -> list[FleetPlan]:
    """The arrangements that have a fleet, siloed first."""
    return [p for p in (r.siloed, r.consolidated) if p is not None]


def missing(r: PlanResult) -> list[str]:
    """The arrangements without a fleet, siloed first."""
    return [m for m in ARRANGEMENTS if fleet(r, m) is None]


def infeasible_of(r: PlanResult, mode: str) -> Infeasible | None:
    return (r.infeasible or {}).get(mode)


def constraint_label(constraint: str) -> str:
    return CONSTRAINT_LABELS.get(constraint, constraint.replace("_", " "))


def quantity(v: float, unit: str) -> str:
    body = sig(v) if unit in CONTINUOUS_UNITS or not float(v).is_integer() else f"{v:,.0f}"
    return f"{body} {unit}".strip()


def hour_text(h: int) -> str:
    """``hour 16``; past the first day also the day and clock time, as the planner states them."""
    return f"hour {h}" if h < 24 else f"hour {h} (day {h // 24}, {h % 24:02d}:00)"


def binding(inf: Infeasible | None) -> str:
    """The binding constraint and by how much: ``power cap: needs 3.11 MW at hour 16, cap 2.30 MW``.
    Without a unit or a limit (e.g. demand no fleet can meet) only the constraint is named: the
    amount alone would say nothing, and the reason says the rest."""
    if inf is None:
        return "no fleet meets the constraints (the result gives no reason)"
    label = constraint_label(inf.constraint)
    if inf.amount is None or inf.limit is None or not inf.unit:
        return label
    at = f" at {hour_text(inf.hour)}" if inf.hour is not None else ""
    # On long horizons the planner sizes on representative weeks and its amount is a lower bound, which
    # only its reason says ("needs at least ..."): say it here too rather than overstate the precision.
    least = "at least " if "at least" in (inf.reason or "") else ""
    return f"{label}: needs {least}{quantity(inf.amount, inf.unit)}{at}, {LIMIT_WORDS.get(inf.constraint, 'limit')} {quantity(inf.limit, inf.unit)}"


def reason(r: PlanResult, mode: str) -> str | None:
    inf = infeasible_of(r, mode)
    return inf.reason if inf is not None and inf.reason else None


def infeasible_line(r: PlanResult, mode: str) -> str:
    """``Siloed: INFEASIBLE — power cap: needs 3.11 MW at hour 16, cap 2.30 MW``."""
    return f"{mode.capitalize()}: {INFEASIBLE} — {binding(infeasible_of(r, mode))}"


def infeasible_sentence(r: PlanResult, mode: str) -> str:
    """The headline line and the planner's own reason, as one sentence for a list item or a paragraph."""
    why = reason(r, mode)
    return infeasible_line(r, mode) + (f". {why[:1].upper()}{why[1:]}" if why else "") + "."


def has_savings(r: PlanResult) -> bool:
    return r.savings_usd is not None and r.savings_pct is not None and not missing(r)


def savings_text(r: PlanResult) -> str:
    """The savings sentence, or why it cannot be computed (no trailing full stop, like savings_sentence)."""
    if has_savings(r):
        return savings_sentence(r)
    gone = missing(r)
    if not gone:
        return "The saving from consolidation cannot be computed: the result gives none"
    if len(gone) == 2:
        return "The saving from consolidation cannot be computed: neither arrangement meets the constraints"
    mode = gone[0]
    other = fleet(r, "consolidated" if mode == "siloed" else "siloed")
    priced = f"; the {other.mode} fleet costs {usd(other.total_cost_usd)}" if other is not None else ""
    return f"The saving from consolidation cannot be computed: the {mode} arrangement is infeasible ({binding(infeasible_of(r, mode))}){priced}"


def headline(r: PlanResult) -> str:
    """The savings sentence with both totals, or the sentence that says why there is no saving."""
    if has_savings(r):
        assert r.siloed is not None and r.consolidated is not None
        return f"{savings_sentence(r)}: {usd(r.siloed.total_cost_usd)} siloed vs. {usd(r.consolidated.total_cost_usd)} consolidated."
    return savings_text(r) + "."
