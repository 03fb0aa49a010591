"""The DiT model's per-token weight count, chunked VAEs, guidance passes, VAE decode benchmarks and
the stages a pipeline does not split, against hand-computed numbers and the catalogued models."""

from __future__ import annotations

import dataclasses

import pytest
from test_dit import ARCH, DEVICE  # (same folder: pytest puts it on sys.path)

from capplan.catalog import load_catalog
from capplan.catalog.convert import dit_architecture
from capplan.models.dit import estimate_video, forward_flop, latent_frames, token_params, video_token_grid


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def test_linear_flops_count_each_weight_against_the_tokens_it_sees():
    split = dataclasses.replace(ARCH, video_token_params=4e9, text_token_params=3e9)
    f = forward_flop(720, 480, 49, split)
    assert f["linear"] == pytest.approx(2 * (4e9 * 13 * 1350 + 3e9 * 226))
    # without a stated split: every weight against every token of the sequence (the old upper bound)
    assert forward_flop(720, 480, 49, ARCH)["linear"] == pytest.approx(2 * 5e9 * (13 * 1350 + 226))
    # cross-attention model without a split: text tokens are not in the sequence and cost nothing
    cross = dataclasses.replace(ARCH, joint_text=False)
    assert token_params(cross) == (5e9, 0.0)


@pytest.mark.parametrize(
    ("model", "width", "height", "ratio"),
    [("wan2.1-t2v-14b", 1280, 720, 1.19), ("hunyuanvideo", 1280, 720, 1.88)],
)
def test_old_count_overstated_linear_flops_by_the_reviewed_ratio(cat, model, width, height, ratio):
    # The review's figures: counting every weight against every video token overstated linear FLOPs
    # 1.19x for Wan2.1-14B and 1.88x for HunyuanVideo at 720p.
    arch = dit_architecture(cat.video[model])
    frames = cat.video[model].defaults.frames
    new = forward_flop(width, height, frames, arch)["linear"]
    old = forward_flop(width, height, frames, dataclasses.replace(arch, video_token_params=None, text_token_params=None))["linear"]
    assert float(old / new) == pytest.approx(ratio, abs=0.01)


def test_catalogued_token_params_are_below_the_total_and_conditioning_is_a_real_share(cat):
    for wid, w in cat.video.items():
        assert w.dit.video_token_params is not None and w.dit.text_token_params is not None, wid
        assert w.dit.video_token_params < w.dit.params, wid
    # HunyuanVideo: ~3.4e9 adaLN modulation weights act on one vector per forward
    hy = cat.video["hunyuanvideo"].dit
    assert 0.45 < hy.video_token_params / hy.params < 0.6


def test_chunked_vae_step_video_204_frames_are_36_latent_frames(cat):
    arch = dit_architecture(cat.video["step-video-t2v"])
    lat, ppf, tokens = video_token_grid(992, 544, 204, arch)
    assert float(lat) == 36
    assert float(tokens) == 36 * 34 * 62 == 75_888
    assert latent_frames(16, 8, False, 17, 3) == 3  # fewer frames than one chunk still decode one chunk
    assert latent_frames(136, 8, False, 17, 3) == 24


def test_open_sora_guidance_runs_three_forwards_per_step(cat):
    arch = dit_architecture(cat.video["open-sora-2.0"])
    e = estimate_video(arch, DEVICE, width_px=1024, height_px=576, frames=129, steps=50, cfg=True)
    assert float(e.forward_passes) == 150
    off = estimate_video(arch, DEVICE, width_px=1024, height_px=576, frames=129, steps=50, cfg=False)
    assert float(e.flop_linear) == pytest.approx(3 * float(off.flop_linear))
    # the text encoder still encodes two prompts (positive, negative)
    assert float(e.flop_text_encoder) == pytest.approx(2 * float(off.flop_text_encoder))


def test_vae_decode_time_factor_scales_only_the_decode():
    slow = dataclasses.replace(ARCH, vae_decode_time_factor=4.0)
    a = estimate_video(ARCH, DEVICE, width_px=720, height_px=480, frames=49, steps=50, cfg=True)
    b = estimate_video(slow, DEVICE, width_px=720, height_px=480, frames=49, steps=50, cfg=True)
    assert b.time_vae_decode_s == pytest.approx(4 * a.time_vae_decode_s)
    assert b.time_s - a.time_s == pytest.approx(3 * a.time_vae_decode_s)
    assert b.flop_vae_decode == a.flop_vae_decode


def test_wan_vae_factor_reproduces_its_benchmark(cat):
    # FastVAE: Wan2.1 VAE decodes 5 s of 720p (81 frames) in 9.256 s on an A800 (A100-class).
    w = cat.video["wan2.1-t2v-14b"]
    g = cat.gpu("a100-sxm-80gb")
    eff = cat.efficiency.gpu["a100-sxm-80gb"]["fa2"]
    flop = w.vae.decode_flop_per_pixel * 1280 * 720 * 81
    t = flop / (g.compute.bf16_tflop_per_s * 1e12 * eff.conv_frac) * w.vae.decode_time_factor
    assert t == pytest.approx(9.256, rel=0.02)


