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
    requests: float
    output_tokens: float  # expected output tokens per request (after any cut)

    @property
    def first_tokens(self) -> np.ndarray:
        """Expected requests that get their first token in each iteration (its prefills that end)."""
        return self.runs * self.prefill_sequences

    @property
    def iterations(self) -> float:
        """Expected number of iterations the burst takes."""
        return float(self.runs.sum())


def burst_schedule(
    requests: float,
    prompt_tokens: float,
    output_tokens: float,
    *,
    max_running: float,
    token_budget: float,
    lengths: str = "fixed",
    max_output_tokens: float | None = None,
    max_iterations: int = 5_000_000,
) -> BurstSchedule:
    """The iterations of ``requests`` prompts of ``prompt_tokens`` each, all arriving at once.

    ``output_tokens`` is the mean output length; ``lengths`` its distribution (:data:`LENGTHS`), cut at
    ``max_output_tokens`` (exponential: default 20 means, where the cut changes the mean by < 1e-8;
    uniform: the largest length, required). ``max_running`` caps running plus prefilling requests (the engine's limit or memory);
    ``token_budget`` caps the tokens of one iteration (decode tokens first, then prefill chunks).
    A burst longer than ``max_iterations`` raises ValueError (its middle is the steady state anyway).
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
    W = cap  # a request that has emitted W tokens has ended, whatever the distribution
    # Expected output tokens per request (after the cut): the sum over a of P(length > a), a = 0 .. W-1
    if lengths == "fixed":
        mean_len = float(W)
    elif lengths == "uniform":
        mean_len = (W + 1) / 2.0
    else:
        q = 1.0 - 1.0 / O  # each emitted token ends the request with probability 1 / O
        qW = q**W
        mean_len = O * (1.0 - qW)

    # A request whose prefill ends at iteration b has emitted a = k - b tokens when iteration k starts,
    # and still runs if its length exceeds a: with probability G(a) = 1 (fixed, a < W), (W - a) / W
    # (uniform) or q^a (exponential, a < W). The running count and their summed ages are kept by
    # recursions over the cohorts of the last W iterations, so an iteration costs the same whatever W:
    # T0, T1, T2 = sums of cohort size x age^0, ^1, ^2 (fixed, uniform); R, A directly (exponential).
    # (at most max_running tokens are decoded and token_budget prefilled per iteration: a lower bound)
    if max(N * mean_len / max_running, N * P / token_budget) > max_iterations:
        raise ValueError(f"the burst runs over {max_iterations:,} iterations")
    births: list[float] = []
    T0 = T1 = T2 = 0.0
    R = A = 0.0
    queued, prefilling, pending_tokens = N, 0.0, 0.0
    dec, ctx, pre, pre_seq = [], [], [], []
    for k in range(max_iterations + 1):
        if k == max_iterations:
            raise ValueError(f"the burst runs over {max_iterations:,} iterations")
        if lengths == "fixed":
            running, aged = T0, T1
        elif lengths == "uniform":
            running, aged = T0 - T1 / W, T1 - T2 / W
        else:
            running, aged = R, A
        running = max(running, 0.0)
        admit = min(queued, max(max_running - running - prefilling, 0.0))
        queued -= admit
        prefilling += admit
        pending_tokens += admit * P
        if running < _DONE and pending_tokens <= 1e-9 and queued < _DONE:
            break
        chunk = min(max(token_budget - running, 0.0), pending_tokens)
        done_prefill = min(chunk / P, prefilling) if chunk > 0 else 0.0
        dec.append(running)
        ctx.append(P + aged / running if running > 0 else P)
        pre.append(chunk)
        pre_seq.append(done_prefill)
        pending_tokens -= chunk
        prefilling -= done_prefill
        # to the start of iteration k + 1: everyone ages by one token, the cohort born now has emitted
        # its first, and the cohort born at k + 1 - W reaches W tokens and leaves
        births.append(done_prefill)
        gone = births[k + 1 - W] if k + 1 >= W else 0.0
        if lengths == "exponential":
            R, A = q * R + q * done_prefill - gone * qW, q * (A + R) + q * done_prefill - gone * qW * W
        else:
            T2 += 2.0 * T1 + T0 + done_prefill - gone * W * W
            T1 += T0 + done_prefill - gone * W
            T0 += done_prefill - gone
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
        requests=N,
        output_tokens=mean_len,
    )
