"""The DiT model against hand-computed numbers and its invariants."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.models.device import DeviceRates, attention_frac_for_head_dim
from capplan.models.dit import (
    DiTArchitecture,
    estimate_video,
    forward_flop,
    frames_for_seconds,
    latent_frames,
    patches_per_frame,
    video_token_grid,
)

# A CogVideoX-5B-shaped model (THUDM/CogVideoX-5b transformer/config.json: 42 layers, 48 heads x 64,
# patch 2, 226 text tokens; VAE 4x temporal, 8x spatial, causal). Numbers below are rounded for hand
# arithmetic; the test checks the formulas, not the catalogue.
ARCH = DiTArchitecture(
    dit_params=5e9,
    hidden_size=3072,
    layers=42,
    heads=48,
    head_dim=64,
    ffn_size=12288,
    ffn_gated=False,
    patch_t=1,
    patch_h=2,
    patch_w=2,
    full_3d_attention=True,
    joint_text=True,
    text_tokens=226,
    vae_temporal_compression=4,
    vae_spatial_compression=8,
    vae_causal_first_frame=True,
    vae_params=2e8,
    vae_decode_flop_per_pixel=1e6,
    text_encoder_params=5e9,
)

DEVICE = DeviceRates(
    gemm_flop_per_s=1e15,
    gemm_frac=0.5,
    bf16_flop_per_s=1e15,
    bf16_gemm_frac=0.5,
    attention_frac=0.25,
    conv_frac=0.4,
    memory_bandwidth_bytes_per_s=2e12,
    memory_bandwidth_frac=1.0,
    memory_bytes=80e9,
    scale_up_bytes_per_s=400e9,
    host_link_bytes_per_s=50e9,
)


def test_frames_for_seconds_causal_vae_adds_first_frame():
    # CogVideoX: 6 s at 8 fps = 49 frames; Wan2.1: 5 s at 16 fps = 81 frames (their model cards).
    assert frames_for_seconds(6, 8, True) == 49
    assert frames_for_seconds(5, 16, True) == 81
    assert frames_for_seconds(5, 16, False) == 80


def test_latent_frames():
    assert latent_frames(49, 4, True) == 13  # CogVideoX: 49 -> 13
    assert latent_frames(129, 4, True) == 33  # HunyuanVideo: 129 -> 33
    assert latent_frames(50, 4, True) == 14  # a partial group is padded
    assert latent_frames(48, 4, False) == 12


def test_patches_and_tokens_cogvideox_shape():
    # 720x480 / 8 = 90x60 latent; / patch 2 = 45 x 30 = 1350 patches per latent frame.
    assert patches_per_frame(720, 480, ARCH) == 1350
    lat, ppf, tokens = video_token_grid(720, 480, 49, ARCH)
    assert (lat, ppf, tokens) == (13, 1350, 13 * 1350)


def test_forward_flop_hand_computed():
    f = forward_flop(720, 480, 49, ARCH)
    n = 13 * 1350 + 226  # joint text tokens join the sequence
    assert f["sequence_tokens"] == n
    assert f["linear"] == pytest.approx(2 * 5e9 * n)
    assert f["self_attention"] == pytest.approx(4 * n**2 * 48 * 64 * 42)
    assert f["cross_attention"] == 0


def test_cross_attention_model():
    cross = dataclasses.replace(ARCH, joint_text=False, text_tokens=512)
    f = forward_flop(720, 480, 49, cross)
    v = 13 * 1350
    assert f["sequence_tokens"] == v
    assert f["cross_attention"] == pytest.approx(4 * v * 512 * 3072 * 42)


def test_factorised_attention_is_cheaper_and_matches_formula():
    fac = dataclasses.replace(ARCH, full_3d_attention=False, joint_text=False)
    f = forward_flop(720, 480, 49, fac)
    t, p = 13, 1350
    assert f["self_attention"] == pytest.approx(4 * 3072 * 42 * (t * p**2 + p * t**2))
    full = forward_flop(720, 480, 49, dataclasses.replace(fac, full_3d_attention=True))
    assert f["self_attention"] < full["self_attention"]


def test_time_hand_computed_single_gpu():
    e = estimate_video(ARCH, DEVICE, width_px=720, height_px=480, frames=49, steps=50, cfg=True)
    n = 13 * 1350 + 226
    passes = 100
    linear = 2 * 5e9 * n * passes
    attn = 4 * n**2 * 3072 * 42 * passes
    assert e.forward_passes == passes
    assert e.time_linear_s == pytest.approx(linear / (1e15 * 0.5))  # compute-bound: weights 10 GB x 50 / 2 TB/s = 0.25 s
    assert e.time_attention_s == pytest.approx(attn / (1e15 * 0.25))
    assert e.time_communication_s == 0
    assert e.time_text_encoder_s == pytest.approx(2 * 5e9 * 226 * 2 / 5e14)
    assert e.time_vae_decode_s == pytest.approx(1e6 * 720 * 480 * 49 / 4e14)
    total = e.time_dit_s + e.time_text_encoder_s + e.time_vae_decode_s
    assert e.time_s == pytest.approx(total)
    assert e.gpu_seconds == pytest.approx(e.time_s)


def test_memory_hand_computed():
    e = estimate_video(ARCH, DEVICE, width_px=720, height_px=480, frames=49, steps=50, cfg=True)
    n = 13 * 1350 + 226
    per_token = 2 * (2 * 3072 + max(4 * 3072, 2 * 12288))
    assert e.activation_bytes == pytest.approx(per_token * n * 2)  # CFG batch of 2
    assert e.peak_memory_bytes == pytest.approx(5e9 * 2 + 5e9 * 2 + 2e8 * 2 + per_token * n * 2)
    fp8 = estimate_video(ARCH, DEVICE, width_px=720, height_px=480, frames=49, steps=50, cfg=True, weight_bytes_per_param=1.0)
    assert e.peak_memory_bytes - fp8.peak_memory_bytes == pytest.approx(5e9)


def test_sequence_parallel_splits_compute_and_adds_all_to_all():
    one = estimate_video(ARCH, DEVICE, width_px=1280, height_px=720, frames=49, steps=50, cfg=True, n_gpus=1)
    four = estimate_video(ARCH, DEVICE, width_px=1280, height_px=720, frames=49, steps=50, cfg=True, n_gpus=4)
    assert four.time_attention_s == pytest.approx(one.time_attention_s / 4)
    n = float(one.sequence_tokens)
    expected_bytes = 4 * n / 4 * 3072 * 2 * 3 / 4 * 42 * 100
    assert four.time_communication_s == pytest.approx(expected_bytes / 400e9)
    assert four.time_s < one.time_s
    assert four.gpu_seconds > one.gpu_seconds  # communication is not free
    assert four.activation_bytes == pytest.approx(one.activation_bytes / 4)


def test_offload_trades_memory_for_time():
    none = estimate_video(ARCH, DEVICE, width_px=720, height_px=480, frames=49, steps=50, cfg=True)
    model = estimate_video(ARCH, DEVICE, width_px=720, height_px=480, frames=49, steps=50, cfg=True, offload="model")
    seq = estimate_video(ARCH, DEVICE, width_px=720, height_px=480, frames=49, steps=50, cfg=True, offload="sequential")
    assert seq.peak_memory_bytes < model.peak_memory_bytes < none.peak_memory_bytes
    assert none.time_s < model.time_s < seq.time_s
    # model offload moves each component once: (10 + 10 + 0.4) GB over 50 GB/s
    assert model.time_offload_s == pytest.approx(20.4e9 / 50e9)


def test_arrays_agree_with_scalars():
    widths = np.array([640, 1280, 1920])
    heights = np.array([360, 720, 1080])
    arr = estimate_video(ARCH, DEVICE, width_px=widths, height_px=heights, frames=49, steps=50, cfg=True)
    for k, (w, h) in enumerate(zip(widths, heights)):
        one = estimate_video(ARCH, DEVICE, width_px=int(w), height_px=int(h), frames=49, steps=50, cfg=True)
        assert arr.time_s[k] == pytest.approx(float(one.time_s))
        assert arr.peak_memory_bytes[k] == pytest.approx(float(one.peak_memory_bytes))


def test_attention_frac_interpolates_between_benchmarked_head_dims():
    assert attention_frac_for_head_dim(0.3, 0.5, 64) == pytest.approx(0.3)
    assert attention_frac_for_head_dim(0.3, 0.5, 128) == pytest.approx(0.5)
    assert attention_frac_for_head_dim(0.3, 0.5, 96) == pytest.approx(0.4)
    assert attention_frac_for_head_dim(0.3, 0.5, 256) == pytest.approx(0.5)  # held, not extrapolated


sizes = st.tuples(
    st.integers(64, 2048), st.integers(64, 2048), st.integers(1, 200), st.integers(1, 100), st.integers(1, 16)
)


@settings(max_examples=60, deadline=None)
@given(sizes, st.sampled_from(["width", "height", "frames", "steps"]), st.booleans())
def test_more_work_never_takes_less_time(s, axis, cfg):
    w, h, f, steps, n = s
    base = dict(width_px=w, height_px=h, frames=f, steps=steps)
    bigger = dict(base)
    bigger[{"width": "width_px", "height": "height_px", "frames": "frames", "steps": "steps"}[axis]] *= 2
    a = estimate_video(ARCH, DEVICE, cfg=cfg, n_gpus=n, **base)
    b = estimate_video(ARCH, DEVICE, cfg=cfg, n_gpus=n, **bigger)
    assert b.time_s >= a.time_s
    assert b.flop_total >= a.flop_total
    assert b.peak_memory_bytes >= a.peak_memory_bytes
    for v in (a.time_s, a.flop_total, a.peak_memory_bytes, a.gpu_seconds):
        assert np.isfinite(v) and v > 0


@settings(max_examples=40, deadline=None)
@given(sizes)
def test_cfg_doubles_dit_work(s):
    w, h, f, steps, n = s
    on = estimate_video(ARCH, DEVICE, width_px=w, height_px=h, frames=f, steps=steps, cfg=True, n_gpus=n)
    off = estimate_video(ARCH, DEVICE, width_px=w, height_px=h, frames=f, steps=steps, cfg=False, n_gpus=n)
    assert on.flop_linear == pytest.approx(2 * off.flop_linear)
    assert on.flop_self_attention == pytest.approx(2 * off.flop_self_attention)
