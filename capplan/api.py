"""The public Python API: one typed function per command. The CLI is a thin layer over these.

>>> import capplan
>>> r = capplan.video(workload="cogvideox-5b", gpu="h100-sxm")   # doctest: +SKIP
>>> round(r.cost_per_video_minute_usd, 2)                         # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from capplan import __version__
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.convert import GB, device_rates, dit_architecture, llm_architecture
from pathlib import Path

from capplan.catalog.schemas import Economics, GPUProfile
from capplan.errors import UserError
from capplan.planning.costs import GPUHourCost, gpu_hour_cost
from capplan.models import dit, transformer
from capplan.models.precision import BYTES_PER_VALUE, COMPUTE_PRECISION  # noqa: F401 (re-exported)
from capplan.results import (
    CostBreakdown,
    EconomicsUsed,
    EfficiencyUsed,
    FlopByStage,
    GPUListing,
    LongVideo,
    MemoryByComponent,
    TextInputs,
    TextResult,
    TimeByStage,
    VideoInputs,
    VideoResult,
    WorkloadListing,
)

DEFAULT_VIDEO_WORKLOAD = "wan2.1-t2v-14b"
DEFAULT_GPU = "h100-sxm"
VIDEO_PRECISIONS = ("bf16", "fp16", "fp8", "fp4")

#: Named resolutions, 16:9 frames (width x height).
RESOLUTIONS: dict[str, tuple[int, int]] = {
    "360p": (640, 360),
    "480p": (854, 480),
    "540p": (960, 540),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "1440p": (2560, 1440),
    "2160p": (3840, 2160),
    "4k": (3840, 2160),
}
MAX_PIXELS_PER_SIDE = 16384
MAX_GPUS = 4096


def parse_resolution(text: str, option: str = "--resolution") -> tuple[int, int]:
    """'720p' or '1280x720' -> (width, height)."""
    if not isinstance(text, str):
        raise UserError(option, text, f"use one of {', '.join(RESOLUTIONS)} or WIDTHxHEIGHT")
    key = text.strip().lower()
    if key in RESOLUTIONS:
        return RESOLUTIONS[key]
    m = re.fullmatch(r"(\d{1,6})\s*[x×]\s*(\d{1,6})", key)
    if m:
        w, h = int(m.group(1)), int(m.group(2))
        if 0 < w <= MAX_PIXELS_PER_SIDE and 0 < h <= MAX_PIXELS_PER_SIDE:
            return w, h
    raise UserError(option, text, f"use one of {', '.join(RESOLUTIONS)} or WIDTHxHEIGHT with sides 1..{MAX_PIXELS_PER_SIDE}")


def _positive(option: str, value: float | int | None, *, integer: bool = False, upper: float = math.inf) -> None:
    if value is None:
        return
    try:
        bad = isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0 or value > upper
    except OverflowError:  # an int beyond float range
        bad = True
    if bad:
        kind = "a whole number" if integer else "a number"
        rng = f" at most {upper:g}" if math.isfinite(upper) else ""
        raise UserError(option, value, f"it must be {kind} greater than 0{rng}")
    if integer and int(value) != value:
        raise UserError(option, value, "it must be a whole number")


def _check_precision(gpu: GPUProfile, precision: str, allowed: tuple[str, ...], option: str = "--precision") -> None:
    if precision not in allowed:
        raise UserError(option, precision, f"choose one of {', '.join(allowed)}")
    if gpu.peak_tflop_per_s(COMPUTE_PRECISION[precision]) is None:
        have = [p for p in allowed if gpu.peak_tflop_per_s(COMPUTE_PRECISION[p]) is not None]
        raise UserError(option, precision, f"{gpu.id} has no {precision} tensor cores; it supports {', '.join(have)}")


def resolve_economics(
    cat: Catalog,
    *,
    pricing: str | None = None,
    pue: float | None = None,
    electricity_usd_per_kwh: float | None = None,
    economics: str | Path | None = None,
    overlay: dict[str, Any] | None = None,
) -> Economics:
    """The catalogue's economics, under a user's --economics file, under --set economics.* keys, under
    single options."""
    if pricing is not None and pricing not in ("rent", "own"):
        raise UserError("--pricing", pricing, "choose rent or own")
    if pue is not None and (not isinstance(pue, (int, float)) or not math.isfinite(pue) or not 1.0 <= pue <= 5.0):
        raise UserError("--pue", pue, "PUE is facility power over IT power: a number from 1 to 5")
    if electricity_usd_per_kwh is not None and (not math.isfinite(electricity_usd_per_kwh) or not 0 <= electricity_usd_per_kwh <= 100):
        raise UserError("--electricity-usd-per-kwh", electricity_usd_per_kwh, "it must be a price from 0 to 100 USD/kWh")
    if economics is not None and not isinstance(economics, (str, Path)):
        raise UserError("--economics", economics, "give the path of a TOML file")
    from capplan.catalog.load import existing_file

    path = existing_file("--economics", economics) if economics is not None else None
    return cat.economics(
        path, overlay=overlay, overlay_source="--set", **{"pricing": pricing, "energy.pue": pue, "energy.electricity_usd_per_kwh": electricity_usd_per_kwh}
    )


_VIDEO_ARGS = (
    "workload", "gpu", "gpus", "resolution", "seconds", "frames", "fps", "steps", "precision", "cfg", "price_per_gpu_hour",
    "stack", "offload", "clip_seconds", "long_video", "pricing", "pue", "electricity_usd_per_kwh", "economics",
)
_TEXT_ARGS = (
    "workload", "gpu", "gpus", "precision", "kv_precision", "prompt_tokens", "output_tokens", "ttft_ms", "tpot_ms",
    "no_latency_targets", "price_per_gpu_hour", "stack", "pricing", "pue", "electricity_usd_per_kwh", "economics", "max_gpus",
)


def ensure_finite(result: Any, what: str) -> Any:
    """Refuse a result with an infinite or NaN number: some input was too large or too small."""
    def walk(x: Any, path: str) -> None:
        if isinstance(x, float) and not math.isfinite(x):
            raise UserError(what, f"{path} = {x}", "the inputs are outside the range the model can compute (an input is absurdly large or small)")
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, f"{path}.{i}")

    walk(result.model_dump(), "")
    return result


def _calibrated(cat: Catalog, calibration: str | Path | None) -> Catalog:
    if calibration is None:
        return cat
    from capplan.calibration import apply_calibration

    return apply_calibration(cat, calibration)


_STRING_ARGS = ("resolution", "precision", "kv_precision", "stack", "offload", "long_video", "pricing", "economics")


def _apply_sets(cat: Catalog, kind: str, sets: list[str], args: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """Turn --set keys into a modified catalogue, an economics overlay and changed request options."""
    from capplan.catalog.overrides import apply_to_catalog, economics_overlay, parse_sets, request_sets

    parsed = parse_sets(sets)
    other = "text" if kind == "video" else "video"
    for key, _ in parsed:
        if key.startswith(("scenario.", f"{other}.")):
            raise UserError("--set", key, f"{key.split('.')[0]}. keys apply to `capplan {'plan' if key.startswith('scenario.') else other}`")
    req = request_sets(parsed, kind)
    for name in req:
        if name not in allowed or name in ("workload", "gpu"):
            raise UserError("--set", f"{kind}.{name}", f"{kind}. options are: {', '.join(a for a in allowed if a not in ('workload', 'gpu'))}")
    for name in _STRING_ARGS:
        if name in req and req[name] is not None and not isinstance(req[name], str):
            raise UserError("--set", f"{kind}.{name}={req[name]!r}", f"{kind}.{name} takes text (quote it: {kind}.{name}=\"...\")")
    args = {**args, **req}
    if kind == "video":
        cat.video_workload(args["workload"])
    else:
        cat.text_workload(args["workload"])
    stack = cat.stack(args.get("stack"))
    new_cat = apply_to_catalog(cat, parsed, gpus=[cat.gpu(args["gpu"]).id], workload=args["workload"], stack=stack)
    return {**args, "catalog": new_cat, "_economics_overlay": economics_overlay(parsed) or None}


def _economics_used(econ: Economics, hour: GPUHourCost) -> EconomicsUsed:
    return EconomicsUsed(
        pricing=hour.pricing,  # type: ignore[arg-type]
        gpu_usd_per_hour=hour.usd_per_hour,
        hardware_usd_per_gpu_hour=hour.hardware_usd_per_hour,
        energy_usd_per_gpu_hour=hour.energy_usd_per_hour,
        pue=econ.energy.pue,
        electricity_usd_per_kwh=econ.energy.mean_usd_per_kwh,
        facility_w_per_gpu=hour.facility_w,
        carbon_kg_per_kwh=econ.energy.carbon_kg_per_kwh,
    )


def _efficiency(cat: Catalog, gpu_id: str, stack: str):
    by_stack = cat.efficiency.gpu[gpu_id]
    if stack not in by_stack:
        raise UserError("--stack", stack, f"{gpu_id} has efficiency figures for: {', '.join(by_stack)}")
    return by_stack[stack]


def video(
    workload: str = DEFAULT_VIDEO_WORKLOAD,
    gpu: str = DEFAULT_GPU,
    *,
    gpus: int = 1,
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
    calibration: str | Path | None = None,
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
    cat = _calibrated(catalog or load_catalog(), calibration)
    if sets:
        args = {k: v for k, v in locals().items() if k in _VIDEO_ARGS}
        return video(**_apply_sets(cat, "video", sets, args, _VIDEO_ARGS), uncertain=uncertain, samples=samples, seed=seed)  # type: ignore[arg-type]
    if uncertain:
        from capplan.uncertainty import VIDEO_KEYS, parse_ranges, video_uncertainty

        ranges = parse_ranges(uncertain, VIDEO_KEYS)
        _positive("--samples", samples, integer=True, upper=10_000_000)
        args = {k: v for k, v in locals().items() if k in _VIDEO_ARGS}
        base = video(**args, catalog=cat, _economics_overlay=_economics_overlay)  # type: ignore[arg-type]
        return base.model_copy(update={"uncertainty": video_uncertainty(base, ranges, int(samples), int(seed), cat)})
    w = cat.video_workload(workload)
    g = cat.gpu(gpu)
    stack_id = cat.stack(stack)
    _positive("--gpus", gpus, integer=True, upper=MAX_GPUS)
    _positive("--seconds", seconds, upper=24 * 3600)
    _positive("--frames", frames, integer=True, upper=10_000_000)
    _positive("--fps", fps, upper=1000)
    _positive("--steps", steps, integer=True, upper=10_000)
    _positive("--price-per-gpu-hour", price_per_gpu_hour, upper=1e6)
    _positive("--clip-seconds", clip_seconds, upper=24 * 3600)
    if seconds is not None and frames is not None:
        raise UserError("--frames", frames, "give --seconds or --frames, not both")
    if offload not in dit.OFFLOAD_MODES:
        raise UserError("--offload", offload, f"choose one of {', '.join(dit.OFFLOAD_MODES)}")
    if long_video not in ("clips", "one-sequence"):
        raise UserError("--long-video", long_video, "choose clips or one-sequence")
    _check_precision(g, precision, VIDEO_PRECISIONS)
    eff = _efficiency(cat, g.id, stack_id)

    d = w.defaults
    width, height = parse_resolution(resolution) if resolution is not None else (d.width, d.height)
    fps_v = float(fps if fps is not None else d.fps)
    causal = w.vae.causal_first_frame
    lead = 1 if causal else 0
    if frames is not None:
        n_frames = int(frames)
    elif seconds is not None:
        n_frames = int(dit.frames_for_seconds(seconds, fps_v, causal))
    else:
        n_frames = d.frames
    video_s = max(n_frames - lead, 1) / fps_v
    steps_v = int(steps if steps is not None else d.steps)
    cfg_v = d.cfg if cfg is None else bool(cfg)
    econ = resolve_economics(cat, pricing=pricing, pue=pue, electricity_usd_per_kwh=electricity_usd_per_kwh, economics=economics, overlay=_economics_overlay)
    hour = gpu_hour_cost(g, econ, price_per_gpu_hour)
    price = hour.usd_per_hour
    clip_s = float(clip_seconds if clip_seconds is not None else (d.frames - (1 if causal else 0)) / d.fps)

    arch = dit_architecture(w)
    rates = device_rates(g, eff, precision, w.dit.head_dim)
    common = dict(steps=steps_v, cfg=cfg_v, n_gpus=gpus, weight_bytes_per_param=BYTES_PER_VALUE[precision], offload=offload)

    one_seq = dit.estimate_video(arch, rates, width_px=width, height_px=height, frames=n_frames, **common)
    n_c = int(dit.clips_needed(video_s, clip_s, fps_v))
    longer = n_c > 1
    if longer:
        clip_frames = int(dit.frames_for_seconds(clip_s, fps_v, causal))
        clip_est = dit.estimate_video(arch, rates, width_px=width, height_px=height, frames=clip_frames, **common)
    as_clips = longer and long_video == "clips"
    est, n_clips = (clip_est, n_c) if as_clips else (one_seq, 1)

    def f(x: Any) -> float:
        return float(np.asarray(x))

    time_per_clip = f(est.time_s)
    time_total = time_per_clip * n_clips
    gpu_s = time_total * gpus
    cost = gpu_s / 3600.0 * price
    minutes = video_s / 60.0
    fits = bool(np.asarray(est.fits_in_memory))
    suggestion = None if fits else _fit_suggestion(arch, rates, width, height, est, common, gpus)

    long_info = None
    if longer:
        clips_time = f(clip_est.time_s) * n_c
        long_info = LongVideo(
            mode="clips" if as_clips else "one-sequence",
            n_clips=n_c,
            clip_seconds=clip_s,
            clips_time_s=clips_time,
            clips_cost_per_video_minute_usd=clips_time * gpus / 3600.0 * price / minutes,
            one_sequence_tokens=f(one_seq.sequence_tokens),
            one_sequence_time_s=f(one_seq.time_s),
            one_sequence_cost_per_video_minute_usd=f(one_seq.gpu_seconds) / 3600.0 * price / minutes,
            one_sequence_peak_memory_gb=f(one_seq.peak_memory_bytes) / GB,
            one_sequence_fits_in_memory=bool(np.asarray(one_seq.fits_in_memory)),
        )

    energy = gpu_s / 3600.0 * hour.facility_w / 1e3
    carbon = econ.energy.carbon_kg_per_kwh

    warnings: list[str] = []
    if frames is not None and causal and (n_frames - 1) % w.vae.temporal_compression:
        warnings.append(
            f"{w.id}'s causal VAE takes 1 + {w.vae.temporal_compression}k frames; {n_frames} frames are padded to "
            f"{int(1 + w.vae.temporal_compression * math.ceil((n_frames - 1) / w.vae.temporal_compression))}"
        )

    inputs = VideoInputs(
        workload=w.id,
        gpu=g.id,
        gpus=gpus,
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
    return ensure_finite(VideoResult(
        capplan_version=__version__,
        inputs=inputs,
        efficiency=EfficiencyUsed(
            stack=stack_id,
            gemm_frac=f(rates.gemm_frac),
            attention_frac=f(rates.attention_frac),
            conv_frac=f(rates.conv_frac),
            memory_bandwidth_frac=f(rates.memory_bandwidth_frac),
            source=eff.source,
        ),
        video_seconds=video_s,
        n_clips=n_clips,
        latent_frames=f(est.latent_frames),
        patches_per_frame=f(est.patches_per_frame),
        video_tokens=f(est.video_tokens),
        text_tokens=w.dit.text_tokens,
        tokens=f(est.sequence_tokens),
        forward_passes=f(est.forward_passes),
        flop_total=f(est.flop_total) * n_clips,
        flop_by_stage=FlopByStage(
            text_encoder=f(est.flop_text_encoder) * n_clips,
            dit_linear=f(est.flop_linear) * n_clips,
            self_attention=f(est.flop_self_attention) * n_clips,
            cross_attention=f(est.flop_cross_attention) * n_clips,
            vae_decode=f(est.flop_vae_decode) * n_clips,
        ),
        time_by_stage_s=TimeByStage(
            text_encoder=f(est.time_text_encoder_s),
            dit_linear=f(est.time_linear_s),
            attention=f(est.time_attention_s),
            elementwise=f(est.time_elementwise_s),
            communication=f(est.time_communication_s),
            vae_decode=f(est.time_vae_decode_s),
            offload_transfer=f(est.time_offload_s),
        ),
        peak_memory_gb=f(est.peak_memory_bytes) / GB,
        memory_by_component_gb=MemoryByComponent(
            dit_weights=f(est.dit_weights_bytes) / GB,
            text_encoder=f(est.text_encoder_bytes) / GB if offload == "none" else 0.0,
            vae=f(est.vae_bytes) / GB,
            activations=f(est.activation_bytes) / GB,
        ),
        gpu_memory_gb=g.memory.memory_gb,
        fits_in_memory=fits,
        suggestion=suggestion,
        time_per_clip_s=time_per_clip,
        time_s=time_total,
        gpu_seconds=gpu_s,
        cost_per_clip_usd=time_per_clip * gpus / 3600.0 * price,
        cost_usd=cost,
        cost_per_video_minute_usd=cost / minutes,
        gpu_hours_per_video_minute=gpu_s / 3600.0 / minutes,
        long_video=long_info,
        economics=_economics_used(econ, hour),
        cost_breakdown_usd=CostBreakdown(
            hardware=gpu_s / 3600.0 * hour.hardware_usd_per_hour, energy=gpu_s / 3600.0 * hour.energy_usd_per_hour
        ),
        power_kw=hour.facility_w * gpus / 1e3,
        energy_kwh=energy,
        energy_kwh_per_video_minute=energy / minutes,
        carbon_kg_per_video_minute=energy / minutes * carbon if carbon is not None else None,
        warnings=warnings,
    ), "video")


def _fit_suggestion(arch, rates, width, height, est, common, gpus) -> str:
    """What would make a clip fit: more GPUs (activations split by sequence parallelism), or offload."""
    frames = float(np.asarray(est.frames))
    for n in (2, 4, 8, 16, 32, 64):
        if n <= gpus:
            continue
        trial = dit.estimate_video(arch, rates, width_px=width, height_px=height, frames=frames, **{**common, "n_gpus": n})
        if bool(np.asarray(trial.fits_in_memory)):
            return f"does not fit in one GPU's memory: try --gpus {n} (sequence parallelism splits the activations)"
    if common["offload"] == "none":
        return "does not fit: the weights alone exceed GPU memory; try --offload model, a lower --precision, or a larger GPU"
    return "does not fit even with offload; try a lower --precision, a lower --resolution or a larger GPU"


def list_gpus(catalog: Catalog | None = None) -> list[GPUListing]:
    cat = catalog or load_catalog()
    return [
        GPUListing(
            id=g.id,
            name=g.name,
            vendor=g.vendor,
            memory_gb=g.memory.memory_gb,
            memory_bandwidth_tb_per_s=g.memory.memory_bandwidth_tb_per_s,
            bf16_tflop_per_s=g.compute.bf16_tflop_per_s,
            fp8_tflop_per_s=g.compute.fp8_tflop_per_s,
            fp4_tflop_per_s=g.compute.fp4_tflop_per_s,
            tdp_w=g.power.tdp_w,
            price_usd_per_gpu_hour=g.price.usd_per_gpu_hour,
        )
        for g in sorted(cat.gpus.values(), key=lambda g: g.id)
    ]


def list_workloads(catalog: Catalog | None = None) -> list[WorkloadListing]:
    cat = catalog or load_catalog()
    out = [
        WorkloadListing(
            id=w.id,
            name=w.name,
            kind="video",
            params=w.dit.params,
            detail=f"{w.defaults.width}x{w.defaults.height}, {w.defaults.frames} frames @ {w.defaults.fps:g} fps, "
            f"{w.defaults.steps} steps, {'CFG' if w.defaults.cfg else 'distilled guidance'}",
        )
        for w in cat.video.values()
    ]
    out += [
        WorkloadListing(
            id=t.id,
            name=t.name,
            kind="text",
            params=t.architecture.params_total,
            detail=(f"MoE {t.moe.experts_per_token}/{t.moe.n_experts} experts, " if t.moe else "dense, ")
            + f"{t.architecture.params_active / 1e9:.1f}B active, {t.architecture.max_context} ctx",
        )
        for t in cat.text.values()
    ]
    return sorted(out, key=lambda w: (w.kind, w.id))


DEFAULT_TEXT_WORKLOAD = "llama-3.1-70b"
TEXT_PRECISIONS = ("bf16", "fp16", "fp8", "int8", "fp4", "int4")
KV_PRECISIONS = ("bf16", "fp16", "fp8")
AUTO_TP = (1, 2, 4, 8, 16, 32, 64)


def text(
    workload: str = DEFAULT_TEXT_WORKLOAD,
    gpu: str = DEFAULT_GPU,
    *,
    gpus: int | None = None,
    precision: str = "bf16",
    kv_precision: str = "bf16",
    prompt_tokens: int = 1024,
    output_tokens: int = 256,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
    no_latency_targets: bool = False,
    price_per_gpu_hour: float | None = None,
    stack: str | None = None,
    pricing: str | None = None,
    pue: float | None = None,
    electricity_usd_per_kwh: float | None = None,
    economics: str | Path | None = None,
    max_gpus: int | None = None,
    sets: list[str] | None = None,
    calibration: str | Path | None = None,
    uncertain: list[str] | None = None,
    samples: int = 1000,
    seed: int = 0,
    catalog: Catalog | None = None,
    _economics_overlay: dict[str, Any] | None = None,
) -> TextResult:
    """Serving capacity and cost per million tokens of a catalogued LLM on a catalogued GPU.

    The largest continuous batch that fits in memory and meets the TTFT and TPOT targets (defaults:
    the catalogue's chat targets; ``no_latency_targets`` for pure throughput) sets throughput.
    ``gpus`` is the tensor-parallel size of one replica; None picks the smallest that fits.
    """
    cat = _calibrated(catalog or load_catalog(), calibration)
    if sets:
        args = {k: v for k, v in locals().items() if k in _TEXT_ARGS}
        return text(**_apply_sets(cat, "text", sets, args, _TEXT_ARGS), uncertain=uncertain, samples=samples, seed=seed)  # type: ignore[arg-type]
    if uncertain:
        from capplan.uncertainty import TEXT_KEYS, parse_ranges, text_uncertainty

        ranges = parse_ranges(uncertain, TEXT_KEYS)
        _positive("--samples", samples, integer=True, upper=1_000_000)
        args = {k: v for k, v in locals().items() if k in _TEXT_ARGS}
        base = text(**args, catalog=cat, _economics_overlay=_economics_overlay)  # type: ignore[arg-type]
        if not base.fits_in_memory:
            return base
        return base.model_copy(update={"uncertainty": text_uncertainty(base, ranges, int(samples), int(seed), cat)})
    w = cat.text_workload(workload)
    g = cat.gpu(gpu)
    stack_id = cat.stack(stack)
    rt = cat.efficiency.runtime
    _positive("--gpus", gpus, integer=True, upper=MAX_GPUS)
    _positive("--prompt-tokens", prompt_tokens, integer=True, upper=10_000_000)
    _positive("--output-tokens", output_tokens, integer=True, upper=10_000_000)
    _positive("--ttft-ms", ttft_ms, upper=1e9)
    _positive("--tpot-ms", tpot_ms, upper=1e9)
    _positive("--price-per-gpu-hour", price_per_gpu_hour, upper=1e6)
    _check_precision(g, precision, TEXT_PRECISIONS)
    if kv_precision not in KV_PRECISIONS:
        raise UserError("--kv-precision", kv_precision, f"choose one of {', '.join(KV_PRECISIONS)}")
    _check_precision(g, kv_precision, KV_PRECISIONS, "--kv-precision")
    context = prompt_tokens + output_tokens
    if context > w.architecture.max_context:
        raise UserError("--prompt-tokens", prompt_tokens, f"prompt + output ({context}) must fit {w.id}'s context of {w.architecture.max_context} tokens")
    eff = _efficiency(cat, g.id, stack_id)
    if no_latency_targets:
        ttft_t, tpot_t = None, None
    else:
        ttft_t = ttft_ms if ttft_ms is not None else rt.default_ttft_ms
        tpot_t = tpot_ms if tpot_ms is not None else rt.default_tpot_ms
    econ = resolve_economics(cat, pricing=pricing, pue=pue, electricity_usd_per_kwh=electricity_usd_per_kwh, economics=economics, overlay=_economics_overlay)
    hour = gpu_hour_cost(g, econ, price_per_gpu_hour)
    price = hour.usd_per_hour

    arch = llm_architecture(w)
    rates = device_rates(g, eff, precision, w.architecture.head_dim)
    wb, kvb = BYTES_PER_VALUE[precision], BYTES_PER_VALUE[kv_precision]
    usable = g.memory.memory_gb * GB * rt.gpu_memory_utilization_frac
    kv_tok = float(transformer.kv_bytes_per_token(arch, kvb))

    def fits_one(tp: int) -> bool:
        need = transformer.weights_bytes_per_gpu(arch, wb, tp) + kv_tok * context / transformer.kv_shard(arch, tp)
        return bool(need <= usable)

    def _text_at(tp: int, auto: bool) -> TextResult:
        fits = fits_one(tp)
        batch = np.arange(1, rt.max_batch + 1, dtype=float)
        common = dict(prompt_tokens=prompt_tokens, output_tokens=output_tokens, weight_bytes_per_param=wb, kv_bytes=kvb, tp=tp, allreduce_latency_s=rt.allreduce_latency_s)
        pts = transformer.serving_points(arch, rates, batch=batch, **common)
        ok_mem = np.asarray(pts.memory_bytes) <= usable
        ok_tpot = np.ones_like(ok_mem) if tpot_t is None else np.asarray(pts.iteration_s) * 1e3 <= tpot_t
        ok_ttft = np.ones_like(ok_mem) if ttft_t is None else np.asarray(pts.ttft_s) * 1e3 <= ttft_t
        ok = ok_mem & ok_tpot & ok_ttft
        # every constraint tightens with batch, so the feasible set is 1..max_batch
        n_ok = int(np.argmin(ok)) if not ok.all() else len(ok)
        if n_ok == len(ok):
            limited = "max_batch"
        else:
            i = n_ok  # first infeasible batch index
            limited = "memory" if not ok_mem[i] else ("tpot" if not ok_tpot[i] else "ttft")
        max_batch = n_ok
        warnings: list[str] = []
        suggestion = None
        if not fits:
            nxt = next((n for n in AUTO_TP if n > tp and fits_one(n)), None)
            need_gb = (transformer.weights_bytes_per_gpu(arch, wb, tp) + kv_tok * context / transformer.kv_shard(arch, tp)) / GB
            suggestion = (
                f"does not fit: {need_gb:.1f} GB per GPU needed for the weights and one sequence, {usable / GB:.1f} GB usable"
                + (f"; try --gpus {nxt}" if nxt else "; try a lower --precision or a larger GPU")
            )
        elif max_batch == 0:
            which = "TPOT" if not ok_tpot[0] else "TTFT"
            got = float(pts.iteration_s[0]) * 1e3 if which == "TPOT" else float(pts.ttft_s[0]) * 1e3
            tgt = tpot_t if which == "TPOT" else ttft_t
            warnings.append(f"the {which} target of {tgt:g} ms cannot be met even at batch 1 ({got:.1f} ms); try more --gpus or a faster GPU")
        if auto:
            warnings.append(f"--gpus not given: {tp} GPU(s) per replica is the cheapest tensor-parallel size that fits")

        def f(x: Any) -> float:
            return float(np.asarray(x))

        if max_batch > 0:
            k = max_batch - 1
            tps = f(pts.output_tokens_per_s[k])
            tpot_v, ttft_v = f(pts.iteration_s[k]) * 1e3, f(pts.ttft_s[k]) * 1e3
            kv_gb = f(pts.kv_cache_bytes[k]) / GB
            # Split the cost between input and output by the time prefill and decode would take alone.
            b = float(max_batch)
            t_pre = f(transformer.step_cost(arch, rates, decode_tokens=0.0, decode_context=0.0, prefill_tokens=b * prompt_tokens / output_tokens, prefill_context=prompt_tokens / 2, weight_bytes_per_param=wb, kv_bytes=kvb, tp=tp).time_s)
            t_dec = f(transformer.step_cost(arch, rates, decode_tokens=b, decode_context=prompt_tokens + output_tokens / 2, prefill_tokens=0.0, prefill_context=0.0, weight_bytes_per_param=wb, kv_bytes=kvb, tp=tp).time_s)
            share = t_pre / (t_pre + t_dec)
            usd_per_s = tp * price / 3600.0
            out_per_s, in_per_s = tps, tps * prompt_tokens / output_tokens
            cost_out = usd_per_s * (1 - share) / out_per_s * 1e6
            cost_in = usd_per_s * share / in_per_s * 1e6
            cost_all = usd_per_s / (out_per_s + in_per_s) * 1e6
        else:
            tps = tpot_v = ttft_v = 0.0
            kv_gb = share = 0.0
            cost_out = cost_in = cost_all = None
            tpot_v = f(pts.iteration_s[0]) * 1e3
            ttft_v = f(pts.ttft_s[0]) * 1e3
        weights_gb = f(transformer.weights_bytes_per_gpu(arch, wb, tp)) / GB
        return ensure_finite(TextResult(
            capplan_version=__version__,
            inputs=TextInputs(
                workload=w.id, gpu=g.id, gpus=tp, gpus_auto=auto, precision=precision, kv_precision=kv_precision,
                prompt_tokens=prompt_tokens, output_tokens=output_tokens, ttft_ms=ttft_t, tpot_ms=tpot_t, stack=stack_id,
                price_per_gpu_hour_usd=price,
            ),
            efficiency=EfficiencyUsed(
                stack=stack_id, gemm_frac=f(rates.gemm_frac), attention_frac=f(rates.attention_frac), conv_frac=f(rates.conv_frac),
                memory_bandwidth_frac=f(rates.memory_bandwidth_frac), source=eff.source,
            ),
            fits_in_memory=fits,
            suggestion=suggestion,
            max_batch=max_batch if fits else 0,
            batch_limited_by=limited if fits else "memory",  # type: ignore[arg-type]
            gpus_per_replica=tp,
            ttft_ms=ttft_v if fits else None,
            tpot_ms=tpot_v if fits else None,
            tokens_per_s_per_replica=tps if fits else 0.0,
            tokens_per_s_per_gpu=tps / tp if fits else 0.0,
            input_tokens_per_s_per_gpu=tps * prompt_tokens / output_tokens / tp if fits else 0.0,
            requests_per_s_per_replica=tps / output_tokens if fits else 0.0,
            weights_gb=weights_gb,
            kv_cache_gb=kv_gb if fits else 0.0,
            kv_cache_bytes_per_token=kv_tok,
            memory_gb=weights_gb + (kv_gb if fits else 0.0),
            usable_memory_gb=usable / GB,
            prefill_time_share=share if fits else 0.0,
            cost_per_million_output_tokens_usd=cost_out if fits else None,
            cost_per_million_input_tokens_usd=cost_in if fits else None,
            cost_per_million_tokens_usd=cost_all if fits else None,
            economics=_economics_used(econ, hour),
            cost_breakdown_usd=CostBreakdown(
                hardware=cost_all * hour.hardware_usd_per_hour / price, energy=cost_all * hour.energy_usd_per_hour / price
            ) if fits and cost_all is not None else None,
            power_kw=hour.facility_w * tp / 1e3,
            energy_kwh_per_million_tokens=hour.facility_w * tp / 1e3 / (tps * 3600.0) * 1e6 if fits and tps > 0 else None,
            carbon_kg_per_million_tokens=(
                hour.facility_w * tp / 1e3 / (tps * 3600.0) * 1e6 * econ.energy.carbon_kg_per_kwh
                if fits and tps > 0 and econ.energy.carbon_kg_per_kwh is not None else None
            ),
            warnings=warnings,
        ), "text")

    auto = gpus is None
    if auto:
        # The cheapest tensor-parallel size that fits and meets the targets: more GPUs per replica buy
        # memory for a larger batch and cut latency, at the price of all-reduces.
        candidates = [n for n in AUTO_TP if max_gpus is None or n <= max_gpus]
        fitting = [n for n in candidates if fits_one(n)][:4] or [candidates[-1]]
        results = [_text_at(n, True) for n in fitting]
        priced = [r for r in results if r.cost_per_million_tokens_usd is not None]
        return min(priced, key=lambda r: r.cost_per_million_tokens_usd) if priced else results[0]  # type: ignore[arg-type, return-value]
    return _text_at(int(gpus), False)  # type: ignore[arg-type]


_LAZY = {"plan": "capplan.plan_api", "sweep": "capplan.sweep_api", "sensitivity": "capplan.sensitivity_api"}


def __getattr__(name: str) -> Any:
    """plan, sweep and sensitivity build on video() and text(); they (and scipy) load only when used,
    so a what-if starts fast."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'capplan.api' has no attribute {name!r}")
