"""The burst schedule: hand-countable cases, conservation of tokens, and the drain's length."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.models.burst import burst_schedule

BIG = 1e12


def test_fixed_lengths_with_room_for_everything_take_output_length_iterations():
    # 10 prompts of 100 tokens fit one iteration's budget: iteration 1 prefills all and emits each first
    # token, then 4 decode iterations of 10 sequences emit tokens 2..5.
    s = burst_schedule(10, 100, 5, max_running=BIG, token_budget=BIG, lengths="fixed")
    # (an iteration with 10 sequences alive runs unless all 10 have ended: 1 - e^-10, the Poisson tail)
    assert s.iterations == pytest.approx(5, rel=1e-3)
    np.testing.assert_allclose(s.prefill_tokens, [1000, 0, 0, 0, 0])
    np.testing.assert_allclose(s.runs * s.decode_tokens, [0, 10, 10, 10, 10])
    # contexts: the prompt plus the tokens each sequence has emitted so far
    np.testing.assert_allclose(s.decode_context[1:], [101, 102, 103, 104])
    np.testing.assert_allclose(s.first_tokens, [10, 0, 0, 0, 0])


def test_token_budget_spreads_the_prefill_wave_and_delays_first_tokens():
    # 8 prompts of 100 tokens, 250 tokens per iteration: 2.5 prompts' prefill in iteration 1; later
    # iterations also carry the decodes of the prompts already done, which come out of the same budget.
    s = burst_schedule(8, 100, 3, max_running=BIG, token_budget=250, lengths="fixed")
    assert s.prefill_tokens[0] == pytest.approx(250)
    assert s.decode_tokens[1] == pytest.approx(2.5)
    assert s.prefill_tokens[1] == pytest.approx(250 - 2.5)
    assert s.prefill_tokens.sum() == pytest.approx(800)
    assert np.all(s.prefill_tokens + s.decode_tokens <= 250 + 1e-9)


def test_running_limit_caps_the_batch_and_queues_the_rest():
    s = burst_schedule(100, 10, 20, max_running=16, token_budget=BIG, lengths="fixed")
    assert (s.runs * s.decode_tokens).max() <= 16 + 1e-9
    # 100 requests through 16 slots of 20 iterations each: at least ceil(100 / 16) waves
    assert s.iterations >= 0.99 * math.ceil(100 / 16) * 20  # (the last, partial wave may not run: Poisson tail)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 400),
    p=st.floats(1, 4000),
    o=st.floats(1, 300),
    lengths=st.sampled_from(["fixed", "exponential", "uniform"]),
    running=st.floats(1, 1000),
    budget=st.floats(64, 20000),
)
def test_every_request_is_prefilled_once_and_every_expected_token_is_emitted(n, p, o, lengths, running, budget):
    cut = 4 * o if lengths != "fixed" else None
    s = burst_schedule(n, p, o, max_running=running, token_budget=budget, lengths=lengths, max_output_tokens=cut)
    assert (s.runs * s.prefill_tokens).sum() == pytest.approx(n * p, rel=1e-6)
    emitted = (s.runs * s.decode_tokens).sum() + s.first_tokens.sum()
    assert emitted == pytest.approx(n * s.output_tokens, rel=1e-3)
    assert np.all((s.runs >= 0) & (s.runs <= 1))


def test_exponential_drain_lasts_as_long_as_the_longest_of_n_geometric_outputs():
    # With every request admitted at once, the burst ends when the longest output does: E[max] of N
    # geometric lengths with mean m is sum_k 1 - (1 - (1 - 1/m)^k)^N, about m (ln N + 0.577).
    n, m = 1000, 100.0
    s = burst_schedule(n, 10, m, max_running=BIG, token_budget=BIG, lengths="exponential")
    q = 1.0 - 1.0 / m
    k = np.arange(0, 20_000)
    expected_max = float(np.sum(1.0 - (1.0 - q**k) ** n))
    assert s.iterations == pytest.approx(expected_max, rel=0.02)
    assert s.iterations > 6 * m  # the drain is many times the mean: why burst runs fall short of steady state


def test_uniform_lengths_have_the_mean_of_their_range():
    s = burst_schedule(50, 10, 50.5, max_running=BIG, token_budget=BIG, lengths="uniform", max_output_tokens=100)
    assert s.output_tokens == pytest.approx(50.5)


@pytest.mark.parametrize(
    "kw",
    [
        dict(lengths="lognormal"),
        dict(lengths="uniform"),  # no largest length
        dict(max_running=0),
    ],
)
def test_bad_arguments_are_refused(kw):
    args = dict(max_running=10, token_budget=100, lengths="fixed") | kw
    with pytest.raises(ValueError):
        burst_schedule(10, 10, 10, **args)


def _reference(n, p, o, max_running, budget, lengths, cut):
    """The schedule by brute force: a histogram of running requests by tokens emitted, shifted every
    iteration, each ending with its length distribution's hazard (what the recursions must equal)."""
    cap = int(round(o)) if lengths == "fixed" else int(round(cut))
    h = np.zeros(cap)
    if lengths == "fixed":
        h[cap - 1] = 1.0
    elif lengths == "uniform":
        h[:] = 1.0 / (cap - np.arange(cap))
    else:
        h[:] = 1.0 / o
        h[cap - 1] = 1.0
    survive, ages = 1.0 - h, np.arange(1, cap + 1, dtype=float)
    alive = np.zeros(cap)
    queued, prefilling, pending = float(n), 0.0, 0.0
    dec, ctx, pre = [], [], []
    while True:
        running = float(alive.sum())
        admit = min(queued, max(max_running - running - prefilling, 0.0))
        queued, prefilling, pending = queued - admit, prefilling + admit, pending + admit * p
        if running < 1e-4 and pending <= 1e-9 and queued < 1e-4:
            break
        chunk = min(max(budget - running, 0.0), pending)
        done = min(chunk / p, prefilling) if chunk > 0 else 0.0
        dec.append(running)
        ctx.append(p + float(alive @ ages) / running if running > 0 else p)
        pre.append(chunk)
        pending, prefilling = pending - chunk, prefilling - done
        nxt = np.empty(cap)
        nxt[0] = done * survive[0]
        nxt[1:] = alive[:-1] * survive[1:]
        alive = nxt
    return np.array(dec), np.array(ctx), np.array(pre)


