"""Serving-engine profiles (hardware_profiles/engines.toml): each engine's scheduler and memory defaults and
the achieved efficiency of the kernels it runs, per GPU generation.

The catalogue loader skips engines.toml; this module reads and validates it on first use. Resolving an
engine for one GPU (:func:`engine_for`) picks the figures that apply to that GPU (its generation's kernels,
vLLM's small-GPU branch, SGLang's memory tiers) and says which kernel keys fell back to efficiency.toml.
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from capplan.catalog import cache
from capplan.catalog.load import data_root, read_toml, validate
from capplan.catalog.records import Record, to_record
from capplan.errors import UserError

if TYPE_CHECKING:
    from capplan.catalog.engines_schema import EngineKernels, EngineProfile, EnginesFile, MemoryTier, OlderVersions, TritonFusedMoe  # noqa: F401
    from capplan.catalog.schemas import GPUProfile

ENGINES = ("trtllm", "vllm", "sglang")
#: Names a validation row's ``framework`` column uses for each engine.
FRAMEWORK_NAMES = {"tensorrt-llm": "trtllm", "nim (tensorrt-llm)": "trtllm", "trt-llm": "trtllm", "vllm": "vllm", "sglang": "sglang"}
GIB = 1024**3
#: Kernel keys an engine profile may set, each overriding the efficiency.toml serving field of the same meaning.
KERNEL_KEYS = (
    "serving_gemm_frac",
    "serving_gemm_fp8_frac",
    "serving_gemm_fp8_block_frac",
    "prefill_attention_frac",
    "prefill_mla_attention_frac",
    "decode_attention_bandwidth_frac",
    "weight_stream_frac",
    "weight_stream_fp8_frac",
    "weight_stream_w4_frac",
    "fused_moe_frac",
    "fused_moe_weight_stream_frac",
    "fused_moe_weight_stream_fp8_frac",
)
#: Kernel keys that replace others only for some checkpoints: the fused-MoE figures of 128 x 128
#: block-scaled fp8 experts (DeepSeek-V3/R1, Qwen3 -FP8), which run other kernels than per-tensor fp8
#: ones. :func:`engine_for` reports them apart (``EngineSetup.block_fp8_kernels``) so that code which
#: maps every key of ``kernels`` onto an efficiency.toml field never meets them; the text setup puts them
#: in place of the per-tensor keys where the checkpoint is block-scaled.
BLOCK_FP8_MOE_KEYS = ("fused_moe_fp8_block_frac", "fused_moe_weight_stream_fp8_block_frac")
#: ... and those of 4-bit experts computed at 16 bits (weight-only W4A16: MXFP4 or int4 experts on a GPU
#: without 4-bit tensor cores, dequantised inside the kernel), reported apart the same way.
W4A16_MOE_KEYS = ("fused_moe_w4a16_frac", "fused_moe_weight_stream_w4_frac")


_SCHEMA_NAMES = ("EngineKernels", "EngineProfile", "EnginesFile", "MemoryTier", "OlderVersions", "TritonFusedMoe")


def __getattr__(name: str) -> Any:
    # the schema classes, defined in engines_schema (imported on first use: pydantic)
    if name in _SCHEMA_NAMES:
        return getattr(importlib.import_module("capplan.catalog.engines_schema"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class EngineSetup:
    """One engine's figures as they apply to one GPU (file units converted to what the models take)."""

    id: str
    name: str
    memory_frac: float
    memory_basis: str  # "total", "total_static" or "free_after_load"
    max_running: int
    max_batched_tokens: int
    cuda_graph_max_batch: int
    iteration_overhead_s: float
    eager_launch_s: float  # per kernel outside CUDA graphs (host-bound)
    moe_parallel_default: str
    kernels: dict[str, float]  # the keys of KERNEL_KEYS the profile sets for this GPU's generation
    missing_kernels: tuple[str, ...]  # ... and those it omits (efficiency.toml's figure is used)
    # host seconds per running sequence per iteration, on top of iteration_overhead_s
    per_sequence_overhead_s: float = 0.0
    # the keys of BLOCK_FP8_MOE_KEYS the profile sets for this generation (used for block-scaled checkpoints)
    block_fp8_kernels: dict[str, float] = field(default_factory=dict)
    # the keys of W4A16_MOE_KEYS the profile sets for this generation
    w4a16_kernels: dict[str, float] = field(default_factory=dict)
    prefill_graph_max_tokens: float = float("inf")  # inf: not stated (prefill priced as if graphed)
    eager_launch_mla_moe_s: float | None = None  # per kernel outside graphs for MLA + MoE layers (None: eager_launch_s)
    act_quant_fused_per_layer: int = 0  # activation-quantisation kernels fused into norms/activations, per layer
    triton_fused_moe: TritonFusedMoe | None = None  # the file's [triton_fused_moe] record where the engine runs that kernel on this GPU
    triton_fp8_compute_factor: float | None = None  # its block-fp8 compute factor for this engine (None: fp8 keeps the engine's figure)
    separate_prefill: bool = False
    kv_reserved_to_completion: bool = False  # a request holds KV for its prompt and whole output from admission
    # (chunk above this context, tokens per iteration when chunked, least tokens per iteration unchunked):
    # the release picks its token budget and prefill scheduling from the served context length (vLLM V0)
    context_budget_rule: tuple[float, float, float] | None = None
    # whether the engine launches each kernel group (KERNEL_GROUPS) with programmatic dependent launch here
    pdl: tuple[bool, bool, bool, bool] = (False, False, False, False)
    # the release's block-fp8 dense GEMMs run an untuned fixed-tile config on this GPU: seconds per 128-deep
    # K block of each (0: tuned)
    block_fp8_gemm_k_block_s: float = 0.0
    # the engine's decode attention time per (decoding sequence x KV head) on this GPU (None: the file's)
    decode_attention_unit_s: float | None = None
    # ... and its GQA decode attention's fp8-KV streaming rate over the 16-bit one (None: the file's)
    fp8_kv_decode_ratio: float | None = None
    # ... and its block-fp8 fused-MoE compute fraction by expert columns per GPU: two anchors (None: its figure)
    fused_moe_fp8_block_by_columns: tuple[tuple[float, float], tuple[float, float]] | None = None
    fused_moe_nvfp4_by_columns: tuple[tuple[float, float], tuple[float, float]] | None = None  # ... over NVFP4 experts


