"""`capplan diff A.json B.json` end to end: exit 0 whether or not the plans differ, every format, and one
line naming the file for every kind of bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "plan-small.json"


@pytest.fixture
def plans(tmp_path):
    """The golden plan (A) and a copy (B) whose consolidated fleet has one more H100 and costs $100 more."""
    doc = json.loads(GOLDEN.read_text(encoding="utf-8"))
    a = tmp_path / "a.json"
    a.write_text(json.dumps(doc), encoding="utf-8")
    c = doc["consolidated"]
    c["gpus"]["h100-sxm"] += 1
    c["total_gpus"] += 1
    c["total_cost_usd"] += 100.0
    b = tmp_path / "b.json"
    b.write_text(json.dumps(doc), encoding="utf-8")
    return a, b, doc


def test_table_lists_what_changed(cli, plans):
    a, b, doc = plans
    r = cli("diff", str(a), str(b))
    assert r.code == 0, r.err
    assert "A =" in r.out and "a.json" in r.out and "b.json" in r.out
    lines = r.out.splitlines()

    def after(head: str, label: str) -> str:
        i = next(i for i, x in enumerate(lines) if head in x)
        return next(x for x in lines[i:] if label in x)

    assert "+1 (+" in after("Fleet, consolidated", "h100-sxm")
    assert "+$100" in after("Cost, consolidated", "total cost")
    assert "3 of" in r.out  # total GPUs, H100 count, total cost
    assert "Cost, siloed" not in r.out  # unchanged figures are left out without --all
    assert "Cost, siloed" in cli("diff", str(a), str(b), "--all").out


def test_same_plan_exits_zero(cli, plans):
    a, _, _ = plans
    r = cli("diff", str(a), str(a))
    assert r.code == 0 and "No differences" in r.out


def test_json_and_output_file(cli, plans, tmp_path):
    a, b, doc = plans
    r = cli("diff", str(a), str(b), "--format", "json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["changed"] == 3
    row = next(x for x in d["rows"] if x["key"] == "consolidated.total_cost_usd")
    assert row["delta"] == pytest.approx(100.0)
    out = tmp_path / "diff.md"
    r = cli("diff", str(a), str(b), "-f", "markdown", "-o", str(out))
    assert r.code == 0 and r.out == ""
    assert out.read_text(encoding="utf-8").startswith("# Plan diff:")


def _bad(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize(
    "name, content, needle",
    [
        ("missing.json", None, "no such file"),
        ("notjson.json", "{not json", "not JSON"),
        ("video.json", json.dumps({"schema_version": "1", "inputs": {}}), "no siloed and consolidated plans"),
        ("list.json", "[1, 2]", "no siloed and consolidated plans"),
        ("oldschema.json", "SCHEMA:0", "schema 1"),
        ("badfield.json", "FIELD", "field consolidated.total_gpus"),
    ],
)
def test_bad_files_are_one_line_errors_naming_the_file(cli, plans, tmp_path, name, content, needle):
    a, _, doc = plans
    if content == "SCHEMA:0":
        content = json.dumps({**doc, "schema_version": "0"})
    elif content == "FIELD":
        content = json.dumps({**doc, "consolidated": {**doc["consolidated"], "total_gpus": "many"}})
    f = tmp_path / name if content is None else _bad(tmp_path, name, content)
    for args in ((str(a), str(f)), (str(f), str(a))):
        r = cli("diff", *args)
        assert r.code == 2, (r.out, r.err)
        assert r.out == ""
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), r.err
        assert name in lines[0] and needle in lines[0], lines[0]
        assert "Traceback" not in r.err


def test_a_folder_is_an_error(cli, plans, tmp_path):
    a, _, _ = plans
    r = cli("diff", str(a), str(tmp_path))
    assert r.code == 2 and r.err.startswith("Error: ") and "cannot be read" in r.err and len(r.err.strip().splitlines()) == 1


def test_a_plan_with_an_infeasible_arrangement(cli, plans, tmp_path):
    """B's siloed fleet broke the power cap (null fleet, the reason under infeasible): diffed without error."""
    a, _, doc = plans
    reason = {"constraint": "power_cap", "reason": "the siloed fleet needs 3.11 MW at hour 16 vs a cap of 2.3 MW", "amount": 3.11, "limit": 2.3, "unit": "MW", "hour": 16}
    b = tmp_path / "b-infeasible.json"
    b.write_text(json.dumps({**doc, "siloed": None, "infeasible": {"siloed": reason}, "savings_usd": None, "savings_pct": None, "warnings": ["a note"]}), encoding="utf-8")
    r = cli("diff", str(a), str(b), "--format", "json")
    assert r.code == 0, r.err
    d = r.json()
    row = next(x for x in d["rows"] if x["key"] == "siloed.infeasible")
    assert (row["a"], row["b"]) == (None, "power cap: needs 3.11 MW at hour 16, cap 2.30 MW")
    assert next(x for x in d["rows"] if x["key"] == "savings_usd")["b"] is None
    assert d["b"]["warnings"] == ["a note"]
    out = cli("diff", str(a), str(b)).out
    assert "power cap:" in out and "Warning in B: a note" in out
