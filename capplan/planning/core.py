"""The one what-if core: every path that prices a scenario goes through here.

A what-if (`capplan video` / `capplan text`), a sweep cell, a Monte Carlo draw, a sensitivity run, a
validation row and a planner's per-GPU capacity all call the same functions, so they cannot disagree.
Scenarios come in as numpy arrays (one entry per scenario) over one resolved *setup* (a workload on a
GPU at a precision: the categorical choices); results go out as arrays. The scalar API is the n = 1
case.

Text: the largest continuous batch that fits in memory and meets the TTFT and TPOT targets sets
throughput. Memory is affine in the batch (closed form); iteration time grows monotonically with the
batch, so the largest batch that meets the latency targets is found by evaluating every batch size at
once for a few scenarios, or by a vectorised bisection for many (the same answer either way, since
both find the largest feasible integer). "Auto" tensor parallelism is one rule everywhere: among the
first four valid TP sizes that fit, the cheapest per token (:func:`text_auto`).

Video: the DiT model (:func:`capplan.models.dit.estimate_video`) on the clips a video is generated
as; "auto" GPU count is the smallest sequence-parallel size that fits in memory (:func:`video_auto`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from capplan.models import dit, transformer
from capplan.models.device import DeviceRates, at_peak
from capplan.models.dit import DiTArchitecture
from capplan.models.roofline import maximum, minimum, num
from capplan.models.transformer import AllReduce, EngineTerms, KernelFloors, LLMArchitecture

#: Why the batch stopped growing, by code in :attr:`TextArrays.limited_by` ("none": a fixed concurrency ran whole).
LIMITS = ("max_batch", "memory", "tpot", "ttft", "none")
#: Tensor-parallel sizes "auto" considers, smallest first, and how many of the fitting ones it prices.
AUTO_TP = (1, 2, 4, 8, 16, 32, 64)
AUTO_TP_TRIES = 4
#: Sequence-parallel sizes "auto" considers for one video.
AUTO_VIDEO_GPUS = (1, 2, 4, 8, 16, 32, 64)
# Below this many (scenario x batch size) elements every batch size is evaluated at once; above it, bisection.
GRID_ELEMENTS = 65_536


def valid_tp(a: LLMArchitecture, tp: int) -> bool:
    """Whether ``tp`` GPUs can split the model's heads: attention heads must divide evenly, and KV
    heads either divide evenly or are replicated whole (vLLM/SGLang/TensorRT-LLM's rule)."""
    if tp < 1 or a.heads % tp:
        return False
    if a.is_mla:
        return True
    return a.kv_heads % tp == 0 or tp % a.kv_heads == 0


@dataclass(frozen=True)
class TextSetup:
    """One LLM on one GPU at one precision, resolved to model inputs (SI units)."""

    arch: LLMArchitecture
    rates: DeviceRates
    weight_bytes_per_param: float
    kv_bytes: float
    usable_bytes: float  # per GPU, for weights and KV cache ("total" basis; see text_usable_bytes)
    max_batch: int  # the engine's most running requests
    floors: KernelFloors
    allreduce: Callable[[np.ndarray], AllReduce]  # the all-reduce model at each scenario's TP size
    engine: EngineTerms = EngineTerms()
    # "free_after_load" (TensorRT-LLM): the engine takes memory_frac of what the weights leave free
    memory_basis: str = "total"
    memory_bytes: float = 0.0
    memory_frac: float = 1.0
    max_batched_tokens: float = float("inf")  # tokens one iteration may hold (the chunked-prefill budget)
    engine_id: str = ""
    compute_precision: str = ""
    # iterations between the scheduler's looks for new requests (SGLang's --scheduler-recv-interval or
    # --num-continuous-decode-steps; 1: every iteration, the engines' default)
    poll_interval: int = 1
    # each running request holds KV for P + O from admission (TensorRT-LLM's GUARANTEED_NO_EVICT), not
    # its mean context P + O/2
    kv_reserved_to_completion: bool = False


def with_graph_limit(s: TextSetup, max_batch: int) -> TextSetup:
    """``s`` on a server that replays CUDA graphs for decode batches of up to ``max_batch`` sequences
    (0: none), instead of its engine's default (SGLang ``--cuda-graph-max-bs``, TensorRT-LLM
    ``cuda_graph_config.max_batch_size``); larger batches launch every kernel from the host."""
    return dataclasses.replace(s, engine=dataclasses.replace(s.engine, graph_max_batch=float(max_batch)))


def ideal_text_setup(s: TextSetup) -> TextSetup:
    """``s`` with nothing lost: every kernel at 100% of the chip's peak (:func:`capplan.models.device.at_peak`),
    no kernel floors, idle gaps or activation-quantisation kernels, no host time (overheads, eager
    launches: every iteration replays a graph) and free all-reduces. The schedule stays the engine's
    (its memory, running-request limit, token budget, prefill policy and MoE layout), so a run priced
    with it is the least time the work can take as the row states it; a measurement faster than that
    ran something the statement leaves out (prefix-cache hits, speculative decoding, another layout)."""
    e = s.engine
    free = AllReduce(ring_latency_s=0.0, custom_latency_s=0.0, custom_bytes_per_s=float("inf"))
    return dataclasses.replace(
        s,
        rates=at_peak(s.rates),
        floors=KernelFloors(),
        allreduce=lambda tp: free,
        engine=EngineTerms(expert_parallel=e.expert_parallel, attention_dp=e.attention_dp, separate_prefill=e.separate_prefill, lumpy_prefill=e.lumpy_prefill),
    )


def text_usable_bytes(s: TextSetup, weights_bytes: ArrayLike) -> Any:
    """Memory per GPU for weights and KV cache under the engine's memory setting: a share of all memory
    (vLLM, SGLang) or the weights plus a share of what they leave free (TensorRT-LLM)."""
    w = num(weights_bytes)
    if s.memory_basis == "free_after_load":
        return w + s.memory_frac * maximum(s.memory_bytes - w, 0.0)
    return float(s.usable_bytes) if type(w) is float else np.full(w.shape, float(s.usable_bytes))


def text_batch_cap(s: TextSetup, prompt_tokens: ArrayLike, output_tokens: ArrayLike) -> Any:
    """The most sequences a steady state can keep running: the engine's running-request limit, and the
    iteration token budget, which must hold each sequence's decode token plus its P / O share of the
    prompts that replace finished sequences (B (1 + P/O) <= budget)."""
    P, O = num(prompt_tokens), num(output_tokens)
    if type(P) is float and type(O) is float and O > 0:  # one scenario, on floats (np.floor: the same whole number)
        return minimum(float(s.max_batch), maximum(float(np.floor(s.max_batched_tokens / (1.0 + P / O))), 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        by_tokens = np.floor(s.max_batched_tokens / (1.0 + np.asarray(P, dtype=float) / O))
    return np.minimum(float(s.max_batch), np.maximum(by_tokens, 1.0))


@dataclass(frozen=True)
class TextArrays:
    """Steady-state serving of each scenario (arrays of one length)."""

    tp: np.ndarray
    fits: np.ndarray  # weights + one sequence at full context fit
    max_batch: np.ndarray  # 0: none fits or no batch meets the targets
    limited_by: np.ndarray  # index into LIMITS
    tokens_per_s: np.ndarray  # output tokens per second per replica (0 when max_batch = 0)
    tpot_s: np.ndarray  # at max_batch (at batch 1 when max_batch = 0)
    ttft_s: np.ndarray
    kv_cache_bytes: np.ndarray  # per GPU at max_batch
    weights_bytes: np.ndarray  # per GPU
    prefill_share: np.ndarray  # prefill's share of GPU time at max_batch (0 when max_batch = 0)
    iteration: transformer.StepCost | None = None  # by kernel group at max_batch (with_share only)

    def take(self, i: Any) -> TextArrays:
        out = {k: np.asarray(v)[i] for k, v in self.__dict__.items() if k != "iteration"}
        return TextArrays(**out, iteration=None)


def text_need_bytes(s: TextSetup, tp: ArrayLike, context_tokens: ArrayLike) -> Any:
    """Memory per GPU for the weights and one sequence at full context [bytes]: the least a replica needs.
    (This and the other memory functions give a float for Python floats, else an array.)"""
    a, dp = s.arch, s.engine.attention_dp
    # under attention data parallelism one sequence's cache lives whole on one GPU
    t = num(tp)
    shard = (1.0 if type(t) is float else np.ones_like(t)) if dp else transformer.kv_shard(a, t)
    kv = transformer.kv_bytes_per_token(a, s.kv_bytes) * num(context_tokens) / shard
    return transformer.weights_bytes_per_gpu(a, s.weight_bytes_per_param, tp, dp) + kv


def _col(x: ArrayLike, n: int) -> np.ndarray:
    """``x`` as an (n, 1) column (a scalar repeated). Cheaper than broadcast_to on the scalar path."""
    a = np.asarray(x, dtype=float)
    return a.reshape(n, 1) if a.size == n else np.full((n, 1), float(a.reshape(-1)[0]))


def _flat(x: ArrayLike, n: int) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    return a.reshape(n) if a.size == n else np.full(n, float(a.reshape(-1)[0]))


def _distinct_rows(*cols: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(the first scenario of each distinct row of the (n, 1) columns, each scenario's row), or None
    when fewer than half the rows repeat (gathering would then cost more than it saves)."""
    keys = [c.reshape(-1) for c in cols]
    n = keys[0].size
    order = np.lexsort(keys[::-1])
    new = np.ones(n, dtype=bool)
    for k in keys:
        new[1:] |= np.diff(k[order]) != 0
    m = int(new.sum())
    if 2 * m > n:
        return None
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


def _memory_batch(s: TextSetup, tp: Any, P: Any, O: Any, reserved: Any) -> tuple[Any, Any, Any, Any, Any]:
    """(weights, usable memory, whether one sequence at full context fits, the engine's batch cap, the
    most sequences memory holds) per GPU, on Python floats or on (n, 1) arrays alike."""
    a, dp = s.arch, s.engine.attention_dp
    weights = transformer.weights_bytes_per_gpu(a, s.weight_bytes_per_param, tp, dp)
    usable = text_usable_bytes(s, weights) - reserved
    fits = text_need_bytes(s, tp, P + O) <= usable
    cap = text_batch_cap(s, P, O)

    # Memory: weights + KV of b sequences at mean context, affine in b.
    def mem_ok(b: Any) -> Any:
        return weights + transformer.kv_cache_bytes_per_gpu(a, s.kv_bytes, b, P, O, tp, dp, s.kv_reserved_to_completion) <= usable

    per_seq = transformer.kv_cache_bytes_per_gpu(a, s.kv_bytes, 1.0, P, O, tp, dp, s.kv_reserved_to_completion)
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.floor(np.divide(usable - weights, per_seq))
    b = minimum(maximum(float(room) if type(per_seq) is float else room, 0.0), cap)
    if type(b) is float:  # the round-off at the boundary below, on floats (numpy's & and ~ are not Python's)
        if b < cap and mem_ok(b + 1):
            b += 1
        if b > 0 and not mem_ok(b):
            b -= 1
        return weights, usable, fits, cap, b
    b = np.where(mem_ok(b + 1) & (b < cap), b + 1, b)  # round-off at the boundary
    b = np.where((b > 0) & ~mem_ok(b), b - 1, b)
    return weights, usable, fits, cap, b


def text_capacity(
    s: TextSetup,
    *,
    tp: ArrayLike,
    prompt_tokens: ArrayLike,
    output_tokens: ArrayLike,
    ttft_ms: ArrayLike = np.inf,
    tpot_ms: ArrayLike = np.inf,
    reserved_bytes: ArrayLike = 0.0,
    with_share: bool = True,
) -> TextArrays:
    """Serving capacity at the largest batch that fits and meets the targets (inf: no target).

    ``reserved_bytes``: memory per GPU kept for something else (a co-resident video model in a plan).
    One scenario (a what-if) is priced on Python floats (:func:`_capacity_one`), many as arrays.
    """
    given = (tp, prompt_tokens, output_tokens, ttft_ms, tpot_ms, reserved_bytes)
    if all(type(x) is float or type(x) is int for x in given):  # (numbers as a what-if passes them)
        f: Any = float
        return _capacity_one(s, f(tp), f(prompt_tokens), f(output_tokens), f(ttft_ms), f(tpot_ms), f(reserved_bytes), with_share)
    n = int(np.broadcast(*(np.asarray(x) for x in given)).size)
    tp_c, P, O = _col(tp, n), _col(prompt_tokens, n), _col(output_tokens, n)
    ttft, tpot = _col(ttft_ms, n), _col(tpot_ms, n)
    if n == 1:
        return _capacity_one(s, tp_c.item(), P.item(), O.item(), ttft.item(), tpot.item(), _col(reserved_bytes, n).item(), with_share)
    a, dp = s.arch, s.engine.attention_dp
    reserved = _col(reserved_bytes, n)
    # (one TP size for every scenario, the common case: one all-reduce model of plain numbers)
    one_tp = tp_c[0, 0] if tp_c.min() == tp_c.max() else None
    ar = s.allreduce(tp_c if one_tp is None else np.asarray(one_tp))
    # A grid that varies only targets or prices repeats its (P, O) rows: the memory bound and the
    # iteration terms depend on nothing else, so they are built once per distinct row and gathered.
    rows = _distinct_rows(P, O, reserved) if one_tp is not None and not with_share else None
    if rows is None:
        pick: Any = lambda x: x  # noqa: E731
        tp_u, P_u, O_u, res_u = tp_c, P, O, reserved
    else:
        first, inverse = rows
        pick = lambda x: x[inverse] if isinstance(x, np.ndarray) and x.ndim else x  # noqa: E731
        tp_u, P_u, O_u, res_u = tp_c[first], P[first], O[first], reserved[first]
    weights, usable, fits, cap, b_mem = (pick(x) for x in _memory_batch(s, tp_u, P_u, O_u, res_u))

    rates = s.rates
    kw = dict(weight_bytes_per_param=s.weight_bytes_per_param, kv_bytes=s.kv_bytes, tp=tp_u, allreduce=ar, floors=s.floors, engine=s.engine)
    # (the steady state's prefill and decode parts are only needed for the prefill share)
    lumpy = s.engine.separate_prefill or s.engine.lumpy_prefill
    stacked = transformer.serving_terms_stacked(a, rates, prompt_tokens=P_u, output_tokens=O_u, mixes=4 if with_share or lumpy else 2, **kw)  # type: ignore[arg-type]
    pre_part, dec_part = (stacked.part(2), stacked.part(3)) if lumpy else (None, None)
    steady = transformer.steady_of(stacked.part(0), stacked.part(1), pre_part, dec_part, O_u, s.engine)
    terms = steady if rows is None else steady.part(rows[1])
    prefill_s = pick(stacked.part(1).time_s(1.0))

    def lat_ok(b: np.ndarray) -> np.ndarray:
        t = terms.time_s(b)
        return (t * 1e3 <= tpot) & (transformer.time_to_first_token_s(prefill_s, t, b, s.poll_interval) * 1e3 <= ttft)

    top = int(b_mem.max(initial=0))
    if n * top <= GRID_ELEMENTS:
        grid = np.arange(1, top + 1, dtype=float)[None, :]
        ok = lat_ok(grid) & (grid <= b_mem)
        n_ok = np.where(ok.all(axis=1), top, np.argmin(ok, axis=1))[:, None].astype(float) if top else np.zeros((n, 1))
    else:
        lo, hi = np.zeros((n, 1)), b_mem.copy()
        while (lo < hi).any():
            mid = np.floor((lo + hi + 1) / 2)
            good = lat_ok(np.maximum(mid, 1.0))
            lo, hi = np.where(good & (lo < hi), mid, lo), np.where(~good & (lo < hi), mid - 1, hi)
        n_ok = lo
    # why the batch stops at n_ok: the next batch breaks memory, else TPOT, else TTFT
    nxt = n_ok + 1
    max_batch = np.where(fits, n_ok, 0.0)
    k = np.maximum(max_batch, 1.0)
    # (scales are stacked on new LEADING axes: numpy then runs each operation as long inner loops over the
    # scenarios; a trailing axis of 2 would make it loop over pairs, ten times slower)
    if with_share and lumpy:
        t_k, t_next = terms.time_s(k), terms.time_s(nxt)
        dec = _decode_alone_s(terms, None, k)
    elif with_share:
        # one evaluation of the four stacked iterations: the steady state at k and k + 1, and its decode part alone at k
        one = np.ones_like(k)
        times = stacked.time_s(np.stack([np.stack([k, one, k, k]), np.stack([nxt, one, k, k])]))
        t_k, t_next, dec = times[0, 0], times[1, 0], times[0, 3]
    else:
        times = terms.time_s(np.stack([k, nxt]))
        t_k, t_next = times[0], times[1]
    limited = np.where(
        n_ok >= cap, 0, np.where(nxt > b_mem, 1, np.where(t_next * 1e3 > tpot, 2, 3))
    )
    limited = np.where(fits, limited, 1)
    served = max_batch > 0
    iteration = terms.at(k) if with_share else None
    share = np.where(served, _prefill_share(t_k, dec), 0.0) if with_share else np.zeros_like(t_k)
    flat = lambda x: _flat(x, n)  # noqa: E731
    return TextArrays(
        tp=flat(tp_c),
        fits=np.broadcast_to(fits, (n, 1)).reshape(n),
        max_batch=flat(max_batch).astype(int),
        limited_by=np.broadcast_to(limited, (n, 1)).reshape(n).astype(int),
        tokens_per_s=flat(np.where(served, k / t_k, 0.0)),
        tpot_s=flat(t_k),
        ttft_s=flat(transformer.time_to_first_token_s(prefill_s, t_k, max_batch, s.poll_interval)),
        kv_cache_bytes=flat(np.where(served, transformer.kv_cache_bytes_per_gpu(a, s.kv_bytes, k, P, O, tp_c, dp, s.kv_reserved_to_completion), 0.0)),
        weights_bytes=flat(weights),
        prefill_share=flat(share),
        iteration=iteration,
    )


def _capacity_one(s: TextSetup, tp: float, P: float, O: float, ttft: float, tpot: float, reserved: float, with_share: bool) -> TextArrays:
    """:func:`text_capacity` of ONE scenario, on Python floats: the same model functions and the same
    steps (the memory bound, the largest batch that meets the targets, why it stops there), found by
    bisection over the batch sizes rather than on a grid (the latency test is monotone in the batch,
    which the array path's bisection relies on too, so both give the largest batch that passes).
    Python float arithmetic is the IEEE arithmetic of numpy's elementwise operations, so the numbers
    are those of the array path: tests/planning/test_scalar_path.py holds the two together."""
    a, dp = s.arch, s.engine.attention_dp
    weights, usable, fits, cap, b_mem = _memory_batch(s, tp, P, O, reserved)
    mixed, prefill, pre_part, dec_part = transformer.serving_terms_floats(
        a, s.rates, prompt_tokens=P, output_tokens=O, weight_bytes_per_param=s.weight_bytes_per_param, kv_bytes=s.kv_bytes, tp=tp,
        allreduce=s.allreduce(np.asarray(tp)), floors=s.floors, engine=s.engine,
    )
    terms = transformer.steady_of(mixed, prefill, pre_part, dec_part, O, s.engine)
    prefill_s = prefill.time_s(1.0)

    def lat_ok(b: float) -> bool:
        t = terms.time_s(b)
        return bool(t * 1e3 <= tpot and transformer.time_to_first_token_s(prefill_s, t, b, s.poll_interval) * 1e3 <= ttft)

    lo, hi = 0, int(b_mem)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if lat_ok(float(mid)):
            lo = mid
        else:
            hi = mid - 1
    n_ok = float(lo)
    # why the batch stops at n_ok: the next batch breaks memory, else TPOT, else TTFT
    nxt = n_ok + 1
    max_batch = n_ok if fits else 0.0
    k = max(max_batch, 1.0)
    t_k, t_next = terms.time_s(k), terms.time_s(nxt)
    limited = 1 if not fits else 0 if n_ok >= cap else 1 if nxt > b_mem else 2 if t_next * 1e3 > tpot else 3  # LIMITS codes
    served = max_batch > 0
    iteration = terms.at(k) if with_share else None
    share = 0.0
    if with_share and served:
        share = float(_prefill_share(t_k, _decode_alone_s(terms, dec_part, k)))

    def one(v: Any) -> np.ndarray:
        return np.array([v], dtype=float)

    return TextArrays(
        tp=one(tp),
        fits=np.array([bool(fits)]),
        max_batch=np.array([int(max_batch)]),
        limited_by=np.array([limited]),
        tokens_per_s=one(k / t_k if served else 0.0),
        tpot_s=one(t_k),
        ttft_s=one(transformer.time_to_first_token_s(prefill_s, t_k, float(max_batch), s.poll_interval)),
        kv_cache_bytes=one(transformer.kv_cache_bytes_per_gpu(a, s.kv_bytes, k, P, O, tp, dp, s.kv_reserved_to_completion) if served else 0.0),
        weights_bytes=one(weights),
        prefill_share=one(share),
        iteration=iteration,
    )


def text_auto(
    s: TextSetup,
    *,
    candidates: tuple[int, ...],
    prompt_tokens: ArrayLike,
    output_tokens: ArrayLike,
    ttft_ms: ArrayLike = np.inf,
    tpot_ms: ArrayLike = np.inf,
    reserved_bytes: ArrayLike = 0.0,
    with_share: bool = True,
) -> TextArrays:
    """The cheapest tensor-parallel size per scenario among the first :data:`AUTO_TP_TRIES` of
    ``candidates`` (valid sizes, ascending) that fit; more GPUs per replica buy memory for a larger
    batch and cut latency at the price of all-reduces. Cost per token is proportional to TP / tokens
    per second, so no price is needed. When none fits: the largest candidate (flagged as not fitting);
    when none meets the targets: the first that fits."""
    n = int(np.broadcast(np.asarray(prompt_tokens), np.asarray(output_tokens), np.asarray(ttft_ms), np.asarray(tpot_ms), np.asarray(reserved_bytes)).size)
    c = len(candidates)
    b = lambda x: np.broadcast_to(np.asarray(x, dtype=float), (n,))  # noqa: E731
    P, O, reserved = b(prompt_tokens), b(output_tokens), b(reserved_bytes)
    # Which (candidate, scenario) pairs to price: the first AUTO_TP_TRIES that fit (closed form), or
    # the largest candidate when none fits. Only those go through the batch search.
    cand = np.asarray(candidates, dtype=float)[:, None]
    usable = text_usable_bytes(s, transformer.weights_bytes_per_gpu(s.arch, s.weight_bytes_per_param, cand, s.engine.attention_dp))
    fits = text_need_bytes(s, cand, (P + O)[None, :]) <= usable - reserved[None, :]
    eligible = fits & (np.cumsum(fits, axis=0) <= AUTO_TP_TRIES)
    eligible[-1] |= ~fits.any(axis=0)
    ci, si = np.nonzero(eligible)
    r = text_capacity(
        s, tp=cand[ci, 0], prompt_tokens=P[si], output_tokens=O[si], ttft_ms=b(ttft_ms)[si], tpot_ms=b(tpot_ms)[si],
        reserved_bytes=reserved[si], with_share=with_share,
    )
    tps = np.zeros((c, n))
    tps[ci, si] = r.tokens_per_s
    where = np.full((c, n), -1)
    where[ci, si] = np.arange(len(ci))
    priced = eligible & (tps > 0)
    with np.errstate(divide="ignore"):
        score = np.where(priced, cand / np.where(tps > 0, tps, 1.0), np.inf)
    pick = np.where(priced.any(axis=0), np.argmin(score, axis=0), np.argmax(eligible, axis=0))
    return r.take(where[pick, np.arange(n)])


def _decode_alone_s(terms: transformer.SteadyTerms, dec_part: transformer.StepTerms | None, k: Any) -> Any:
    """The steady state's decode work alone at batch ``k`` [s]: the iteration the batch would run with
    no prompts arriving."""
    if isinstance(terms, (transformer.SeparatePrefillTerms, transformer.MixedPrefillTerms)):
        return terms.decode.time_s(k)
    assert dec_part is not None
    return dec_part.time_s(k)


def _prefill_share(iteration_s: Any, decode_alone_s: Any) -> Any:
    """Prefill's share of GPU time: the time prompts ADD to the decode iteration the batch runs anyway,
    over the iteration's time. Decode is charged the weight reads, launches and collectives it needs
    alone; a prompt that rides along in a weight-bound step costs only its own work."""
    return np.clip(1.0 - decode_alone_s / iteration_s, 0.0, 1.0)


def text_fixed(
    s: TextSetup, *, tp: ArrayLike, concurrency: ArrayLike, prompt_tokens: ArrayLike, output_tokens: ArrayLike,
    reserved_bytes: ArrayLike = 0.0, with_share: bool = True,
) -> TextArrays:
    """Serving with ``concurrency`` requests in flight (a closed-loop benchmark at fixed concurrency):
    the engine runs as many of them as memory and its limits allow (the rest wait, which this leaves
    out of TTFT), and throughput, TPOT and TTFT follow at that batch."""
    n = int(np.broadcast(np.asarray(tp), np.asarray(concurrency), np.asarray(prompt_tokens), np.asarray(output_tokens), np.asarray(reserved_bytes)).size)
    most = text_capacity(s, tp=tp, prompt_tokens=prompt_tokens, output_tokens=output_tokens, reserved_bytes=reserved_bytes, with_share=False)
    want = np.broadcast_to(np.asarray(concurrency, dtype=float), (n,))
    batch = np.minimum(want, most.max_batch.astype(float))
    limited = np.where(batch < want, most.limited_by, LIMITS.index("none"))
    served = batch > 0
    k = np.maximum(batch, 1.0)
    b = lambda x: np.broadcast_to(np.asarray(x, dtype=float), (n,))  # noqa: E731
    tp_a, P, O = b(tp), b(prompt_tokens), b(output_tokens)
    kw = dict(weight_bytes_per_param=s.weight_bytes_per_param, kv_bytes=s.kv_bytes, tp=tp_a, allreduce=s.allreduce(tp_a), floors=s.floors, engine=s.engine)
    mixed, prompt_terms, pre_part, dec_part = transformer.serving_terms(s.arch, s.rates, prompt_tokens=P, output_tokens=O, **kw)  # type: ignore[arg-type]
    terms = transformer.steady_of(mixed, prompt_terms, pre_part, dec_part, O, s.engine)
    t_k = terms.time_s(k)
    prefill_s = prompt_terms.time_s(1.0)
    share = np.zeros(n)
    if with_share and served.any():
        share = np.where(served, _prefill_share(t_k, _decode_alone_s(terms, dec_part, k)), 0.0)
    dp = s.engine.attention_dp
    return TextArrays(
        tp=tp_a.copy(),
        fits=most.fits,
        max_batch=np.where(most.fits, batch, 0.0).astype(int),
        limited_by=np.where(most.fits, limited, LIMITS.index("memory")).astype(int),
        tokens_per_s=np.where(served & most.fits, k / t_k, 0.0),
        tpot_s=b(t_k),
        ttft_s=b(transformer.time_to_first_token_s(prefill_s, t_k, batch, s.poll_interval)),
        kv_cache_bytes=np.where(served, transformer.kv_cache_bytes_per_gpu(s.arch, s.kv_bytes, k, P, O, tp_a, dp, s.kv_reserved_to_completion), 0.0),
        weights_bytes=most.weights_bytes,
        prefill_share=b(share),
    )


def text_at_batch(
    s: TextSetup, *, tp: ArrayLike, batch: ArrayLike, prompt_tokens: ArrayLike, output_tokens: ArrayLike
) -> tuple[transformer.StepCost, transformer.StepCost]:
    """(steady-state iteration, one prompt's prefill) at a fixed number of sequences in flight, by
    kernel group: what a benchmark at fixed concurrency measures."""
    kw = dict(
        weight_bytes_per_param=s.weight_bytes_per_param, kv_bytes=s.kv_bytes, tp=tp, allreduce=s.allreduce(np.asarray(tp, dtype=float)), floors=s.floors,
        engine=s.engine,
    )
    it = transformer.steady_state_terms(s.arch, s.rates, prompt_tokens=prompt_tokens, output_tokens=output_tokens, **kw).at(batch)  # type: ignore[arg-type]
    pre = transformer.prompt_prefill_terms(s.arch, s.rates, prompt_tokens=prompt_tokens, **kw).at(1.0)  # type: ignore[arg-type]
    return it, pre


def text_cost_per_million(arrays: TextArrays, usd_per_gpu_hour: ArrayLike, prompt_tokens: ArrayLike, output_tokens: ArrayLike) -> dict[str, np.ndarray]:
    """USD per million tokens (input + output blended, output only, input only) from a capacity; NaN
    where nothing is served. The input/output split follows the GPU time prefill and decode take."""
    tps = arrays.tokens_per_s
    P, O = np.asarray(prompt_tokens, dtype=float), np.asarray(output_tokens, dtype=float)
    usd_per_s = arrays.tp * np.asarray(usd_per_gpu_hour, dtype=float) / 3600.0
    served = tps > 0
    every = bool(served.all())  # (then no division by zero and no NaN to put in: a what-if's usual case)
    with np.errstate(divide="ignore", invalid="ignore") if not every else contextlib.nullcontext():
        out_per_s, in_per_s = tps, tps * P / O
        costs = {
            "all": usd_per_s / (out_per_s + in_per_s) * 1e6,
            "output": usd_per_s * (1 - arrays.prefill_share) / out_per_s * 1e6,
            "input": usd_per_s * arrays.prefill_share / in_per_s * 1e6,
        }
        return costs if every else {k: np.where(served, v, np.nan) for k, v in costs.items()}


# --- video ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoSetup:
    """One DiT on one GPU at one precision, resolved to model inputs."""

    arch: DiTArchitecture
    rates: DeviceRates
    weight_bytes_per_param: float
    offload: str
    causal_first_frame: bool


@dataclass(frozen=True)
class VideoArrays:
    """One video per scenario: the estimate of the clip(s) it is generated as, and totals."""

    gpus: np.ndarray
    frames: np.ndarray
    video_s: np.ndarray
    n_clips: np.ndarray  # clips generated (1 for one sequence)
    estimate: dit.VideoEstimate  # of one clip (or the one sequence)
    time_s: np.ndarray  # the whole video
    gpu_seconds: np.ndarray
    fits: np.ndarray

    def take(self, i: Any) -> VideoArrays:
        est = dit.VideoEstimate(**{k: np.broadcast_to(np.asarray(v), self.gpus.shape)[i] for k, v in self.estimate.__dict__.items()})
        rest = {k: np.asarray(v)[i] for k, v in self.__dict__.items() if k != "estimate"}
        return VideoArrays(estimate=est, **rest)


def video_frames(causal_first_frame: bool, fps: ArrayLike, *, frames: ArrayLike | None = None, seconds: ArrayLike | None = None, default_frames: float) -> np.ndarray:
    """Frames to generate: given, from seconds (NaN: the default), or the model's default."""
    if frames is not None:
        return np.asarray(frames, dtype=float)
    if seconds is None:
        return np.asarray(default_frames, dtype=float)
    sec = np.asarray(seconds, dtype=float)
    return np.where(np.isnan(sec), float(default_frames), dit.frames_for_seconds(np.nan_to_num(sec), fps, causal_first_frame))


def video_estimate(
    s: VideoSetup,
    *,
    gpus: ArrayLike,
    width_px: ArrayLike,
    height_px: ArrayLike,
    frames: ArrayLike,
    fps: ArrayLike,
    steps: ArrayLike,
    cfg: ArrayLike,
    clip_seconds: ArrayLike,
    one_sequence: ArrayLike = False,
) -> VideoArrays:
    """A video longer than ``clip_seconds`` is generated as consecutive clips (cost linear in length)
    unless ``one_sequence``."""
    shape = np.broadcast(*(np.asarray(x) for x in (gpus, width_px, height_px, frames, fps, steps, cfg, clip_seconds, one_sequence))).shape
    b = lambda x: np.broadcast_to(np.asarray(x, dtype=float), shape)  # noqa: E731
    frames_a, fps_a, clip_s = b(frames), b(fps), b(clip_seconds)
    lead = 1.0 if s.causal_first_frame else 0.0
    video_s = np.maximum(frames_a - lead, 1.0) / fps_a
    n_c = dit.clips_needed(video_s, clip_s, fps_a)
    as_clips = (n_c > 1) & ~np.broadcast_to(np.asarray(one_sequence, dtype=bool), shape)
    clip_frames = np.where(as_clips, dit.frames_for_seconds(clip_s, fps_a, s.causal_first_frame), frames_a)
    n_clips = np.where(as_clips, n_c, 1.0)
    est = dit.estimate_video(
        s.arch, s.rates, width_px=b(width_px), height_px=b(height_px), frames=clip_frames, steps=b(steps),
        cfg=np.broadcast_to(np.asarray(cfg, dtype=bool), shape), n_gpus=b(gpus), weight_bytes_per_param=s.weight_bytes_per_param, offload=s.offload,
    )
    time_s = np.asarray(est.time_s, dtype=float) * n_clips
    return VideoArrays(
        gpus=b(gpus), frames=frames_a, video_s=video_s, n_clips=n_clips, estimate=est, time_s=time_s,
        gpu_seconds=np.asarray(est.gpu_seconds, dtype=float) * n_clips, fits=np.broadcast_to(np.asarray(est.fits_in_memory, dtype=bool), shape),
    )


def video_auto(s: VideoSetup, *, candidates: tuple[int, ...], **kw: ArrayLike) -> VideoArrays:
    """The smallest sequence-parallel size in ``candidates`` at which the video fits (the largest
    when none does, flagged as not fitting)."""
    shape = np.broadcast(*(np.asarray(v) for v in kw.values())).shape
    n = int(np.prod(shape))
    c = len(candidates)
    stacked = {k: np.tile(np.broadcast_to(np.asarray(v), shape).reshape(n), c) for k, v in kw.items()}
    r = video_estimate(s, gpus=np.repeat(np.asarray(candidates, dtype=float), n), **stacked)
    fits = r.fits.reshape(c, n)
    pick = np.where(fits.any(axis=0), np.argmax(fits, axis=0), c - 1)
    return r.take(pick * n + np.arange(n))
