"""Sweeps written as they are computed: CSV and JSON chunk by chunk, so memory stays flat however many
scenarios a grid holds. The bytes are those of the whole-result renderers (report.flat.render_csv and
report.jsonout.render_json) for the same sweep (tested)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from capplan.report.flat import csv_text
from capplan.results import SCHEMA_VERSION, SweepColumns, SweepRow

_ROW_KEYS = [k for k in SweepRow.model_fields if k != "inputs"]


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    out = {f"inputs.{k}": v for k, v in row["inputs"].items()}
    out.update((k, row[k]) for k in _ROW_KEYS)
    return out


def sweep_csv(chunks: Iterable[SweepColumns]) -> Iterator[str]:
    """The sweep's CSV: a header, then every scenario in grid order (one row each)."""
    cols: list[str] | None = None
    for part in chunks:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for row in part.rows():
            flat = _flat(row)
            if cols is None:
                cols = list(flat)
                w.writerow([csv_text(c) for c in cols])
            w.writerow([csv_text(flat.get(c)) for c in cols])
        yield buf.getvalue()


def sweep_json(chunks: Iterable[SweepColumns], capplan_version: str) -> Iterator[str]:
    """The sweep's JSON (the SweepResult schema), rows written as they come."""
    first = True
    for part in chunks:
        if first:
            head = {
                "schema_version": SCHEMA_VERSION, "capplan_version": capplan_version, "currency": "USD", "command": part.command,
                "varied": part.varied, "fixed": part.fixed, "n_scenarios": part.n_total,
            }
            text = json.dumps(head, indent=2, allow_nan=False)
            yield text[: -len("\n}")] + ',\n  "rows": ['
        rows = [("\n" if first and i == 0 else ",\n") + _indent(json.dumps(r, indent=2, allow_nan=False)) for i, r in enumerate(part.rows())]
        first = False
        yield "".join(rows)
    yield "\n  ]\n}\n"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.split("\n"))
