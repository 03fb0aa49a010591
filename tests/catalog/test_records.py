"""The catalogue keeps validated entries as plain records (capplan.catalog.records): same fields, values,
order and methods as the pydantic schemas, frozen, and never stale against a --set."""

from __future__ import annotations

import inspect
import pickle

import pytest

from capplan.catalog import engines, engines_schema, load_catalog, records, schemas
from capplan.catalog.load import validate
from capplan.catalog.overrides import apply_to_catalog

CAT = load_catalog()
SCHEMA_CLASSES = [c for m in (schemas, engines_schema) for c in vars(m).values() if inspect.isclass(c) and issubclass(c, schemas._Strict) and c is not schemas._Strict]


def test_every_schema_class_has_a_record_of_its_name_that_finds_it_again():
    for cls in SCHEMA_CLASSES:
        rec = records.RECORDS[cls.__name__]
        assert rec.schema() is cls
        assert getattr(records, cls.__name__) is rec  # importable by name: pickle needs it


def test_a_record_has_the_methods_of_its_schema_class():
    for cls in SCHEMA_CLASSES:
        own = {n for c in cls.__mro__ if c.__module__ == records.__name__ for n in vars(c) if not n.startswith("_")}
        rec = records.RECORDS[cls.__name__]
        assert own <= set(dir(rec)), cls.__name__


def _pydantic(entry: records.Record) -> object:
    return validate(type(entry).schema(), entry.model_dump(), "test")


@pytest.mark.parametrize("kind", ["gpus", "video", "text"])
def test_entries_dump_exactly_as_their_validated_models_in_field_order(kind):
    table = getattr(CAT, kind)
    for key in table:
        entry = table[key]
        assert isinstance(entry, records.Record)
        model = _pydantic(entry)
        assert list(entry.model_dump()) == list(model.model_dump())  # type: ignore[attr-defined]
        assert entry.model_dump() == model.model_dump()  # type: ignore[attr-defined]
        assert entry.model_dump(exclude_none=True) == model.model_dump(exclude_none=True)  # type: ignore[attr-defined]
    assert CAT.efficiency.model_dump() == _pydantic(CAT.efficiency).model_dump()  # type: ignore[attr-defined]
    assert CAT.economics().model_dump() == _pydantic(CAT.economics()).model_dump()  # type: ignore[attr-defined, arg-type]


def test_methods_give_what_the_schema_methods_give():
    g = CAT.gpu("b200")
    pg = _pydantic(g)
    for p in ("fp32", "tf32", "bf16", "fp16", "fp8", "fp4", "int8"):
        assert g.peak_tflop_per_s(p) == pg.peak_tflop_per_s(p)  # type: ignore[attr-defined]
    eff = CAT.efficiency.gpu["h100-sxm"][CAT.efficiency.default_stack]
    peff = _pydantic(eff)
    for p in ("bf16", "fp8", "fp4"):
        assert eff.gemm_frac_for(p) == peff.gemm_frac_for(p)  # type: ignore[attr-defined]
        assert eff.serving_fracs(p) == peff.serving_fracs(p)  # type: ignore[attr-defined]
    rt = CAT.efficiency.runtime
    assert [rt.allreduce_for(t, 900.0) for t in (1, 2, 4, 8, 16)] == [_pydantic(rt).allreduce_for(t, 900.0) for t in (1, 2, 4, 8, 16)]  # type: ignore[attr-defined]
    v = CAT.video_workload("wan2.1-t2v-14b")
    assert v.native_seconds == _pydantic(v).native_seconds == v.defaults.frames / v.defaults.fps  # type: ignore[attr-defined]
    e = CAT.economics().energy
    assert e.mean_usd_per_kwh == _pydantic(e).mean_usd_per_kwh  # type: ignore[attr-defined]


def test_records_are_frozen_compared_by_value_and_pickle():
    g = CAT.gpu("h100-sxm")
    with pytest.raises(AttributeError):
        g.id = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del g.compute.fp32_tflop_per_s
    again = pickle.loads(pickle.dumps(g))
    assert again == g and again is not g and hash(again.compute) == hash(g.compute)
    assert g != CAT.gpu("h200-sxm")
    cheaper = g.model_copy(update={"name": "renamed"})
    assert cheaper.name == "renamed" and g.name != "renamed" and cheaper.compute is g.compute
    with pytest.raises(AttributeError):
        g.model_copy(update={"no_such_field": 1})


def test_a_set_is_validated_by_the_schema_and_gives_a_record():
    cat = apply_to_catalog(CAT, [("gpu.memory.memory_gb", 96.0)], gpus=["h100-sxm"], workload=None, stack="fa2")
    g = cat.gpu("h100-sxm")
    assert isinstance(g, records.Record) and g.memory.memory_gb == 96.0 and CAT.gpu("h100-sxm").memory.memory_gb == 80.0
    from capplan.errors import UserError

    with pytest.raises(UserError, match="greater than 0"):
        apply_to_catalog(CAT, [("gpu.memory.memory_gb", -1.0)], gpus=["h100-sxm"], workload=None, stack="fa2")


def test_engines_file_is_kept_as_records_and_its_schema_names_stay_importable():
    f = engines.load_engines()
    assert isinstance(f, records.Record) and type(f).__name__ == "EnginesFile"
    assert engines.EnginesFile is engines_schema.EnginesFile
    assert f.model_dump() == validate(engines_schema.EnginesFile, f.model_dump(exclude_none=True), "test").model_dump()
