"""Predicted vs. published measurements (validation/*.csv shipped with the package, or a user's CSV).

Each row becomes the call a user would make (``api.video``, or the text model at the row's batch)
with the default efficiency profile. Every prediction is also kept as a sum of stage times, each
belonging to one op class (GEMM, attention, memory bandwidth, convolution) on one GPU, so that
`capplan calibrate` can re-evaluate it for other efficiencies without re-running the models:

    time = scale · ( Σ_stages  max_parts  T_part / m[gpu, class_part] ) ^ power

where ``m`` multiplies the default efficiency of a class (m = 1: the defaults). Nothing here feeds back
into the defaults.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

from capplan import __version__, api
from capplan.catalog import Catalog, load_catalog
from capplan.catalog.calibration import NONE, Calibration, load_calibration
from capplan.catalog.engines import engine_for_framework
from capplan.catalog.load import data_root, existing_file
from capplan.errors import UserError
from capplan.models import transformer
from capplan.models.burst import LENGTHS
from capplan.models.precision import BYTES_PER_VALUE
from capplan.planning.burst import text_burst
from capplan.planning.core import TextSetup, ideal_text_setup, text_at_batch, text_capacity, with_graph_limit
from capplan.planning.resolve import compute_precision_for, text_setup
from capplan.results import ErrorSummary, ValidateResult, ValidationRow

# A row whose GPU is only described ("80GB-class") is evaluated on this catalogue GPU for memory,
# which does not depend on the chip; its time is not predicted.
MEMORY_ONLY_GPU = "h100-sxm"
CLASSES = ("gemm", "attention", "bandwidth", "conv")

VIDEO_COLUMNS = ("model", "gpu", "num_gpus", "parallel", "width", "height", "frames", "fps", "steps", "cfg", "precision", "offload", "time_s", "peak_mem_gb", "source", "notes")
TEXT_COLUMNS = ("model", "gpu", "num_gpus", "tp", "precision", "batch", "prompt_tokens", "output_tokens", "metric", "value", "framework", "source", "notes")
OPTIONAL_COLUMNS = (
    "dataset", "parallel", "framework", "notes", "source", "peak_mem_gb", "batch", "offload", "cfg", "precision", "steps", "fps",
    "requests", "output_lengths", "max_output_tokens",
)

# What a run of ``requests`` prompts is compared on (:func:`_burst_prediction`)
BURST_METRICS = ("output_tokens_per_s", "ttft_ms", "tpot_ms")

Term = tuple[tuple[str | None, float], ...]  # the parts of one stage: (class or None for fixed, seconds at m = 1)


@dataclass(frozen=True)
class Comparison:
    kind: str  # "video" or "text"
    model: str
    gpu: str
    num_gpus: int
    quantity: str  # "time_s", "peak_mem_gb", "output_tokens_per_s", ...
    measured: float
    predicted: float
    dataset: str
    verified: bool
    source: str
    row: int = 0
    terms: tuple[Term, ...] = field(default=(), repr=False)
    scale: float = 1.0
    power: float = 1.0
    # faster than the run priced with nothing lost (:func:`capplan.planning.core.ideal_text_setup`): the
    # run had something its row does not state, so the row is listed but not scored
    beats_ideal: bool = False

    @property
    def error(self) -> float:
        """Signed relative error, (predicted - measured) / measured."""
        return (self.predicted - self.measured) / self.measured

    @property
    def calibratable(self) -> bool:
        """Whether a fit may use the row: it has op-class times, and some efficiencies could match it."""
        return bool(self.terms) and not self.beats_ideal

    def predict(self, multipliers: dict[tuple[str, str, str], float]) -> float:
        """The prediction with each class's efficiency multiplied by ``multipliers[(kind, gpu, class)]``."""
        total = 0.0
        for stage in self.terms:
            total += max(t / (multipliers.get((self.kind, self.gpu, c), 1.0) if c else 1.0) for c, t in stage)
        return self.scale * total**self.power


def validation_dir() -> Path:
    return data_root() / "validation"


# A video row timed over the denoising loop alone says so in its notes (per-step times x steps)
_DENOISE_ONLY = re.compile(r"denoising loop only", re.IGNORECASE)
# ... and the attention kernels it ran, where its source names them (else the catalogue's default stack)
_VIDEO_STACK = re.compile(r"attention stack as run: (fa2|fa3)\b", re.IGNORECASE)


