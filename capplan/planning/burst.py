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
    mean_ttft_s: float  # arrival (time 0) to first token, averaged over requests
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
) -> BurstEstimate | None:
    """``requests`` prompts sent at once to one replica of ``tp`` GPUs (None: one sequence does not fit).

    The running-request limit is what a steady state at these lengths can hold (the engine's limit, its
    token budget and the KV cache, :func:`capplan.planning.core.text_capacity`)."""
    cap = text_capacity(s, tp=tp, prompt_tokens=prompt_tokens, output_tokens=output_tokens, with_share=False)
    if not bool(cap.fits[0]) or cap.max_batch[0] <= 0:
        return None
    sched = burst_schedule(
        requests, prompt_tokens, output_tokens, max_running=float(cap.max_batch[0]), token_budget=float(s.max_batched_tokens),
        lengths=lengths, max_output_tokens=max_output_tokens,
    )
    t = iteration_times_s(s, tp=tp, prompt_tokens=prompt_tokens, schedule=sched)
    spent = sched.runs * t
    duration = float(spent.sum())
    clock = np.cumsum(spent)  # end of each iteration
    ttft = float(sched.first_tokens @ clock) / sched.requests
    return BurstEstimate(
        duration_s=duration,
        output_tokens_per_s=sched.requests * sched.output_tokens / duration,
        mean_ttft_s=ttft,
        iterations=sched.iterations,
        schedule=sched,
    )


def iteration_times_s(s: TextSetup, *, tp: int, prompt_tokens: float, schedule: BurstSchedule) -> np.ndarray:
    """Time of each iteration of ``schedule`` when it runs [s]. An iteration with prompt tokens replays a
    graph only if all its tokens fit the engine's largest prefill graph; a decode-only one, if its batch
    fits the largest decode graph."""
    scale = np.maximum(schedule.decode_tokens, 1.0)
    tokens = schedule.decode_tokens + schedule.prefill_tokens
    with np.errstate(divide="ignore", invalid="ignore"):  # (an empty iteration's limit is never read: it holds no prompt)
        graph = s.engine.graph_max_scale(tokens / scale, schedule.prefill_tokens > 0)
    terms = transformer.step_terms(
        s.arch, s.rates,
        decode_tokens=schedule.decode_tokens / scale, decode_context=schedule.decode_context,
        prefill_tokens=schedule.prefill_tokens / scale, prefill_context=prompt_tokens / 2.0,
        prefill_sequences=schedule.prefill_sequences / scale,
        weight_bytes_per_param=s.weight_bytes_per_param, kv_bytes=s.kv_bytes, tp=tp,
        allreduce=s.allreduce(np.asarray(float(tp))), floors=s.floors, engine=s.engine, graph_max_scale=graph,
    )
    return np.asarray(terms.time_s(scale), dtype=float)
