"""What a serving engine adds to an iteration (capplan.models.transformer.EngineTerms), and the MoE layouts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_transformer import DEV, DSV3, LLAMA8B, MIXTRAL  # (same folder: pytest puts it on sys.path)

from capplan.models.transformer import (
    EngineTerms,
    FusedMoeShape,
    KernelFloors,
    MixedPrefillTerms,
    SeparatePrefillTerms,
    act_quant_kernels_per_layer,
    expert_load_imbalance,
    kernels_per_layer,
    kv_shard,
    param_counts,
    prompt_prefill_terms,
    steady_state_terms,
    step_terms,
    weights_bytes_per_gpu,
)

KW = dict(prompt_tokens=1000.0, output_tokens=1000.0, weight_bytes_per_param=2.0)


def test_imbalance_matches_the_extreme_value_formula_and_its_limits():
    # 64 tokens x 8 experts over 8 ranks: 1 + sqrt(2 ln 8 x 7 / 512)
    assert float(expert_load_imbalance(64, 8, 8)) == pytest.approx(1 + math.sqrt(2 * math.log(8) * 7 / 512), rel=1e-12)
    assert float(expert_load_imbalance(5, 2, 1)) == 1.0  # one rank holds everything: nothing to balance
    assert float(expert_load_imbalance(1, 1, 8)) == 8.0  # one routed copy: the busiest rank has all of it (capped at n)
    big = expert_load_imbalance(1e6, 8, 8)
    assert 1.0 < float(big) < 1.002  # large batches average out
    assert np.all(np.diff(expert_load_imbalance(np.array([16, 64, 256, 1024]), 8, 8)) < 0)


def test_host_overhead_adds_to_every_iteration_exactly():
    base = steady_state_terms(LLAMA8B, DEV, **KW)
    eng = steady_state_terms(LLAMA8B, DEV, engine=EngineTerms(iteration_overhead_s=5e-4), **KW)
    b = np.array([1.0, 64.0, 512.0])
    assert eng.time_s(b) - base.time_s(b) == pytest.approx(np.full(3, 5e-4), rel=1e-9)
    at = eng.at(64.0)
    assert float(at.overhead_s) == 5e-4 and float(at.time_s) == pytest.approx(float(eng.time_s(64.0)), rel=1e-12)


def test_eager_launch_floor_applies_only_above_the_graph_batch():
    floors = KernelFloors(kernel_s=2e-6)
    graph = steady_state_terms(LLAMA8B, DEV, floors=floors, **KW)
    eng = EngineTerms(graph_max_batch=8, eager_launch_s=50e-6)  # a launch cost far above any kernel of a tiny batch
    e = steady_state_terms(LLAMA8B, DEV, floors=floors, engine=eng, **KW)
    assert float(e.time_s(8.0)) == pytest.approx(float(graph.time_s(8.0)), rel=1e-12)
    kc = kernels_per_layer(LLAMA8B)
    kernels = (kc.attention_gemms + kc.mlp_gemms + kc.attention + kc.elementwise + 1) * LLAMA8B.layers + 1
    assert float(e.time_s(9.0)) >= kernels * 50e-6
    assert float(e.time_s(9.0)) > float(graph.time_s(9.0))


def test_attention_dp_replicates_non_expert_weights_and_splits_kv_by_sequence():
    pc = param_counts(DSV3)
    w = float(weights_bytes_per_gpu(DSV3, 1.0, 8, attention_dp=True))
    assert w == pytest.approx(pc.total - pc.routed_experts + pc.routed_experts / 8, rel=1e-12)
    assert float(weights_bytes_per_gpu(DSV3, 1.0, 8)) == pytest.approx(pc.total / 8, rel=1e-12)
    assert float(kv_shard(DSV3, 8)) == 1.0 and float(kv_shard(DSV3, 8, attention_dp=True)) == 8.0
    assert float(kv_shard(LLAMA8B, 16)) == 8.0  # 8 KV heads: replicated beyond 8-way TP


def test_mla_reads_its_whole_latent_cache_on_every_tensor_parallel_gpu():
    kw = dict(prompt_tokens=3200.0, output_tokens=800.0, weight_bytes_per_param=1.0)
    one = steady_state_terms(DSV3, DEV, tp=1, **kw)
    eight = steady_state_terms(DSV3, DEV, tp=8, **kw)
    dp8 = steady_state_terms(DSV3, DEV, tp=8, engine=EngineTerms(expert_parallel=True, attention_dp=True), **kw)
    assert float(eight.am) == pytest.approx(float(one.am), rel=1e-12)
    assert float(dp8.am) == pytest.approx(float(one.am) / 8, rel=1e-12)


def test_expert_parallel_pays_the_busiest_rank_and_fused_moe_figures_replace_the_dense_ones():
    kw = dict(prompt_tokens=1000.0, output_tokens=1000.0, weight_bytes_per_param=2.0, tp=8)
    tp = steady_state_terms(MIXTRAL, DEV, **kw)
    ep = steady_state_terms(MIXTRAL, DEV, engine=EngineTerms(expert_parallel=True), **kw)
    b = 256.0
    imb = float(expert_load_imbalance(b * float(tp.tokens), 2, 8))
    assert float(ep.at(b).expert_compute_s) == pytest.approx(float(tp.at(b).expert_compute_s) * imb, rel=1e-9)
    fused = steady_state_terms(MIXTRAL, DEV, engine=EngineTerms(fused_moe_frac=0.25, fused_moe_stream_frac=0.4), **kw)
    assert float(fused.ec) == pytest.approx(float(tp.ec) * DEV.gemm_frac / 0.25, rel=1e-12)  # DEV has no serving figure: gemm_frac
    assert float(fused.em_per_expert) == pytest.approx(float(tp.em_per_expert) * DEV.memory_bandwidth_frac / 0.4, rel=1e-12)
    assert float(fused.gc) == float(tp.gc)  # the dense GEMMs keep their own figure


def test_attention_dp_runs_every_elementwise_kernel_on_its_own_share_of_tokens():
    from capplan.models.transformer import elementwise_bytes_per_token

    dp = steady_state_terms(MIXTRAL, DEV, tp=8, engine=EngineTerms(expert_parallel=True, attention_dp=True), **KW)
    tp = steady_state_terms(MIXTRAL, DEV, tp=8, **KW)
    tokens = float(tp.tokens)
    assert float(dp.ew_bytes) == pytest.approx(float(elementwise_bytes_per_token(MIXTRAL, 2.0, 1)) * tokens / 8, rel=1e-12)
    assert float(dp.ew_bytes) < float(tp.ew_bytes)  # norms are no longer replicated on every rank


def _prompt_and_decode(arch, engine, P, O, **kw):
    """One prompt's prefill and one decoding sequence, built directly from step_terms."""
    common = dict(weight_bytes_per_param=2.0, engine=engine, **kw)
    prompt = step_terms(arch, DEV, decode_tokens=0.0, decode_context=0.0, prefill_tokens=P, prefill_context=P / 2, prefill_sequences=1.0, **common)
    decode = step_terms(arch, DEV, decode_tokens=1.0, decode_context=P + O / 2, prefill_tokens=0.0, prefill_context=P / 2, prefill_sequences=0.0, **common)
    return prompt, decode