def _anchors(pairs: list[list[float]] | None) -> tuple[tuple[float, float], tuple[float, float]] | None:
    if pairs is None:
        return None
    (n0, f0), (n1, f1) = pairs
    return (float(n0), float(f0)), (float(n1), float(f1))


@functools.lru_cache(maxsize=1)
def load_engines() -> EnginesFile:
    """engines.toml, validated (by :mod:`capplan.catalog.engines_schema`) and kept as plain records
    (:mod:`capplan.catalog.records`) in the catalogue cache."""
    path = data_root() / "hardware_profiles" / "engines.toml"
    try:
        st = path.stat()
        k: str | None = cache.key([("engines", str(path), str(st.st_size), str(st.st_mtime_ns))])
    except OSError:
        k = None
    cached = cache.read(k) if k else None
    if isinstance(cached, Record) and type(cached).__name__ == "EnginesFile":
        return cached  # type: ignore[return-value]
    from capplan.catalog.engines_schema import EnginesFile

    f = to_record(validate(EnginesFile, read_toml(path), "hardware_profiles/engines.toml"))
    if f.default_engine not in f.engines:
        raise UserError("hardware_profiles/engines.toml: default_engine", f.default_engine, f"choose one of {', '.join(f.engines)}")
    if k:
        cache.write(k, f)
    return f  # type: ignore[no-any-return]


def engine_id(engine: str | None, option: str = "engine") -> str:
    """The engine to use: ``engine``, or engines.toml's default when None."""
    f = load_engines()
    if engine is None:
        return f.default_engine
    if not isinstance(engine, str) or engine not in f.engines:
        raise UserError(option, engine, f"choose one of {', '.join(f.engines)}")
    return engine


def engine_for_framework(framework: str) -> str | None:
    """The engine a validation row's ``framework`` column names (None: not one of the profiled engines)."""
    return FRAMEWORK_NAMES.get(framework.strip().lower())


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


#: A release as the engines name their builds: an optional "v", the release number, then a pre-release
#: (a1, b2, rc6), post-release (.post2) or development (.dev0) suffix, as in TensorRT-LLM's 1.2.0rc6.post2,
#: SGLang's 0.4.6.post1 or vLLM's v0.11.0.
_RELEASE_NAME = re.compile(r"v?(\d+(?:\.\d+)*)((?:a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")


