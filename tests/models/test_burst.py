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
    # (fixed lengths end on schedule: an iteration with 10 sequences alive runs for sure)
    assert s.iterations == pytest.approx(5, rel=1e-12)
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
    assert s.iterations >= 0.99 * math.ceil(100 / 16) * 20


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


def _reference(n, p, o, max_running, budget, lengths, cut, low=1, concurrency=None, poll=1):
    """The schedule by brute force: a histogram of running requests by tokens emitted, shifted every
    iteration, each ending with its length distribution's hazard (what the recursions must equal); a
    closed-loop client sends one more request when one ends, seen by the scheduler an iteration later."""
    cap = int(round(o)) if lengths == "fixed" else int(round(cut))
    h = np.zeros(cap)
    if lengths == "fixed":
        h[cap - 1] = 1.0
    elif lengths == "uniform":
        a = np.arange(cap)  # P(length = a + 1 | length > a), lengths uniform on low .. cap
        h[:] = np.where(a + 1 >= low, 1.0 / (cap - np.maximum(a, low - 1)), 0.0)
    else:
        h[:] = 1.0 / o
        h[cap - 1] = 1.0
    survive, ages = 1.0 - h, np.arange(1, cap + 1, dtype=float)
    alive = np.zeros(cap)
    closed = concurrency is not None
    unsent, queued = (float(n), 0.0) if closed else (0.0, float(n))
    transit, ended, prefilling, pending = 0.0, 0.0, 0.0, 0.0
    dec, ctx, pre, sent = [], [], [], []
    k = 0
    while True:
        running = float(alive.sum())
        send = 0.0
        if closed:
            if k % poll == 0 or concurrency <= 1 or running + prefilling + queued < 1e-4:
                queued, transit = queued + transit, 0.0
            send = min(unsent, max(concurrency - (n - unsent - ended), 0.0))
            unsent -= send
            if k == 0:
                queued += send
            else:
                transit += send
        admit = min(queued, max(max_running - running - prefilling, 0.0))
        queued, prefilling, pending = queued - admit, prefilling + admit, pending + admit * p
        if running < 1e-4 and pending <= 1e-9 and queued + transit + unsent < 1e-4:
            break
        chunk = min(max(budget - running, 0.0), pending)
        done = min(chunk / p, prefilling) if chunk > 0 else 0.0
        dec.append(running)
        ctx.append(p + float(alive @ ages) / running if running > 0 else p)
        pre.append(chunk)
        sent.append(send if closed else (n if k == 0 else 0.0))
        pending, prefilling = pending - chunk, prefilling - done
        nxt = np.empty(cap)
        nxt[0] = done * survive[0]
        nxt[1:] = alive[:-1] * survive[1:]
        ended += running + done - float(nxt.sum())
        alive = nxt
        k += 1
    return np.array(dec), np.array(ctx), np.array(pre), np.array(sent)


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
    dec, ctx, pre, _ = _reference(n, p, o, running, budget, lengths, cut)
    assert len(dec) == len(s.runs)
    np.testing.assert_allclose(s.runs * s.decode_tokens, dec, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(s.runs * s.prefill_tokens, pre, rtol=1e-7, atol=1e-9)
    live = dec > 1e-3
    np.testing.assert_allclose(s.decode_context[live], ctx[live], rtol=1e-7)


def test_a_burst_too_long_to_follow_is_refused():
    with pytest.raises(ValueError, match="iterations"):
        burst_schedule(1e6, 100, 1000, max_running=8, token_budget=8192, lengths="fixed", max_iterations=10_000)


@pytest.mark.parametrize(
    "n, p, o, running, budget, lengths, cut, low, conc, poll",
    [
        (300, 200.0, 90.0, 64, 2048, "uniform", 100.0, 80, None, 1),  # uniform on 80 .. 100 (InferenceMAX's range ratio 0.8)
        (120, 900.0, 90.0, 256, 8192, "uniform", 100.0, 80, 16, 1),  # ... through a client that keeps 16 in flight
        (120, 900.0, 50.0, 256, 8192, "fixed", None, 1, 8, 1),
        (60, 300.0, 40.0, 12, 1024, "exponential", 200.0, 1, 16, 1),  # the engine's limit (12) below the client's (16)
        (120, 900.0, 90.0, 256, 8192, "uniform", 100.0, 80, 16, 10),  # a scheduler that looks for requests every 10 steps
    ],
)
def test_ranged_uniform_lengths_and_a_closed_loop_client_equal_a_brute_force_histogram(n, p, o, running, budget, lengths, cut, low, conc, poll):
    s = burst_schedule(
        n, p, o, max_running=running, token_budget=budget, lengths=lengths, max_output_tokens=cut, concurrency=conc, poll_interval=poll,
    )
    dec, ctx, pre, sent = _reference(n, p, o, running, budget, lengths, cut, low, conc, poll)
    assert len(dec) == len(s.runs)
    np.testing.assert_allclose(s.runs * s.decode_tokens, dec, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(s.runs * s.prefill_tokens, pre, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(s.sent, sent, rtol=1e-6, atol=1e-8)
    assert s.sent.sum() == pytest.approx(n)


def test_a_client_that_keeps_more_in_flight_than_it_has_requests_is_a_burst():
    kw = dict(max_running=64, token_budget=4096, lengths="uniform", max_output_tokens=100)
    a, b = burst_schedule(40, 300, 75, **kw), burst_schedule(40, 300, 75, concurrency=40, **kw)
    np.testing.assert_array_equal(a.decode_tokens, b.decode_tokens)
    np.testing.assert_array_equal(a.sent, b.sent)
    assert a.sent[0] == 40 and a.sent[1:].sum() == 0


def test_a_closed_loop_client_never_has_more_than_its_concurrency_in_flight():
    s = burst_schedule(200, 500, 60, max_running=1000, token_budget=8192, lengths="uniform", max_output_tokens=70, concurrency=8)
    sent_so_far = np.cumsum(s.sent)
    # in flight at the start of an iteration: sent minus ended; decoding ones are a part of them
    assert np.all(s.runs * s.decode_tokens <= 8 + 1e-9)
    assert sent_so_far[-1] == pytest.approx(200)
    # a request is sent only when one ends, so after the first wave the client sends at most what ended
    first_tokens = np.cumsum(s.first_tokens)
    assert np.all(sent_so_far <= first_tokens + 8 + 1e-6)


def test_a_scheduler_that_looks_for_requests_every_n_steps_admits_them_only_then():
    kw = dict(max_running=256, token_budget=8192, lengths="uniform", max_output_tokens=100, concurrency=16)
    s = burst_schedule(400, 500, 90, poll_interval=10, **kw)
    k = np.arange(len(s.runs))
    # after the first wave, prompts start only at the iterations where the scheduler looks (k = 10, 20, ...)
    assert np.all(s.prefill_tokens[(k > 0) & (k % 10 != 0)] == 0)
    assert s.prefill_tokens[k % 10 == 0].sum() * 1.0 == pytest.approx(400 * 500 / 1.0, rel=1e-6)
    with pytest.raises(ValueError, match="poll_interval"):
        burst_schedule(10, 10, 10, max_running=10, token_budget=100, poll_interval=0)
