"""`capplan text`: what an LLM's tokens cost under latency targets."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from capplan import api
from capplan.cli.options import CalibrationOpt, EconomicsOpt, ElectricityOpt, PricingOpt, PueOpt, SamplesOpt, SeedOpt, SetOpt, UncertainOpt
from capplan.cli.output import Format, FormatOpt, OutputOpt, emit


def text(
    workload: Annotated[str, typer.Option(help="Text model id (see `capplan list workloads`).")] = api.DEFAULT_TEXT_WORKLOAD,
    gpu: Annotated[str, typer.Option(help="GPU id (see `capplan list gpus`).")] = api.DEFAULT_GPU,
    gpus: Annotated[Optional[int], typer.Option(help="Tensor-parallel GPUs per replica. Default: the smallest that fits.")] = None,
    precision: Annotated[str, typer.Option(help="Weights: bf16, fp16, fp8, int8, fp4 or int4.")] = "bf16",
    kv_precision: Annotated[str, typer.Option(help="KV cache: bf16, fp16 or fp8.")] = "bf16",
    prompt_tokens: Annotated[int, typer.Option(help="Mean prompt length [tokens].")] = 1024,
    output_tokens: Annotated[int, typer.Option(help="Mean output length [tokens].")] = 256,
    ttft_ms: Annotated[Optional[float], typer.Option(help="Time-to-first-token target [ms]. Default: the catalogue's chat target.")] = None,
    tpot_ms: Annotated[Optional[float], typer.Option(help="Time-per-output-token target [ms]. Default: the catalogue's chat target.")] = None,
    no_latency_targets: Annotated[bool, typer.Option("--no-latency-targets", help="Maximise throughput: no TTFT/TPOT targets.")] = False,
    price_per_gpu_hour: Annotated[Optional[float], typer.Option(help="USD per GPU-hour. Default: the catalogue price.")] = None,
    stack: Annotated[Optional[str], typer.Option(help="Software-stack efficiency profile: fa2 or fa3. Default: fa2.")] = None,
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
    """Throughput, latency and cost per million tokens of an LLM on a GPU under latency targets."""
    result = api.text(
        workload,
        gpu,
        gpus=gpus,
        precision=precision,
        kv_precision=kv_precision,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        ttft_ms=ttft_ms,
        tpot_ms=tpot_ms,
        no_latency_targets=no_latency_targets,
        price_per_gpu_hour=price_per_gpu_hour,
        stack=stack,
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
    emit(result, fmt, output, "capplan.report.tables:text_report")
