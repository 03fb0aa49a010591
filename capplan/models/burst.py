"""A burst of requests through a continuous-batching engine: the iteration-by-iteration schedule.

Serving benchmarks often send every request at once (``vllm bench serve --request-rate inf``,
offline ``LLM.generate`` over a list of prompts) and report total output tokens over the whole run.
That run is not the steady state :func:`capplan.models.transformer.steady_state_terms` describes: it
starts with a wave of prefills and ends with a drain in which fewer and fewer sequences decode, each
iteration still reading every weight. When output lengths vary, the run lasts until the longest
output is done, which for N requests is about ln N mean lengths (exponential lengths) and can be
several times the mean.

:func:`burst_schedule` gives the expected number of decoding sequences, prefill tokens and mean
context of every iteration under a fluid model of the scheduler that vLLM, SGLang and TensorRT-LLM
share: each iteration every running sequence decodes one token; the rest of the iteration's token
budget (the chunked-prefill size) prefills waiting prompts, first come first served, while running
plus prefilling requests stay within the engine's running-request limit; a prompt's last prefill chunk
emits its first output token. The schedule does not depend on how long iterations take, so it is
computed once and priced in one vectorised pass (:mod:`capplan.planning.burst`).

Output lengths, when only their mean is known:

- ``"fixed"``: every request emits the mean (random-token datasets with a set output length and EOS
  ignored, or benchmarks that fix lengths);
- ``"uniform"``: uniform on 1 .. ``max_output_tokens`` (``random_range_ratio 0`` in SGLang's and
  vLLM's random datasets draws lengths this way);
- ``"exponential"``: geometric lengths with that mean (each emitted token ends the request with
  probability 1 / mean), cut at ``max_output_tokens``. It is the maximum-entropy distribution for
  a known mean on positive lengths, and the shape of a constant per-token chance of emitting EOS;
  chat datasets such as ShareGPT have long-tailed output lengths of this kind (Kwon et al., "Efficient
  Memory Management for Large Language Model Serving with PagedAttention", SOSP 2023, fig. 11).

The tail of the drain is where fluid counts drop below one sequence: an iteration then runs with
probability 1 - exp(-n) (n expected sequences alive, Poisson), at the batch it has when it runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LENGTHS = ("fixed", "uniform", "exponential")
# Below this many expected sequences alive the run is over (a 1e-4 chance that one more iteration runs).
_DONE = 1e-4


@dataclass(frozen=True)
class BurstSchedule:
    """Expected work of each iteration of a burst (arrays over iterations)."""

    decode_tokens: np.ndarray  # sequences decoding (one token each), given that the iteration runs
    decode_context: np.ndarray  # their mean context [tokens]
    prefill_tokens: np.ndarray  # prompt tokens prefilled, given that the iteration runs
    prefill_sequences: np.ndarray  # prompts whose prefill ends in the iteration (they emit a first token)
    runs: np.ndarray  # probability that the iteration runs at all (1 until the tail of the drain)
    first_tokens: np.ndarray  # expected requests that get their first token in the iteration
    requests: float
    output_tokens: float  # expected output tokens per request (after any cut)

    @property
    def iterations(self) -> float:
        """Expected number of iterations the burst takes."""
        return float(self.runs.sum())


def _hazard(lengths: str, mean: float, cap: int) -> np.ndarray:
    """Chance that a request ends right after emitting its a-th token, for a = 1..cap."""
    h = np.zeros(cap)
    if lengths == "fixed":
        h[cap - 1] = 1.0
    elif lengths == "uniform":
        h[:] = 1.0 / (cap - np.arange(cap))  # of the cap - a + 1 lengths still possible, one ends here
    else:
        h[:] = 1.0 / mean
        h[cap - 1] = 1.0
    return h


def burst_schedule(
    requests: float,
    prompt_tokens: float,
    output_tokens: float,
    *,
    max_running: float,
    token_budget: float,
    lengths: str = "fixed",
    max_output_tokens: float | None = None,
) -> BurstSchedule:
    """The iterations of ``requests`` prompts of ``prompt_tokens`` each, all arriving at once.

    ``output_tokens`` is the mean output length; ``lengths`` its distribution (:data:`LENGTHS`), cut at
    ``max_output_tokens`` (exponential: default 20 means, where the cut changes the mean by < 1e-8;
    uniform: the largest length, required). ``max_running`` caps running plus prefilling requests (the engine's limit or memory);
    ``token_budget`` caps the tokens of one iteration (decode tokens first, then prefill chunks).
    """
    if lengths not in LENGTHS:
        raise ValueError(f"lengths must be one of {LENGTHS}, not {lengths!r}")
    N, P, O = float(requests), float(prompt_tokens), float(output_tokens)
    if not (N >= 1 and P > 0 and O >= 1 and max_running >= 1 and token_budget >= 1):
        raise ValueError("a burst needs requests >= 1, prompt_tokens > 0, output_tokens >= 1, max_running >= 1 and token_budget >= 1")
    if lengths == "fixed":
        cap = max(int(round(O)), 1)
    elif lengths == "uniform":
        if max_output_tokens is None:
            raise ValueError("uniform lengths need max_output_tokens")
        cap = max(int(round(max_output_tokens)), 1)
    else:
        cap = max(int(math.ceil(max_output_tokens if max_output_tokens is not None else 20.0 * O)), 1)
    hazard = _hazard(lengths, O, cap)
    survive = 1.0 - hazard
    ages = np.arange(1, cap + 1, dtype=float)
    # expected length after the cut: sum over a of P(length >= a)
    alive_at = np.concatenate(([1.0], np.cumprod(survive)[:-1]))
    mean_len = float(alive_at.sum())

    alive = np.zeros(cap)  # alive[a-1]: running sequences that have emitted a tokens
    queued, prefilling, pending_tokens = N, 0.0, 0.0
    dec, ctx, pre, pre_seq, first = [], [], [], [], []
    # every iteration prefills or decodes at least a fraction of what is left: a safety bound only
    limit = int(N * (P + cap)) + 10
    for _ in range(limit):
        running = float(alive.sum())
        admit = min(queued, max(max_running - running - prefilling, 0.0))
        queued -= admit
        prefilling += admit
        pending_tokens += admit * P
        if running < _DONE and pending_tokens <= 1e-9 and queued < _DONE:
            break
        chunk = min(max(token_budget - running, 0.0), pending_tokens)
        done_prefill = min(chunk / P, prefilling) if chunk > 0 else 0.0
        dec.append(running)
        ctx.append(P + float(alive @ ages) / running if running > 0 else P)
        pre.append(chunk)
        pre_seq.append(done_prefill)
        first.append(done_prefill)
        pending_tokens -= chunk
        prefilling -= done_prefill
        # every running sequence emits one more token (its a+1-th) and ends with that token's hazard;
        # the prompts just prefilled have emitted their first
        nxt = np.empty(cap)
        nxt[0] = done_prefill * survive[0]
        nxt[1:] = alive[:-1] * survive[1:]
        alive = nxt
    d = np.asarray(dec)
    p = np.asarray(pre)
    ps = np.asarray(pre_seq)
    # Tail: fewer than a few expected sequences alive means the iteration may not run at all.
    n_alive = d + ps
    runs = np.where(p > 0, 1.0, -np.expm1(-n_alive))
    with np.errstate(divide="ignore", invalid="ignore"):
        given = np.where(runs > 0, 1.0 / runs, 0.0)
    return BurstSchedule(
        decode_tokens=d * given,
        decode_context=np.asarray(ctx),
        prefill_tokens=p * given,
        prefill_sequences=ps * given,
        runs=runs,
        first_tokens=np.asarray(first),
        requests=N,
        output_tokens=mean_len,
    )