def _offload(text: str) -> str:
    t = text.lower()
    if "sequential" in t:
        return "sequential"
    if "offload" in t or t.startswith("model"):
        return "model"
    return "none"


def _float(text: str | None) -> float | None:
    try:
        v = float(text or "")
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def read_rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a measurements CSV; missing or unknown columns are refused with one line."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            rows = list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(str(path), "(file)", f"it must be a readable UTF-8 CSV file ({exc})") from None
    missing = [c for c in columns if c not in header and c not in OPTIONAL_COLUMNS]
    if missing:
        raise UserError(str(path), "(header)", f"missing columns: {', '.join(missing)}; expected {', '.join(columns)}")
    unknown = [c for c in header if c not in columns and c not in OPTIONAL_COLUMNS]
    if unknown:
        raise UserError(str(path), "(header)", f"unknown columns: {', '.join(unknown)}; allowed: {', '.join(columns)}")
    return rows


def _int(row: dict[str, str], key: str, path: Path, i: int, default: int | None = None) -> int:
    text = (row.get(key) or "").strip()
    if not text and default is not None:
        return default
    try:
        v = float(text)
    except ValueError:
        raise UserError(f"{path}: row {i + 2}, column {key}", text, "it must be a whole number") from None
    if v != int(v) or v <= 0:
        raise UserError(f"{path}: row {i + 2}, column {key}", text, "it must be a whole number greater than 0")
    return int(v)


def video_comparisons(
    catalog: Catalog | None = None, path: Path | None = None, *, strict: bool = False, calibration: Calibration = NONE
) -> list[Comparison]:
    """``strict``: a user's file, where unknown models or GPUs are errors rather than skipped rows."""
    cat = catalog or load_catalog()
    path = path or validation_dir() / "video_measurements.csv"
    out: list[Comparison] = []
    for i, row in enumerate(read_rows(path, VIDEO_COLUMNS)):
        model = row["model"].strip().lower()
        gpu = row["gpu"].strip()
        if model not in cat.video:
            if strict:
                raise UserError(f"{path}: row {i + 2}, column model", row["model"], f"choose a catalogued video model: {', '.join(sorted(cat.video))}")
            continue
        described = gpu not in cat.gpus
        # a GPU only described ("80GB-class") is fine for a memory row (its time is not predicted, and the
        # fit reports it unused); a row with nothing but a time needs a catalogued chip
        if described and strict and not (row.get("peak_mem_gb") or "").strip():
            raise UserError(f"{path}: row {i + 2}, column gpu", gpu, f"choose a catalogued GPU: {', '.join(sorted(cat.gpus))}")
        n = _int(row, "num_gpus", path, i, 1)
        fps = _float(row.get("fps")) or cat.video[model].defaults.fps
        stated_stack = _VIDEO_STACK.search(row.get("notes") or "")
        r = api.video(
            model,
            MEMORY_ONLY_GPU if described else gpu,
            gpus=n,
            resolution=f"{_int(row, 'width', path, i)}x{_int(row, 'height', path, i)}",
            frames=_int(row, "frames", path, i),
            fps=fps,
            steps=_int(row, "steps", path, i) if (row.get("steps") or "").strip() else None,
            cfg=(row["cfg"].strip().lower() == "true") if (row.get("cfg") or "").strip() else None,
            precision=row["precision"] if row.get("precision") in api.VIDEO_PRECISIONS else "bf16",
            offload=_offload(row.get("offload") or ""),
            stack=stated_stack.group(1).lower() if stated_stack else None,
            long_video="one-sequence",
            catalog=cat,
            calibration=calibration,
        )
        common: dict[str, Any] = dict(
            kind="video", model=model, gpu=gpu, num_gpus=n, dataset=(row.get("dataset") or "project"),
            verified="UNVERIFIED" not in (row.get("notes") or ""), source=row.get("source") or "", row=i + 2,
        )
        t = _float(row.get("time_s"))
        if strict and (row.get("time_s") or "").strip() and (t is None or t <= 0):
            raise UserError(f"{path}: row {i + 2}, column time_s", row.get("time_s"), "a measured time is a number of seconds greater than 0")
        if t and not described:
            st = r.time_by_stage_s
            if _DENOISE_ONLY.search(row.get("notes") or ""):
                # a time of the denoising loop alone (per-step times x steps): no text encoding or VAE decode,
                # and of the host transfers only the per-step streaming of a sequentially offloaded DiT
                streamed = st.offload_transfer if r.inputs.offload == "sequential" else 0.0
                terms: tuple[Term, ...] = (
                    (("gemm", st.dit_linear),), (("attention", st.attention),), (("bandwidth", st.elementwise),),
                    ((None, st.communication + streamed),),
                )
                predicted = sum(v for group in terms for _, v in group)
            else:
                terms = (
                    (("gemm", st.dit_linear + st.text_encoder),),
                    (("attention", st.attention),),
                    (("bandwidth", st.elementwise),),
                    (("conv", st.vae_decode),),
                    ((None, st.communication + st.offload_transfer),),
                )
                predicted = r.time_s
            out.append(Comparison(quantity="time_s", measured=t, predicted=predicted, terms=terms, **common))
        m = _float(row.get("peak_mem_gb"))
        if m and n == 1:
            out.append(Comparison(quantity="peak_mem_gb", measured=m, predicted=r.peak_memory_gb, **common))
    return out


