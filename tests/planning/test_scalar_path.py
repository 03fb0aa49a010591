"""A one-scenario text capacity (a what-if) runs the model on Python floats; it must give exactly the
numbers of the same scenario priced among others as arrays (one core, two evaluations of its formulas)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from capplan.api.common import _efficiency
from capplan.catalog import load_catalog
from capplan.planning import core
from capplan.planning.resolve import text_setup

CAT = load_catalog()
CASES = [
    # (workload, gpu, tp, engine, precision): dense GQA, MoE, MLA + MoE, fp8, every engine, TP 1 and > 1
    ("llama-3.1-8b", "h100-sxm", 1, "vllm", "bf16"),
    ("llama-2-70b", "a100-sxm-80gb", 4, None, "bf16"),
    ("llama-3.1-70b", "h100-sxm", 8, "trtllm", "fp8"),
    ("mixtral-8x7b", "mi300x", 2, "sglang", "bf16"),
    ("deepseek-v3", "b200", 8, "sglang", "fp8"),
    ("deepseek-v3", "h200-sxm", 8, "trtllm", "fp8"),
    ("llama-3.1-70b", "h100-sxm", 4, "vllm@0.5.4", "bf16"),  # an old release: host time per sequence
    ("deepseek-v3", "h200-sxm", 8, "vllm@0.7.3", "fp8"),
    ("qwen3-235b-a22b", "h100-sxm", 8, "vllm", "bf16"),  # the Triton fused-MoE shape rule
    ("mixtral-8x7b", "a100-sxm-80gb", 2, "sglang", "bf16"),
]


def _setup(workload, gpu, engine, precision, **kw):
    if engine and "@" in engine:
        engine, kw["engine_version"] = engine.split("@")
    w, g = CAT.text_workload(workload), CAT.gpu(gpu)
    stack = CAT.stack(None)
    return text_setup(w, g, _efficiency(CAT, g.id, stack), CAT.efficiency.runtime, stack, precision, "bf16", engine=engine, **kw)


@pytest.mark.parametrize(("workload", "gpu", "tp", "engine", "precision"), CASES)
@pytest.mark.parametrize(("prompt", "output", "ttft_ms", "tpot_ms"), [(1024, 256, 2000.0, 50.0), (8000, 64, np.inf, np.inf), (200, 2000, 500.0, 20.0)])
def test_scalar_capacity_equals_the_array_path(workload, gpu, tp, engine, precision, prompt, output, ttft_ms, tpot_ms):
    s = _setup(workload, gpu, engine, precision)
    one = core.text_capacity(s, tp=tp, prompt_tokens=prompt, output_tokens=output, ttft_ms=ttft_ms, tpot_ms=tpot_ms)
    # the same scenario beside another one: the stacked-array evaluation
    two = core.text_capacity(s, tp=[tp, tp], prompt_tokens=[prompt, prompt + 1], output_tokens=[output, output], ttft_ms=ttft_ms, tpot_ms=tpot_ms)
    for f in dataclasses.fields(core.TextArrays):
        if f.name == "iteration":
            continue
        a, b = getattr(one, f.name)[0], getattr(two, f.name)[0]
        assert a == b, (f.name, a, b)  # exactly: the same operations on the same doubles
    if one.max_batch[0] > 0:
        it_one, it_two = one.iteration.at(0), two.iteration.at(0)
        assert dataclasses.asdict(it_one) == dataclasses.asdict(it_two)


def test_the_scalar_path_is_taken_and_gives_floats():
    s = _setup("llama-2-70b", "a100-sxm-80gb", None, "bf16")
    r = core.text_capacity(s, tp=4, prompt_tokens=1024, output_tokens=256)
    assert type(r.iteration.time_s) is float  # priced by Python arithmetic, not on one-element arrays


@pytest.mark.parametrize(("expert_parallel", "attention_dp"), [(True, False), (True, True)])
def test_scalar_capacity_equals_the_array_path_under_expert_and_attention_data_parallelism(expert_parallel, attention_dp):
    s = _setup("deepseek-v3", "h200-sxm", "sglang", "fp8", expert_parallel=expert_parallel, attention_dp=attention_dp)
    assert s.engine.attention_dp == attention_dp
    one = core.text_capacity(s, tp=8, prompt_tokens=2048, output_tokens=512, tpot_ms=60.0, reserved_bytes=2e9)
    two = core.text_capacity(s, tp=[8, 8], prompt_tokens=[2048, 100], output_tokens=[512, 512], tpot_ms=60.0, reserved_bytes=2e9)
    for f in dataclasses.fields(core.TextArrays):
        if f.name != "iteration":
            assert getattr(one, f.name)[0] == getattr(two, f.name)[0], f.name
    assert one.max_batch[0] > 0


@pytest.mark.parametrize(("workload", "gpu", "tp", "engine", "precision"), CASES)
def test_a_grid_that_repeats_its_rows_prices_each_scenario_as_alone(workload, gpu, tp, engine, precision):
    # a sweep over targets repeats each (prompt, output) row: the core builds the terms once per distinct
    # row and gathers them; every scenario must still get exactly its own answer
    s = _setup(workload, gpu, engine, precision)
    P = np.repeat([512.0, 4000.0, 1024.0], 4)
    O = np.repeat([128.0, 64.0, 1024.0], 4)
    tpot = np.tile([15.0, 40.0, 120.0, np.inf], 3)
    ttft = np.tile([np.inf, 3000.0, 800.0, np.inf], 3)
    grid = core.text_capacity(s, tp=tp, prompt_tokens=P, output_tokens=O, ttft_ms=ttft, tpot_ms=tpot, with_share=False)
    for i in range(len(P)):
        one = core.text_capacity(s, tp=tp, prompt_tokens=float(P[i]), output_tokens=float(O[i]), ttft_ms=float(ttft[i]), tpot_ms=float(tpot[i]), with_share=False)
        for f in ("fits", "max_batch", "limited_by", "tokens_per_s", "tpot_s", "ttft_s", "kv_cache_bytes", "weights_bytes"):
            assert getattr(grid, f)[i] == getattr(one, f)[0], (f, i)
