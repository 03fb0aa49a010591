"""`capplan video`: what one video costs with a DiT model on a GPU."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from capplan import api
from capplan.cli.options import CalibrationOpt, EconomicsOpt, ElectricityOpt, PricingOpt, PueOpt, SamplesOpt, SeedOpt, SetOpt, UncertainOpt
from capplan.cli.output import Format, FormatOpt, OutputOpt, emit


def video(
    workload: Annotated[str, typer.Option(help="Video model id (see `capplan list workloads`).")] = api.DEFAULT_VIDEO_WORKLOAD,
    gpu: Annotated[str, typer.Option(help="GPU id (see `capplan list gpus`).")] = api.DEFAULT_GPU,
    gpus: Annotated[int, typer.Option(help="GPUs working on one video (sequence parallelism).")] = 1,
    resolution: Annotated[Optional[str], typer.Option(help="480p, 720p, 1080p, ... or WIDTHxHEIGHT. Default: the model's native.")] = None,
    seconds: Annotated[Optional[float], typer.Option(help="Length of the video [s]. Default: the model's native clip.")] = None,
    frames: Annotated[Optional[int], typer.Option(help="Frames to generate (instead of --seconds).")] = None,
    fps: Annotated[Optional[float], typer.Option(help="Frames per second. Default: the model's native.")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Denoising steps. Default: the model's.")] = None,
    precision: Annotated[str, typer.Option(help="Weights and GEMMs: bf16, fp16, fp8 or fp4 (where the chip has it).")] = "bf16",
    cfg: Annotated[Optional[bool], typer.Option("--cfg/--no-cfg", help="Classifier-free guidance (2 forwards per step). Default: the model's.")] = None,
    price_per_gpu_hour: Annotated[Optional[float], typer.Option(help="USD per GPU-hour. Default: the catalogue price.")] = None,
    stack: Annotated[Optional[str], typer.Option(help="Software-stack efficiency profile: fa2 or fa3. Default: fa2.")] = None,
    offload: Annotated[str, typer.Option(help="none, model (components take turns on the GPU) or sequential (DiT blocks streamed).")] = "none",
    clip_seconds: Annotated[Optional[float], typer.Option(help="Clip length for long videos [s]. Default: the model's native clip.")] = None,
    long_video: Annotated[str, typer.Option(help="Generate a long video as consecutive clips or as one-sequence.")] = "clips",
    pricing: PricingOpt = None,
    pue: PueOpt = None,
    electricity_usd_per_kwh: ElectricityOpt = None,
    economics: EconomicsOpt = None,
    set_: SetOpt = None,
    calibration: CalibrationOpt = None,
    uncertain: UncertainOpt = None,
    samples: SamplesOpt = None,
    seed: SeedOpt = 0,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
) -> None:
    """Cost per minute of video, time, FLOPs and memory of a DiT video model on a GPU."""
    result = api.video(
        workload,
        gpu,
        gpus=gpus,
        resolution=resolution,
        seconds=seconds,
        frames=frames,
        fps=fps,
        steps=steps,
        precision=precision,
        cfg=cfg,
        price_per_gpu_hour=price_per_gpu_hour,
        stack=stack,
        offload=offload,
        clip_seconds=clip_seconds,
        long_video=long_video,
        pricing=pricing,
        pue=pue,
        electricity_usd_per_kwh=electricity_usd_per_kwh,
        economics=economics,
        sets=set_,
        calibration=calibration,
        uncertain=uncertain,
        samples=1000 if samples is None else samples,
        seed=seed,
    )
    emit(result, fmt, output, "capplan.report.tables:video_report")
