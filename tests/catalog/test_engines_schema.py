"""engines.toml schema: older releases' overrides (host time per sequence, kernel keys) and the
block-scaled fp8 MoE keys that no model term reads yet."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from capplan.catalog import engines, load_catalog
from capplan.catalog.engines import BLOCK_FP8_MOE_KEYS, KERNEL_KEYS, EnginesFile, engine_for, load_engines
from capplan.catalog.load import validate
from capplan.errors import UserError

CAT = load_catalog()
H100 = CAT.gpu("h100-sxm")


def _file() -> dict[str, Any]:
    return copy.deepcopy(load_engines().model_dump(exclude_none=True))


def test_each_field_of_an_older_release_comes_from_the_first_entry_that_sets_it():
    # vLLM: before 0.6 flat 4 ms plus 0.08 ms per running sequence; 0.6-0.7.x flat 4 ms and V0's serial
    # 0.05 ms (the 0.8 entry); V1 before 0.14 0.4 ms and its scheduler's 1.1 us (the 0.14 entry); current 0.2 ms
    old, mid, v1, now = (engine_for("vllm", H100, version=v) for v in ("0.5.3", "0.7.3", "0.10.2", None))
    assert (old.iteration_overhead_s, old.per_sequence_overhead_s) == (0.004, 0.00008)
    assert (mid.iteration_overhead_s, mid.per_sequence_overhead_s) == (0.004, 0.00005)
    assert (v1.iteration_overhead_s, v1.per_sequence_overhead_s) == (0.0004, 1.1e-6)
    assert (now.iteration_overhead_s, now.per_sequence_overhead_s) == (0.0002, 0.0)
    # TensorRT-LLM 0.16 takes its graph limit from the 1.0 entry and its PDL groups from the 1.2 entry,
    # 1.1 only the latter: each field from the first later entry that sets it
    t016, t11 = (engine_for("trtllm", H100, version=v) for v in ("0.16.0", "1.1"))
    assert (t016.cuda_graph_max_batch, t016.pdl) == (0, (False,) * 4)
    assert (t11.cuda_graph_max_batch, t11.pdl) == (engine_for("trtllm", H100).cuda_graph_max_batch, (False,) * 4)


def test_an_older_release_overrides_single_kernel_keys_of_its_generation_only():
    mid, now = engine_for("vllm", H100, version="0.7.3"), engine_for("vllm", H100)
    assert mid.block_fp8_kernels == {"fused_moe_fp8_block_frac": 0.04, "fused_moe_weight_stream_fp8_block_frac": 0.25}
    assert now.block_fp8_kernels == {}
    # the keys the model reads are untouched: the 0.7.x entry sets only block-fp8 MoE keys
    assert mid.kernels == now.kernels and set(mid.kernels) <= set(KERNEL_KEYS)
    assert not set(mid.kernels) & set(BLOCK_FP8_MOE_KEYS)
    # another generation of the same engine is not touched by a Hopper override
    assert engine_for("vllm", CAT.gpu("a100-sxm-80gb"), version="0.7.3").block_fp8_kernels == {}


def test_the_first_listed_entry_wins_for_a_kernel_key_two_entries_set(monkeypatch):
    f = _file()
    f["engines"]["vllm"]["before_version"][0]["kernels"] = {"hopper": {"fused_moe_fp8_block_frac": 0.5, "source": "test: the 0.6 entry"}}
    parsed = validate(EnginesFile, f, "engines.toml")
    monkeypatch.setattr(engines, "load_engines", lambda: parsed)
    engines._engine_for.cache_clear()
    try:
        old, mid = engine_for("vllm", H100, version="0.5.3"), engine_for("vllm", H100, version="0.7.3")
    finally:
        engines._engine_for.cache_clear()
    # 0.5.x: the 0.6 entry is listed first and wins the key it sets; the 0.8 entry still gives the other key
    assert old.block_fp8_kernels == {"fused_moe_fp8_block_frac": 0.5, "fused_moe_weight_stream_fp8_block_frac": 0.25}
    assert mid.block_fp8_kernels["fused_moe_fp8_block_frac"] == 0.04


def test_an_older_release_entry_must_set_something_and_only_for_listed_generations():
    f = _file()
    f["engines"]["vllm"]["before_version"].append({"version": "0.4", "source": "test: an entry with no figure"})
    with pytest.raises(UserError, match="sets no figure"):
        validate(EnginesFile, f, "engines.toml")
    f = _file()
    f["engines"]["trtllm"]["before_version"] = [
        {"version": "1.0", "kernels": {"cdna3": {"fused_moe_frac": 0.3, "source": "test: TRT-LLM does not list cdna3"}}, "source": "test entry"}
    ]
    with pytest.raises(UserError, match="cdna3"):
        validate(EnginesFile, f, "engines.toml")


def test_per_sequence_host_time_and_block_keys_are_bounded_like_the_other_figures():
    f = _file()
    f["engines"]["vllm"]["before_version"][0]["scheduler_overhead_s_per_sequence"] = -1e-4
    with pytest.raises(UserError):
        validate(EnginesFile, f, "engines.toml")
    f = _file()
    v0 = next(o for o in f["engines"]["vllm"]["before_version"] if o["version"] == "0.8")
    v0["kernels"]["hopper"]["fused_moe_weight_stream_fp8_block_frac"] = 1.5
    with pytest.raises(UserError):
        validate(EnginesFile, f, "engines.toml")


def test_a_releases_scheduler_rule_is_bounded_like_the_other_figures():
    f = _file()
    v0 = next(o for o in f["engines"]["vllm"]["before_version"] if o["version"] == "0.8")
    v0["chunked_prefill_batched_tokens"] = 0
    with pytest.raises(UserError):
        validate(EnginesFile, f, "engines.toml")
