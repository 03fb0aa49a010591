"""`capplan video`: what one video costs with a DiT model on a GPU."""

from __future__ import annotations

from capplan import api
from capplan.cli.nofit import exit_code
from capplan.cli.options import (
    AllowNoFitOpt,
    CalibrationOpt,
    CfgOpt,
    ClipSecondsOpt,
    DebugOpt,
    EconomicsOpt,
    ElectricityOpt,
    FormatOpt,
    FpsOpt,
    FramesOpt,
    GpuOpt,
    LongVideoOpt,
    OffloadOpt,
    OutputOpt,
    PriceOpt,
    PricingOpt,
    PueOpt,
    ResolutionOpt,
    SamplesOpt,
    SecondsOpt,
    SeedOpt,
    SetOpt,
    StackOpt,
    StepsOpt,
    UncertainOpt,
    VideoGpusOpt,
    VideoPrecisionOpt,
    VideoWorkloadOpt,
    api_kwargs,
)
from capplan.cli.output import Format, emit


def video(
    workload: VideoWorkloadOpt = api.DEFAULT_VIDEO_WORKLOAD,
    resolution: ResolutionOpt = None,
    seconds: SecondsOpt = None,
    frames: FramesOpt = None,
    fps: FpsOpt = None,
    gpu: GpuOpt = api.DEFAULT_GPU,
    gpus: VideoGpusOpt = 1,
    precision: VideoPrecisionOpt = "bf16",
    stack: StackOpt = None,
    steps: StepsOpt = None,
    cfg: CfgOpt = None,
    offload: OffloadOpt = "none",
    clip_seconds: ClipSecondsOpt = None,
    long_video: LongVideoOpt = "clips",
    price_per_gpu_hour: PriceOpt = None,
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
    allow_no_fit: AllowNoFitOpt = False,
    debug: DebugOpt = False,
) -> int:
    """Cost per minute of video, time, FLOPs and memory of a DiT video model on a GPU."""
    result = api.video(**api_kwargs(locals()))
    emit(result, fmt, output, "capplan.report.tables:video_report")
    return exit_code(result, fmt, allow_no_fit)