def test_unsplit_stages_are_not_divided_by_the_gpu_count():
    slow_vae = dataclasses.replace(ARCH, vae_decode_time_factor=10.0)
    one = estimate_video(slow_vae, DEVICE, width_px=1280, height_px=720, frames=49, steps=50, cfg=True, n_gpus=1)
    eight = estimate_video(slow_vae, DEVICE, width_px=1280, height_px=720, frames=49, steps=50, cfg=True, n_gpus=8)
    assert eight.time_vae_decode_s == pytest.approx(one.time_vae_decode_s)
    assert eight.time_text_encoder_s == pytest.approx(one.time_text_encoder_s)
    split = dataclasses.replace(slow_vae, vae_decode_split=True, text_encoder_split=True)
    eight_split = estimate_video(split, DEVICE, width_px=1280, height_px=720, frames=49, steps=50, cfg=True, n_gpus=8)
    assert eight_split.time_vae_decode_s == pytest.approx(one.time_vae_decode_s / 8)
    assert eight_split.time_text_encoder_s == pytest.approx(one.time_text_encoder_s / 8)
    # speed-up of the whole clip stays below the GPU count when a stage is not split
    assert float(one.time_s / eight.time_s) < float(one.time_s / eight_split.time_s) < 8


def test_all_to_all_latency_and_bandwidth_share():
    a2a = dataclasses.replace(ARCH, all_to_all_latency_s=20e-6, all_to_all_bandwidth_frac=0.5)
    base = estimate_video(ARCH, DEVICE, width_px=1280, height_px=720, frames=49, steps=50, cfg=True, n_gpus=4)
    slow = estimate_video(a2a, DEVICE, width_px=1280, height_px=720, frames=49, steps=50, cfg=True, n_gpus=4)
    calls = 4 * 42 * 100
    assert slow.time_communication_s == pytest.approx(2 * base.time_communication_s + calls * 20e-6)
    one = estimate_video(a2a, DEVICE, width_px=1280, height_px=720, frames=49, steps=50, cfg=True, n_gpus=1)
    assert one.time_communication_s == 0  # no collective on one GPU


def test_elementwise_traffic_counts_hidden_attention_and_ffn_widths():
    counted = dataclasses.replace(ARCH, elementwise_hidden_passes=20.0, elementwise_inner_passes=30.0, elementwise_ffn_passes=4.0)
    dev = dataclasses.replace(DEVICE, memory_bandwidth_frac=1.0)
    e = estimate_video(counted, dev, width_px=720, height_px=480, frames=49, steps=50, cfg=True)
    n = 13 * 1350 + 226
    per_token = (20 * 3072 + 30 * 48 * 64 + 4 * 12288) * 2  # bytes per token and block
    assert float(e.time_elementwise_s) == pytest.approx(n * per_token * 42 * 100 / 2e12)
    base = estimate_video(ARCH, dev, width_px=720, height_px=480, frames=49, steps=50, cfg=True)
    assert float(base.time_elementwise_s) == pytest.approx(n * (12 * 3072 + 2 * 12288) * 2 * 42 * 100 / 2e12)


def test_catalogued_elementwise_counts_exceed_the_fused_minimum(cat):
    for wid, w in cat.video.items():
        d = w.dit
        assert d.elementwise_hidden_passes is not None and d.elementwise_source, wid
        assert d.elementwise_hidden_passes >= 12 or (d.elementwise_inner_passes or 0) > 0, wid


def test_the_all_to_all_share_follows_the_message_size_through_the_measured_points():
    # NCCL all-to-all reaches a larger share of the link with larger messages: log-linear between the points
    import numpy as np

    from capplan.models.dit import all_to_all_frac

    mib = 2.0**20
    arch = dataclasses.replace(ARCH, all_to_all_frac_by_bytes=((1 * mib, 0.10), (16 * mib, 0.38), (64 * mib, 0.53), (512 * mib, 0.62)))
    assert all_to_all_frac(arch, 16 * mib) == pytest.approx(0.38)
    assert all_to_all_frac(arch, 4 * mib) == pytest.approx(0.24)  # half way in log size from 1 to 16 MiB
    assert all_to_all_frac(arch, 0.25 * mib) == pytest.approx(0.10)  # held below the smallest point
    assert all_to_all_frac(arch, 4096 * mib) == pytest.approx(0.62)
    assert list(all_to_all_frac(arch, np.array([16 * mib, 64 * mib]))) == pytest.approx([0.38, 0.53])
    fixed = dataclasses.replace(arch, all_to_all_frac_by_bytes=(), all_to_all_bandwidth_frac=0.82)
    assert all_to_all_frac(fixed, 4 * mib) == 0.82
