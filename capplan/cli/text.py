"""`capplan text`: what an LLM's tokens cost under latency targets."""

from __future__ import annotations

from capplan import api
from capplan.cli.nofit import exit_code
from capplan.cli.options import (
    AllowNoFitOpt,
    CalibrationOpt,
    ComputePrecisionOpt,
    ConcurrencyOpt,
    DebugOpt,
    EconomicsOpt,
    ElectricityOpt,
    EngineOpt,
    EngineVersionOpt,
    FormatOpt,
    GpuOpt,
    KvPrecisionOpt,
    MaxModelLenOpt,
    MaxOutputTokensOpt,
    NoLatencyTargetsOpt,
    OutputLengthsOpt,
    OutputOpt,
    OutputTokensOpt,
    ParallelOpt,
    PollIntervalOpt,
    PriceOpt,
    PricingOpt,
    PromptTokensOpt,
    PueOpt,
    RequestsOpt,
    SamplesOpt,
    SeedOpt,
    SetOpt,
    StackOpt,
    TextGpusOpt,
    TextPrecisionOpt,
    TextWorkloadOpt,
    TpotOpt,
    TtftOpt,
    UncertainOpt,
    api_kwargs,
)
from capplan.cli.output import Format, emit


def text(
    workload: TextWorkloadOpt = api.DEFAULT_TEXT_WORKLOAD,
    prompt_tokens: PromptTokensOpt = 1024,
    output_tokens: OutputTokensOpt = 256,
    gpu: GpuOpt = api.DEFAULT_GPU,
    gpus: TextGpusOpt = None,
    precision: TextPrecisionOpt = "bf16",
    kv_precision: KvPrecisionOpt = "bf16",
    compute_precision: ComputePrecisionOpt = None,
    parallel: ParallelOpt = None,
    stack: StackOpt = None,
    engine: EngineOpt = None,
    engine_version: EngineVersionOpt = None,
    concurrency: ConcurrencyOpt = None,
    requests: RequestsOpt = None,
    poll_interval: PollIntervalOpt = None,
    max_model_len: MaxModelLenOpt = None,
    output_lengths: OutputLengthsOpt = "exponential",
    max_output_tokens: MaxOutputTokensOpt = None,
    ttft_ms: TtftOpt = None,
    tpot_ms: TpotOpt = None,
    no_latency_targets: NoLatencyTargetsOpt = False,
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
    """Throughput, latency and cost per million tokens of an LLM on a GPU under latency targets."""
    result = api.text(**api_kwargs(locals()))
    emit(result, fmt, output, "capplan.report.tables:text_report")
    return exit_code(result, fmt, allow_no_fit)
