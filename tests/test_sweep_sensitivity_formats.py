"""Sweeps agree with single what-ifs; sensitivity, schemas and flat formats behave."""

from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest

import capplan
from capplan.errors import UserError


def test_video_sweep_rows_equal_single_runs():
    r = capplan.sweep(
        "video",
        ["resolution=480p,720p", "precision=bf16,fp8", "gpu=h100-sxm,b200", "seconds=5,12", "steps=20,50"],
        fixed={"workload": "wan2.1-t2v-1.3b"},
    )
    assert r.n_scenarios == 32 and len(r.rows) == 32
    for row in r.rows:
        i = row.inputs
        v = capplan.video("wan2.1-t2v-1.3b", i["gpu"], resolution=i["resolution"], precision=i["precision"], seconds=i["seconds"], steps=i["steps"])
        assert row.cost_per_unit_usd == pytest.approx(v.cost_per_video_minute_usd, rel=1e-12)
        assert row.time_s == pytest.approx(v.time_s, rel=1e-12)
        assert row.peak_memory_gb == pytest.approx(v.peak_memory_gb, rel=1e-12)
        assert row.fits_in_memory == v.fits_in_memory
        assert row.energy_kwh_per_unit == pytest.approx(v.energy_kwh_per_video_minute, rel=1e-12)


def test_text_sweep_rows_equal_single_runs():
    r = capplan.sweep("text", ["prompt_tokens=500,4000", "tpot_ms=15,50", "gpu=h100-sxm,h200-sxm"], fixed={"workload": "llama-3.1-70b", "gpus": 4, "precision": "fp8"})
    for row in r.rows:
        i = row.inputs
        t = capplan.text("llama-3.1-70b", i["gpu"], gpus=4, precision="fp8", prompt_tokens=i["prompt_tokens"], tpot_ms=i["tpot_ms"])
        assert row.max_batch == t.max_batch
        assert row.throughput == pytest.approx(t.tokens_per_s_per_gpu, rel=1e-12)
        if t.cost_per_million_tokens_usd is None:
            assert row.cost_per_unit_usd is None
        else:
            assert row.cost_per_unit_usd == pytest.approx(t.cost_per_million_tokens_usd, rel=1e-12)


@pytest.mark.parametrize(
    "vary,needle",
    [(["steps=0,10"], "--steps"), (["bogus=1"], "--vary"), (["resolution"], "key=v1"), (["fps=a,b"], "--fps"), (["gpu=h100-sxm,nope"], "--gpu"), (["steps=1", "steps=2"], "once")],
)
def test_bad_vary(vary, needle):
    with pytest.raises(UserError) as exc:
        capplan.sweep("video", vary)
    assert needle in str(exc.value)


def test_sensitivity_price_moves_cost_proportionally():
    s = capplan.sensitivity("video", pct=20, args={"workload": "cogvideox-5b", "gpu": "h100-sxm"})
    price = next(r for r in s.rows if r.key == "price")
    assert price.output_low == pytest.approx(s.base_value * 0.8)
    assert price.output_high == pytest.approx(s.base_value * 1.2)
    steps = next(r for r in s.rows if r.key == "option:steps")
    assert steps.output_low < s.base_value < steps.output_high
    swings = [r.swing for r in s.rows]
    assert swings == sorted(swings, reverse=True)
    assert all(r.key not in ("option:pue", "option:electricity_usd_per_kwh") for r in s.rows)  # renting: power is in the rent


@pytest.mark.parametrize(
    "argv,model",
    [
        (["video", "--workload", "cogvideox-2b"], "video"),
        (["text", "--workload", "llama-3.1-8b"], "text"),
        (["list", "gpus"], "gpus"),
        (["list", "workloads"], "workloads"),
        (["sweep", "video", "--vary", "steps=10,20"], "sweep"),
        (["sensitivity", "video", "--workload", "cogvideox-2b"], "sensitivity"),
        (["plan", "--set", "scenario.horizon_hours=24"], "plan"),
        (["validate"], "validate"),
    ],
)
def test_json_validates_against_its_schema_and_is_deterministic(cli, argv, model):
    a = cli(*argv, "--format", "json")
    assert a.code == 0, a.err
    schema = json.loads(cli("schema", model).out)
    jsonschema.validate(json.loads(a.out), schema)
    assert cli(*argv, "--format", "json").out == a.out  # deterministic, plans included


def test_csv_is_one_header_row_and_markdown_is_a_table(cli):
    out = cli("video", "--workload", "cogvideox-2b", "--format", "csv").out
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) == 2 and "cost_per_video_minute_usd" in rows[0]
    assert float(rows[1][rows[0].index("cost_per_video_minute_usd")]) > 0
    sweep = list(csv.reader(io.StringIO(cli("sweep", "video", "--vary", "steps=10,20,30", "--format", "csv").out)))
    assert len(sweep) == 4 and "inputs.steps" in sweep[0]
    md = cli("list", "gpus", "--format", "markdown").out.splitlines()
    assert md[0].startswith("| id |") and md[1].startswith("|")


def test_schema_unknown_command(cli):
    r = cli("schema", "nope")
    assert r.code == 2 and "video" in r.err


def test_a_cell_that_cannot_run_is_a_row_not_an_abort():
    """fp8 on an A100 (no fp8 tensor cores) is one marked row; the other three are priced (issue 15)."""
    r = capplan.sweep("video", ["gpu=h100-sxm,a100-sxm-80gb", "precision=bf16,fp8"], fixed={"workload": "cogvideox-2b"})
    assert len(r.rows) == 4
    bad = [row for row in r.rows if row.status != "ok"]
    assert [(b.inputs["gpu"], b.inputs["precision"], b.status) for b in bad] == [("a100-sxm-80gb", "fp8", "cannot run")]
    assert "fp8" in bad[0].reason and bad[0].cost_per_unit_usd is None
    assert all(row.cost_per_unit_usd and row.cost_per_unit_usd > 0 for row in r.rows if row.status == "ok")


def test_a_sweep_where_no_cell_runs_is_an_error():
    with pytest.raises(UserError) as exc:
        capplan.sweep("video", ["gpu=a100-sxm-80gb", "precision=fp8"])
    assert "no scenario can run" in str(exc.value)
