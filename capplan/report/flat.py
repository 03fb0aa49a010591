"""Flat renderings for spreadsheets and documents: CSV (one header row) and Markdown tables."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from capplan.results import PlanResult, SweepResult


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts -> one level with dotted keys. Lists of scalars are joined with ';'; lists of
    objects (hourly schedules, capacity tables) are left out: they have their own row-wise output."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, dict):
                out.update(flatten(v, key))
            elif isinstance(v, list):
                if all(not isinstance(x, (dict, list)) for x in v):
                    out[key] = ";".join(str(x) for x in v)
            else:
                out[key] = v
    return out


def rows_of(result: BaseModel | Sequence[BaseModel]) -> list[dict[str, Any]]:
    """The rows a result is made of: one per item of a list, one per plan mode, else one."""
    if isinstance(result, SweepResult):
        return [flatten(r.model_dump(mode="json")) for r in result.rows]
    if isinstance(result, PlanResult):
        d = result.model_dump(mode="json")
        top = {k: v for k, v in flatten(d).items() if not k.startswith(("siloed.", "consolidated."))}
        return [{**top, **{f"plan.{k}": v for k, v in flatten(d[m]).items()}} for m in ("siloed", "consolidated")]
    if isinstance(result, BaseModel):
        return [flatten(result.model_dump(mode="json"))]
    return [flatten(r.model_dump(mode="json")) for r in result]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ""
    return str(v)


def _columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    return cols


def render_csv(result: BaseModel | Sequence[BaseModel]) -> str:
    rows = rows_of(result)
    cols = _columns(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in cols])
    return buf.getvalue()


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: BaseModel | Sequence[BaseModel]) -> str:
    rows = rows_of(result)
    if len(rows) == 1:
        lines = ["| field | value |", "| --- | --- |"]
        lines += [f"| {k} | {_md_escape(_cell(v))} |" for k, v in rows[0].items()]
        return "\n".join(lines) + "\n"
    cols = _columns(rows)
    lines = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    lines += ["| " + " | ".join(_md_escape(_cell(r.get(c))) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"