def _step_terms(step: transformer.StepCost, k: int) -> tuple[Term, ...]:
    s = step.at(k)
    f = float
    return (
        (("gemm", f(s.gemm_compute_s)), ("bandwidth", f(s.gemm_memory_s)), (None, f(s.gemm_floor_s))),
        (("gemm", f(s.expert_compute_s)), ("bandwidth", f(s.expert_memory_s)), (None, f(s.expert_floor_s))),
        (("attention", f(s.attention_compute_s)), ("bandwidth", f(s.attention_memory_s)), (None, f(s.attention_floor_s))),
        (("bandwidth", f(s.elementwise_memory_s)), (None, f(s.elementwise_floor_s))),
        ((None, f(s.communication_time_s) + f(s.overhead_s)),),
        # (the idle gaps between kernels and the dense GEMMs' and decode attention's ramps: inside the group times, outside their
        # compute/traffic/floor maxima)
        ((None, f(s.gemm_gap_s) + f(s.expert_gap_s) + f(s.attention_gap_s) + f(s.elementwise_gap_s) + f(s.gemm_ramp_s)
                 + f(s.attention_ramp_s)),),
    )


def text_comparisons(
    catalog: Catalog | None = None, path: Path | None = None, *, strict: bool = False, calibration: Calibration = NONE
) -> list[Comparison]:
    """Rows with known lengths: throughput at the stated batch (concurrency), or at the largest batch
    that fits (offline max-throughput benchmarks) when none is stated. Every prediction goes through the
    core (:mod:`capplan.planning.core`), as a what-if would."""
    cat = catalog or load_catalog()
    path = path or validation_dir() / "text_measurements.csv"
    rt = cat.efficiency.runtime
    stack = cat.efficiency.default_stack
    out: list[Comparison] = []
    for i, row in enumerate(read_rows(path, TEXT_COLUMNS)):
        model, gpu = row["model"].strip(), row["gpu"].strip()
        P, O = _float(row.get("prompt_tokens")), _float(row.get("output_tokens"))
        value = _float(row.get("value"))
        if strict and model not in cat.text:
            raise UserError(f"{path}: row {i + 2}, column model", model, f"choose a catalogued text model: {', '.join(sorted(cat.text))}")
        if strict and gpu not in cat.gpus:
            raise UserError(f"{path}: row {i + 2}, column gpu", gpu, f"choose a catalogued GPU: {', '.join(sorted(cat.gpus))}")
        if strict and (value is None or value <= 0 or not P or not O or P <= 0 or O <= 0):
            raise UserError(f"{path}: row {i + 2}", f"value={row.get('value')!r}", "a measurement needs positive prompt_tokens, output_tokens and value")
        if model not in cat.text or gpu not in cat.gpus or not P or not O or not value or value <= 0:
            continue
        tp = _int(row, "tp", path, i, _int(row, "num_gpus", path, i, 1))
        n_sys = _int(row, "num_gpus", path, i, tp)
        precision = row["precision"] if row.get("precision") in BYTES_PER_VALUE else "bf16"
        g = cat.gpu(gpu)
        try:  # (4-bit weights on a GPU without 4-bit tensor cores run weight-only, as a what-if does)
            compute_precision_for(g, precision)
        except KeyError:
            continue
        w = cat.text[model]
        kv_precision = _kv_precision(row.get("notes") or "", precision, bool(g.compute.fp8_tflop_per_s))
        framework = (row.get("framework") or "").strip()
        ep, dp = _moe_layout(f"{row.get('notes') or ''} {row.get('source') or ''}")
        setup = text_setup(
            w, g, cat.efficiency.gpu[gpu][stack], rt, stack, precision, kv_precision, calibration=calibration,
            engine=engine_for_framework(framework), expert_parallel=ep, attention_dp=dp, fp8_block_scaled=bool(_BLOCK_FP8.search(row.get("notes") or "")),
            engine_version=_engine_version(framework, row.get("notes") or ""), max_model_len=_max_model_len(row.get("notes") or ""),
        )
        setup = _stated_limits(setup, row.get("notes") or "")
        metric = row["metric"].strip()
        got = _row_prediction(row, path, i, setup, metric, tp=tp, P=P, O=O, n_sys=n_sys, strict=strict)
        if got is None:
            continue
        c = _text_comparison(row, i, metric, n_sys, value, *got)
        if time_error(c) > 0.0:  # slower than measured: could a run with nothing lost have done it?
            ideal = _row_prediction(row, path, i, ideal_text_setup(setup), metric, tp=tp, P=P, O=O, n_sys=n_sys, strict=False)
            if ideal is not None and time_error(dataclasses.replace(c, predicted=ideal[0])) > 0.0:
                c = dataclasses.replace(c, beats_ideal=True)
        out.append(c)
    return out


