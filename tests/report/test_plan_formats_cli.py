"""`capplan plan --format csv | markdown` end to end: the long CSV and the Markdown report, from the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = str(ROOT / "tests" / "golden" / "plan-small.toml")


@pytest.fixture(scope="module")
def golden_json() -> dict:
    return json.loads((ROOT / "tests" / "golden" / "plan-small.json").read_text(encoding="utf-8"))


def test_plan_csv_is_long_and_agrees_with_json(cli, golden_json):
    r = cli("plan", SCENARIO, "--format", "csv")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert list(rows[0]) == ["arrangement", "gpu", "metric", "value"]
    by = {(x["arrangement"], x["gpu"], x["metric"]): x["value"] for x in rows}
    for mode in ("siloed", "consolidated"):
        assert float(by[(mode, "", "total_cost_usd")]) == pytest.approx(golden_json[mode]["total_cost_usd"], rel=1e-9)
        for g in ("h100-sxm", "h200-sxm"):  # both GPU types have a row in both plans, picked or not
            assert int(by[(mode, g, "gpus")]) == golden_json[mode]["gpus"].get(g, 0)


def test_plan_markdown_is_the_report(cli):
    r = cli("plan", SCENARIO, "--format", "markdown")
    assert r.code == 0, r.err
    assert r.out.startswith("# GPU fleet plan: golden-small\n")
    assert "## Costs over 24 h (USD)" in r.out and "## Assumptions" in r.out
