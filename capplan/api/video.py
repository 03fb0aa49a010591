"""`capplan.video`: one DiT video generation, priced."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from capplan import __version__
from capplan.api.common import (
    DEFAULT_GPU,
    DEFAULT_VIDEO_WORKLOAD,
    MAX_GPUS,
    VIDEO_PRECISIONS,
    _check_precision,
    _efficiency,
    _efficiency_used,
    _positive,
    _sets_or_uncertainty,
    build,
    economics_used,
    ensure_finite,
    hour_cost,
    parse_resolution,
    pcie_collectives_note,
    request_args,
    resolve_economics,
)
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.calibration import Calibration, load_calibration
from capplan.catalog.convert import GB
from capplan.errors import UserError
from capplan.models import dit
from capplan.planning import core
from capplan.planning.resolve import video_setup
from capplan.results import (
    CostBreakdown,
    FlopByStage,
    LongVideo,
    MemoryByComponent,
    TimeByStage,
    VideoInputs,
    VideoResult,
)


def video(
    workload: str = DEFAULT_VIDEO_WORKLOAD,
    gpu: str = DEFAULT_GPU,
    *,
    gpus: int | None = 1,
    max_gpus: int | None = None,
    resolution: str | None = None,
    seconds: float | None = None,
    frames: int | None = None,
    fps: float | None = None,
    steps: int | None = None,
    precision: str = "bf16",
    cfg: bool | None = None,
    price_per_gpu_hour: float | None = None,
    stack: str | None = None,
    offload: str = "none",
    clip_seconds: float | None = None,
    long_video: str = "clips",
    pricing: str | None = None,
    pue: float | None = None,
    electricity_usd_per_kwh: float | None = None,
    economics: str | Path | None = None,
    sets: list[str] | None = None,
    calibration: str | Path | Calibration | None = None,
    uncertain: list[str] | None = None,
    samples: int = 1000,
    seed: int = 0,
    catalog: Catalog | None = None,
    _economics_overlay: dict[str, Any] | None = None,
) -> VideoResult:
    """Cost, time and memory of generating one video with a catalogued DiT on a catalogued GPU.

    Unset options take the model's native settings (resolution, frames, fps, steps, CFG) and the GPU's
    catalogue price. A video longer than ``clip_seconds`` (default: the model's native clip length) is
    generated as consecutive clips (cost linear in length) unless ``long_video="one-sequence"``; the
    result reports both. ``sets`` are ``--set key=value`` overrides (see :mod:`capplan.catalog.overrides`).
    """
    cat = catalog or load_catalog()
    if sets or uncertain:
        args = {k: v for k, v in locals().items() if k in request_args(video)}
        return _sets_or_uncertainty(
            video, "video", cat, args, sets=sets, uncertain=uncertain, samples=samples, seed=seed, overlay=_economics_overlay, calibration=calibration
        )
    w = cat.video_workload(workload)
    g = cat.gpu(gpu)
    stack_id = cat.stack(stack)
    _positive("gpus", gpus, integer=True, upper=MAX_GPUS)
    _positive("seconds", seconds, upper=24 * 3600)
    _positive("frames", frames, integer=True, upper=10_000_000)
    _positive("fps", fps, upper=1000)
    _positive("steps", steps, integer=True, upper=10_000)
    _positive("price_per_gpu_hour", price_per_gpu_hour, upper=1e6)
    _positive("clip_seconds", clip_seconds, upper=24 * 3600)
    if cfg is not None and not isinstance(cfg, bool):
        raise UserError("cfg", cfg, "choose true or false")
    if seconds is not None and frames is not None:
        raise UserError("frames", frames, "give --seconds or --frames, not both")
    if offload not in dit.OFFLOAD_MODES:
        raise UserError("offload", offload, f"choose one of {', '.join(dit.OFFLOAD_MODES)}")
    if long_video not in ("clips", "one-sequence"):
        raise UserError("long_video", long_video, "choose clips or one-sequence")
    _check_precision(g, precision, VIDEO_PRECISIONS)
    eff = _efficiency(cat, g.id, stack_id)

    d = w.defaults
    width, height = parse_resolution(resolution) if resolution is not None else (d.width, d.height)
    fps_v = float(fps if fps is not None else d.fps)
    causal = w.vae.causal_first_frame
    n_frames = int(core.video_frames(causal, fps_v, frames=frames, seconds=seconds, default_frames=d.frames))
    steps_v = int(steps if steps is not None else d.steps)
    cfg_v = d.cfg if cfg is None else bool(cfg)
    econ = resolve_economics(
        cat, pricing=pricing, pue=pue, electricity_usd_per_kwh=electricity_usd_per_kwh, economics=economics, overlay=_economics_overlay
    )
    hour = hour_cost(g, econ, price_per_gpu_hour)
    price = float(hour.usd_per_hour)
    clip_s = float(clip_seconds if clip_seconds is not None else (d.frames - (1 if causal else 0)) / d.fps)

    setup = video_setup(w, g, eff, stack_id, precision, offload, calibration=load_calibration(calibration, set(cat.gpus)), runtime=cat.efficiency.runtime)
    kw: dict[str, Any] = dict(width_px=width, height_px=height, frames=n_frames, fps=fps_v, steps=steps_v, cfg=cfg_v, clip_seconds=clip_s)
    auto = gpus is None
    if auto:
        _positive("max_gpus", max_gpus, integer=True, upper=MAX_GPUS)
        candidates = tuple(n for n in core.AUTO_VIDEO_GPUS if max_gpus is None or n <= max_gpus) or (1,)
        r = core.video_auto(setup, candidates=candidates, one_sequence=long_video == "one-sequence", **kw).take(0)
    else:
        r = core.video_estimate(setup, gpus=int(gpus or 1), one_sequence=long_video == "one-sequence", **kw)
    n_gpus = int(r.gpus)
    est, n_clips = r.estimate, int(r.n_clips)
    video_s = float(r.video_s)

    def f(x: Any) -> float:
        return float(np.asarray(x))

    time_per_clip = f(est.time_s)
    time_total = float(r.time_s)
    gpu_s = float(r.gpu_seconds)
    cost = gpu_s / 3600.0 * price
    minutes = video_s / 60.0
    fits = bool(r.fits)
    suggestion = None if fits else _fit_suggestion(setup, kw, n_gpus, long_video == "one-sequence")

    long_info = None
    n_c = int(dit.clips_needed(video_s, clip_s, fps_v))
    if n_c > 1:
        clips = core.video_estimate(setup, gpus=n_gpus, one_sequence=False, **kw)
        one = core.video_estimate(setup, gpus=n_gpus, one_sequence=True, **kw)
        one_seq = one.estimate
        long_info = build(
            LongVideo,
            mode="clips" if long_video == "clips" else "one-sequence",
            n_clips=n_c,
            clip_seconds=clip_s,
            clips_time_s=float(clips.time_s),
            clips_cost_per_video_minute_usd=float(clips.gpu_seconds) / 3600.0 * price / minutes,
            one_sequence_tokens=f(one_seq.sequence_tokens),
            one_sequence_time_s=f(one_seq.time_s),
            one_sequence_cost_per_video_minute_usd=f(one_seq.gpu_seconds) / 3600.0 * price / minutes,
            one_sequence_peak_memory_gb=f(one_seq.peak_memory_bytes) / GB,
            one_sequence_fits_in_memory=bool(np.asarray(one_seq.fits_in_memory)),
        )

    energy = gpu_s / 3600.0 * float(hour.facility_w) / 1e3
    carbon = econ.energy.carbon_kg_per_kwh

    warnings: list[str] = pcie_collectives_note(g, n_gpus)
    if frames is not None and causal and (n_frames - 1) % w.vae.temporal_compression:
        warnings.append(
            f"{w.id}'s causal VAE takes 1 + {w.vae.temporal_compression}k frames; {n_frames} frames are padded to "
            f"{int(1 + w.vae.temporal_compression * math.ceil((n_frames - 1) / w.vae.temporal_compression))}"
        )

    inputs = build(
        VideoInputs,
        workload=w.id,
        gpu=g.id,
        gpus=n_gpus,
        width=width,
        height=height,
        frames=n_frames,
        fps=fps_v,
        seconds=video_s,
        steps=steps_v,
        cfg=cfg_v,
        precision=precision,
        stack=stack_id,
        offload=offload,  # type: ignore[arg-type]
        price_per_gpu_hour_usd=price,
        clip_seconds=clip_s,
        long_video=long_video,  # type: ignore[arg-type]
    )
    return ensure_finite(
        build(
            VideoResult,
            capplan_version=__version__,
            inputs=inputs,
            efficiency=_efficiency_used(stack_id, setup.rates, eff, serving=False),
            video_seconds=video_s,
            n_clips=n_clips,
            latent_frames=f(est.latent_frames),
            patches_per_frame=f(est.patches_per_frame),
            video_tokens=f(est.video_tokens),
            text_tokens=w.dit.text_tokens,
            tokens=f(est.sequence_tokens),
            forward_passes=f(est.forward_passes),
            flop_total=f(est.flop_total) * n_clips,
            flop_by_stage=build(
                FlopByStage,
                text_encoder=f(est.flop_text_encoder) * n_clips,
                dit_linear=f(est.flop_linear) * n_clips,
                self_attention=f(est.flop_self_attention) * n_clips,
                cross_attention=f(est.flop_cross_attention) * n_clips,
                vae_decode=f(est.flop_vae_decode) * n_clips,
            ),
            time_by_stage_s=build(
                TimeByStage,
                text_encoder=f(est.time_text_encoder_s),
                dit_linear=f(est.time_linear_s),
                attention=f(est.time_attention_s),
                elementwise=f(est.time_elementwise_s),
                communication=f(est.time_communication_s),
                vae_decode=f(est.time_vae_decode_s),
                offload_transfer=f(est.time_offload_s),
            ),
            peak_memory_gb=f(est.peak_memory_bytes) / GB,
            memory_by_component_gb=build(
                MemoryByComponent,
                dit_weights=f(est.dit_weights_bytes) / GB,
                text_encoder=f(est.text_encoder_bytes) / GB if offload == "none" else 0.0,
                vae=f(est.vae_bytes) / GB,
                activations=f(est.activation_bytes) / GB,
            ),
            gpu_memory_gb=g.device_memory_bytes() / GB,
            fits_in_memory=fits,
            suggestion=suggestion,
            time_per_clip_s=time_per_clip,
            time_s=time_total,
            gpu_seconds=gpu_s,
            cost_per_clip_usd=time_per_clip * n_gpus / 3600.0 * price,
            cost_usd=cost,
            cost_per_video_minute_usd=cost / minutes,
            gpu_hours_per_video_minute=gpu_s / 3600.0 / minutes,
            long_video=long_info,
            economics=economics_used(econ, hour),
            cost_breakdown_usd=build(
                CostBreakdown,
                hardware=gpu_s / 3600.0 * float(hour.hardware_usd_per_hour), energy=gpu_s / 3600.0 * float(hour.energy_usd_per_hour)
            ),
            power_kw=float(hour.facility_w) * n_gpus / 1e3,
            energy_kwh=energy,
            energy_kwh_per_video_minute=energy / minutes,
            carbon_kg_per_video_minute=energy / minutes * carbon if carbon is not None else None,
            warnings=warnings,
        ),
        "video",
    )


def _fit_suggestion(setup: core.VideoSetup, kw: dict[str, Any], gpus: int, one_sequence: bool) -> str:
    """What would make a clip fit: more GPUs (activations split by sequence parallelism), or offload."""
    larger = tuple(n for n in core.AUTO_VIDEO_GPUS if n > gpus)
    if larger:
        trial = core.video_auto(setup, candidates=larger, one_sequence=one_sequence, **kw)
        if bool(trial.fits[0]):
            return f"does not fit in one GPU's memory: try --gpus {int(trial.gpus[0])} (sequence parallelism splits the activations)"
    if setup.offload == "none":
        return "does not fit: the weights alone exceed GPU memory; try --offload model, a lower --precision, or a larger GPU"
    return "does not fit even with offload; try a lower --precision, a lower --resolution or a larger GPU"
