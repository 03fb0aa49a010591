"""A streamed sweep writes the same bytes as the whole-result renderers (issue 18: memory flat in the
number of scenarios), in chunks as small as one scenario."""

from __future__ import annotations

import pytest

import capplan
from capplan.api.sweep import iter_sweep
from capplan.report.flat import render_csv
from capplan.report.jsonout import render_json
from capplan.report.sweep_stream import sweep_csv, sweep_json

GRIDS = [
    ("text", ["gpu=h100-sxm,a100-sxm-80gb,l40s", "prompt_tokens=512,4096", "tpot_ms=20,60"], {"workload": "llama-3.1-70b"}),
    ("video", ["gpu=h100-sxm,a100-sxm-80gb", "precision=bf16,fp8", "steps=10,50"], {"workload": "cogvideox-2b"}),
]


@pytest.mark.parametrize("command,vary,fixed", GRIDS)
@pytest.mark.parametrize("chunk", [1, 5, 65_536])
def test_streamed_bytes_equal_the_whole_result(command, vary, fixed, chunk):
    whole = capplan.sweep(command, vary, fixed=fixed)
    assert "".join(sweep_csv(iter_sweep(command, vary, fixed=fixed, chunk=chunk))) == render_csv(whole)
    assert "".join(sweep_json(iter_sweep(command, vary, fixed=fixed, chunk=chunk), whole.capplan_version)) == render_json(whole)


def test_cli_streams_csv_and_json(cli, tmp_path):
    out = tmp_path / "s.csv"
    r = cli("sweep", "video", "--workload", "cogvideox-2b", "--vary", "steps=10,20,30", "-f", "csv", "-o", str(out))
    assert r.code == 0, r.err
    assert out.read_text().count("\n") == 4
    j = cli("sweep", "video", "--workload", "cogvideox-2b", "--vary", "steps=10,20,30", "-f", "json")
    assert j.code == 0 and len(j.json()["rows"]) == 3
    bad = cli("sweep", "video", "--vary", "gpu=a100-sxm-80gb", "--vary", "precision=fp8", "-f", "csv")
    assert bad.code == 2 and "no scenario can run" in bad.err and bad.out == ""


def test_chunks_on_two_workers_equal_serial():
    vary = ["gpu=h100-sxm,a100-sxm-80gb,l40s", "prompt_tokens=512,1024,4096", "tpot_ms=20,40,80"]
    serial = [r for c in iter_sweep("text", vary, fixed={"workload": "llama-3.1-70b"}, chunk=5) for r in c.rows()]
    parallel = [r for c in iter_sweep("text", vary, fixed={"workload": "llama-3.1-70b"}, chunk=5, workers=2) for r in c.rows()]
    assert len(serial) == 27 and parallel == serial
