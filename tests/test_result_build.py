"""What-if results are built without running their validators (capplan.api.common.build); the JSON must
be what the validated models would give, byte for byte."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import capplan
from capplan.report.jsonout import render_json

GOLDEN = Path(__file__).parent / "golden"
_spec = importlib.util.spec_from_file_location("capplan_golden_regenerate", GOLDEN / "regenerate.py")
assert _spec is not None and _spec.loader is not None
_regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_regenerate)
CASES, run = _regenerate.CASES, _regenerate.run


def _same(a, b, path=""):
    """Equal trees with equal JSON types (1 is not 1.0), numbers to 1e-9 as tests/golden compares them."""
    assert type(a) is type(b), f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}.{i}")
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-300), path
    else:
        assert a == b, path


@pytest.mark.parametrize("name", [n for n in CASES if not n.startswith("plan")])
def test_what_if_json_has_the_golden_file_keys_types_and_numbers(name):
    # the golden files were written by the validating constructors (before build() existed)
    _same(json.loads(run(CASES[name])), json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8")))


CALLS = [
    ("video", dict(workload="cogvideox-5b", gpu="h100-sxm", seconds=12, fps=16, price_per_gpu_hour=3)),
    ("video", dict(workload="wan2.1-t2v-14b", gpu="l40s", gpus=None, resolution="1280x720", steps=10, cfg=False)),
    ("video", dict(workload="hunyuanvideo", gpu="a100-sxm-80gb", frames=130, offload="model", pricing="own", pue=1, long_video="one-sequence")),
    ("text", dict(workload="llama-3.1-8b", gpu="h100-sxm", ttft_ms=500, tpot_ms=50, prompt_tokens=1000, output_tokens=200, price_per_gpu_hour=2)),
    ("text", dict(workload="llama-3.1-70b", gpu="a100-sxm-80gb", gpus=None, precision="int4", pricing="own", electricity_usd_per_kwh=0)),
    ("text", dict(workload="deepseek-v3", gpu="h100-sxm", gpus=1)),  # does not fit
    ("text", dict(workload="mixtral-8x7b", gpu="mi300x", concurrency=64, ttft_ms=None, tpot_ms=None)),
]


@pytest.mark.parametrize(("command", "kwargs"), CALLS, ids=[f"{c}-{k['workload']}" for c, k in CALLS])
def test_built_result_equals_the_validated_model(command, kwargs):
    r = getattr(capplan, command)(**kwargs)
    twin = type(r).pydantic().model_validate(r.model_dump())  # the pydantic model of the same declaration
    assert render_json(r) == render_json(twin)
    assert r.model_dump() == twin.model_dump() and list(r.model_dump()) == list(twin.model_dump())
    assert r.model_dump_json() == twin.model_dump_json()
    again = type(r).model_validate(r.model_dump())  # validated, as a record again
    assert again == r and type(again) is type(r) and again is not r


def test_build_makes_numbers_the_declared_type():
    from capplan.api.common import build
    from capplan.results import CostBreakdown, EconomicsUsed, IterationByPart

    r = build(CostBreakdown, hardware=1, energy=0)
    assert type(r.hardware) is float and type(r.energy) is float
    assert r.model_dump_json() == CostBreakdown(hardware=1, energy=0).model_dump_json() == '{"hardware":1.0,"energy":0.0}'
    e = build(EconomicsUsed, pricing="own", gpu_usd_per_hour=2, hardware_usd_per_gpu_hour=1.5, energy_usd_per_gpu_hour=0.5, pue=1,
              electricity_usd_per_kwh=0, facility_w_per_gpu=1000, carbon_kg_per_kwh=None)
    assert e.carbon_kg_per_kwh is None and type(e.pue) is float  # float | None: None stays None
    it = build(IterationByPart, gemm=1, experts=0, attention=0, elementwise=0, communication=0)
    assert it.at_kernel_floor == [] and it.host == 0.0  # defaults filled in


def test_ensure_finite_names_the_first_bad_number_and_passes_finite_results():
    from capplan.api.common import ensure_finite
    from capplan.errors import UserError
    from capplan.results import CostBreakdown, Uncertainty

    ok = Uncertainty(metric="m", samples=2, valid_samples=2, seed=0, ranges={"a": [1.0, 2.0]}, p10=1.0, p50=2.0, p90=3.0)
    assert ensure_finite(ok, "text") is ok
    bad = ok.model_copy(update={"ranges": {"a": [1.0, float("inf")]}})
    with pytest.raises(UserError) as e:
        ensure_finite(bad, "text")
    assert "ranges.a.1 = inf" in str(e.value)
    with pytest.raises(UserError, match="energy = nan"):
        ensure_finite(CostBreakdown(hardware=1.0, energy=float("nan")), "video")


@pytest.mark.parametrize("command", ["video", "text", "gpus", "workloads"])
def test_schema_of_the_records_twins_is_the_declared_models_byte_for_byte(command, capsys):
    # tests/golden/schema/*.json: `capplan schema` as printed when these results were pydantic models
    from capplan.cli import main

    with pytest.raises(SystemExit) as e:
        main(["schema", command])
    assert not e.value.code
    assert capsys.readouterr().out == (GOLDEN / "schema" / f"{command}.json").read_text(encoding="utf-8")


def test_a_record_is_frozen_and_refuses_unknown_or_missing_fields():
    import pickle

    from capplan.results import CostBreakdown, IterationByPart

    c = CostBreakdown(hardware=1.0, energy=2.0)
    with pytest.raises(AttributeError):
        c.hardware = 3.0  # type: ignore[misc]
    with pytest.raises(TypeError, match="no field"):
        CostBreakdown(hardware=1.0, energy=2.0, other=3.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="required"):
        CostBreakdown(hardware=1.0)  # type: ignore[call-arg]
    assert pickle.loads(pickle.dumps(c)) == c and c.model_copy(update={"energy": 5.0}).energy == 5.0 and c.energy == 2.0
    assert dict(c) == {"hardware": 1.0, "energy": 2.0}
    it = IterationByPart(gemm=1, experts=0, attention=0, elementwise=0, communication=0)
    assert it.at_kernel_floor == [] and it.at_kernel_floor is not IterationByPart(gemm=1, experts=0, attention=0, elementwise=0, communication=0).at_kernel_floor