@pytest.mark.parametrize("batch", [4.0, 1000.0, 3000.0])
def test_separate_prefill_batches_run_between_decode_steps(batch):
    # B / O prompts arrive per decode step: below one, that share of steps is followed by one prompt's
    # prefill; above it every step is followed by one prefill batch of B / O prompts
    P, O = 1000.0, 1000.0
    eng = EngineTerms(separate_prefill=True)
    steady = steady_state_terms(DSV3, DEV, engine=eng, **KW)
    assert isinstance(steady, SeparatePrefillTerms)
    prompt, decode = _prompt_and_decode(DSV3, eng, P, O)
    arriving = batch / O
    want = decode.time_s(batch) + min(arriving, 1.0) * prompt.time_s(max(arriving, 1.0))
    assert float(steady.time_s(batch)) == pytest.approx(float(want), rel=1e-12)
    assert float(steady.at(batch).time_s) == pytest.approx(float(want), rel=1e-12)  # the breakdown adds up to it


def test_separate_prefill_reads_the_experts_once_per_prompt_not_on_every_decode_step():
    # mixing a 1/O share of every prompt into each decode step makes each step touch experts for those
    # tokens too; a prompt prefilled on its own touches them once. At low batch the separate steady
    # state is therefore faster for an MoE model; a dense model reads all its weights either way.
    kw = dict(KW, prompt_tokens=8000.0, output_tokens=1000.0)
    mixed = steady_state_terms(DSV3, DEV, **kw)
    separate = steady_state_terms(DSV3, DEV, engine=EngineTerms(separate_prefill=True), **kw)
    assert float(separate.time_s(4.0)) < 0.8 * float(mixed.time_s(4.0))
    dense_mixed = steady_state_terms(LLAMA8B, DEV, **kw)
    dense_separate = steady_state_terms(LLAMA8B, DEV, engine=EngineTerms(separate_prefill=True), **kw)
    assert float(dense_separate.time_s(4.0)) >= float(dense_mixed.time_s(4.0))  # one more weight read per prompt


