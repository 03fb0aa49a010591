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


@pytest.fixture(scope="module")
def capped(tmp_path_factory) -> dict:
    """`capplan plan --power-cap-mw 2.3` (the bundled scenario): the siloed fleet needs more than 2.3 MW."""
    from capplan.cli import main

    out = tmp_path_factory.mktemp("capped")
    files = {}
    for fmt in ("json", "csv", "markdown", "table"):
        f = out / f"plan.{fmt}"
        with pytest.raises(SystemExit) as exc:
            main(["plan", "--power-cap-mw", "2.3", "--format", fmt, "--output", str(f)])
        assert exc.value.code in (0, None)  # one arrangement infeasible is a result, not an error
        files[fmt] = f.read_text(encoding="utf-8")
    return files


def test_capped_plan_names_the_infeasible_arrangement_in_every_format(capped):
    doc = json.loads(capped["json"])
    assert doc["siloed"] is None and doc["savings_usd"] is None
    inf = doc["infeasible"]["siloed"]
    assert inf["constraint"] == "power_cap" and inf["limit"] == pytest.approx(2.3) and inf["amount"] > 2.3
    rows = {(x["arrangement"], x["gpu"], x["metric"]): x["value"] for x in csv.DictReader(io.StringIO(capped["csv"]))}
    assert rows[("siloed", "", "infeasible")] == "1" and rows[("siloed", "", "infeasible.constraint")] == "power_cap"
    assert float(rows[("siloed", "", "infeasible.amount")]) == inf["amount"]
    assert "Siloed: INFEASIBLE — power cap: needs" in capped["markdown"] and "cannot be computed" in capped["markdown"]
    assert "INFEASIBLE" in capped["table"] and "cannot be computed" in " ".join(capped["table"].split())


def test_cli_renders_a_plan_with_an_infeasible_arrangement(cli, monkeypatch, tmp_path, golden_json):
    """Whatever plan() returns with a null fleet goes through every output of `capplan plan`, exit 0."""
    import capplan.api
    from capplan.results import PlanResult

    doc = {
        **golden_json, "siloed": None, "savings_usd": None, "savings_pct": None, "warnings": ["stopped at the time limit, gap 1.2%"],
        "infeasible": {"siloed": {"constraint": "power_cap", "reason": "the siloed fleet needs 3.36 MW at hour 16", "amount": 3.36, "limit": 2.3, "unit": "MW", "hour": 16}},
    }
    monkeypatch.setattr(capplan.api, "plan", lambda **kw: PlanResult.model_validate(doc))
    page = tmp_path / "plan.html"
    r = cli("plan", SCENARIO, "--html", str(page))
    assert r.code == 0, r.err
    table = " ".join(r.out.split())
    assert "Siloed: INFEASIBLE — power cap: needs 3.36 MW at hour 16, cap 2.30 MW." in table and "Warning: stopped at the time limit, gap 1.2%" in table
    assert 'id="infeasible"' in page.read_text(encoding="utf-8")
    r = cli("plan", SCENARIO, "--format", "json")
    assert r.code == 0 and r.json()["infeasible"]["siloed"]["amount"] == 3.36 and r.json()["siloed"] is None
    r = cli("plan", SCENARIO, "--format", "csv")
    rows = {(x["arrangement"], x["gpu"], x["metric"]): x["value"] for x in csv.DictReader(io.StringIO(r.out))}
    assert r.code == 0 and rows[("siloed", "", "infeasible")] == "1" and rows[("", "", "warning")] == "stopped at the time limit, gap 1.2%"
    r = cli("plan", SCENARIO, "--format", "markdown")
    assert r.code == 0 and "| Plan | INFEASIBLE | feasible |" in r.out