def release_number(version: str) -> str:
    """The release number of an engine build's name: "1.2.0rc6.post2" -> "1.2.0", "v0.11.0" -> "0.11.0".
    A release candidate or development build of a release is priced as that release (its defaults are
    the release's: the engines freeze features before their candidates), a post-release as its release.
    Raises UserError for anything else."""
    m = _RELEASE_NAME.fullmatch(version.strip()) if isinstance(version, str) else None
    if m is None:
        raise UserError("engine_version", version, "a release number such as 0.7.3 (a suffix such as rc6 or .post1 may follow)")
    return m.group(1)


#: The scalar defaults an older release's entry may set (engines_schema.OlderVersions), in this order.
RELEASE_FIELDS = (
    "scheduler_overhead_s_per_iteration", "scheduler_overhead_s_per_sequence", "prefill_cuda_graph_max_tokens", "cuda_graph_max_batch",
    "max_num_seqs", "chunked_prefill_above_context", "chunked_prefill_batched_tokens", "unchunked_min_batched_tokens", "chunked_prefill_on_amd",
    "pdl_groups", "eager_host_s_per_kernel", "eager_host_s_per_kernel_mla_moe", "untuned_block_fp8_gemm_s_per_k_block", "triton_fp8_compute_factor",
)
#: The kernel groups of an iteration, in the order of transformer.StepTerms.pdl.
KERNEL_GROUPS = ("dense_gemm", "experts", "attention", "elementwise")


def _kernel_figures(k: Any) -> dict[str, float]:
    """The kernel keys a generation's entry (or an older release's override of it) sets."""
    return {key: float(getattr(k, key)) for key in KERNEL_KEYS + BLOCK_FP8_MOE_KEYS + W4A16_MOE_KEYS if k is not None and getattr(k, key) is not None}


def engine_for(engine: str | None, gpu: GPUProfile, tp: int = 1, version: str | None = None) -> EngineSetup:
    """``engine`` (None: the default) as it runs on ``gpu`` with tensor-parallel size ``tp``; see
    :func:`_engine_for`. Memoised on what it reads of the GPU (a --set on the GPU changes the key)."""
    return _engine_for(engine, gpu.id, gpu.architecture, gpu.memory.memory_gb, tp, version, gpu.vendor)


