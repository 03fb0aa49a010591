"""The wording every plan format shares: assumptions, Monte Carlo bands, the savings sentence.

Kept in one place so that the table, Markdown, CSV and HTML outputs cannot describe the same plan
differently. Only the standard library and capplan.report.fmt are imported at run time (the HTML page
must load without pydantic); the result models are type hints only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from capplan.report.fmt import sig, usd

if TYPE_CHECKING:
    from capplan.results import Assumptions, PlanResult, Uncertainty

#: Names the Monte Carlo gives its metrics -> how people read them. Unknown names are shown as they are.
METRIC_LABELS = {
    "siloed.total_cost_usd": "Siloed total cost",
    "consolidated.total_cost_usd": "Consolidated total cost",
    "savings_usd": "Saving from consolidation",
    "savings_pct": "Saving from consolidation [%]",
}


class Band(NamedTuple):
    metric: str
    p10: float
    p50: float
    p90: float


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def uncertainty_bands(u: Uncertainty | None) -> list[Band]:
    """P10/P50/P90 of every metric the Monte Carlo reports: ``u.metrics`` (name -> p10/p50/p90) when
    it has one, else its single ``metric``. Metrics keep the order the result gives them."""
    if u is None:
        return []
    metrics = _get(u, "metrics")
    if metrics:
        return [Band(str(k), float(_get(v, "p10")), float(_get(v, "p50")), float(_get(v, "p90"))) for k, v in metrics.items()]
    return [Band(str(u.metric), float(u.p10), float(u.p50), float(u.p90))]


def metric_label(name: str) -> str:
    return METRIC_LABELS.get(name, name)


def metric_value(name: str, v: float) -> str:
    if name.endswith("_pct"):
        return f"{v:.1f}%"
    if name.endswith("_usd"):
        return usd(v)
    if name.endswith("_frac"):
        return f"{v * 100:.0f}%"
    return sig(v)


def uncertainty_note(u: Uncertainty) -> str:
    """Draws, ranges and seed, for the line under the bands (whichever of them the result has)."""
    parts = []
    samples, valid = _get(u, "samples"), _get(u, "valid_samples")
    if samples is not None:
        parts.append(f"{valid} of {samples} draws feasible" if valid is not None else f"{samples} draws")
    ranges = _get(u, "ranges") or {}
    if ranges:
        parts.append(", ".join(f"{k} {lo:g}–{hi:g}" for k, (lo, hi) in ranges.items()))
    if _get(u, "seed") is not None:
        parts.append(f"seed {_get(u, 'seed')}")
    return "; ".join(parts)


def savings_sentence(r: PlanResult) -> str:
    """Only for a plan with both arrangements priced (see report.arrangements.savings_text otherwise)."""
    assert r.savings_usd is not None and r.savings_pct is not None
    verb = "saves" if r.savings_usd >= 0 else "costs"
    return f"Consolidation {verb} {usd(abs(r.savings_usd))} ({abs(r.savings_pct):.1f}%) over the horizon"


def hours_text(h: int) -> str:
    if h % 24 == 0 and h >= 48:
        return f"{h:,} h ({h // 24:,} days)"
    return f"{h:,} h"


def pricing_text(pricing: str) -> str:
    return "rented GPUs (energy included in the rent)" if pricing == "rent" else "owned GPUs (amortised capex and upkeep, plus energy)"


def assumption_lines(a: Assumptions) -> list[tuple[str, str]]:
    """(label, text) for each assumption, in reading order."""
    out: list[tuple[str, str]] = [("Attention / kernel stack", a.stack)]
    if a.engine:
        out.append(("Serving engine", a.engine))
    out.append(("Pricing", pricing_text(a.pricing)))
    hw = a.hardware_usd_per_gpu_hour or {}
    for g, price in a.gpu_usd_per_hour.items():
        text = f"{usd(price)} per GPU-hour"
        if g in hw and a.pricing == "own":
            text += f" ({usd(hw[g])} hardware + {usd(price - hw[g])} energy)"
        out.append((f"Price used, {g}", text))
    if a.electricity_usd_per_kwh is not None:
        out.append(("Electricity", f"{usd(a.electricity_usd_per_kwh)} per kWh"))
    if a.pue is not None:
        out.append(("PUE", f"{a.pue:g}"))
    backfill = f"{usd(a.backfill_usd_per_gpu_hour)} per idle GPU-hour" if a.backfill_usd_per_gpu_hour else "not valued ($0 per idle GPU-hour)"
    out.append(("Idle GPU-hours (backfill)", backfill))
    out.append(("Tokens", f"{a.tokens_counted} together (a blended cost per million tokens)"))
    out.append(("Horizon", hours_text(a.horizon_hours)))
    out.append(("Power cap", "none" if a.power_cap_mw is None else f"{sig(a.power_cap_mw)} MW"))
    out += [("Note", n) for n in a.notes]
    return out


def assumption_values(a: Assumptions) -> list[tuple[str, str, Any]]:
    """(metric, gpu, value) for each assumption at full precision: the long CSV's rows and the diff's keys.
    Per-GPU prices get one row per GPU type; ``gpu`` is empty otherwise."""
    out: list[tuple[str, str, Any]] = [("stack", "", a.stack), ("engine", "", a.engine), ("pricing", "", a.pricing)]
    out += [("gpu_usd_per_hour", g, v) for g, v in a.gpu_usd_per_hour.items()]
    hw = a.hardware_usd_per_gpu_hour or {}
    out += [("hardware_usd_per_gpu_hour", g, hw.get(g)) for g in dict.fromkeys([*a.gpu_usd_per_hour, *hw])]
    out += [
        ("electricity_usd_per_kwh", "", a.electricity_usd_per_kwh),
        ("pue", "", a.pue),
        ("backfill_usd_per_gpu_hour", "", a.backfill_usd_per_gpu_hour),
        ("tokens_counted", "", a.tokens_counted),
        ("horizon_hours", "", a.horizon_hours),
        ("power_cap_mw", "", a.power_cap_mw),
    ]
    out += [(f"note.{i}", "", n) for i, n in enumerate(a.notes)]
    return out
