"""The transformer serving model against hand-computed numbers and its invariants."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.models.device import DeviceRates
from capplan.models.transformer import (
    AllReduce,
    KernelFloors,
    LLMArchitecture,
    attention_flop_per_token,
    elementwise_bytes_per_token,
    expected_experts_touched,
    kernels_per_layer,
    kv_bytes_per_token,
    param_counts,
    serving_points,
    step_cost,
)

# Llama-3.1-8B (meta-llama/Llama-3.1-8B config.json): 32 layers, 4096 hidden, 32 heads, 8 KV heads of
# 128, SwiGLU 14336, vocab 128256, untied embeddings. Meta publishes 8.03B parameters.
LLAMA8B = LLMArchitecture(layers=32, hidden_size=4096, heads=32, kv_heads=8, head_dim=128, ffn_size=14336, ffn_gated=True, vocab_size=128256, tied_embeddings=False)
# Mixtral-8x7B (mistralai/Mixtral-8x7B-v0.1 config.json; Jiang et al. 2024, table 1): 46.7B total, 12.9B active.
MIXTRAL = LLMArchitecture(
    layers=32, hidden_size=4096, heads=32, kv_heads=8, head_dim=128, ffn_size=14336, ffn_gated=True, vocab_size=32000,
    tied_embeddings=False, n_experts=8, experts_per_token=2, expert_ffn_size=14336,
)
# DeepSeek-V3 (deepseek-ai/DeepSeek-V3 config.json): MLA latent 512 + rope 64, 61 layers.
DSV3 = LLMArchitecture(
    layers=61, hidden_size=7168, heads=128, kv_heads=128, head_dim=128, ffn_size=18432, ffn_gated=True, vocab_size=129280,
    tied_embeddings=False, n_experts=256, experts_per_token=8, n_shared_experts=1, expert_ffn_size=2048, first_dense_layers=3,
    kv_lora_rank=512, q_lora_rank=1536, qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128,
)

DEV = DeviceRates(
    gemm_flop_per_s=1e15, gemm_frac=0.5, bf16_flop_per_s=1e15, bf16_gemm_frac=0.5, attention_frac=0.4, conv_frac=0.4,
    memory_bandwidth_bytes_per_s=3e12, memory_bandwidth_frac=0.8, memory_bytes=80e9, scale_up_bytes_per_s=450e9,
    host_link_bytes_per_s=64e9,
)


def test_param_counts_match_published_totals():
    assert param_counts(LLAMA8B).total == pytest.approx(8.03e9, rel=0.005)
    mix = param_counts(MIXTRAL)
    assert mix.total == pytest.approx(46.7e9, rel=0.005)
    active = mix.always_active + mix.embedding + mix.expert * 2 * 32
    assert active == pytest.approx(12.9e9, rel=0.01)
    assert param_counts(DSV3).total == pytest.approx(671e9, rel=0.005)


def test_gated_mlp_has_three_matrices_and_untied_embeddings_count_twice():
    plain = dataclasses.replace(LLAMA8B, ffn_gated=False)
    assert param_counts(LLAMA8B).dense_mlp - param_counts(plain).dense_mlp == pytest.approx(4096 * 14336 * 32)
    tied = dataclasses.replace(LLAMA8B, tied_embeddings=True)
    assert param_counts(LLAMA8B).total - param_counts(tied).total == pytest.approx(128256 * 4096)


def test_kv_bytes_per_token():
    assert kv_bytes_per_token(LLAMA8B, 2.0) == 2 * 8 * 128 * 32 * 2  # 128 KiB
    assert kv_bytes_per_token(LLAMA8B, 1.0) == 2 * 8 * 128 * 32  # fp8 cache
    assert kv_bytes_per_token(DSV3, 2.0) == (512 + 64) * 61 * 2  # MLA latent: ~70 kB


def test_attention_flop_per_token():
    assert attention_flop_per_token(LLAMA8B, 1000) == 1000 * 4 * 128 * 32 * 32
    assert attention_flop_per_token(LLAMA8B, 1000, prefill=True) == 1000 * 4 * 128 * 32 * 32  # GQA has one form


def test_mla_attention_flops_take_the_form_the_engines_run():
    # decode: the absorbed form, scores over the 512 + 64 latent and values from the 512 latent;
    # prefill: the multi-head form over up-projected keys (128 + 64) and values (128), 3.4x fewer FLOPs
    assert attention_flop_per_token(DSV3, 1000) == 1000 * (2 * 576 + 2 * 512) * 128 * 61
    assert attention_flop_per_token(DSV3, 1000, prefill=True) == 1000 * (2 * 192 + 2 * 128) * 128 * 61


def test_expected_experts_touched():
    assert expected_experts_touched(8, 2, 1) == pytest.approx(2)
    assert expected_experts_touched(8, 2, 2) == pytest.approx(8 * (1 - 0.75**2))
    assert expected_experts_touched(8, 2, 10_000) == pytest.approx(8)
    assert expected_experts_touched(0, 0, 5) == 0


def test_decode_step_is_weight_bound_at_batch_one():
    s = step_cost(LLAMA8B, DEV, decode_tokens=1, decode_context=1000, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=2.0)
    pc = param_counts(LLAMA8B)
    wbytes = (pc.total - pc.embedding) * 2
    kv = 131072 * (1000 + 1)  # read the 1000-token history, write the new token's K/V
    # two add+RMSNorm kernels (4 x 4096 each) and SiLU-and-mul (3 x 14336) per layer, bf16
    ew = (8 * 4096 + 3 * 14336) * 32 * 2
    assert s.gemm_time_s == pytest.approx(wbytes / (3e12 * 0.8))
    assert s.attention_time_s == pytest.approx(kv / (3e12 * 0.8))
    assert s.elementwise_bytes == ew
    assert s.time_s == pytest.approx(s.gemm_time_s + s.attention_time_s + ew / (3e12 * 0.8))


def test_elementwise_traffic_splits_the_ffn_over_tp_but_not_the_norms():
    one = float(elementwise_bytes_per_token(LLAMA8B, 2.0, 1))
    four = float(elementwise_bytes_per_token(LLAMA8B, 2.0, 4))
    assert one - four == pytest.approx(3 * 14336 * 32 * 2 * (1 - 1 / 4))
    # MoE layer: activation over k routed + shared experts' rows, and the k-way sum (k x hidden in, hidden out)
    dsv3 = float(elementwise_bytes_per_token(DSV3, 2.0, 1))
    assert dsv3 == pytest.approx(2 * (8 * 7168 * 61 + 3 * 18432 * 3 + (3 * 2048 * 9 + 9 * 7168) * 58))


def test_prefill_logits_only_for_the_last_prompt_token():
    full = step_cost(LLAMA8B, DEV, decode_tokens=0, decode_context=0, prefill_tokens=4096, prefill_context=2048, weight_bytes_per_param=2.0)
    last = step_cost(LLAMA8B, DEV, decode_tokens=0, decode_context=0, prefill_tokens=4096, prefill_context=2048, weight_bytes_per_param=2.0, prefill_sequences=1)
    assert full.flop - last.flop == pytest.approx(2 * 128256 * 4096 * 4095)


def test_tied_embeddings_still_pay_for_the_output_projection():
    tied = dataclasses.replace(LLAMA8B, tied_embeddings=True)
    assert param_counts(tied).always_active == pytest.approx(param_counts(LLAMA8B).always_active)
    assert param_counts(tied).total == pytest.approx(param_counts(LLAMA8B).total - 128256 * 4096)


def test_prefill_is_compute_bound():
    s = step_cost(LLAMA8B, DEV, decode_tokens=0, decode_context=0, prefill_tokens=4096, prefill_context=2048, weight_bytes_per_param=2.0)
    pc = param_counts(LLAMA8B)
    linear = 2 * (pc.total - pc.embedding) * 4096
    attn = 4096 * 2048 * 4 * 128 * 32 * 32
    assert s.flop == pytest.approx(linear + attn)
    assert s.gemm_time_s == pytest.approx(linear / 5e14)
    assert s.attention_time_s == pytest.approx(attn / (1e15 * 0.4))


def test_tensor_parallel_allreduce():
    s = step_cost(LLAMA8B, DEV, decode_tokens=8, decode_context=100, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=2.0, tp=4, allreduce=AllReduce(ring_latency_s=1e-5))
    per = 2 * 3 / 4 * 8 * 4096 * 2 / 450e9 + 1e-5
    assert s.communication_time_s == pytest.approx(64 * per)


def test_moe_touches_fewer_weights_at_small_batch():
    one = step_cost(MIXTRAL, DEV, decode_tokens=1, decode_context=0, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=2.0)
    many = step_cost(MIXTRAL, DEV, decode_tokens=512, decode_context=0, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=2.0)
    pc = param_counts(MIXTRAL)
    assert one.weight_bytes == pytest.approx((pc.always_active + pc.expert * 2 * 32) * 2)
    assert many.weight_bytes == pytest.approx((pc.total - pc.embedding) * 2, rel=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.integers(16, 8192), st.integers(16, 4096), st.sampled_from([1, 2, 4, 8]))
def test_longer_context_never_raises_throughput(prompt, output, tp):
    batch = np.arange(1, 257)
    a = serving_points(LLAMA8B, DEV, batch=batch, prompt_tokens=prompt, output_tokens=output, weight_bytes_per_param=2.0, tp=tp)
    b = serving_points(LLAMA8B, DEV, batch=batch, prompt_tokens=prompt * 2, output_tokens=output, weight_bytes_per_param=2.0, tp=tp)
    assert np.all(b.output_tokens_per_s <= a.output_tokens_per_s * (1 + 1e-12))
    assert np.all(np.diff(a.iteration_s) >= 0)  # TPOT grows with batch
    assert np.all(np.isfinite(a.output_tokens_per_s))


def test_fp8_weights_never_lower_throughput():
    batch = np.arange(1, 513)
    fast = dataclasses.replace(DEV, gemm_flop_per_s=2e15)
    bf16 = serving_points(LLAMA8B, DEV, batch=batch, prompt_tokens=1000, output_tokens=200, weight_bytes_per_param=2.0)
    fp8 = serving_points(LLAMA8B, fast, batch=batch, prompt_tokens=1000, output_tokens=200, weight_bytes_per_param=1.0)
    assert np.all(fp8.output_tokens_per_s >= bf16.output_tokens_per_s)


def test_kernel_floor_bounds_batch_one_decode():
    # Llama-3.1-8B at batch 1 with short context: weights stream in 16 GB / 2.4 TB/s = 6.7 ms, far above
    # the floor of 32 layers x (2 + 2) GEMMs + LM head at 2 us, so the floor changes nothing ...
    kw = dict(decode_tokens=1, decode_context=10, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=2.0)
    free = step_cost(LLAMA8B, DEV, **kw)
    floored = step_cost(LLAMA8B, DEV, floors=KernelFloors(kernel_s=2e-6), **kw)
    assert floored.gemm_time_s == pytest.approx(free.gemm_time_s)
    assert floored.gemm_floor_s == pytest.approx(2e-6 * (32 * 4 + 1))
    # ... but attention (1 kernel/layer) and the elementwise kernels (3/layer + the MLP activation) sit on it
    assert floored.attention_time_s == pytest.approx(32 * 2e-6)
    assert floored.time_s - free.time_s == pytest.approx((32 * 2e-6 - free.attention_time_s) + (32 * 4 * 2e-6 - free.elementwise_memory_s))


def test_fused_moe_floor_is_per_moe_layer():
    kc = kernels_per_layer(DSV3)
    assert (kc.attention_gemms, kc.mlp_gemms, kc.attention, kc.elementwise, kc.moe) == (5, 2, 1, 5, 5)
    s = step_cost(DSV3, DEV, decode_tokens=1, decode_context=10, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=1.0,
                  floors=KernelFloors(kernel_s=2e-6, fused_moe_s=30e-6))
    assert s.expert_floor_s == pytest.approx(58 * (30e-6 + 5 * 2e-6))
    dense = step_cost(LLAMA8B, DEV, decode_tokens=1, decode_context=10, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=1.0,
                      floors=KernelFloors(kernel_s=2e-6, fused_moe_s=30e-6))
    assert dense.expert_floor_s == 0.0


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 1e-4), st.integers(1, 512))
def test_floors_never_speed_up_a_step(floor, batch):
    kw = dict(decode_tokens=batch, decode_context=2000, prefill_tokens=batch, prefill_context=500, weight_bytes_per_param=1.0, tp=2)
    assert step_cost(MIXTRAL, DEV, floors=KernelFloors(floor, 10 * floor), **kw).time_s >= step_cost(MIXTRAL, DEV, **kw).time_s


def test_idle_gaps_between_kernels_add_the_whole_gap_to_roofline_groups_and_the_visible_part_to_floored_ones():
    # Llama-3.1-8B at batch 1: the GEMMs stream 16 GB (their roofline, far above 2 us each), so each of the
    # 32 x 4 + 1 GEMMs pays the whole 1 us gap; attention (32 kernels) and the elementwise kernels
    # (32 x 3 norms/RoPE + 32 activations) sit on the 2 us floor, whose measured durations hold all but
    # the 0.2 us a profiler shows between kernels
    kw = dict(decode_tokens=1, decode_context=10, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=2.0)
    floors = KernelFloors(kernel_s=2e-6)
    base = step_cost(LLAMA8B, DEV, floors=floors, **kw)
    gapped = step_cost(LLAMA8B, DEV, floors=dataclasses.replace(floors, gap_s=1e-6, gap_visible_s=0.2e-6), **kw)
    assert gapped.gemm_gap_s == pytest.approx(129 * 1e-6)
    assert gapped.attention_gap_s == pytest.approx(32 * 0.2e-6)
    assert gapped.elementwise_gap_s == pytest.approx(128 * 0.2e-6)
    assert gapped.expert_gap_s == 0.0  # (no experts)
    assert gapped.time_s - base.time_s == pytest.approx(129e-6 + 160 * 0.2e-6)
    assert gapped.gemm_time_s - base.gemm_time_s == pytest.approx(129e-6)
    # the all-reduce kernels' times are measured ones (gaps included): tensor parallelism adds none
    tp2 = dict(kw, tp=2)
    assert step_cost(LLAMA8B, DEV, floors=dataclasses.replace(floors, gap_s=1e-6), **tp2).communication_time_s == pytest.approx(
        step_cost(LLAMA8B, DEV, floors=floors, **tp2).communication_time_s
    )


def test_a_group_launched_with_pdl_has_no_idle_gaps():
    from capplan.models.kernels import EngineTerms

    kw = dict(decode_tokens=1, decode_context=10, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=2.0)
    floors = KernelFloors(kernel_s=2e-6, gap_s=1e-6, gap_visible_s=0.2e-6)
    plain = step_cost(LLAMA8B, DEV, floors=floors, engine=EngineTerms(), **kw)
    pdl = step_cost(LLAMA8B, DEV, floors=floors, engine=EngineTerms(pdl=(True, False, False, True)), **kw)
    assert pdl.gemm_gap_s == 0.0 and pdl.elementwise_gap_s == 0.0 and pdl.attention_gap_s == plain.attention_gap_s
    assert plain.time_s - pdl.time_s == pytest.approx(129e-6 + 128 * 0.2e-6)


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 5e-6), st.floats(0, 1.0), st.integers(1, 512))
def test_gaps_never_speed_up_a_step_and_the_parts_still_add_up(gap, visible_share, batch):
    kw = dict(decode_tokens=batch, decode_context=2000, prefill_tokens=batch, prefill_context=500, weight_bytes_per_param=1.0, tp=2)
    floors = KernelFloors(2e-6, 30e-6, 5e-6)
    s = step_cost(MIXTRAL, DEV, floors=dataclasses.replace(floors, gap_s=gap, gap_visible_s=gap * visible_share), **kw)
    assert s.time_s >= step_cost(MIXTRAL, DEV, floors=floors, **kw).time_s
    assert s.time_s == pytest.approx(s.gemm_time_s + s.attention_time_s + s.elementwise_time_s + s.communication_time_s + s.overhead_s)
    assert s.expert_gap_s <= s.expert_time_s and s.gemm_gap_s + s.expert_gap_s <= s.gemm_time_s


def test_per_head_query_and_key_norms_add_two_kernels_and_their_traffic():
    # Qwen3 normalises each head's queries and keys (q_norm / k_norm): two RMSNorm kernels more per layer,
    # each reading and writing its tensor (64 query and 4 KV heads of 128 in Qwen3-235B), split over the ranks
    plain = LLMArchitecture(layers=94, hidden_size=4096, heads=64, kv_heads=4, head_dim=128, ffn_size=1536, ffn_gated=True,
                            vocab_size=151936, tied_embeddings=False, n_experts=128, experts_per_token=8, expert_ffn_size=1536)
    qk = dataclasses.replace(plain, qk_norm=True)
    assert kernels_per_layer(qk).elementwise == kernels_per_layer(plain).elementwise + 2
    extra = elementwise_bytes_per_token(qk, 2.0, 8) - elementwise_bytes_per_token(plain, 2.0, 8)
    assert float(extra) == pytest.approx(2 * (64 + 4) * 128 * 94 / 8 * 2.0)


def test_each_dense_gemm_takes_at_least_one_gemm_floor_on_its_own():
    # Llama-3.1-8B at batch 1 split over 8 GPUs: its 129 dense GEMMs stream 16 GB / 8 = 2 GB, about 0.8 ms,
    # above the group's floor (129 x 5 us), but the small ones (QKV, O: 25 and 17 MB whole, 3 and 2 MB per
    # GPU) stream in under 5 us each, so each of them takes the floor and the group takes longer
    from capplan.models.kernels import dense_gemm_shares

    kw = dict(decode_tokens=1, decode_context=10, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=2.0, tp=8)
    floors = KernelFloors(kernel_s=2e-6, gemm_s=5e-6)
    s = step_cost(LLAMA8B, DEV, floors=floors, **kw)
    roofline = max(s.gemm_compute_s, s.gemm_memory_s)
    shares = dense_gemm_shares(LLAMA8B)
    assert [c for c, _ in shares] == [32, 32, 32, 32, 1]  # QKV, O, gate_up, down, LM head
    # the same GEMMs kernels_per_layer counts, for GQA and MLA, dense and MoE
    for arch in (LLAMA8B, MIXTRAL, DSV3):
        kc = kernels_per_layer(arch)
        assert sum(c for c, _ in dense_gemm_shares(arch)) == kc.attention_gemms * arch.layers + kc.mlp_gemms * arch.dense_layers + 1
    assert sum(c * w for c, w in shares) == pytest.approx(1.0)
    expected = sum(c * max(w * roofline, 5e-6) for c, w in shares)
    assert s.gemm_time_s == pytest.approx(expected)
    assert expected > max(roofline, 129 * 5e-6)


def test_a_dense_gemm_above_its_floor_pays_the_ramp_on_top_of_its_roofline():
    # Llama-3.1-8B at batch 1 on 8 GPUs as above: with a 2.5 us ramp each GEMM takes max(s_k R + ramp, 5 us),
    # so a kernel whose roofline share is below 2.5 us stays on the floor and the others pay the ramp
    from capplan.models.kernels import dense_gemm_shares

    kw = dict(decode_tokens=1, decode_context=10, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=2.0, tp=8)
    plain = step_cost(LLAMA8B, DEV, floors=KernelFloors(kernel_s=2e-6, gemm_s=5e-6), **kw)
    ramped = step_cost(LLAMA8B, DEV, floors=KernelFloors(kernel_s=2e-6, gemm_s=5e-6, gemm_ramp_s=2.5e-6), **kw)
    roofline = max(ramped.gemm_compute_s, ramped.gemm_memory_s)
    shares = dense_gemm_shares(LLAMA8B)
    expected = sum(c * max(w * roofline + 2.5e-6, 5e-6) for c, w in shares)
    assert ramped.gemm_time_s == pytest.approx(expected)
    # gate_up and down (64 kernels) are above the floor either way and pay the whole ramp; QKV and O
    # (64) stream in 2-3 us and move from the floor to roofline + ramp only where that exceeds it
    assert ramped.gemm_time_s - plain.gemm_time_s >= 64 * 2.5e-6 * (1 - 1e-9)
    assert ramped.gemm_time_s - plain.gemm_time_s <= 129 * 2.5e-6 * (1 + 1e-9)
    # the array path gives the same numbers as the float path
    batches = np.array([1.0, 64.0, 4096.0])
    arr = step_cost(LLAMA8B, DEV, floors=KernelFloors(kernel_s=2e-6, gemm_s=5e-6, gemm_ramp_s=2.5e-6),
                    **{**kw, "decode_tokens": batches})
    for i, b in enumerate(batches):
        one = step_cost(LLAMA8B, DEV, floors=KernelFloors(kernel_s=2e-6, gemm_s=5e-6, gemm_ramp_s=2.5e-6), **{**kw, "decode_tokens": float(b)})
        assert float(arr.gemm_time_s[i]) == pytest.approx(float(one.gemm_time_s), rel=1e-12)


def test_decode_attention_pays_a_ramp_per_layer_and_a_cost_per_sequence_and_kv_head():
    # Llama-3.1-8B decoding 64 sequences of 1000 tokens on 8 GPUs: one KV head each (8 KV heads / 8), so
    # 64 units a layer; with a 5 us ramp and 20 ns a unit each of the 32 attention kernels takes
    # 5 us + 64 x 20 ns + its KV reads, well above the 2 us floor
    kw = dict(decode_tokens=64, decode_context=1000, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=2.0, tp=8)
    base = KernelFloors(kernel_s=2e-6, gemm_s=5e-6)
    plain = step_cost(LLAMA8B, DEV, floors=base, **kw)
    ramped = step_cost(LLAMA8B, DEV, floors=dataclasses.replace(base, attention_ramp_s=5e-6, attention_unit_s=20e-9), **kw)
    assert plain.attention_memory_s > plain.attention_compute_s
    expected = 32 * 5e-6 + 32 * 64 * 20e-9
    assert float(ramped.attention_time_s - plain.attention_time_s) == pytest.approx(expected, rel=1e-9)
    assert float(ramped.attention_ramp_s) == pytest.approx(expected, rel=1e-9)
    assert float(ramped.time_s - plain.time_s) == pytest.approx(expected, rel=1e-9)
    # at TP 2 each GPU holds 4 KV heads: four times the units
    tp2 = dict(kw, tp=2)
    d2 = step_cost(LLAMA8B, DEV, floors=dataclasses.replace(base, attention_ramp_s=5e-6, attention_unit_s=20e-9), **tp2)
    assert float(d2.attention_ramp_s) == pytest.approx(32 * 5e-6 + 32 * 64 * 4 * 20e-9, rel=1e-9)
    # a prefill-only iteration runs the prompt kernels, not the decode ones: no ramp, no units
    pre = dict(kw, decode_tokens=0, prefill_tokens=4096, prefill_context=2048)
    assert step_cost(LLAMA8B, DEV, floors=dataclasses.replace(base, attention_ramp_s=5e-6, attention_unit_s=20e-9), **pre).time_s == \
        step_cost(LLAMA8B, DEV, floors=base, **pre).time_s
    # MLA's decode kernels take their own figures, per decoding sequence (one latent head on every GPU)
    mla = dict(kw, weight_bytes_per_param=1.0)
    assert step_cost(DSV3, DEV, floors=dataclasses.replace(base, attention_ramp_s=5e-6, attention_unit_s=20e-9), **mla).attention_time_s == \
        step_cost(DSV3, DEV, floors=base, **mla).attention_time_s
    m = step_cost(DSV3, DEV, floors=dataclasses.replace(base, mla_attention_ramp_s=8e-6, mla_attention_unit_s=38e-9), **mla)
    assert float(m.attention_ramp_s) == pytest.approx(DSV3.layers * (8e-6 + 64 * 38e-9), rel=1e-9)
    # the array path gives the float path's numbers
    batches = np.array([1.0, 64.0, 512.0])
    fl = dataclasses.replace(base, attention_ramp_s=5e-6, attention_unit_s=20e-9)
    arr = step_cost(LLAMA8B, DEV, floors=fl, **{**kw, "decode_tokens": batches})
    for i, b in enumerate(batches):
        one = step_cost(LLAMA8B, DEV, floors=fl, **{**kw, "decode_tokens": float(b)})
        assert float(arr.time_s[i]) == pytest.approx(float(one.time_s), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 2e-5), st.integers(1, 1024), st.sampled_from([1, 2, 8]))
def test_per_kernel_gemm_floors_lie_between_the_group_floor_and_the_floor_plus_the_roofline(floor, batch, tp):
    # sum_k max(s_k R, f) is at least max(R, n f) (the group floored as a whole) and at most R + n f
    s = step_cost(MIXTRAL, DEV, decode_tokens=batch, decode_context=1000, prefill_tokens=0, prefill_context=0, weight_bytes_per_param=2.0, tp=tp,
                  floors=KernelFloors(kernel_s=floor, gemm_s=floor))
    roofline = max(s.gemm_compute_s, s.gemm_memory_s)
    dense = s.gemm_time_s - s.expert_time_s - s.gemm_gap_s
    assert max(roofline, s.gemm_floor_s) * (1 - 1e-12) <= dense <= (roofline + s.gemm_floor_s) * (1 + 1e-12)
