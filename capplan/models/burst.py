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
- ``"uniform"``: uniform on 2 x mean - ``max_output_tokens`` (at least 1) .. ``max_output_tokens``
  (``random_range_ratio r`` in SGLang's and vLLM's random datasets draws lengths uniform on
  r x max .. max, whose mean is (1 + r) x max / 2; r = 0 gives 1 .. max);
- ``"exponential"``: geometric lengths with that mean (each emitted token ends the request with
  probability 1 / mean), cut at ``max_output_tokens``. It is the maximum-entropy distribution for
  a known mean on positive lengths, and the shape of a constant per-token chance of emitting EOS;
  chat datasets such as ShareGPT have long-tailed output lengths of this kind (Kwon et al., "Efficient
  Memory Management for Large Language Model Serving with PagedAttention", SOSP 2023, fig. 11).

The tail of the drain is where fluid counts drop low: an iteration then runs with probability
1 - exp(-n) for exponential lengths (n expected sequences alive, each ending independently: Poisson)
and min(n, 1) for fixed and uniform ones (they end on schedule), at the batch it has when it runs.
"""

from __future__ import annotations

import functools
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
    sent: np.ndarray  # requests the client sends at the start of each iteration (all in the first without a concurrency limit)
    length_pmf: np.ndarray  # chance of each output length, 1 .. the longest (index: length - 1)

    @property
    def first_tokens(self) -> np.ndarray:
        """Expected requests that get their first token in each iteration (its prefills that end)."""
        return self.runs * self.prefill_sequences

    @property
    def iterations(self) -> float:
        """Expected number of iterations the burst takes."""
        return float(self.runs.sum())


@functools.lru_cache(maxsize=1024)
def burst_schedule(
    requests: float,
    prompt_tokens: float,
    output_tokens: float,
    *,
    max_running: float,
    token_budget: float,
    lengths: str = "fixed",
    max_output_tokens: float | None = None,
    concurrency: float | None = None,
    poll_interval: int = 1,
    max_iterations: int = 5_000_000,
) -> BurstSchedule:
    """The iterations of ``requests`` prompts of ``prompt_tokens`` each.

    ``output_tokens`` is the mean output length; ``lengths`` its distribution (:data:`LENGTHS`), cut at
    ``max_output_tokens`` (exponential: default 20 means, where the cut changes the mean by < 1e-8;
    uniform: the largest length M, required; the lengths run from 2 x output_tokens - M (at least 1),
    the range whose mean is output_tokens).
    ``max_running`` caps running plus prefilling requests (the engine's limit or memory);
    ``token_budget`` caps the tokens of one iteration (decode tokens first, then prefill chunks).

    ``concurrency`` None: every request arrives at once, before the first iteration. Otherwise a
    closed-loop client keeps at most that many requests in flight (``--max-concurrency``): it sends
    the first ``concurrency`` at once and then one more each time one ends. A request sent while the
    engine runs an iteration reaches its scheduler for the next one (the engine schedules an iteration
    before running it, and the new request's HTTP round, tokenisation and hand-over to the engine take
    longer than nothing). ``sent`` counts the requests sent at the start of each iteration.
    ``poll_interval`` n: the scheduler looks for new requests only every n iterations while it
    decodes (SGLang's ``--scheduler-recv-interval n``, or ``--num-continuous-decode-steps n``, which
    runs n decode steps between looks), so a request sent mid-run waits for the next look; an idle
    engine looks at once.
    A burst longer than ``max_iterations`` raises ValueError (its middle is the steady state anyway).

    The schedule is a pure function of its arguments and the same run is often asked for more than
    once (its throughput, TTFT and TPOT), so the last 1,024 are kept (more than the bundled validation
    runs, which a process may price more than once); their arrays are read-only.
    """
    if lengths not in LENGTHS:
        raise ValueError(f"lengths must be one of {LENGTHS}, not {lengths!r}")
    N, P, O = float(requests), float(prompt_tokens), float(output_tokens)
    if not (N >= 1 and P > 0 and O >= 1 and max_running >= 1 and token_budget >= 1):
        raise ValueError("a burst needs requests >= 1, prompt_tokens > 0, output_tokens >= 1, max_running >= 1 and token_budget >= 1")
    if concurrency is not None and not concurrency >= 1:
        raise ValueError("concurrency must be at least 1")
    if int(poll_interval) != poll_interval or poll_interval < 1:
        raise ValueError("poll_interval must be a whole number of iterations, at least 1")
    poll = int(poll_interval)
    low = 1
    if lengths == "fixed":
        cap = max(int(round(O)), 1)
    elif lengths == "uniform":
        if max_output_tokens is None:
            raise ValueError("uniform lengths need max_output_tokens")
        cap = max(int(round(max_output_tokens)), 1)
        low = min(max(int(round(2.0 * O - cap)), 1), cap)
    else:
        cap = max(int(math.ceil(max_output_tokens if max_output_tokens is not None else 20.0 * O)), 1)
    W = cap  # a request that has emitted W tokens has ended, whatever the distribution
    V = low - 1  # uniform: every request emits at least `low` tokens
    n_len = W - V  # uniform: the number of possible lengths
    pmf = _length_pmf(lengths, W, low, O)
    mean_len = float(pmf @ np.arange(1.0, W + 1.0))  # expected output tokens per request (after the cut)
    q = 1.0 - 1.0 / O  # exponential: each emitted token ends the request with probability 1 / O
    qW = q**W

    # A request whose prefill ends at iteration b has emitted a = k - b tokens when iteration k starts,
    # and still runs if its length exceeds a: with probability G(a) = 1 (fixed, a < W), q^a
    # (exponential, a < W) or, uniform on low .. W, min(1, (W - a) / n) = ((W - a) - max(V - a, 0)) / n
    # (n = W - V lengths, V = low - 1): two ramps, one over the cohorts of the last W iterations and one
    # over the last V. The running count and their summed ages are kept by recursions over those cohorts,
    # so an iteration costs the same whatever W: T0, T1, T2 (and U0, U1, U2 over the last V) = sums of
    # cohort size x age^0, ^1, ^2 (fixed, uniform); R, A directly (exponential).
    # (at most max_running tokens are decoded and token_budget prefilled per iteration: a lower bound)
    in_flight_cap = min(max_running, concurrency) if concurrency is not None else max_running
    if max(N * mean_len / in_flight_cap, N * P / token_budget) > max_iterations:
        raise ValueError(f"the burst runs over {max_iterations:,} iterations")
    # (the loop runs up to millions of times: plain locals and comparisons, no per-iteration string tests or calls)
    FIXED, UNIFORM, EXPO = lengths == "fixed", lengths == "uniform", lengths == "exponential"
    closed = concurrency is not None
    limit = float(concurrency) if concurrency is not None else 0.0
    births: list[float] = []
    T0 = T1 = T2 = U0 = U1 = U2 = 0.0
    R = A = 0.0
    ended = 0.0
    alive = 0.0  # sequences alive after the last iteration's prefills, before any ended
    unsent = N if closed else 0.0
    queued, prefilling, pending_tokens, transit = (0.0 if closed else N), 0.0, 0.0, 0.0
    dec: list[float] = []
    ctx: list[float] = []
    pre: list[float] = []
    pre_seq: list[float] = []
    sent: list[float] = []
    born, add_dec, add_ctx, add_pre, add_seq, add_sent = births.append, dec.append, ctx.append, pre.append, pre_seq.append, sent.append
    WW, VV = float(W * W), float(V * V)
    for k in range(max_iterations + 1):
        if k == max_iterations:
            raise ValueError(f"the burst runs over {max_iterations:,} iterations")
        if FIXED:
            running, aged = T0, T1
        elif UNIFORM:
            running = (W * T0 - T1 - (V * U0 - U1)) / n_len
            aged = (W * T1 - T2 - (V * U1 - U2)) / n_len
        else:
            running, aged = R, A
        if running < 0.0:
            running = 0.0
        ended += alive - running
        send = 0.0
        if closed:
            # those sent before this iteration reach the scheduler when it next polls for requests (every
            # iteration, or every `poll` of them while it decodes; an idle engine polls at once, and with
            # one request in flight a sent one always finds it idle); the client tops up to its limit
            if k % poll == 0 or limit <= 1.0 or running + prefilling + queued < _DONE:
                queued += transit
                transit = 0.0
            room = limit - (N - unsent - ended)
            send = unsent if unsent < room else (room if room > 0.0 else 0.0)
            unsent -= send
            if k == 0:
                queued += send
            else:
                transit += send
        elif k == 0:
            send = N
        free = max_running - running - prefilling
        admit = queued if queued < free else (free if free > 0.0 else 0.0)
        queued -= admit
        prefilling += admit
        pending_tokens += admit * P
        if running < _DONE and pending_tokens <= 1e-9 and queued + transit + unsent < _DONE:
            break
        room = token_budget - running
        chunk = pending_tokens if pending_tokens < room else (room if room > 0.0 else 0.0)
        done_prefill = 0.0
        if chunk > 0.0:
            done_prefill = chunk / P
            if done_prefill > prefilling:
                done_prefill = prefilling
        add_sent(send)
        add_dec(running)
        add_ctx(P + aged / running if running > 0.0 else P)
        add_pre(chunk)
        add_seq(done_prefill)
        pending_tokens -= chunk
        prefilling -= done_prefill
        # to the start of iteration k + 1: everyone ages by one token, the cohort born now has emitted
        # its first, and the cohorts born at k + 1 - W (and k + 1 - V) leave their windows
        born(done_prefill)
        alive = running + done_prefill
        gone = births[k + 1 - W] if k + 1 >= W else 0.0
        if EXPO:
            R, A = q * R + q * done_prefill - gone * qW, q * (A + R) + q * done_prefill - gone * qW * W
        else:
            T2 += 2.0 * T1 + T0 + done_prefill - gone * WW
            T1 += T0 + done_prefill - gone * W
            T0 += done_prefill - gone
            if V > 0:
                out_v = births[k + 1 - V] if k + 1 >= V else 0.0
                U2 += 2.0 * U1 + U0 + done_prefill - out_v * VV
                U1 += U0 + done_prefill - out_v * V
                U0 += done_prefill - out_v
    d = np.asarray(dec)
    p = np.asarray(pre)
    ps = np.asarray(pre_seq)
    # Tail: fewer than one expected sequence alive means the iteration may not run at all. Exponential
    # lengths end independently, each with a small chance, so the count alive is Poisson; fixed and
    # uniform lengths end on schedule, so an expected count of one or more is (nearly) one for sure.
    n_alive = d + ps
    runs = np.where(p > 0, 1.0, -np.expm1(-n_alive) if EXPO else np.minimum(n_alive, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        given = np.where(runs > 0, 1.0 / runs, 0.0)
    out = BurstSchedule(
        decode_tokens=d * given,
        decode_context=np.asarray(ctx),
        prefill_tokens=p * given,
        prefill_sequences=ps * given,
        runs=runs,
        requests=N,
        output_tokens=mean_len,
        sent=np.asarray(sent),
        length_pmf=pmf,
    )
    for a in (out.decode_tokens, out.decode_context, out.prefill_tokens, out.prefill_sequences, out.runs, out.sent, out.length_pmf):
        a.flags.writeable = False
    return out


def _length_pmf(lengths: str, W: int, low: int, O: float) -> np.ndarray:
    """P(output length = l) for l = 1 .. W: all at W (fixed), even on low .. W (uniform), geometric with
    mean O and the tail beyond W at W (exponential, cut)."""
    pmf = np.zeros(W)
    if lengths == "fixed":
        pmf[W - 1] = 1.0
    elif lengths == "uniform":
        pmf[low - 1 :] = 1.0 / (W - low + 1)
    else:
        q = 1.0 - 1.0 / O
        pmf[:] = q ** np.arange(W) * (1.0 - q)
        pmf[W - 1] = q ** (W - 1)
    return pmf
