"""Serving-engine profiles through the catalogue, the core and the scalar API (engines.toml figures)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import capplan
from capplan.catalog import load_catalog
from capplan.catalog.engines import engine_for, engine_for_framework, load_engines, release_number
from capplan.errors import UserError
from capplan.models.transformer import param_counts, step_terms
from capplan.planning.core import text_at_batch, text_batch_cap, text_capacity, text_usable_bytes
from capplan.planning.resolve import text_setup

CAT = load_catalog()


def _setup(workload="llama-3.1-8b", gpu="h100-sxm", precision="bf16", kv_precision="bf16", **kw):
    stack = CAT.efficiency.default_stack
    return text_setup(CAT.text[workload], CAT.gpu(gpu), CAT.efficiency.gpu[gpu][stack], CAT.efficiency.runtime, stack, precision, kv_precision, **kw)


def test_engine_defaults_follow_the_gpu_as_the_engines_code_does():
    f = load_engines()
    assert f.default_engine == "vllm"
    h100, a100, l40s, b200 = (CAT.gpu(g) for g in ("h100-sxm", "a100-sxm-80gb", "l40s", "b200"))
    # vLLM: A100 and < 70 GiB GPUs take the small branch (256 sequences, 2048-token chunks)
    assert (engine_for("vllm", h100).max_running, engine_for("vllm", h100).max_batched_tokens) == (1024, 8192)
    assert (engine_for("vllm", a100).max_running, engine_for("vllm", a100).max_batched_tokens) == (256, 2048)
    # SGLang: chunk size and CUDA-graph batch by memory tier and TP
    assert (engine_for("sglang", l40s).max_batched_tokens, engine_for("sglang", l40s, 1).cuda_graph_max_batch) == (4096, 32)
    assert engine_for("sglang", l40s, 4).cuda_graph_max_batch == 160
    assert engine_for("sglang", b200).max_batched_tokens == 16384
    t = engine_for("trtllm", h100)
    assert (t.cuda_graph_max_batch, t.iteration_overhead_s, t.memory_basis) == (128, 0.00058, "free_after_load")
    # prefill: vLLM's piecewise graphs cover iterations of up to 512 tokens and mix prompt chunks into
    # decode; SGLang and TensorRT-LLM graph decode batches only, and SGLang prefills in batches of their own
    v, g = engine_for("vllm", h100), engine_for("sglang", h100)
    assert (v.prefill_graph_max_tokens, v.separate_prefill) == (512.0, False)
    assert (g.prefill_graph_max_tokens, g.separate_prefill) == (0.0, True)
    assert (t.prefill_graph_max_tokens, t.separate_prefill) == (0.0, False)
    # host time per kernel outside graphs: measured on NVIDIA, 1.6x on AMD (sglang PR #20479 vs #12160)
    mi300x = engine_for("sglang", CAT.gpu("mi300x"))
    assert (g.eager_launch_s, g.eager_launch_mla_moe_s) == (3e-5, 6.5e-5)
    assert mi300x.eager_launch_s == pytest.approx(1.6 * 3e-5) and mi300x.eager_launch_mla_moe_s == pytest.approx(1.6 * 6.5e-5)
    # TensorRT-LLM's PyTorch backend (1.0 on) runs a context iteration as an eager Python forward, as SGLang does;
    # its 0.x C++ runtime launched compiled engines on the driver path alone
    assert (t.eager_launch_s, t.eager_launch_mla_moe_s) == (3e-5, 6.5e-5)
    old = engine_for("trtllm", h100, version="0.16.0")
    assert (old.eager_launch_s, old.eager_launch_mla_moe_s) == (5e-6, 5e-6)


def test_an_eager_deepseek_forward_takes_the_measured_host_time_and_moe_operations_count_their_launches():
    # sglang PR #12160: DeepSeek-V3's one-token extend, eager, 82.6 ms; capplan counts 1261 launches (the
    # fused-MoE operation as its 5) at 65 us each
    s = _setup(workload="deepseek-v3", gpu="h200-sxm", precision="fp8", engine="sglang")
    terms = step_terms(s.arch, s.rates, decode_tokens=0.0, decode_context=0.0, prefill_tokens=1.0, prefill_context=0.0,
                       weight_bytes_per_param=s.weight_bytes_per_param, tp=8, floors=s.floors, engine=s.engine)
    assert terms.host_eager_s == pytest.approx(1261 * 6.5e-5) and terms.host_eager_s == pytest.approx(82.6e-3, rel=0.01)
    # a dense model of the same kernels per layer pays none of the MoE launches
    from capplan.models.kernels import FUSED_MOE_LAUNCHES, kernels_per_layer

    a = s.arch
    kc = kernels_per_layer(a)
    dense_launches = kc.attention_gemms * a.layers + kc.mlp_gemms * a.dense_layers + 1 + kc.attention * a.layers + kc.elementwise * a.layers + a.dense_layers
    assert terms.host_eager_s / 6.5e-5 == pytest.approx(dense_launches + (kc.moe + FUSED_MOE_LAUNCHES) * a.moe_layers)


def test_engine_kernels_override_efficiency_toml_and_missing_keys_fall_back():
    eff = CAT.efficiency.gpu["h100-sxm"][CAT.efficiency.default_stack]
    vllm = _setup(engine="vllm").rates
    trt = _setup(engine="trtllm").rates
    assert vllm.weight_stream_frac == 0.85 and vllm.serving_gemm_frac == 0.6 and vllm.kv_bandwidth_frac == 0.85
    # TensorRT-LLM has no Hopper kernel table: efficiency.toml's serving figures
    assert trt.weight_stream_frac == eff.weight_stream_frac and trt.serving_gemm_frac == eff.serving_gemm_frac
    assert "weight_stream_frac" in engine_for("trtllm", CAT.gpu("h100-sxm")).missing_kernels


def test_a_users_set_wins_over_the_engine_figure_for_the_same_kernels():
    r = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, engine="vllm", sets=["efficiency.weight_stream_frac=0.5"])
    assert r.efficiency.memory_bandwidth_frac == 0.5  # text: the weight-streaming figure (vLLM's own is 0.85)


def test_trtllm_memory_is_the_weights_plus_a_share_of_what_they_leave_free():
    s = _setup("llama-3.1-70b", engine="trtllm")
    m = 81082 * 2**20  # the H100's memory as CUDA reports its total (its profile's device_memory_mib), not 80e9
    assert CAT.gpu("h100-sxm").device_memory_bytes() == m
    w = 40e9
    assert float(text_usable_bytes(s, w)) == pytest.approx(w + 0.9 * (m - w), rel=1e-12)
    v = _setup("llama-3.1-70b", engine="vllm")
    assert float(text_usable_bytes(v, w)) == pytest.approx(0.9 * m, rel=1e-12)


def test_token_budget_and_running_limit_cap_the_batch():
    s = _setup(engine="vllm")  # 1024 sequences, 8192 tokens on H100
    assert float(text_batch_cap(s, 1000, 1000)) == 4096 // 4 * 1  # the 1024-sequence limit binds first
    assert float(text_batch_cap(s, 7000, 1000)) == 1024  # 8192 / 8 = 1024
    assert float(text_batch_cap(s, 32000, 82)) == np.floor(8192 / (1 + 32000 / 82))
    a100 = _setup(gpu="a100-sxm-80gb", engine="vllm")
    assert float(text_batch_cap(a100, 32000, 82)) == np.floor(2048 / (1 + 32000 / 82))


def test_engine_is_named_in_the_result_and_changes_the_answer():
    v = capplan.text("llama-3.1-70b", "h100-sxm", gpus=4, engine="vllm")
    t = capplan.text("llama-3.1-70b", "h100-sxm", gpus=4, engine="trtllm")
    d = capplan.text("llama-3.1-70b", "h100-sxm", gpus=4)
    assert (v.inputs.engine, t.inputs.engine, d.inputs.engine) == ("vllm", "trtllm", "vllm")
    assert t.iteration_s is not None and t.iteration_s.host == 0.00058
    assert v.tokens_per_s_per_gpu != t.tokens_per_s_per_gpu
    assert any("TensorRT-LLM has no hopper figure" in w for w in t.warnings)
    with pytest.raises(UserError, match="engine"):
        capplan.text("llama-3.1-8b", "h100-sxm", engine="tgi")


def test_framework_column_names_map_to_engines():
    assert [engine_for_framework(n) for n in ("TensorRT-LLM", "NIM (TensorRT-LLM)", "vLLM", "SGLang", "llama.cpp")] == ["trtllm", "trtllm", "vllm", "sglang", None]


def test_weight_only_quantisation_stores_narrow_and_computes_at_16_bits():
    r = capplan.text("llama-3.1-8b", "a100-sxm-80gb", gpus=1, precision="fp8")
    assert r.inputs.compute_precision == "bf16"
    assert r.weights_gb == pytest.approx(param_counts(_setup().arch).total * 1.0 / 1e9, rel=1e-9)
    assert any("weight-only" in w for w in r.warnings)
    # small-batch decode streams the weights: half the bytes, less time
    fp8, bf16 = (capplan.text("llama-3.1-8b", "a100-sxm-80gb", gpus=1, precision=p, concurrency=4) for p in ("fp8", "bf16"))
    assert fp8.tpot_ms < 0.7 * bf16.tpot_ms
    for gpu in ("h100-sxm", "a100-sxm-80gb"):
        g = capplan.text("gpt-oss-120b", gpu, gpus=1, precision="fp4" if gpu == "h100-sxm" else "int4")
        assert g.fits_in_memory and g.max_batch > 0 and g.inputs.compute_precision == "bf16"
    native = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, precision="fp8")
    assert native.inputs.compute_precision == "fp8" and not any("weight-only" in w for w in native.warnings)


def test_compute_precision_can_be_chosen_but_not_narrower_than_the_weights():
    w4a8 = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, precision="int4", compute_precision="fp8")
    assert w4a8.inputs.compute_precision == "fp8"
    with pytest.raises(UserError, match="compute_precision"):
        capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, precision="bf16", compute_precision="fp8")
    with pytest.raises(UserError, match="h100-sxm computes in"):
        capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, precision="fp4", compute_precision="fp4")


def test_fixed_concurrency_prices_the_batch_it_is_given():
    r = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, concurrency=64, prompt_tokens=1000, output_tokens=1000)
    it, pre = text_at_batch(_setup(), tp=1, batch=64.0, prompt_tokens=1000, output_tokens=1000)
    assert r.max_batch == 64 and r.inputs.concurrency == 64 and r.batch_limited_by == "none"
    assert r.tpot_ms == pytest.approx(float(it.time_s) * 1e3, rel=1e-12)
    assert r.ttft_ms == pytest.approx((float(pre.time_s) + float(it.time_s)) * 1e3, rel=1e-12)
    assert r.tokens_per_s_per_replica == pytest.approx(64 / float(it.time_s), rel=1e-12)
    one = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, concurrency=1, prompt_tokens=1000, output_tokens=1000)
    assert one.tpot_ms < r.tpot_ms and one.tokens_per_s_per_replica < r.tokens_per_s_per_replica
    big = capplan.text("llama-3.1-70b", "h100-sxm", gpus=2, concurrency=5000, prompt_tokens=1000, output_tokens=1000)
    assert big.max_batch < 5000 and big.batch_limited_by == "memory" and any("of the 5000 requests" in w for w in big.warnings)


def test_moe_layouts_apply_to_moe_models_only():
    dep = capplan.text("deepseek-v3", "h200-sxm", gpus=8, precision="fp8", parallel="dep")
    tp = capplan.text("deepseek-v3", "h200-sxm", gpus=8, precision="fp8")
    assert (dep.inputs.moe_parallel, tp.inputs.moe_parallel) == ("dep", "tp")
    # MLA's latent is replicated under TP but split by sequence under attention DP: more KV room per GPU
    assert dep.kv_cache_bytes_per_token == tp.kv_cache_bytes_per_token and dep.weights_gb > tp.weights_gb
    assert capplan.text("llama-3.1-8b", "h100-sxm", gpus=2, parallel="dep").inputs.moe_parallel == "tp"
    assert capplan.text("mixtral-8x7b", "h100-sxm", gpus=2, expert_parallel=True).inputs.moe_parallel == "ep"
    with pytest.raises(UserError, match="parallel"):
        capplan.text("mixtral-8x7b", "h100-sxm", parallel="pp")


def test_an_older_engine_release_takes_its_own_defaults():
    h100 = CAT.gpu("h100-sxm")
    assert engine_for("vllm", h100, version="0.7.3").iteration_overhead_s == 0.004  # V0 engine, before 0.8
    assert engine_for("vllm", h100, version="0.8").iteration_overhead_s == 0.0004
    # V1 before 0.14 ran without async scheduling by default: its scheduler's host time was not hidden
    assert engine_for("vllm", h100, version="0.11.0").iteration_overhead_s == 0.0004
    assert engine_for("vllm", h100, version="0.11.0").per_sequence_overhead_s > 0
    assert engine_for("vllm", h100, version="0.14.0").iteration_overhead_s == 0.0002
    # V0 graphed decode batches only; V1's piecewise graphs hold prefill iterations of up to 512 tokens
    assert engine_for("vllm", h100, version="0.7.3").prefill_graph_max_tokens == 0.0
    assert engine_for("vllm", h100, version="0.8").prefill_graph_max_tokens == 512.0
    r = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, engine_version="0.6.4", concurrency=8)
    # V0's 4 ms per step plus its serial 50 us for each of the 8 sequences, 1/O of them prefilling too
    assert r.iteration_s is not None and r.inputs.engine_version == "0.6.4"
    assert r.iteration_s.host == pytest.approx(0.004 + 50e-6 * 8 * (1 + 1 / 256), rel=1e-9)
    # before 0.6 output processing was serial too (0.08 ms per sequence); V1 before 0.14 only its scheduler's 1.1 us
    assert engine_for("vllm", h100, version="0.5.4").per_sequence_overhead_s == 80e-6
    assert engine_for("vllm", h100, version="0.7.3").per_sequence_overhead_s == 50e-6
    assert engine_for("vllm", h100, version="0.11.0").per_sequence_overhead_s == 1.1e-6
    for bad in ("latest", "0.6-beta", "0..6", "1.2.x"):
        with pytest.raises(UserError, match="engine_version"):
            capplan.text("llama-3.1-8b", "h100-sxm", engine_version=bad)


def test_an_engine_build_is_priced_as_its_release():
    # the engines name builds 1.2.0rc6.post2 (TensorRT-LLM), 0.4.6.post1 (SGLang), v0.11.0 (vLLM's tags)
    assert release_number("1.2.0rc6.post2") == "1.2.0" and release_number("0.4.6.post1") == "0.4.6" and release_number("v0.11.0") == "0.11.0"
    assert release_number("0.8.0.dev3") == "0.8.0" and release_number("2.0b1") == "2.0"
    h100 = CAT.gpu("h100-sxm")
    # a 0.7 release candidate is a V0 build (its 4 ms step), a 0.8 one a V1 build
    assert engine_for("vllm", h100, version="v0.7.0rc2").iteration_overhead_s == engine_for("vllm", h100, version="0.7.0").iteration_overhead_s == 0.004
    assert engine_for("vllm", h100, version="0.8.0rc1") == engine_for("vllm", h100, version="0.8.0")
    r = capplan.text("deepseek-v3", "b200", gpus=8, precision="fp8", engine="trtllm", engine_version="1.2.0rc6.post2", concurrency=4)
    assert r.inputs.engine_version == "1.2.0rc6.post2"  # (as the user named it)
    assert r.tpot_ms == capplan.text("deepseek-v3", "b200", gpus=8, precision="fp8", engine="trtllm", engine_version="1.2.0", concurrency=4).tpot_ms


def test_tensorrt_llm_0x_ran_every_iteration_without_a_cuda_graph():
    # engines.toml: the TensorRT engine backend's executor, gptManagerBenchmark and trtllm-bench throughput
    # left cudaGraphMode off; the PyTorch backend (1.0 on) graphs decode batches up to 128
    h100 = CAT.gpu("h100-sxm")
    assert engine_for("trtllm", h100, version="0.16.0").cuda_graph_max_batch == 0
    assert engine_for("trtllm", h100, version="1.0").cuda_graph_max_batch == engine_for("trtllm", h100).cuda_graph_max_batch == 128
    # a release after the last entry that sets a graph limit keeps the current one (SGLang's comes from its memory tiers)
    assert engine_for("sglang", h100, version="0.4.7").cuda_graph_max_batch == engine_for("sglang", h100).cuda_graph_max_batch
    # SGLang 0.4.2-0.4.6 captured graphs up to 160 running requests whatever the TP size (before the memory tiers)
    assert engine_for("sglang", h100, version="0.4.3").cuda_graph_max_batch == 160
    s = _setup(engine="trtllm", engine_version="0.16.0")
    assert s.engine.graph_max_batch == 0.0


def test_tensorrt_llm_admits_a_request_only_with_kv_for_its_whole_output():
    # GUARANTEED_NO_EVICT (TensorRT-LLM's default capacity policy) reserves P + O per request, so at the
    # memory limit the batch is what the KV pool holds at P + O each, not at the mean context P + O/2
    P, O = 128, 2048
    r = capplan.text("llama-3.1-70b", "h200-sxm", gpus=1, precision="fp8", kv_precision="fp8", engine="trtllm", prompt_tokens=P, output_tokens=O, no_latency_targets=True)
    assert r.batch_limited_by == "memory"
    per_seq_gb = r.kv_cache_bytes_per_token * (P + O) / 1e9
    assert r.kv_cache_gb == pytest.approx(r.max_batch * per_seq_gb)
    assert r.weights_gb + r.max_batch * per_seq_gb <= r.usable_memory_gb < r.weights_gb + (r.max_batch + 1) * per_seq_gb
    # the MAX_UTILIZATION policy (a benchmark that states it) takes blocks as tokens arrive: about twice the batch
    s = _setup("llama-3.1-70b", gpu="h200-sxm", precision="fp8", engine="trtllm")
    assert s.kv_reserved_to_completion and not _setup(engine="vllm").kv_reserved_to_completion
    held = text_capacity(s, tp=1, prompt_tokens=P, output_tokens=O, with_share=False).max_batch[0]
    packed = text_capacity(dataclasses.replace(s, kv_reserved_to_completion=False), tp=1, prompt_tokens=P, output_tokens=O, with_share=False).max_batch[0]
    assert packed / held == pytest.approx((P + O) / (P + O / 2), rel=0.02)


def test_an_engine_runs_only_on_the_generations_its_profile_lists():
    with pytest.raises(UserError, match="TensorRT-LLM does not run on mi300x"):
        capplan.text("llama-3.1-8b", "mi300x", engine="trtllm")
    assert capplan.text("llama-3.1-8b", "mi300x", gpus=1, engine="sglang").inputs.engine == "sglang"


def test_vllm_v0_chose_its_token_budget_and_prefill_scheduling_by_the_served_context():
    # engines.toml: V0 ran 256 requests at most, chunked prefill only above a 32K context (512 tokens per
    # iteration before 0.6.5, 2048 after), else prompts in prefill-only iterations of max(context, 2048)
    short = _setup(engine="vllm", engine_version="0.5.4", max_model_len=2048)
    assert (short.max_batch, short.max_batched_tokens, short.engine.separate_prefill) == (256, 2048.0, True)
    assert _setup(engine="vllm", engine_version="0.5.4", max_model_len=16384).max_batched_tokens == 16384.0
    long = _setup(engine="vllm", engine_version="0.5.4")  # Llama-3.1-8B's own 131072-token context
    assert (long.max_batched_tokens, long.engine.separate_prefill) == (512.0, False)
    assert _setup(engine="vllm", engine_version="0.7.3").max_batched_tokens == 2048.0
    # on ROCm from 0.6.5 the rule does not turn chunked prefill on
    amd = _setup(gpu="mi300x", engine="vllm", engine_version="0.7.3")
    assert (amd.max_batched_tokens, amd.engine.separate_prefill) == (131072.0, True)
    # V1 (0.8 on) keeps the profile's budget whatever the context
    assert _setup(engine="vllm", engine_version="0.8.0", max_model_len=2048).max_batched_tokens == _setup(engine="vllm").max_batched_tokens


def test_vllm_v0_host_work_grows_with_the_running_sequences():
    # engines.toml: vLLM before 0.6 exposes 4 ms per step plus a per-sequence host cost (vllm #6801, #6913)
    e = engine_for("vllm", CAT.gpu("h100-sxm"), version="0.5.4")
    assert e.per_sequence_overhead_s > 0
    s = _setup(engine="vllm", engine_version="0.5.4")
    new = _setup(engine="vllm", engine_version="0.14.0")
    P, O = 1000.0, 250.0
    for b in (8.0, 128.0):
        it, _ = text_at_batch(s, tp=1, batch=b, prompt_tokens=P, output_tokens=O)
        # one decode plus 1/O of a prefilled prompt per sequence in flight
        assert float(it.overhead_s) == pytest.approx(0.004 + e.per_sequence_overhead_s * b * (1 + 1 / O), rel=1e-9)
        it_new, _ = text_at_batch(new, tp=1, batch=b, prompt_tokens=P, output_tokens=O)
        assert float(it_new.overhead_s) == pytest.approx(0.0002)


def test_block_scaled_fp8_experts_take_the_block_fused_moe_figures_of_their_release():
    e = engine_for("vllm", CAT.gpu("h200-sxm"), version="0.7.3")
    assert {"fused_moe_fp8_block_frac", "fused_moe_weight_stream_fp8_block_frac"} <= set(e.block_fp8_kernels)
    kw = dict(workload="deepseek-v3", gpu="h200-sxm", precision="fp8", engine="vllm", engine_version="0.7.3")
    block = _setup(fp8_block_scaled=True, **kw).engine
    assert block.fused_moe_frac == e.block_fp8_kernels["fused_moe_fp8_block_frac"]
    assert block.fused_moe_stream_frac == e.block_fp8_kernels["fused_moe_weight_stream_fp8_block_frac"]
    # DeepSeek's fp8 checkpoint is block-scaled (its workload file says so): no flag needed
    assert _setup(**kw).engine == block
    per_tensor = _setup(**dict(kw, workload="mixtral-8x7b")).engine  # no block-scaled checkpoint
    assert per_tensor.fused_moe_stream_frac != block.fused_moe_stream_frac
    # later releases have no block figure of their own: the block flag changes nothing in the MoE terms
    later = dict(kw, engine_version="0.11.0")
    assert _setup(fp8_block_scaled=True, **later).engine.fused_moe_stream_frac == _setup(**later).engine.fused_moe_stream_frac


def test_sglang_before_0_4_7_ran_its_tensor_parallel_moe_on_the_triton_kernel():
    # engines.toml: 0.4.2-0.4.6 chose FusedMoE (the Triton fork of vLLM's kernel) unless DeepEP was asked for,
    # so DeepSeek's block-fp8 experts take that kernel's February-2025 figures, not DeepGEMM's fused_moe_frac
    h200 = CAT.gpu("h200-sxm")
    old, new = engine_for("sglang", h200, version="0.4.3"), engine_for("sglang", h200, version="0.5.9")
    assert old.block_fp8_kernels == {"fused_moe_fp8_block_frac": 0.04, "fused_moe_weight_stream_fp8_block_frac": 0.25}
    assert not new.block_fp8_kernels
    # the ROCm builds of the time ran the same Triton kernel on MI300X (no timing there: the H100 fractions apply)
    mi300x = CAT.gpu("mi300x")
    for engine, version in (("sglang", "0.4.2"), ("vllm", "0.7.3")):
        assert engine_for(engine, mi300x, version=version).block_fp8_kernels == old.block_fp8_kernels
    # later releases run AITER's block-fp8 MoE there (ROCm/aiter PR #4558 and its tuned tables)
    assert engine_for("sglang", mi300x, version="0.5.9").block_fp8_kernels == {"fused_moe_fp8_block_frac": 0.18, "fused_moe_weight_stream_fp8_block_frac": 0.75}
    # on B200, 16-bit experts ran the untuned Triton kernel until the TRT-LLM-gen bf16 MoE became the default
    b200 = CAT.gpu("b200")
    assert engine_for("sglang", b200, version="0.5.6").kernels["fused_moe_weight_stream_frac"] == 0.45
    assert engine_for("sglang", b200, version="0.5.9").kernels["fused_moe_weight_stream_frac"] == engine_for("sglang", b200).kernels["fused_moe_weight_stream_frac"]
    kw = dict(workload="deepseek-v3", gpu="h200-sxm", precision="fp8", engine="sglang")
    assert _setup(engine_version="0.4.3", **kw).engine.fused_moe_stream_frac == 0.25
    # the expert weights stream at a quarter of HBM bandwidth: a batch-8 decode step is slower than the current release's
    slow = capplan.text("deepseek-v3", "h200-sxm", gpus=8, precision="fp8", engine="sglang", engine_version="0.4.3", concurrency=8)
    fast = capplan.text("deepseek-v3", "h200-sxm", gpus=8, precision="fp8", engine="sglang", engine_version="0.5.9", concurrency=8)
    assert slow.iteration_s.experts > 2 * fast.iteration_s.experts


def test_four_bit_experts_computed_at_16_bits_take_the_engines_w4a16_moe_figures():
    # gpt-oss's MXFP4 experts on Hopper are weight-only (W4A16): vLLM 0.12+ runs triton_kernels' matmul_ogs,
    # earlier wheels Marlin, each with its own streaming figure; the Triton shape rule (bf16/fp8 kernels) is off
    kw = dict(workload="gpt-oss-120b", gpu="h100-sxm", precision="int4", engine="vllm")
    new, old = _setup(engine_version="0.12.0", **kw).engine, _setup(engine_version="0.10.2", **kw).engine
    assert (new.fused_moe_stream_frac, new.fused_moe_frac, new.fused_moe_shape) == (0.48, 0.30, None)
    assert (old.fused_moe_stream_frac, old.fused_moe_frac, old.fused_moe_shape) == (0.33, 0.30, None)
    # 16-bit experts keep the shape rule, and a GPU with 4-bit tensor cores is not weight-only
    assert _setup(**dict(kw, precision="bf16")).engine.fused_moe_shape is not None
    assert _setup(**dict(kw, gpu="b200", precision="fp4")).engine.fused_moe_stream_frac != 0.48
    # a --set on weight streaming replaces the engine's W4A16 streaming figure as it does its 16-bit one
    eff = CAT.efficiency.gpu["h100-sxm"][CAT.efficiency.default_stack].model_copy(update={"weight_stream_frac": 0.5})
    user = text_setup(CAT.text["gpt-oss-120b"], CAT.gpu("h100-sxm"), eff, CAT.efficiency.runtime, CAT.efficiency.default_stack, "int4", "bf16", engine="vllm")
    assert user.engine.fused_moe_stream_frac is None
    # dense 4-bit weights computed at 16 bits stream through the engine's W4A16 GEMM (Marlin) figure
    dense = dict(workload="llama-3.1-70b", gpu="h100-sxm", engine="vllm")
    assert _setup(precision="int4", **dense).rates.weight_stream_frac == 0.37
    assert _setup(precision="bf16", **dense).rates.weight_stream_frac == engine_for("vllm", CAT.gpu("h100-sxm")).kernels["weight_stream_frac"]
    # a generation without a W4A16 figure says so only when the run reads it
    assert any("weight_stream_w4_frac" in w for w in capplan.text("llama-3.1-8b", "l40s", precision="int4").warnings)
    assert not any("weight_stream_w4_frac" in w for w in capplan.text("llama-3.1-8b", "l40s").warnings)


def _decode_flop(s, P, O):
    return step_terms(s.arch, s.rates, decode_tokens=4.0, decode_context=P + O / 2, prefill_tokens=0.0, prefill_context=0.0, weight_bytes_per_param=1.0, tp=8).at(1.0).flop


def test_sglang_fixed_concurrency_prices_its_prefill_batches_between_decode_steps():
    # DeepSeek-V3 on 8 H200 with 8000-token prompts at concurrency 4: TPOT is the decode step plus a
    # 4 / O share of one prompt's prefill (a benchmark's TPOT includes the prefills that interrupt it)
    P, O = 8000, 1000
    r = capplan.text("deepseek-v3", "h200-sxm", gpus=8, precision="fp8", engine="sglang", concurrency=4, prompt_tokens=P, output_tokens=O)
    s = text_setup(CAT.text_workload("deepseek-v3"), CAT.gpu("h200-sxm"), CAT.efficiency.gpu["h200-sxm"][CAT.efficiency.default_stack],
                   CAT.efficiency.runtime, CAT.efficiency.default_stack, "fp8", "bf16", engine="sglang")
    it, pre = text_at_batch(s, tp=8, batch=4.0, prompt_tokens=P, output_tokens=O)
    assert r.tpot_ms == pytest.approx(float(it.time_s) * 1e3, rel=1e-9)
    assert r.ttft_ms == pytest.approx((float(pre.time_s) + float(it.time_s)) * 1e3, rel=1e-9)
    # the breakdown holds the 4 / O share of one prompt's prefill, whose weights are read once per prompt
    assert it.flop == pytest.approx(float(_decode_flop(s, P, O)) + 4 / O * pre.flop, rel=1e-9)


def test_the_triton_fused_moe_shape_rule_applies_where_that_kernel_runs_and_was_measured():
    shape = lambda **kw: _setup("qwen3-235b-a22b", **kw).engine.fused_moe_shape  # noqa: E731
    vllm = shape(engine="vllm")
    assert vllm is not None and vllm.quadrature and vllm.compute_anchors is not None and vllm.stream_by_slab
    assert shape(engine="sglang") is not None  # SGLang's tensor-parallel MoE runs the same Triton kernel on Hopper
    assert shape(engine="trtllm") is None  # CUTLASS MoE: no rule
    assert shape(engine="vllm", gpu="b200") is None  # Blackwell runs FlashInfer/TRT-LLM MoE kernels
    assert shape(engine="sglang", engine_version="0.4.3") is None  # before the releases the rule was measured on
    bf16, fp8 = vllm, shape(engine="vllm", precision="fp8")  # Qwen3's fp8 checkpoint is block-scaled
    # block-scaled fp8 GEMMs: the 16-bit compute rule scaled by the engine's measured fp8 factor, of fp8 peak:
    # vLLM 0.14 on (NVIDIA's tables) 0.86, its releases before that 0.26 (the one earlier table), SGLang 1.0
    assert fp8 is not None and fp8.compute_frac(768.0) == pytest.approx(0.86 * bf16.compute_frac(768.0), rel=1e-12)
    assert fp8.stream_by_slab == bf16.stream_by_slab
    older = shape(engine="vllm", precision="fp8", engine_version="0.11.0")
    assert older is not None and older.compute_frac(768.0) == pytest.approx(0.26 * bf16.compute_frac(768.0), rel=1e-12)
    sgl = shape(engine="sglang", precision="fp8")
    assert sgl is not None and sgl.compute_frac(768.0) == pytest.approx(shape(engine="sglang").compute_frac(768.0), rel=1e-12)
    per_tensor = _setup("mixtral-8x7b", engine="vllm", precision="fp8").engine.fused_moe_shape
    assert per_tensor is not None and per_tensor.compute_anchors is None  # per-tensor fp8: no table, the engine's figure
    # a release's own block-fp8 figures, measured at DeepSeek's shapes, win over the rule
    old = _setup("deepseek-v3", gpu="h200-sxm", precision="fp8", engine="vllm", engine_version="0.7.3", fp8_block_scaled=True)
    assert old.engine.fused_moe_shape is None
    assert _setup("llama-3.1-8b", engine="vllm").engine.fused_moe_shape is None  # dense: no experts


def test_pdl_launched_kernel_groups_follow_the_engine_its_release_and_the_gpu():
    h100, b200, a100, mi300x = (CAT.gpu(g) for g in ("h100-sxm", "b200", "a100-sxm-80gb", "mi300x"))
    every = (True, True, True, True)  # (dense GEMMs, experts, attention, elementwise)
    # TensorRT-LLM launches every kernel with PDL from 1.2 on SM90+, none before; no PDL before Hopper
    assert engine_for("trtllm", h100).pdl == every and engine_for("trtllm", b200).pdl == every
    assert engine_for("trtllm", h100, version="1.1").pdl == (False,) * 4
    assert engine_for("trtllm", a100).pdl == (False,) * 4
    # SGLang: its norm kernels on Hopper, and FlashInfer's MoE and attention kernels on Blackwell from 0.5.3
    assert engine_for("sglang", h100).pdl == (False, False, False, True)
    assert engine_for("sglang", b200).pdl == (False, True, True, True)
    assert engine_for("sglang", b200, version="0.5.2").pdl == (False, False, False, True)
    assert engine_for("sglang", b200, version="0.4.6").pdl == (False,) * 4
    assert engine_for("sglang", mi300x).pdl == (False,) * 4
    # vLLM: no global default
    assert engine_for("vllm", h100).pdl == (False,) * 4
    # and the core prices it: the same decode step is faster where the engine hides the gaps
    hid, shown = (_setup(gpu="b200", engine="trtllm", engine_version=v) for v in (None, "1.1"))
    it_hid, _ = text_at_batch(hid, tp=1, batch=1, prompt_tokens=128, output_tokens=128)
    it_shown, _ = text_at_batch(shown, tp=1, batch=1, prompt_tokens=128, output_tokens=128)
    assert it_hid.gemm_gap_s == 0.0 and it_shown.gemm_gap_s > 0.0


def test_the_gemm_ramp_follows_the_architecture_and_slows_a_decode_step_by_it():
    # NVIDIA's GEMM tables give a per-GEMM ramp for Hopper, Blackwell and Ampere; Ada and AMD have none
    ramps = {g: _setup(gpu=g).floors.gemm_ramp_s for g in ("h100-sxm", "h200-sxm", "b200", "a100-sxm-80gb", "l40s", "mi300x")}
    assert ramps == {"h100-sxm": 2.5e-6, "h200-sxm": 2.5e-6, "b200": 1.9e-6, "a100-sxm-80gb": 4.4e-6, "l40s": 0.0, "mi300x": 0.0}
    # Llama-3.1-8B on one H100 at batch 1: all 129 dense GEMMs stream above their floor, so the step
    # grows by 129 ramps exactly
    s = _setup()
    without = dataclasses.replace(s, floors=dataclasses.replace(s.floors, gemm_ramp_s=0.0))
    with_ramp, _ = text_at_batch(s, tp=1, batch=1, prompt_tokens=128, output_tokens=128)
    plain, _ = text_at_batch(without, tp=1, batch=1, prompt_tokens=128, output_tokens=128)
    assert float(with_ramp.gemm_time_s - plain.gemm_time_s) == pytest.approx(129 * 2.5e-6, rel=1e-9)


def test_decode_attention_terms_follow_the_architecture_and_tensorrt_llms_own_kernel():
    # NVIDIA's decode-attention tables: a ramp and a cost per (sequence x KV head) for Hopper, Blackwell
    # and Ampere; Ada and AMD have none; TensorRT-LLM's XQA kernel has its own, lower unit cost
    got = {g: (_setup(gpu=g).floors.attention_ramp_s, _setup(gpu=g).floors.attention_unit_s) for g in ("h100-sxm", "b200", "a100-sxm-80gb", "l40s", "mi300x")}
    assert got == {"h100-sxm": (5.2e-6, 22e-9), "b200": (3.7e-6, 8.3e-9), "a100-sxm-80gb": (9.7e-6, 27e-9), "l40s": (0.0, 0.0), "mi300x": (0.0, 0.0)}
    assert _setup(gpu="h100-sxm", engine="trtllm").floors.attention_unit_s == 9.9e-9
    assert _setup(gpu="h100-sxm", engine="sglang").floors.attention_unit_s == 22e-9
    mla = {g: (_setup(gpu=g).floors.mla_attention_ramp_s, _setup(gpu=g).floors.mla_attention_unit_s) for g in ("h200-sxm", "b200", "a100-sxm-80gb")}
    assert mla == {"h200-sxm": (8.0e-6, 38e-9), "b200": (5.8e-6, 28e-9), "a100-sxm-80gb": (0.0, 0.0)}
    # Llama-3.1-8B on one H100 at batch 32: 32 layers x (ramp + 32 sequences x 8 KV heads x unit) more
    s = _setup()
    without = dataclasses.replace(s, floors=dataclasses.replace(s.floors, attention_ramp_s=0.0, attention_unit_s=0.0))
    with_terms, _ = text_at_batch(s, tp=1, batch=32, prompt_tokens=128, output_tokens=128)
    plain, _ = text_at_batch(without, tp=1, batch=32, prompt_tokens=128, output_tokens=128)
    assert float(with_terms.attention_time_s - plain.attention_time_s) == pytest.approx(32 * (5.2e-6 + 32 * 8 * 22e-9), rel=1e-6)


def test_prefill_attention_runs_at_the_engines_measured_causal_efficiency():
    # NVIDIA's context-attention tables, g of t = a + FLOP / (g x bf16 peak): GQA and MLA figures per engine
    # and generation; an engine without an MLA figure prices MLA at its GQA one
    def frac(gpu, engine, workload="llama-3.1-8b"):
        return _setup(workload=workload, gpu=gpu, precision="fp8" if workload == "deepseek-v3" else "bf16", engine=engine).rates.attention_frac

    assert frac("h100-sxm", "vllm") == pytest.approx(0.53)
    assert frac("h200-sxm", "sglang") == pytest.approx(0.52)
    assert frac("b200", "trtllm") == pytest.approx(0.39)
    assert frac("a100-sxm-80gb", "vllm") == pytest.approx(0.50)
    assert frac("b200", "trtllm", "deepseek-v3") == pytest.approx(0.46)
    assert frac("h200-sxm", "trtllm", "deepseek-v3") == pytest.approx(0.51)
    assert frac("b200", "vllm", "deepseek-v3") == frac("b200", "vllm") == pytest.approx(0.45)


def test_block_fp8_fused_moe_runs_at_the_engines_measured_prefill_efficiency_by_expert_shape():
    # NVIDIA's fused-MoE tables at DeepSeek-V3's shape: TensorRT-LLM's block-fp8 MoE reaches 0.07 of fp8 peak
    # with 256 expert columns a GPU (TP8) and 0.26 with all 2048 (EP8) on Hopper, log-linear between; FlashInfer's
    # TRT-LLM MoE under SGLang on B200 0.13 at TP8
    trt = _setup(workload="deepseek-v3", gpu="h200-sxm", precision="fp8", engine="trtllm", fp8_block_scaled=True)
    shape = trt.engine.fused_moe_shape
    assert shape.compute_frac(256.0) == pytest.approx(0.07)
    assert shape.compute_frac(2048.0) == pytest.approx(0.26)
    assert shape.compute_frac(512.0) == pytest.approx(0.07 + (0.26 - 0.07) / 3)  # a third of the way in log2
    assert shape.compute_frac(128.0) == pytest.approx(0.07)  # held outside the anchors
    assert _setup(workload="deepseek-v3", gpu="b200", precision="fp8", engine="sglang", fp8_block_scaled=True).engine.fused_moe_frac == pytest.approx(0.13)
    # per-tensor fp8 experts keep the engine's single figure
    assert _setup(workload="mixtral-8x7b", gpu="h200-sxm", precision="fp8", engine="trtllm").engine.fused_moe_shape is None
    # NVFP4 experts (NVIDIA's ModelOpt checkpoints) on B200: TensorRT-LLM's CUTLASS MoE 0.06 (TP8) to 0.15 (EP8) of
    # fp4 peak; gpt-oss's MXFP4 experts run other kernels and keep the engine's figure
    nv = _setup(workload="deepseek-v3", gpu="b200", precision="fp4", engine="trtllm").engine.fused_moe_shape
    assert (nv.compute_frac(256.0), nv.compute_frac(2048.0)) == pytest.approx((0.06, 0.15))
    assert _setup(workload="gpt-oss-120b", gpu="b200", precision="fp4", engine="trtllm").engine.fused_moe_shape is None


def test_an_fp8_kv_cache_is_read_at_the_measured_share_of_the_16_bit_rate():
    # NVIDIA's attention tables: vLLM's and SGLang's Hopper kernels read an fp8 cache at 0.84 (H100) and 0.68
    # (H200) of the 16-bit rate per byte; TensorRT-LLM's XQA at the full rate; MLA and untabled chips keep it
    def kv(gpu, engine, kv_precision, workload="llama-3.1-70b"):
        return _setup(workload=workload, gpu=gpu, precision="fp8", engine=engine, kv_precision=kv_precision).rates.kv_bandwidth_frac

    assert kv("h100-sxm", "vllm", "fp8") == pytest.approx(kv("h100-sxm", "vllm", "bf16") * 0.84)
    assert kv("h200-sxm", "sglang", "fp8") == pytest.approx(kv("h200-sxm", "sglang", "bf16") * 0.68)
    assert kv("h200-sxm", "trtllm", "fp8") == kv("h200-sxm", "trtllm", "bf16")
    assert kv("h20", "vllm", "fp8") == kv("h20", "vllm", "bf16")
    assert kv("h200-sxm", "sglang", "fp8", workload="deepseek-v3") == kv("h200-sxm", "sglang", "bf16", workload="deepseek-v3")
    # half the bytes at 0.68 of the rate: the fp8 cache's reads take 1 / (2 x 0.68) = 0.74 of the 16-bit time
    s8 = _setup(workload="llama-3.1-70b", gpu="h200-sxm", precision="fp8", engine="vllm", kv_precision="fp8")
    s16 = _setup(workload="llama-3.1-70b", gpu="h200-sxm", precision="fp8", engine="vllm", kv_precision="bf16")
    it8, _ = text_at_batch(s8, tp=4, batch=64, prompt_tokens=8000, output_tokens=1000)
    it16, _ = text_at_batch(s16, tp=4, batch=64, prompt_tokens=8000, output_tokens=1000)
    assert float(it8.attention_memory_s / it16.attention_memory_s) == pytest.approx(1 / (2 * 0.68), rel=0.01)


@pytest.mark.parametrize("workload, gpu, precision, engine", [
    ("llama-3.1-8b", "h100-sxm", "bf16", "vllm"), ("llama-3.1-70b", "h200-sxm", "fp8", "trtllm"),
    ("deepseek-v3", "b200", "fp8", "sglang"), ("qwen3-235b-a22b", "mi300x", "bf16", "sglang"),
])
def test_the_ideal_setup_is_never_slower_and_is_the_roofline_at_peak(workload, gpu, precision, engine):
    from capplan.planning.core import ideal_text_setup

    tp = 1 if workload == "llama-3.1-8b" else 8
    s = _setup(workload=workload, gpu=gpu, precision=precision, engine=engine)
    ideal = ideal_text_setup(s)
    for batch in (1.0, 8.0, 64.0, 512.0):
        for P in (128.0, 4000.0):
            it, pre = text_at_batch(s, tp=tp, batch=batch, prompt_tokens=P, output_tokens=500.0)
            it_i, pre_i = text_at_batch(ideal, tp=tp, batch=batch, prompt_tokens=P, output_tokens=500.0)
            assert float(it_i.time_s) <= float(it.time_s) and float(pre_i.time_s) <= float(pre.time_s)
    if workload == "llama-3.1-8b":
        # batch 1 at peak is the weight read at 3.35 TB/s: 7.51e9 params (the embedding table is looked up,
        # not read) to 8.03e9, at 2 bytes, plus ~0.2 GB of KV cache
        it_i, _ = text_at_batch(ideal, tp=1, batch=1.0, prompt_tokens=1000.0, output_tokens=1000.0)
        assert 7.51e9 * 2 / 3.35e12 <= float(it_i.time_s) <= (8.03e9 * 2 + 0.3e9) / 3.35e12


def test_sglang_0_5_9_on_mi300x_runs_block_fp8_gemms_on_aiters_untuned_config():
    # AITER v0.1.10.post3's only gfx942 block-fp8 GEMM config is one 128x128 tile without split-K: each
    # DeepSeek-V3 dense GEMM takes K/128 steps of 2.1 us (AITER PR #1930's saving over 56 steps). By hand,
    # the excess over the 8 us AMD GEMM floor per token: 61 MLA layers x ((56 + 12 + 16) x 2.1 - 3 x 8) us
    # (q_a/kv_a K=7168, q_b K=1536, o K=16384/8) + 3 dense layers x ((56 + 18) x 2.1 - 2 x 8) us (gate_up
    # K=7168, down K=18432/8) = 9.7146 ms; 0.5.10 took tuned configs, and NVIDIA GPUs never ran this one
    def step(version, gpu="mi300x"):
        s = _setup(workload="deepseek-v3", gpu=gpu, precision="fp8", engine="sglang", engine_version=version, fp8_block_scaled=True)
        it, _ = text_at_batch(s, tp=8, batch=4.0, prompt_tokens=1000.0, output_tokens=1000.0)
        return float(it.time_s)

    assert step("0.5.9") - step("0.5.12") == pytest.approx((61 * (84 * 2.1 - 24) + 3 * (74 * 2.1 - 16)) * 1e-6, rel=1e-9)
    s = _setup(workload="deepseek-v3", gpu="h200-sxm", precision="fp8", engine="sglang", engine_version="0.5.9", fp8_block_scaled=True)
    assert s.engine.gemm_k_block_s == 0.0
    # releases before 0.5.9 (their gfx942 GEMM path was not read) and per-tensor fp8 keep the roofline
    assert _setup(workload="deepseek-v3", gpu="mi300x", precision="fp8", engine="sglang", engine_version="0.5.5", fp8_block_scaled=True).engine.gemm_k_block_s == 0.0
    assert _setup(workload="llama-3.1-70b", gpu="mi300x", precision="fp8", engine="sglang", engine_version="0.5.9").engine.gemm_k_block_s == 0.0


def test_the_custom_all_reduce_waits_longer_on_a100_than_where_it_was_measured():
    # sglang PRs #2688 (8x A100) and #2904 (8x H100) time vLLM's custom all-reduce kernel with the same test:
    # its latency is ~1.4x on A100; bandwidth still follows each GPU's link (NVLink 3: 300 GB/s per direction)
    from capplan.catalog.convert import allreduce

    rt = CAT.efficiency.runtime
    h100, a100 = allreduce(rt, CAT.gpu("h100-sxm"), 8), allreduce(rt, CAT.gpu("a100-sxm-80gb"), 8)
    assert h100.custom_latency_s == pytest.approx(7.0e-6) and a100.custom_latency_s == pytest.approx(1.4 * 7.0e-6)
    assert a100.custom_bytes_per_s == pytest.approx(40e9 * 300 / 450)
    arr = allreduce(rt, CAT.gpu("a100-sxm-80gb"), np.array([2.0, 8.0]))
    assert np.allclose(arr.custom_latency_s, [1.4 * 4.0e-6, 1.4 * 7.0e-6])