@pytest.mark.parametrize(
    "n, p, o, running, budget, lengths, cut",
    [
        (300, 200.0, 50.0, 64, 2048, "fixed", None),
        (300, 200.0, 50.0, 64, 2048, "uniform", 99.0),
        (300, 200.0, 50.0, 64, 2048, "exponential", 400.0),
        (40, 3000.0, 20.0, 1000, 8192, "exponential", 100.0),
        (1000, 100.0, 1.0, 256, 4096, "fixed", None),
    ],
)
def test_the_cohort_recursions_equal_a_brute_force_histogram(n, p, o, running, budget, lengths, cut):
    s = burst_schedule(n, p, o, max_running=running, token_budget=budget, lengths=lengths, max_output_tokens=cut)
    dec, ctx, pre = _reference(n, p, o, running, budget, lengths, cut)
    assert len(dec) == len(s.runs)
    np.testing.assert_allclose(s.runs * s.decode_tokens, dec, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(s.runs * s.prefill_tokens, pre, rtol=1e-7, atol=1e-9)
    live = dec > 1e-3
    np.testing.assert_allclose(s.decode_context[live], ctx[live], rtol=1e-7)


def test_a_burst_too_long_to_follow_is_refused():
    with pytest.raises(ValueError, match="iterations"):
        burst_schedule(1e6, 100, 1000, max_running=8, token_budget=8192, lengths="fixed", max_iterations=10_000)
