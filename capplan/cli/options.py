"""Every CLI option, declared once: its flag, metavar, unit, help panel and shell completion.

Commands take these ``Annotated`` types in their signatures and hand their parameters to the API with
:func:`api_kwargs`, so an option is written in one place only. The typer defaults stay in the command
signatures (they differ between video and text); ``None`` means "not given: the API's default".
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any, Optional, get_args

import typer

from capplan.cli import complete
from capplan.cli.output import FormatOpt as _FormatOpt
from capplan.cli.output import OutputOpt as _OutputOpt

# Help panels, in the order `--help` shows them.
WORKLOAD = "Workload"
HARDWARE = "Hardware"
VIDEO = "Video settings"
SERVING = "Serving targets"
ECONOMICS = "Economics"
OVERRIDES = "Overrides and uncertainty"
OUTPUT = "Output"


def _panel(annotated: Any, panel: str, metavar: str | None = None) -> Any:
    """``annotated`` (declared in another module) shown in ``panel``: a copy, the original untouched."""
    base, info = get_args(annotated)[:2]
    info = copy.copy(info)
    info.rich_help_panel = panel
    if metavar is not None:
        info.metavar = metavar
    return Annotated[base, info]


# --- workload -------------------------------------------------------------------------------------
VideoWorkloadOpt = Annotated[
    str, typer.Option(metavar="ID", help="Video model id (see `capplan list workloads`).", rich_help_panel=WORKLOAD, autocompletion=complete.video_workloads)
]
TextWorkloadOpt = Annotated[
    str, typer.Option(metavar="ID", help="Text model id (see `capplan list workloads`).", rich_help_panel=WORKLOAD, autocompletion=complete.text_workloads)
]
AnyWorkloadOpt = Annotated[
    Optional[str], typer.Option("--workload", metavar="ID", help="Model id (see `capplan list workloads`).", rich_help_panel=WORKLOAD, autocompletion=complete.workloads)
]
ResolutionOpt = Annotated[
    Optional[str], typer.Option(metavar="RES", help="480p, 720p, 1080p, ... or WIDTHxHEIGHT. Default: the model's native.", rich_help_panel=WORKLOAD)
]
SecondsOpt = Annotated[Optional[float], typer.Option(metavar="S", help="Length of the video [s]. Default: the model's native clip.", rich_help_panel=WORKLOAD)]
FramesOpt = Annotated[Optional[int], typer.Option(metavar="N", help="Frames to generate (instead of --seconds).", rich_help_panel=WORKLOAD)]
FpsOpt = Annotated[Optional[float], typer.Option(metavar="FPS", help="Frames per second [1/s]. Default: the model's native.", rich_help_panel=WORKLOAD)]
PromptTokensOpt = Annotated[int, typer.Option(metavar="N", help="Mean prompt length [tokens].", rich_help_panel=WORKLOAD)]
OutputTokensOpt = Annotated[int, typer.Option(metavar="N", help="Mean output length [tokens].", rich_help_panel=WORKLOAD)]
ScenarioArg = Annotated[
    Optional[str],
    typer.Argument(
        metavar="SCENARIO",
        help="Scenario TOML file, a bundled scenario's name (see `capplan list scenarios`), or - to read it from standard input. Default: chat-and-video.",
        autocompletion=complete.scenarios,
        show_default=False,
    ),
]

# --- hardware -------------------------------------------------------------------------------------
GpuOpt = Annotated[str, typer.Option(metavar="ID", help="GPU id (see `capplan list gpus`).", rich_help_panel=HARDWARE, autocompletion=complete.gpus)]
AnyGpuOpt = Annotated[Optional[str], typer.Option("--gpu", metavar="ID", help="GPU id (see `capplan list gpus`).", rich_help_panel=HARDWARE, autocompletion=complete.gpus)]
VideoGpusOpt = Annotated[int, typer.Option(metavar="N", help="GPUs working on one video (sequence parallelism).", rich_help_panel=HARDWARE)]
TextGpusOpt = Annotated[Optional[int], typer.Option(metavar="N", help="Tensor-parallel GPUs per replica. Default: the smallest that fits.", rich_help_panel=HARDWARE)]
AnyGpusOpt = Annotated[Optional[int], typer.Option("--gpus", metavar="N", help="GPUs per video (video) or per replica (text).", rich_help_panel=HARDWARE)]
VideoPrecisionOpt = Annotated[str, typer.Option(metavar="P", help="Weights and GEMMs: bf16, fp16, fp8 or fp4 (where the chip has it).", rich_help_panel=HARDWARE)]
TextPrecisionOpt = Annotated[str, typer.Option(metavar="P", help="Weights: bf16, fp16, fp8, int8, fp4 or int4.", rich_help_panel=HARDWARE)]
AnyPrecisionOpt = Annotated[Optional[str], typer.Option("--precision", metavar="P", help="Weights: bf16, fp16, fp8, ... Default: bf16.", rich_help_panel=HARDWARE)]
KvPrecisionOpt = Annotated[str, typer.Option(metavar="P", help="KV cache: bf16, fp16 or fp8.", rich_help_panel=HARDWARE)]
StackOpt = Annotated[
    Optional[str],
    typer.Option(metavar="STACK", help="Software-stack efficiency profile: fa2 or fa3. Default: fa2.", rich_help_panel=HARDWARE, autocompletion=complete.stacks),
]

# --- video settings -------------------------------------------------------------------------------
StepsOpt = Annotated[Optional[int], typer.Option(metavar="N", help="Denoising steps. Default: the model's.", rich_help_panel=VIDEO)]
CfgOpt = Annotated[Optional[bool], typer.Option("--cfg/--no-cfg", help="Classifier-free guidance (2 forwards per step). Default: the model's.", rich_help_panel=VIDEO, show_default=False)]
OffloadOpt = Annotated[
    str, typer.Option(metavar="MODE", help="none, model (components take turns on the GPU) or sequential (DiT blocks streamed).", rich_help_panel=VIDEO)
]
ClipSecondsOpt = Annotated[Optional[float], typer.Option(metavar="S", help="Clip length for long videos [s]. Default: the model's native clip.", rich_help_panel=VIDEO)]
LongVideoOpt = Annotated[str, typer.Option(metavar="MODE", help="Generate a long video as consecutive clips or as one-sequence.", rich_help_panel=VIDEO)]

# --- serving targets ------------------------------------------------------------------------------
TtftOpt = Annotated[Optional[float], typer.Option(metavar="MS", help="Time-to-first-token target [ms]. Default: the catalogue's chat target.", rich_help_panel=SERVING)]
TpotOpt = Annotated[Optional[float], typer.Option(metavar="MS", help="Time-per-output-token target [ms]. Default: the catalogue's chat target.", rich_help_panel=SERVING)]
EngineOpt = Annotated[Optional[str], typer.Option(metavar="ENGINE", help="Serving engine whose kernels and defaults to model: trtllm, vllm or sglang. Default: hardware_profiles/engines.toml's.", rich_help_panel=SERVING)]
PollIntervalOpt = Annotated[
    Optional[int],
    typer.Option(
        metavar="N", help="The scheduler looks for new requests every N decode steps (SGLang --scheduler-recv-interval, --num-continuous-decode-steps). Default: every step.",
        rich_help_panel=SERVING,
    ),
]
CudaGraphMaxBatchOpt = Annotated[
    Optional[int],
    typer.Option(
        metavar="N", help="Largest decode batch the server replays from a CUDA graph (SGLang --cuda-graph-max-bs, TensorRT-LLM cuda_graph_config.max_batch_size; 0: none). Default: the engine's.",
        rich_help_panel=SERVING,
    ),
]
MaxModelLenOpt = Annotated[
    Optional[int],
    typer.Option(
        metavar="N", help="Context the server is started with [tokens] (vLLM --max-model-len; before 0.8 it sets the token budget and prefill scheduling). Default: the model's.",
        rich_help_panel=SERVING,
    ),
]
EngineVersionOpt = Annotated[Optional[str], typer.Option(metavar="VERSION", help="Engine release (e.g. 0.7.3; a build such as 1.2.0rc6 is priced as its release) whose defaults, host overhead and kernels differ from the current one's.", rich_help_panel=SERVING)]
RequestsOpt = Annotated[Optional[int], typer.Option(metavar="N", help="Also price a run of N requests on one replica, sent at once (a batch job) or --concurrency at a time (a benchmark): time to finish, TTFT, TPOT and cost.", rich_help_panel=SERVING)]
OutputLengthsOpt = Annotated[
    str, typer.Option(metavar="DIST", help="Output lengths of --requests with mean --output-tokens: exponential (long-tailed), uniform (1 .. 2x-1) or fixed.", rich_help_panel=SERVING)
]
MaxOutputTokensOpt = Annotated[Optional[int], typer.Option(metavar="N", help="Longest output of --requests: the cut of exponential lengths (default: what the context leaves, at most 20 x --output-tokens) or the top of uniform ones, which then run from 2 x --output-tokens - N to N (default: 1 .. 2 x --output-tokens - 1).", rich_help_panel=SERVING)]
ConcurrencyOpt = Annotated[Optional[int], typer.Option(metavar="N", help="Requests in flight (as a benchmark at fixed concurrency), instead of the most that meets the targets.", rich_help_panel=SERVING)]
ComputePrecisionOpt = Annotated[Optional[str], typer.Option(metavar="P", help="GEMM compute precision when it differs from the weights' (default: the weights' where the chip has it, else 16-bit weight-only).", rich_help_panel=HARDWARE)]
ParallelOpt = Annotated[Optional[str], typer.Option(metavar="MODE", help="MoE layout: tp (tensor parallel), ep (expert parallel) or dep (expert parallel + attention data parallel). Default: the engine's.", rich_help_panel=HARDWARE)]
NoLatencyTargetsOpt = Annotated[bool, typer.Option("--no-latency-targets", help="Maximise throughput: no TTFT/TPOT targets.", rich_help_panel=SERVING)]

# --- economics ------------------------------------------------------------------------------------
PriceOpt = Annotated[Optional[float], typer.Option(metavar="USD", help="Rent per GPU-hour [USD]. Default: the catalogue price.", rich_help_panel=ECONOMICS)]
PricingOpt = Annotated[
    Optional[str],
    typer.Option(metavar="MODEL", help="rent (cloud price per GPU-hour, power included) or own (capex amortised + upkeep + energy). Default: rent.", rich_help_panel=ECONOMICS),
]
PueOpt = Annotated[Optional[float], typer.Option(metavar="PUE", help="Facility power usage effectiveness (>= 1). Default: the catalogue's.", rich_help_panel=ECONOMICS)]
ElectricityOpt = Annotated[
    Optional[float], typer.Option("--electricity-usd-per-kwh", metavar="USD", help="Electricity price [USD/kWh]. Default: the catalogue's.", rich_help_panel=ECONOMICS)
]
EconomicsOpt = Annotated[
    Optional[Path], typer.Option(metavar="FILE", help="TOML file overriding [ownership], [energy] and [site] of hardware_profiles/economics.toml.", rich_help_panel=ECONOMICS)
]
PowerCapOpt = Annotated[Optional[float], typer.Option(metavar="MW", help="Site power cap [MW], overriding the scenario's.", rich_help_panel=ECONOMICS)]

TimeLimitOpt = Annotated[float, typer.Option(metavar="S", help="Solver time limit per plan [s].", rich_help_panel=OVERRIDES)]
PctOpt = Annotated[float, typer.Option(metavar="PCT", help="How far each input moves [%].", rich_help_panel=WORKLOAD)]
StackFitOpt = Annotated[
    Optional[str], typer.Option("--stack", metavar="STACK", help="Efficiency profile: fa2 or fa3. Default: fa2.", rich_help_panel=HARDWARE, autocompletion=complete.stacks)
]

# --- overrides and uncertainty --------------------------------------------------------------------
SetOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Override any field: gpu.price.usd_per_gpu_hour=1.9, efficiency.gemm_frac=0.7, economics.energy.pue=1.2, video.fps=30, "
        "scenario.fleet.node_size=4; KEY*=F scales the current value. Repeatable.",
        rich_help_panel=OVERRIDES,
    ),
]
CalibrationOpt = Annotated[Optional[Path], typer.Option(metavar="FILE", help="Efficiency overrides written by `capplan calibrate`.", rich_help_panel=OVERRIDES)]
UncertainOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--uncertain",
        metavar="KEY=LOW:HIGH",
        help="A range drawn uniformly for a P10/P50/P90 Monte Carlo, e.g. gemm_frac=0.6:0.8, price=2:3 (plan: text_demand=1:1.5). Repeatable.",
        rich_help_panel=OVERRIDES,
    ),
]
SamplesOpt = Annotated[Optional[int], typer.Option(metavar="N", help="Monte Carlo draws. Default: 1000 (plan: 20).", rich_help_panel=OVERRIDES)]
SeedOpt = Annotated[int, typer.Option(metavar="N", help="Seed of the Monte Carlo draws.", rich_help_panel=OVERRIDES)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress line on standard error (it is shown only on a terminal anyway).", rich_help_panel=OUTPUT)]
WorkersOpt = Annotated[int, typer.Option(metavar="N", help="Local processes for Monte Carlo draws, sensitivity bars or sweep chunks (results identical to one process).", rich_help_panel=OVERRIDES)]
ClusterOpt = Annotated[Optional[str], typer.Option(metavar="ADDRESS", help="A dask.distributed scheduler (tcp://host:port) to run them on instead (pip install 'capplan[cluster]').", rich_help_panel=OVERRIDES)]
VaryOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--vary",
        metavar="KEY=V1,V2,...",
        help="Repeatable; the grid is their product. Keys: the command's options (resolution, seconds, fps, steps, gpu, precision, "
        "prompt-tokens, tpot-ms, ...) or --set keys.",
        rich_help_panel=OVERRIDES,
    ),
]

# --- output ---------------------------------------------------------------------------------------
FormatOpt = _panel(_FormatOpt, OUTPUT)
OutputOpt = _panel(_OutputOpt, OUTPUT, "FILE")
AllowNoFitOpt = Annotated[
    bool,
    typer.Option("--allow-no-fit", help="Exit 0 when the model does not fit in memory (default: exit 3 with a table; JSON/CSV carry fits_in_memory).", rich_help_panel=OUTPUT),
]
ScheduleCsvOpt = Annotated[Optional[Path], typer.Option("--schedule-csv", metavar="FILE", help="Also write the hourly schedule as CSV (arrangement, hour, text/video/switching/idle GPUs, backlog, power).", rich_help_panel=OUTPUT)]
HtmlOpt = Annotated[Optional[Path], typer.Option(metavar="FILE", help="Also write a self-contained HTML report (tables and charts) to this file.", rich_help_panel=OUTPUT)]
HtmlSensitivityOpt = Annotated[
    bool, typer.Option("--html-sensitivity", help="Add a ±20% sensitivity tornado to the HTML report (solves the plan 13 more times).", rich_help_panel=OUTPUT)
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error (or set CAPPLAN_DEBUG=1).", rich_help_panel=OUTPUT)]

#: CLI parameters that never reach the API: how to show the result, not what to compute.
CLI_ONLY = frozenset({"fmt", "output", "allow_no_fit", "debug", "html", "html_sensitivity", "quiet", "schedule_csv"})


def api_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """A command's parameters as the API's keywords: ``set_`` becomes ``sets``, presentation options
    are dropped, and ``None`` (not given on the command line) is left out so the API's default applies."""
    out = {}
    for name, value in params.items():
        if name in CLI_ONLY or value is None:
            continue
        out["sets" if name == "set_" else name] = value
    return out