def test_prefill_runs_eager_where_the_engine_has_no_prefill_graph():
    eager = 1e-3  # large enough that every kernel of a prompt's prefill sits at the eager floor
    kw = dict(prompt_tokens=256.0, weight_bytes_per_param=2.0)
    graphed = prompt_prefill_terms(LLAMA8B, DEV, engine=EngineTerms(eager_launch_s=eager), **kw).time_s(1.0)
    never = prompt_prefill_terms(LLAMA8B, DEV, engine=EngineTerms(eager_launch_s=eager, prefill_graph_max_tokens=0.0), **kw).time_s(1.0)
    kc = kernels_per_layer(LLAMA8B)
    kernels = (kc.attention_gemms + kc.mlp_gemms + kc.attention + kc.elementwise + 1) * LLAMA8B.layers + 1
    assert float(graphed) < 0.1 * kernels * eager
    assert float(never) >= kernels * eager
    # vLLM-style piecewise graphs up to 512 tokens: a 256-token prompt replays a graph, a 1024-token one does not
    up_to_512 = EngineTerms(eager_launch_s=eager, prefill_graph_max_tokens=512.0)
    assert float(prompt_prefill_terms(LLAMA8B, DEV, engine=up_to_512, **kw).time_s(1.0)) == float(graphed)
    long = dict(kw, prompt_tokens=1024.0)
    assert float(prompt_prefill_terms(LLAMA8B, DEV, engine=up_to_512, **long).time_s(1.0)) >= kernels * eager


def test_an_eager_iteration_takes_the_longer_of_the_gpu_and_the_host_launches():
    # the host launches kernels ahead of the GPU, so outside a graph the two overlap: the iteration takes
    # max(GPU time, kernels x host time per kernel), and the breakdown shows the excess as host time
    kc = kernels_per_layer(LLAMA8B)
    kernels = (kc.attention_gemms + kc.mlp_gemms + kc.attention + kc.elementwise) * LLAMA8B.layers + LLAMA8B.dense_layers + 1
    graphed = steady_state_terms(LLAMA8B, DEV, **KW)
    slow = steady_state_terms(LLAMA8B, DEV, engine=EngineTerms(graph_max_batch=8, eager_launch_s=1e-3), **KW)
    assert float(slow.time_s(16.0)) == pytest.approx(kernels * 1e-3, rel=1e-12)
    at = slow.at(16.0)
    assert float(at.overhead_s) == pytest.approx(kernels * 1e-3 - float(graphed.at(16.0).time_s), rel=1e-9)
    fast = steady_state_terms(LLAMA8B, DEV, engine=EngineTerms(graph_max_batch=8, eager_launch_s=1e-9), **KW)
    assert float(fast.time_s(16.0)) == float(graphed.time_s(16.0))  # launches hidden behind the GPU's work


