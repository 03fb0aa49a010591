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