def _row_prediction(
    row: dict[str, str], path: Path, i: int, setup: TextSetup, metric: str, *, tp: int, P: float, O: float, n_sys: int, strict: bool
) -> tuple[float, tuple[Term, ...], float, float] | None:
    """(prediction, op-class terms, scale, power) of one text row (see :class:`Comparison`); None when it
    cannot be priced (the row is then skipped). A row with ``requests`` is priced as that run
    (:func:`_burst_prediction`), else as the steady state at its stated concurrency or, with none
    stated, at the largest batch that fits (offline max-throughput benchmarks)."""
    stated = _float(row.get("batch"))
    run = None
    if _float(row.get("requests")):
        if metric not in BURST_METRICS:
            if strict:
                raise UserError(f"{path}: row {i + 2}, column metric", metric, f"a burst row (requests set) measures {', '.join(BURST_METRICS)}")
            return None
        run = _burst_prediction(row, path, i, setup, metric, tp=tp, P=P, O=O, n_sys=n_sys, strict=strict)
        if not stated:  # (all at once: not calibratable, no steady state stands for it)
            return None if run is None else (run[0], (), 1.0, run[1])
        # a closed-loop run is priced as the run (below); one the memory model cannot hold, at its
        # concurrency as a steady state, which does not check memory
    if stated:
        batch = stated
    else:
        cap = text_capacity(setup, tp=tp, prompt_tokens=P, output_tokens=O, with_share=False)
        if not cap.fits[0] or cap.max_batch[0] == 0:
            return None
        batch = float(cap.max_batch[0])
    it, pre = text_at_batch(setup, tp=tp, batch=batch, prompt_tokens=P, output_tokens=O)
    it_terms = _step_terms(it, 0)
    replicas = max(n_sys // tp, 1)
    t_it = float(np.asarray(it.time_s))
    if metric == "output_tokens_per_s":
        pred, terms, scale, power = batch / t_it * replicas, it_terms, batch * replicas, -1.0
    elif metric == "tpot_ms":
        pred, terms, scale, power = t_it * 1e3, it_terms, 1e3, 1.0
    elif metric == "ttft_ms":
        pred = transformer.time_to_first_token_s(float(np.asarray(pre.time_s)), t_it, float(batch), setup.poll_interval) * 1e3
        terms, scale, power = (it_terms if batch > 1 else ()) + _step_terms(pre, 0), 1e3, 1.0
    elif metric == "output_tokens_per_s_per_user":
        pred, terms, scale, power = 1.0 / t_it, it_terms, 1.0, -1.0
    else:
        if strict:
            raise UserError(f"{path}: row {i + 2}, column metric", metric, "use output_tokens_per_s, tpot_ms, ttft_ms or output_tokens_per_s_per_user")
        return None
    if run is not None:
        # the closed-loop run's prediction, with the steady state's sensitivity to each kernel class at
        # the client's concurrency (what `capplan calibrate` re-evaluates)
        at_defaults = _text_comparison(row, i, metric, n_sys, 1.0, pred, terms, scale, power).predict({})
        scale, pred = scale * run[0] / at_defaults, run[0]
    return pred, terms, scale, power


def _text_comparison(
    row: dict[str, str], i: int, metric: str, n_sys: int, value: float, pred: float, terms: tuple[Term, ...], scale: float, power: float
) -> Comparison:
    return Comparison(
        kind="text", model=row["model"].strip(), gpu=row["gpu"].strip(), num_gpus=n_sys, quantity=metric, measured=value, predicted=pred,
        dataset=(row.get("framework") or "").strip() or "unknown", verified="UNVERIFIED" not in (row.get("notes") or ""),
        source=row.get("source") or "", row=i + 2, terms=terms, scale=scale, power=power,
    )


def _burst_prediction(
    row: dict[str, str], path: Path, i: int, setup: TextSetup, metric: str, *, tp: int, P: float, O: float, n_sys: int, strict: bool
) -> tuple[float, float] | None:
    """(prediction, power) of a row whose ``requests`` column says how many prompts the run sent: the
    whole run's throughput, mean TTFT or mean TPOT from :func:`capplan.planning.burst.text_burst`, never
    the steady state; None when it cannot be priced (the row is then skipped). With a ``batch`` the
    client kept that many requests in flight (closed loop, ``--max-concurrency``), else it sent them all
    at once. Uniform lengths are uniform on 2 x output_tokens - max_output_tokens .. max_output_tokens
    (the range whose mean is the row's mean). The requests and the client's concurrency are split evenly
    over the row's replicas."""
    n = float(row["requests"])
    where = f"{path}: row {i + 2}"
    lengths = (row.get("output_lengths") or "fixed").strip()
    if lengths not in LENGTHS:
        raise UserError(f"{where}, column output_lengths", lengths, f"use one of {', '.join(LENGTHS)}")
    cut = _float(row.get("max_output_tokens"))
    if lengths == "uniform" and not cut:
        raise UserError(f"{where}, column max_output_tokens", row.get("max_output_tokens") or "(empty)", "uniform lengths need the largest length")
    if n < 1:
        raise UserError(f"{where}, column requests", row.get("requests") or "", "it must be at least 1")
    replicas = max(n_sys // tp, 1)
    conc = _float(row.get("batch"))
    est = text_burst(
        setup, tp=tp, requests=n / replicas, prompt_tokens=P, output_tokens=O, lengths=lengths, max_output_tokens=cut,
        concurrency=conc / replicas if conc else None,
    )
    if est is None:
        return None
    if metric == "output_tokens_per_s":
        return est.output_tokens_per_s * replicas, -1.0
    if metric == "ttft_ms":
        return est.mean_ttft_s * 1e3, 1.0
    return est.mean_tpot_s * 1e3, 1.0


# A layout counts only when a row states it on: "DEP4", "ep 8" / "--ep_size 4" (2 or more), the engines'
# enabling flags (not "no --enable-dp-attention" or "enable_attention_dp false"), "attention DP" (not "no
# attention DP"); "ep 1" or a mere mention of the words does not.
_EP = re.compile(
    r"\bDEP\d|\bep[ _-]?(?:size )?(?:[2-9]|[1-9]\d+)\b|--ep(?:[_-]size)? (?:[2-9]|[1-9]\d+)\b|--ep\b(?![_-])"
    r"|--enable-expert-parallel|enable_expert_parallel|\bEP over",
    re.IGNORECASE,
)
_OFF = r"(?![\"']?\s*[:=]?\s*(?:false|0)\b)"  # (not followed by "false": a flag stated off)
_DP = re.compile(
    rf"\bDEP\d|(?<!no )--enable-dp-attention|enable_attention_dp{_OFF}|(?<!no )attention[ _-]?DP\b{_OFF}|(?<!no )attention data[- ]parallel",
    re.IGNORECASE,
)


# DeepSeek's own fp8 checkpoints are block-scaled (DeepSeek-V3 technical report, arXiv 2412.19437, sec. 3.3)
_BLOCK_FP8 = re.compile(r"block-scaled|native (?:block-scaled )?FP8|deepseek-ai FP8", re.IGNORECASE)


_KV_16 = re.compile(r"no KV-cache dtype flag|KV cache in the model dtype|auto KV dtype|(?:BF16|FP16)(?:/FP16)? KV", re.IGNORECASE)
_KV_8 = re.compile(r"kv-cache-dtype fp8|FP8 KV|KV fp8", re.IGNORECASE)


def _kv_precision(notes: str, precision: str, has_fp8: bool) -> str:
    """The KV-cache precision a row's notes state (an explicit flag or phrase), else fp8 with fp8/fp4
    weights on a GPU with fp8 tensor cores (what the benchmark recipes usually set), else bf16."""
    if _KV_16.search(notes):
        return "bf16"
    if _KV_8.search(notes) and has_fp8:
        return "fp8"
    return "fp8" if precision in ("fp8", "fp4") and has_fp8 else "bf16"


def _engine_version(framework: str, notes: str) -> str | None:
    """The engine release a row's notes state ("vLLM 0.7.3", "vLLM v0.11.0", "v0.6-era"), if any."""
    m = re.search(rf"{re.escape(framework)}[^.;,]{{0,25}}?v?(\d+\.\d+(?:\.\d+)?)|\bv(\d+\.\d+)-era", notes) if framework else None
    return (m.group(1) or m.group(2)) if m else None


_MAX_SEQS = re.compile(r"(?:--max-num-seqs|\bmax[_ ]num[_ ]seqs|--max-running-requests|--max_batch_size)[ =](\d+)", re.IGNORECASE)
_MAX_TOKENS = re.compile(r"(?:--max-num-batched-tokens|\bmax_num_batched_tokens|--max_num_tokens)[ =](\d+)")
_PREFILL_BUDGET = re.compile(r"--(?:chunked-prefill-size|max-prefill-tokens)[ =](\d+)")
_GRAPH_MAX = re.compile(r"--cuda-graph-max-bs[ =](\d+)|cuda_graph_config:?\s*\{[^}]*?\bmax_batch_size:\s*(\d+)")
_FREE_FRAC = re.compile(r"\bfree_gpu_memory_fraction[:=]? ?(0?\.\d+|1(?:\.0+)?)\b")
_STEPS = re.compile(r"--num-scheduler-steps?[ =](\d+)")
_POLL = re.compile(r"--(?:scheduler-recv-interval|num-continuous-decode-steps)[ =](\d+)")
_MAX_UTILIZATION = re.compile(r"\bMAX_UTILIZATION\b")
_MAX_MODEL_LEN = re.compile(r"(?:--)?max[-_]model[-_]len[ =](\d+)")
_MEM_FRAC = re.compile(r"--(?:mem-fraction-static|gpu-memory-utilization)[ =](0?\.\d+|1(?:\.0+)?)\b")


def _max_model_len(notes: str) -> int | None:
    """The context a row's server was started with (``--max-model-len N``), which vLLM's V0 engine chose
    its token budget and prefill scheduling by."""
    m = _MAX_MODEL_LEN.search(notes)
    return int(m.group(1)) if m else None


def _stated_limits(setup: TextSetup, notes: str) -> TextSetup:
    """The setup with the engine limits a row's notes state as the run's flags: vLLM's
    ``--max-num-seqs`` (running requests), ``--max-num-batched-tokens`` (tokens per iteration) and
    V0's ``--num-scheduler-steps n`` (multi-step scheduling: the scheduler and input preparation run
    once per n decode steps, so their host time per step, fixed and per sequence, is 1/n; vLLM blog 'vLLM v0.6.0: 2.7x
    Throughput Improvement and 5x Latency Reduction', 2024-09-05), and SGLang's
    ``--scheduler-recv-interval n`` / ``--num-continuous-decode-steps n`` (the scheduler looks for new
    requests every n decode steps: sglang SchedulerRecvSkipper, Scheduler.run_batch), the share of GPU
    memory for weights and KV cache (SGLang ``--mem-fraction-static``, vLLM ``--gpu-memory-utilization``)
    and TensorRT-LLM's ``MAX_UTILIZATION`` capacity policy (no KV reservation to completion), and the
    server's CUDA-graph limit (SGLang ``--cuda-graph-max-bs``, TensorRT-LLM ``cuda_graph_config``'s
    ``max_batch_size``). The other engines' names for the same limits count too: SGLang's ``--max-running-requests`` and
    ``--chunked-prefill-size`` / ``--max-prefill-tokens`` (the tokens of one prefill batch: the smaller
    of the two), TensorRT-LLM's ``--max_batch_size`` and ``--max_num_tokens``, and its
    ``free_gpu_memory_fraction`` (the share of the memory the weights leave free, its own basis)."""
    seqs, tokens, steps, poll = _MAX_SEQS.search(notes), _MAX_TOKENS.search(notes), _STEPS.search(notes), _POLL.search(notes)
    budgets = [float(m.group(1)) for m in _PREFILL_BUDGET.finditer(notes)]
    mem = _MEM_FRAC.search(notes)
    if mem and setup.memory_basis != "free_after_load":  # SGLang's / vLLM's share of GPU memory for weights + KV
        frac = float(mem.group(1))
        setup = dataclasses.replace(setup, memory_frac=frac, usable_bytes=setup.memory_bytes * frac)
    free = _FREE_FRAC.search(notes)
    if free and setup.memory_basis == "free_after_load":  # TensorRT-LLM's share of what the weights leave free
        setup = dataclasses.replace(setup, memory_frac=float(free.group(1)))
    graph = _GRAPH_MAX.search(notes)
    if graph:  # the server's CUDA-graph limit (SGLang --cuda-graph-max-bs, TensorRT-LLM cuda_graph_config)
        setup = with_graph_limit(setup, int(graph.group(1) or graph.group(2)))
    if _MAX_UTILIZATION.search(notes):  # TensorRT-LLM's other capacity policy takes KV blocks as tokens arrive
        setup = dataclasses.replace(setup, kv_reserved_to_completion=False)
    if poll:
        setup = dataclasses.replace(setup, poll_interval=int(poll.group(1)))
    if seqs:
        setup = dataclasses.replace(setup, max_batch=int(seqs.group(1)))
    if tokens:
        setup = dataclasses.replace(setup, max_batched_tokens=float(tokens.group(1)))
    elif budgets:
        setup = dataclasses.replace(setup, max_batched_tokens=min(budgets))
    if steps and int(steps.group(1)) > 1:
        n = int(steps.group(1))  # the scheduler's work, fixed and per sequence, runs once per n steps
        setup = dataclasses.replace(
            setup, engine=dataclasses.replace(setup.engine, iteration_overhead_s=setup.engine.iteration_overhead_s / n, per_sequence_overhead_s=setup.engine.per_sequence_overhead_s / n),
        )
    return setup


def _moe_layout(text: str) -> tuple[bool | None, bool | None]:
    """(expert parallel, attention data parallel) as a row's notes state the run's layout (None: the
    engine's default). "DEP4" is TensorRT-LLM's name for attention DP + EP over 4 GPUs."""
    ep = True if _EP.search(text) else None
    dp = True if _DP.search(text) else None
    return ep, dp


#: The most rows a user's measurements file may hold (validate and calibrate).
MAX_ROWS = 5_000


def measured_runs(path: Path, cat: Catalog, calibration: Calibration = NONE) -> list[Comparison]:
    """A user's CSV of measured runs in the video or the text layout of validation/ (chosen by its
    header), each against its prediction. Every row must be usable: a bad row is an error naming it,
    never silently dropped."""
    existing_file("MEASUREMENTS", path)
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline().strip().split(",")
        n_lines = sum(1 for _ in fh)
    if n_lines > MAX_ROWS:
        raise UserError("MEASUREMENTS", f"{n_lines} rows", f"a measurements file holds at most {MAX_ROWS:,} rows")
    if "time_s" in header or set(header) >= set(VIDEO_COLUMNS[:8]):
        return video_comparisons(cat, path, strict=True, calibration=calibration)
    return text_comparisons(cat, path, strict=True, calibration=calibration)


def stated_causes() -> tuple[float, dict[tuple[str, int], str]]:
    """The threshold beyond which a bundled row's miss is explained, and (kind, CSV line) -> the id of the
    cause it is explained under in validation/residuals.toml (a test holds the file to the rows)."""
    data = tomllib.loads((validation_dir() / "residuals.toml").read_text(encoding="utf-8"))
    return float(data["threshold"]), {
        (kind, line): cause["id"] for kind, key in (("text", "cause"), ("video", "video_cause")) for cause in data.get(key, []) for line in cause["lines"]
    }


def scored(rows: list[Comparison]) -> list[Comparison]:
    """The rows the accuracy figures count: all but those faster than the run priced with nothing lost
    (:attr:`Comparison.beats_ideal`), which no choice of efficiencies could match."""
    return [r for r in rows if not r.beats_ideal]


def median_abs_error(rows: list[Comparison]) -> float:
    if not rows:
        raise UserError("validation data", "(no rows)", "at least one comparable row is needed")
    return median(abs(r.error) for r in rows)


def p90_abs_error(rows: list[Comparison]) -> float:
    return float(np.percentile([abs(r.error) for r in rows], 90))


def validate_all(
    *, calibration: str | Path | None = None, stack: str | None = None, catalog: Catalog | None = None, measurements: str | Path | None = None,
) -> ValidateResult:
    """Every bundled measurement (or every row of a user's ``measurements`` CSV, laid out like one of
    validation/'s files) vs. its prediction, with error summaries (absolute and signed: a model that is
    optimistic about time under-buys GPUs) by kind, serving engine, text quantity (throughput, TPOT,
    TTFT), GPU and publisher."""
    cat = catalog or load_catalog()
    cal = load_calibration(calibration, set(cat.gpus))
    stack_id = cat.stack(stack)
    if stack_id != cat.efficiency.default_stack:
        cat = dataclasses.replace(cat, efficiency=cat.efficiency.model_copy(update={"default_stack": stack_id}))
    limit, causes = float("inf"), dict[tuple[str, int], str]()
    if measurements is not None:
        listed = measured_runs(Path(measurements), cat, cal)
    else:
        listed = video_comparisons(cat, calibration=cal) + text_comparisons(cat, calibration=cal)
        limit, causes = stated_causes()
    out_rows = [
        ValidationRow(
            kind=r.kind, model=r.model, gpu=r.gpu, num_gpus=r.num_gpus, quantity=r.quantity, measured=r.measured, predicted=r.predicted,  # type: ignore[arg-type]
            error=r.error, verified=r.verified, source=r.source, line=r.row, beats_ideal=r.beats_ideal,
            cause=causes.get((r.kind, r.row)) if abs(r.error) > limit and not r.beats_ideal and (r.kind == "text" or r.dataset == "project") else None,
        )
        for r in listed
    ]
    rows = scored(listed)

    def summary(name: str, sel: list[Comparison]) -> ErrorSummary:
        errs = [abs(r.error) for r in sel]
        return ErrorSummary(
            group=name, n=len(sel), median_abs_error=float(median(errs)), p90_abs_error=float(np.percentile(errs, 90)),
            median_signed_error=float(median(time_error(r) for r in sel)),
        )

    groups = [summary("all", rows)] if rows else []  # (a user's file may hold only rows beyond the ideal)
    for kind in ("video", "text"):
        sel = [r for r in rows if r.kind == kind]
        if sel:
            groups.append(summary(kind, sel))
    for engine in sorted({r.dataset for r in rows if r.kind == "text"}):
        groups.append(summary(f"text engine {engine}", [r for r in rows if r.kind == "text" and r.dataset == engine]))
    for quantity in sorted({r.quantity for r in rows if r.kind == "text"}):  # where the bias sits: throughput, TPOT or TTFT
        groups.append(summary(f"text {quantity}", [r for r in rows if r.kind == "text" and r.quantity == quantity]))
    for gpu in sorted({r.gpu for r in rows}):
        groups.append(summary(f"gpu {gpu}", [r for r in rows if r.gpu == gpu]))
    for host in sorted({_publisher(r.source) for r in rows}):
        groups.append(summary(f"source {host}", [r for r in rows if _publisher(r.source) == host]))
    return ValidateResult(capplan_version=__version__, stack=stack_id, calibration=str(calibration) if calibration else None, rows=out_rows, summary=groups)


def time_error(r: Comparison) -> float:
    """Signed error with one meaning for every quantity, as a time: predicted time over measured time,
    minus 1 (a throughput row's time is the inverse of its rate). Below 0, the model is optimistic: it
    expects the work to take less time than it did, and a plan sized on it under-buys."""
    if r.quantity in ("output_tokens_per_s", "output_tokens_per_s_per_user"):
        return r.measured / r.predicted - 1.0
    return r.error


def _publisher(source: str) -> str:
    m = re.search(r"https?://(?:www\.)?([^/\s]+)(?:/([^/\s]+))?", source)
    if not m:
        return (source.split(",")[0].split(";")[0].strip() or "unknown")[:40]
    host, first = m.group(1), m.group(2)
    return f"{host}/{first}" if host == "github.com" and first else host