def test_activation_quantisation_kernels_count_each_quantised_gemm_input_less_the_fused_ones():
    # Llama: QKV, O, gate_up and down inputs; DeepSeek-V3 (MLA with a low-rank query, a shared expert):
    # q_a/kv_a, q_b, the two absorbed GEMMs and O, plus the MLP's or the shared expert's two
    assert act_quant_kernels_per_layer(LLAMA8B)[0] == 4.0
    assert act_quant_kernels_per_layer(LLAMA8B, fused=3.0)[0] == 1.0  # vLLM: norm/SiLU -> quant fused, O left
    assert act_quant_kernels_per_layer(MIXTRAL)[1] == 2.0  # no shared expert: the experts quantise inside the fused op
    assert act_quant_kernels_per_layer(DSV3) == (7.0, 7.0)
    assert act_quant_kernels_per_layer(DSV3, fused=9.0) == (0.0, 0.0)


def test_gemm_and_quantisation_floors_bound_a_tiny_decode_step():
    # one token through a many-layer MoE model: every group sits at its kernel-count floor
    kc = kernels_per_layer(DSV3)
    base = KernelFloors(kernel_s=2e-6, fused_moe_s=30e-6)
    gemm = KernelFloors(kernel_s=2e-6, fused_moe_s=30e-6, gemm_s=5e-6)
    quant = KernelFloors(kernel_s=2e-6, fused_moe_s=30e-6, gemm_s=5e-6, act_quant=True)
    kw = dict(decode_tokens=1.0, decode_context=100.0, prefill_tokens=0.0, prefill_context=0.0, weight_bytes_per_param=1e-6)
    steps = [step_terms(DSV3, DEV, floors=f, **kw).at(1.0) for f in (base, gemm, quant)]
    t = [float(x.time_s) for x in steps]
    # each dense GEMM takes the longer of its share of the group's roofline (the weights are ~0 bytes: the
    # compute of one token) and its floor; the router and the shared expert's two GEMMs per MoE layer
    # sit on theirs
    from capplan.models.kernels import dense_gemm_shares

    roofline = max(float(steps[0].gemm_compute_s), float(steps[0].gemm_memory_s))
    dense = [sum(c * max(w * roofline, floor) for c, w in dense_gemm_shares(DSV3)) for floor in (2e-6, 5e-6)]
    assert t[1] - t[0] == pytest.approx(dense[1] - dense[0] + 3 * DSV3.moe_layers * 3e-6, rel=1e-9)
    n_gemm = kc.attention_gemms * DSV3.layers + kc.mlp_gemms * DSV3.dense_layers + 1 + 3 * DSV3.moe_layers
    assert t[1] - t[0] <= n_gemm * 3e-6  # at most every GEMM 3 us longer (less where one's share is above 2 us)
    assert t[2] - t[1] == pytest.approx(7 * DSV3.layers * 2e-6, rel=1e-9)


RULE = FusedMoeShape(
    stream_by_slab=((9e6, 0.83), (4e6, 0.74), (1.5e6, 0.44), (0.0, 0.33)),
    compute_anchors=((704.0, 0.34), (7168.0, 0.54)),
    compute_clamp=(0.10, 0.54),
    quadrature=True,
)


def test_fused_moe_shape_rule_reads_its_buckets_and_anchors():
    assert [RULE.stream_frac(b) for b in (176e6, 9e6, 4.7e6, 2.4e6, 0.8e6)] == [0.83, 0.83, 0.74, 0.44, 0.33]
    assert RULE.compute_frac(704.0) == pytest.approx(0.34, abs=1e-12)
    assert RULE.compute_frac(7168.0) == pytest.approx(0.54, abs=1e-12)
    # log-linear between the anchors: the geometric mean of the columns gets the mean fraction
    assert RULE.compute_frac(math.sqrt(704.0 * 7168.0)) == pytest.approx(0.44, abs=1e-12)
    assert RULE.compute_frac(14336.0) == 0.54 and RULE.compute_frac(8.0) == 0.10  # clamped
    assert FusedMoeShape(stream_by_slab=((0.0, 0.8),), stream_scale=1.5).stream_frac(1.0) == 1.0  # never above 1


