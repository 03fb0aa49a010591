"""A burst of requests priced by the core's iteration model: how long N requests sent at once take.

:func:`capplan.models.burst.burst_schedule` gives every iteration's expected decode batch, prefill
tokens and context; this prices all of them in one pass with the same iteration model the steady
state uses (:func:`capplan.models.transformer.step_terms`, the setup's kernels, floors, engine
overheads and all-reduce), so a burst and a what-if at the same settings cannot disagree about what
an iteration costs. Each iteration is priced as its decode batch times a per-sequence mix, so the
CUDA-graph limit and expert routing see the real batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capplan.models import transformer
from capplan.models.burst import BurstSchedule, burst_schedule
from capplan.planning.core import TextSetup, text_capacity


@dataclass(frozen=True)
class BurstEstimate:
    """A burst on one replica (SI units)."""

    duration_s: float  # first request in to last token out
    output_tokens_per_s: float  # output tokens of all requests over the duration
    mean_ttft_s: float  # sending (time 0 without a concurrency limit) to first token, averaged over requests
    mean_tpot_s: float  # (E2E - TTFT) / (output tokens - 1), averaged over the requests with two or more
    iterations: float
    schedule: BurstSchedule


def text_burst(
    s: TextSetup,
    *,
    tp: int,
    requests: float,
    prompt_tokens: float,
    output_tokens: float,
    lengths: str = "fixed",
    max_output_tokens: float | None = None,
    concurrency: float | None = None,
) -> BurstEstimate | None:
    """``requests`` prompts sent to one replica of ``tp`` GPUs (None: one sequence does not fit): all
    at once, or by a closed-loop client that keeps ``concurrency`` in flight (a serving benchmark's
    ``--max-concurrency``, warm-up and drain included).

    The running-request limit is what a steady state at these lengths can hold (the engine's limit, its
    token budget and the KV cache, :func:`capplan.planning.core.text_capacity`). A request's time to
    first token runs from when the client sends it, so waiting in the engine's queue counts and waiting
    for a slot of the client's concurrency does not."""
    cap = text_capacity(s, tp=tp, prompt_tokens=prompt_tokens, output_tokens=output_tokens, with_share=False)
    if not bool(cap.fits[0]) or cap.max_batch[0] <= 0:
        return None
    sched = burst_schedule(
        requests, prompt_tokens, output_tokens, max_running=float(cap.max_batch[0]), token_budget=float(s.max_batched_tokens),
        lengths=lengths, max_output_tokens=max_output_tokens, concurrency=concurrency,
        poll_interval=s.poll_interval,
    )
    t, with_prompt = iteration_times_s(s, tp=tp, prompt_tokens=prompt_tokens, schedule=sched)
    spent = sched.runs * t
    duration = float(spent.sum())
    start = np.cumsum(spent) - spent  # start of each iteration
    # a first token comes at the end of an iteration that carries its prompt, whatever the expected one
    ttft = float(sched.first_tokens @ (start + with_prompt) - sched.sent @ start) / sched.requests
    tpot = mean_tpot_s(sched, spent)
    return BurstEstimate(
        duration_s=duration,
        output_tokens_per_s=sched.requests * sched.output_tokens / duration,
        mean_ttft_s=ttft,
        mean_tpot_s=tpot,
        iterations=sched.iterations,
        schedule=sched,
    )