@functools.lru_cache(maxsize=512)
def _engine_for(
    engine: str | None, gpu_id: str, architecture: str, memory_gb: float, tp: int, version: str | None, vendor: str = "nvidia",
) -> EngineSetup:
    """``engine`` (None: the default) as it runs on ``gpu`` with tensor-parallel size ``tp``; ``version``
    (e.g. "0.7.3"; None: the current release) picks an older release's defaults where they differ."""
    f = load_engines()
    eid = engine_id(engine)
    e = f.engines[eid]
    # An engine runs on the generations its profile lists (with figures or with a source saying it has
    # none); a generation no engine lists (a user's GPU) runs on the engine-neutral figures.
    runs = [k for k, p in f.engines.items() if architecture in p.kernels]
    if runs and eid not in runs:
        raise UserError("engine", eid, f"{e.name} does not run on {gpu_id} ({architecture}); choose one of {', '.join(runs)}")
    released: dict[str, Any] = {name: getattr(e, name, None) for name in RELEASE_FIELDS}  # (the scheduler-rule fields exist only for older releases)
    figures = _kernel_figures(e.kernels.get(architecture))
    older: list[Any] = []
    if version is not None:
        version = release_number(version)
        # Field by field, the first entry (in file order) for releases after ``version`` that sets it wins.
        older = [o for o in e.before_version or [] if _release(version) < _release(o.version)]
        for name in RELEASE_FIELDS:
            released[name] = next((getattr(o, name) for o in older if getattr(o, name) is not None), released[name])
        for o in reversed(older):
            figures |= _kernel_figures((o.kernels or {}).get(architecture))
    (
        overhead, per_sequence, prefill_graph, release_graph, release_seqs, chunk_above, chunk_tokens, unchunked_min, chunk_amd, pdl_groups,
        eager_host, eager_host_mla_moe, untuned_gemm, release_fp8_factor,
    ) = (released[name] for name in RELEASE_FIELDS)
    mem_gib = memory_gb * 1e9 / GIB
    small = (e.small_gpu_below_gib is not None and mem_gib < e.small_gpu_below_gib) or any(name in gpu_id for name in e.small_gpu_names)
    seqs = e.max_num_seqs_small_gpu if small and e.max_num_seqs_small_gpu else e.max_num_seqs
    tokens = e.max_num_batched_tokens_small_gpu if small and e.max_num_batched_tokens_small_gpu else e.max_num_batched_tokens
    graph = e.cuda_graph_max_batch
    for tier in e.gpu_memory_tiers or []:
        if tier.below_gpu_memory_gib is None or mem_gib < tier.below_gpu_memory_gib:
            tokens = tier.chunked_prefill_size
            graph = tier.cuda_graph_max_bs_tp_4_or_more if tp >= 4 else tier.cuda_graph_max_bs_tp_below_4
            break
    if any(o.cuda_graph_max_batch is not None for o in older):  # an older release's own limit wins over the current tiers
        graph = release_graph
    if any(o.max_num_seqs is not None for o in older):  # likewise the running-request limit
        seqs = release_seqs
    # a release whose scheduler chunks prompts only above a context length (None: the profile's budget holds)
    context_rule = None
    if chunk_above is not None and chunk_tokens is not None and unchunked_min is not None:
        never = vendor == "amd" and chunk_amd is False  # the rule does not turn chunking on there: no context is long enough
        context_rule = (float("inf") if never else float(chunk_above), float(chunk_tokens), float(unchunked_min))
    kernels = {key: v for key, v in figures.items() if key in KERNEL_KEYS}
    pdl = set((pdl_groups or {}).get(architecture, ()))
    # an engine's host time per kernel was measured on NVIDIA GPUs; the framework's dispatch costs more elsewhere
    host = float((f.eager_host_factor_by_vendor or {}).get(vendor, 1.0))
    return EngineSetup(
        id=eid,
        name=e.name,
        memory_frac=e.gpu_memory_utilization_frac,
        memory_basis=e.gpu_memory_utilization_basis,
        max_running=seqs,
        max_batched_tokens=tokens,
        cuda_graph_max_batch=graph,
        iteration_overhead_s=overhead,
        eager_launch_s=(f.eager_kernel_launch_s if eager_host is None else eager_host * host),
        moe_parallel_default=e.moe_parallel_default,
        kernels=kernels,
        missing_kernels=tuple(key for key in KERNEL_KEYS if key not in kernels),
        per_sequence_overhead_s=per_sequence,
        block_fp8_kernels={key: v for key, v in figures.items() if key in BLOCK_FP8_MOE_KEYS},
        w4a16_kernels={key: v for key, v in figures.items() if key in W4A16_MOE_KEYS},
        prefill_graph_max_tokens=float("inf") if prefill_graph is None else float(prefill_graph),
        separate_prefill=e.separate_prefill_batches,
        kv_reserved_to_completion=e.kv_reserved_to_completion,
        context_budget_rule=context_rule,
        eager_launch_mla_moe_s=None if eager_host_mla_moe is None else eager_host_mla_moe * host,
        act_quant_fused_per_layer=e.act_quant_fused_inputs_per_layer,
        pdl=tuple(g in pdl for g in KERNEL_GROUPS),  # type: ignore[arg-type]
        block_fp8_gemm_k_block_s=float((untuned_gemm or {}).get(architecture, 0.0)),
        decode_attention_unit_s=e.decode_attention_unit_s.get(architecture),
        fp8_kv_decode_ratio=e.fp8_kv_decode_ratio.get(architecture),
        fused_moe_fp8_block_by_columns=_anchors(e.fused_moe_fp8_block_by_columns.get(architecture)),
        fused_moe_nvfp4_by_columns=_anchors(e.fused_moe_nvfp4_by_columns.get(architecture)),
        triton_fused_moe=f.triton_fused_moe if architecture in e.triton_fused_moe_generations and (
            version is None or e.triton_fused_moe_since is None or _release(version) >= _release(e.triton_fused_moe_since)
        ) else None,
        # (the current releases' factor is the shared [triton_fused_moe] table's, by engine)
        triton_fp8_compute_factor=release_fp8_factor if release_fp8_factor is not None else (
            None if f.triton_fused_moe is None else f.triton_fused_moe.fp8_compute_factor_by_engine.get(eid)
        ),
    )