def test_fused_moe_takes_its_shape_fractions_and_the_quadrature_of_its_two_times():
    # Mixtral at TP 2: 7168 columns per GPU, 3 x 4096 x 7168 x 2 bytes = 176 MB per expert
    eng = EngineTerms(fused_moe_shape=RULE)
    t = step_terms(MIXTRAL, DEV, decode_tokens=64.0, decode_context=100.0, prefill_tokens=0.0, prefill_context=0.0, weight_bytes_per_param=2.0, tp=2.0, engine=eng)
    plain = step_terms(MIXTRAL, DEV, decode_tokens=64.0, decode_context=100.0, prefill_tokens=0.0, prefill_context=0.0, weight_bytes_per_param=2.0, tp=2.0)
    gemm_frac = DEV.serving_gemm_frac if DEV.serving_gemm_frac is not None else DEV.gemm_frac
    stream_frac = DEV.weight_stream_frac if DEV.weight_stream_frac is not None else DEV.memory_bandwidth_frac
    assert float(t.ec) == pytest.approx(float(plain.ec) * gemm_frac / 0.54, rel=1e-12)
    assert float(t.em_per_expert) == pytest.approx(float(plain.em_per_expert) * stream_frac / 0.83, rel=1e-12)
    at = t.at(4.0)
    assert float(at.expert_time_s) == pytest.approx(math.hypot(float(at.expert_compute_s), float(at.expert_memory_s)), rel=1e-12)
    # under expert parallelism each GPU holds whole experts: the slab is the whole expert's
    ep = step_terms(MIXTRAL, DEV, decode_tokens=64.0, decode_context=100.0, prefill_tokens=0.0, prefill_context=0.0, weight_bytes_per_param=2.0, tp=2.0,
                    engine=EngineTerms(fused_moe_shape=RULE, expert_parallel=True))
    assert float(ep.ec) == pytest.approx(float(plain.ec) * gemm_frac / 0.54, rel=1e-12)  # 14336 columns: clamped at 0.54


def test_the_fused_moe_operations_fixed_time_adds_to_its_gemms():
    # Mixtral at 64 tokens streams its experts for hundreds of microseconds per layer: the operation
    # then takes that plus its fixed 30 us per MoE layer, not the larger of the two
    fl = KernelFloors(kernel_s=2e-6, fused_moe_s=30e-6)
    t = step_terms(MIXTRAL, DEV, decode_tokens=64.0, decode_context=100.0, prefill_tokens=0.0, prefill_context=0.0, weight_bytes_per_param=2.0, tp=2.0, floors=fl)
    at = t.at(1.0)
    work = max(float(at.expert_compute_s), float(at.expert_memory_s))
    assert work > 30e-6 * MIXTRAL.moe_layers
    assert float(at.expert_time_s) == pytest.approx(work + 30e-6 * MIXTRAL.moe_layers, rel=1e-12)


def test_an_engine_that_mixes_whole_prompts_into_decode_steps_takes_the_smaller_of_the_two_forms():
    # DeepSeek-V3, 3200-token prompts, 800 outputs: at batch 4 a prompt arrives every 200 steps and its
    # one mixed step touches every expert once (the apart form); at batch 1600 two prompts arrive per
    # step, which is the even spread; each form overstates the other regime
    kw = dict(KW, prompt_tokens=3200.0, output_tokens=800.0)
    eng = EngineTerms(lumpy_prefill=True)
    mixed = steady_state_terms(DSV3, DEV, engine=eng, **kw)
    assert isinstance(mixed, MixedPrefillTerms)
    spread = steady_state_terms(DSV3, DEV, **kw)
    apart = steady_state_terms(DSV3, DEV, engine=EngineTerms(separate_prefill=True), **kw)
    b = np.array([1.0, 4.0, 64.0, 800.0, 1600.0, 4000.0])
    assert np.array_equal(mixed.time_s(b), np.minimum(spread.time_s(b), apart.time_s(b)))
    assert float(apart.time_s(4.0)) < float(spread.time_s(4.0))  # low batch: experts read once per prompt
    assert float(spread.time_s(1600.0)) < float(apart.time_s(1600.0))  # high batch: one forward for both
    assert np.all(np.diff(mixed.time_s(np.arange(1.0, 3000.0))) >= 0)  # the batch search needs it monotone
    for x in (4.0, 1600.0):
        assert float(mixed.at(x).time_s) == pytest.approx(float(mixed.time_s(x)), rel=1e-12)