def mean_tpot_s(sched: BurstSchedule, spent: np.ndarray) -> float:
    """The run's mean time per output token as vLLM's and SGLang's benchmarks compute it [s]: for each
    request with two or more output tokens, (E2E - TTFT) / (output tokens - 1), averaged over those
    requests (NaN when none has two). ``spent``: each iteration's expected time.

    A request whose first token comes in iteration b and that emits l tokens decodes in iterations
    b + 1 .. b + l - 1, which take S[b + l] - S[b + 1] (S: the clock at the start of each iteration).
    Summed over the cohorts b (their first tokens) and weighted by P(l), the sums over b are the
    cross-correlation C[m] = sum_b births[b] S[b + m], computed for every m at once by FFT. With fixed
    lengths this equals the mean over decoded tokens; with long-tailed ones the short requests, whose few
    steps fall among the run's prefills, weigh as much as the long ones."""
    births, pmf = sched.first_tokens, sched.length_pmf
    W = pmf.size
    weight = pmf[1:].sum()
    total = float(births.sum())
    if W < 2 or weight <= 0.0 or total <= 0.0:
        return float("nan")
    K = births.size
    S = np.concatenate([[0.0], np.cumsum(spent)])  # S[j]: start of iteration j
    S = np.concatenate([S, np.full(W + 1, S[-1])])  # (nothing runs after the run ends)
    # C[m] = sum_b births[b] S[b + m], m = 0 .. W, by FFT over blocks of cohorts (memory bounded by the
    # block, not the run: a run may have millions of iterations)
    C = np.zeros(W + 1)
    step = max(1 << 16, W)
    for b0 in range(0, K, step):
        x, y = births[b0 : b0 + step], S[b0 : b0 + step + W + 1]
        n = 1 << int(np.ceil(np.log2(x.size + y.size)))
        C += np.fft.irfft(np.conj(np.fft.rfft(x, n)) * np.fft.rfft(y, n), n)[: W + 1]
    lengths = np.arange(2, W + 1)
    per_request = (C[lengths] - C[1]) / (lengths - 1)
    return float(pmf[1:] @ per_request / (weight * total))


def iteration_times_s(s: TextSetup, *, tp: int, prompt_tokens: float, schedule: BurstSchedule) -> tuple[np.ndarray, np.ndarray]:
    """(expected time of each iteration of ``schedule`` when it runs, its time when it carries a prompt) [s].

    Prompts come whole: a fluid share of a prompt in an iteration (the schedule's expected prefill
    tokens, below one prompt or chunk) is that chance of the iteration carrying one, and the rest of
    the time it only decodes, as in the steady state's lumpy prefill terms. An iteration that carries
    a prompt runs it beside its decodes (vLLM, TensorRT-LLM) or as a prefill batch of its own before
    them (an engine with ``separate_prefill``, SGLang). An iteration with prompt tokens replays a graph
    only if all its tokens fit the engine's largest prefill graph; a decode-only one, if its batch fits
    the largest decode graph."""
    P = float(prompt_tokens)
    dec, pre, seqs = schedule.decode_tokens, schedule.prefill_tokens, schedule.prefill_sequences
    lump = np.where(pre > 0, np.maximum(pre, np.minimum(P, np.maximum(float(s.max_batched_tokens) - dec, 1.0))), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(lump > 0, pre / lump, 0.0)
        lump_seqs = np.where(share > 0, seqs / share, 0.0)
    ctx, none = schedule.decode_context, np.zeros_like(dec)
    decode_only = np.where(dec > 0, _priced(s, tp, P, dec, ctx, none, none), 0.0)
    if s.engine.separate_prefill:
        with_prompt = decode_only + np.where(lump > 0, _priced(s, tp, P, none, ctx, lump, lump_seqs), 0.0)
    else:
        with_prompt = np.where(lump > 0, _priced(s, tp, P, dec, ctx, lump, lump_seqs), decode_only)
    return share * with_prompt + (1.0 - share) * decode_only, with_prompt


def _priced(s: TextSetup, tp: int, P: float, dec: np.ndarray, ctx: np.ndarray, pre: np.ndarray, seqs: np.ndarray) -> np.ndarray:
    """Time of iterations of ``dec`` decoding sequences (mean context ``ctx``) and ``pre`` prompt tokens
    ending ``seqs`` prompts [s], each priced as its decode batch (at least one) times a per-sequence mix,
    so that the CUDA-graph limit and expert routing see the real batch."""
    scale = np.maximum(dec, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # (an empty iteration's limit is never read: it holds no prompt)
        graph = s.engine.graph_max_scale((dec + pre) / scale, pre > 0)
    terms = transformer.step_terms(
        s.arch, s.rates,
        decode_tokens=dec / scale, decode_context=ctx, prefill_tokens=pre / scale, prefill_context=P / 2.0, prefill_sequences=seqs / scale,
        weight_bytes_per_param=s.weight_bytes_per_param, kv_bytes=s.kv_bytes, tp=tp,
        allreduce=s.allreduce(np.asarray(float(tp))), floors=s.floors, engine=s.engine, graph_max_scale=graph,
    )
    return np.asarray(terms.time_s(scale), dtype=float)
