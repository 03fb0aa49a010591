"""A burst priced through the core: it agrees with the steady state where it should and falls short of it
where ramp-up and drain cost time."""

import numpy as np
import pytest

from capplan.catalog import load_catalog
from capplan.planning.burst import text_burst
from capplan.planning.core import text_at_batch, text_capacity
from capplan.planning.resolve import text_setup


@pytest.fixture(scope="module")
def setup():
    cat = load_catalog()
    gpu = "h100-sxm"
    stack = cat.efficiency.default_stack
    return text_setup(cat.text["llama-3.1-8b"], cat.gpu(gpu), cat.efficiency.gpu[gpu][stack], cat.efficiency.runtime, stack, "bf16", "bf16", engine="vllm")


def _steady_tokens_per_s(s, P, O):
    cap = text_capacity(s, tp=1, prompt_tokens=P, output_tokens=O, with_share=False)
    b = float(cap.max_batch[0])
    it, _ = text_at_batch(s, tp=1, batch=b, prompt_tokens=P, output_tokens=O)
    return b / float(it.time_s)


def test_a_long_burst_of_equal_requests_approaches_the_steady_state_from_below(setup):
    P, O = 500.0, 200.0
    steady = _steady_tokens_per_s(setup, P, O)
    est = text_burst(setup, tp=1, requests=20_000, prompt_tokens=P, output_tokens=O, lengths="fixed")
    assert est is not None
    # ramp-up and drain are a small part of 20,000 requests; the waves in between run at the steady batch
    assert 0.75 * steady <= est.output_tokens_per_s <= 1.02 * steady


def test_varied_lengths_make_a_burst_slower_than_equal_ones(setup):
    # same mean output: the exponential run waits for its longest outputs at a small batch
    kw = dict(tp=1, requests=1000, prompt_tokens=200.0, output_tokens=200.0)
    fixed = text_burst(setup, lengths="fixed", **kw)
    varied = text_burst(setup, lengths="exponential", max_output_tokens=1800, **kw)
    assert varied.output_tokens_per_s < 0.8 * fixed.output_tokens_per_s
    assert varied.iterations > 2 * fixed.iterations


def test_more_requests_never_lower_the_mean_time_to_first_token(setup):
    kw = dict(tp=1, prompt_tokens=2000.0, output_tokens=100.0, lengths="fixed")
    ttft = [text_burst(setup, requests=n, **kw).mean_ttft_s for n in (10, 100, 1000)]
    assert ttft[0] <= ttft[1] <= ttft[2]


def test_validation_burst_rows_are_the_burst_estimate(shipped_text_rows):
    # a row with a `requests` column is priced by text_burst, not by the steady state

    rows = [c for c in shipped_text_rows if c.model == "gpt-oss-120b" and c.gpu == "a100-sxm-80gb" and c.num_gpus == 2]
    assert len(rows) == 1 and not rows[0].calibratable
    cat = load_catalog()
    g = "a100-sxm-80gb"
    st = cat.efficiency.default_stack
    s = text_setup(cat.text["gpt-oss-120b"], cat.gpu(g), cat.efficiency.gpu[g][st], cat.efficiency.runtime, st, "int4", "bf16", engine="vllm", engine_version="0.10.2")
    est = text_burst(s, tp=2, requests=1000, prompt_tokens=215.3, output_tokens=196.2, lengths="exponential", max_output_tokens=1833)
    assert rows[0].predicted == pytest.approx(est.output_tokens_per_s, rel=1e-9)


def test_a_what_if_prices_a_burst_with_the_same_core_and_charges_the_replica_for_the_whole_run():
    import capplan

    r = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, prompt_tokens=500, output_tokens=200, requests=3000, output_lengths="fixed", engine="vllm")
    cat = load_catalog()
    st = cat.efficiency.default_stack
    s = text_setup(cat.text["llama-3.1-8b"], cat.gpu("h100-sxm"), cat.efficiency.gpu["h100-sxm"][st], cat.efficiency.runtime, st, "bf16", "bf16", engine="vllm")
    est = text_burst(s, tp=1, requests=3000, prompt_tokens=500, output_tokens=200, lengths="fixed")
    b = r.burst
    assert b is not None and b.requests == 3000 and b.max_output_tokens is None
    assert b.duration_s == pytest.approx(est.duration_s, rel=1e-12)
    assert b.output_tokens_per_s == pytest.approx(3000 * 200 / est.duration_s, rel=1e-12)
    assert b.cost_usd == pytest.approx(est.duration_s / 3600 * r.inputs.price_per_gpu_hour_usd, rel=1e-12)
    # the default, long-tailed lengths take longer than equal ones of the same mean, and are cut by the context
    tail = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, prompt_tokens=500, output_tokens=200, requests=3000, engine="vllm").burst
    assert tail.output_lengths == "exponential" and tail.duration_s > b.duration_s and tail.max_output_tokens == 4000
    assert capplan.text("llama-3.1-8b", "h100-sxm", gpus=1).burst is None


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(requests=0), "requests"),
        (dict(requests=10, output_lengths="lognormal"), "output_lengths"),
        (dict(requests=10, output_lengths="uniform", max_output_tokens=1000), "max_output_tokens"),  # the cut is the exponential's
    ],
)
def test_a_burst_that_cannot_be_priced_is_refused_naming_the_parameter(kw, match):
    import capplan
    from capplan.errors import UserError

    with pytest.raises(UserError, match=match):
        capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, **kw)


def test_the_cli_shows_the_burst_after_the_steady_state():
    from typer.testing import CliRunner

    from capplan.cli.app import build_app

    out = CliRunner().invoke(build_app(), ["text", "--gpus", "1", "--workload", "llama-3.1-8b", "--requests", "500", "--output-lengths", "fixed"], env={"COLUMNS": "120"})
    assert out.exit_code == 0, out.output
    assert "500 requests sent at once to one replica" in out.output and "All done after" in out.output


def test_a_burst_too_long_to_follow_is_refused_naming_requests():
    import capplan
    from capplan.errors import UserError

    # 10 million requests of 4,000 tokens need at least 40e9 / (running limit) iterations: refused from that bound
    with pytest.raises(UserError, match="requests"):
        capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, output_tokens=4000, requests=10_000_000)


def test_a_what_ifs_burst_averages_the_output_tokens_asked_for_whatever_the_distribution():
    import capplan

    for lengths in ("fixed", "uniform", "exponential"):
        b = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, output_tokens=300, requests=800, output_lengths=lengths).burst
        # output tokens over the run / duration = requests x mean length / duration
        assert b.output_tokens_per_s * b.duration_s == pytest.approx(800 * 300, rel=1e-6), lengths


def test_a_burst_row_is_never_priced_as_a_steady_state(tmp_path):
    # a row that sent every request at once but reports a per-user rate has no burst prediction: it is
    # skipped (refused when strict), not quietly compared with the steady state
    import csv

    from capplan.analysis.validate import text_comparisons, validation_dir
    from capplan.errors import UserError

    src = validation_dir() / "text_measurements.csv"
    with src.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, row = reader.fieldnames, next(r for r in reader if r["requests"] and not r["batch"])
    path = tmp_path / "rows.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerow(row)
        w.writerow({**row, "metric": "output_tokens_per_s_per_user", "value": "50"})
    rows = text_comparisons(path=path)
    assert [c.quantity for c in rows] == [row["metric"]]
    with pytest.raises(UserError, match="burst row"):
        text_comparisons(path=path, strict=True)


def test_a_bursts_prefill_iterations_run_outside_graphs_where_the_engine_has_none(setup):
    import dataclasses

    import numpy as np

    from capplan.models.burst import BurstSchedule
    from capplan.planning.burst import iteration_times_s

    # three iterations: four 500-token prompts, a fifth of a prompt beside 100 decodes, and 100 decodes
    sched = BurstSchedule(
        decode_tokens=np.array([0.0, 100.0, 100.0]), decode_context=np.array([0.0, 600.0, 600.0]),
        prefill_tokens=np.array([2000.0, 100.0, 0.0]), prefill_sequences=np.array([4.0, 0.2, 0.0]),
        runs=np.ones(3), requests=5.0, output_tokens=100.0, sent=np.array([5.0, 0.0, 0.0]), length_pmf=np.eye(100)[99],
    )
    slow_host = 1e-3  # far above any kernel: an iteration outside a graph takes kernels x 1 ms
    vllm_like = dataclasses.replace(setup, engine=dataclasses.replace(setup.engine, eager_launch_s=slow_host, prefill_graph_max_tokens=512.0))
    t, whole = iteration_times_s(vllm_like, tp=1, prompt_tokens=500.0, schedule=sched)
    base, _ = iteration_times_s(setup, tp=1, prompt_tokens=500.0, schedule=sched)
    eager = 289 * slow_host + setup.engine.iteration_overhead_s  # Llama-3.1-8B's 289 kernels launched one by one
    # 2000 prompt tokens: no graph holds them
    assert t[0] == pytest.approx(eager, rel=1e-9) and t[0] > 5 * base[0]
    # prompts come whole: one iteration in five carries a 500-token prompt beside its 100 decodes (600
    # tokens, past the 512-token prefill graphs: eager); the other four replay the decode graph
    assert whole[1] == pytest.approx(eager, rel=1e-9)
    assert t[1] == pytest.approx(0.2 * whole[1] + 0.8 * base[2], rel=1e-9)
    assert t[2] == base[2]


def test_one_request_at_a_time_waits_for_nothing_and_takes_the_prompts_prefill_to_its_first_token(setup):
    # concurrency 1: each request reaches an idle engine, whose empty iteration costs nothing, so its
    # TTFT is the core's prefill of one prompt and every later token is a batch-1 decode
    P, O = 1500.0, 64.0
    est = text_burst(setup, tp=1, requests=5, prompt_tokens=P, output_tokens=O, lengths="fixed", concurrency=1)
    _, pre = text_at_batch(setup, tp=1, batch=1.0, prompt_tokens=P, output_tokens=O)
    assert est.mean_ttft_s == pytest.approx(float(pre.time_s), rel=1e-9)
    assert est.duration_s == pytest.approx(5 * (float(pre.time_s) + (O - 1) * est.mean_tpot_s), rel=1e-9)


def test_a_closed_loop_keeps_the_batch_at_its_concurrency_and_so_runs_slower_than_a_burst_of_the_same_requests(setup):
    kw = dict(tp=1, requests=400, prompt_tokens=800.0, output_tokens=300.0, lengths="uniform", max_output_tokens=330.0)
    burst, loop = text_burst(setup, **kw), text_burst(setup, concurrency=16, **kw)
    assert loop.output_tokens_per_s < burst.output_tokens_per_s
    assert (loop.schedule.runs * loop.schedule.decode_tokens).max() <= 16 + 1e-9
    # with 16 in flight no prompt queues behind hundreds of others: first tokens come sooner
    assert loop.mean_ttft_s < burst.mean_ttft_s


def test_validation_closed_loop_rows_are_the_burst_estimate_at_their_concurrency(shipped_text_rows):
    # an InferenceMAX row (requests and a concurrency in `batch`): priced by text_burst with that concurrency
    import csv

    from capplan.analysis.validate import validation_dir

    path = validation_dir() / "text_measurements.csv"
    rows = {c.row: c for c in shipped_text_rows}
    with path.open(newline="", encoding="utf-8") as fh:
        line, row = next((i + 2, r) for i, r in enumerate(csv.DictReader(fh)) if "InferenceMAX" in r["source"] and r["metric"] == "tpot_ms" and r["gpu"] == "h200-sxm")
    cat = load_catalog()
    g, st = row["gpu"], cat.efficiency.default_stack
    s = text_setup(cat.text[row["model"]], cat.gpu(g), cat.efficiency.gpu[g][st], cat.efficiency.runtime, st, "fp8", "bf16", engine="sglang", fp8_block_scaled=True)
    P, O, top = float(row["prompt_tokens"]), float(row["output_tokens"]), float(row["max_output_tokens"])
    est = text_burst(
        s, tp=int(row["tp"] or row["num_gpus"]), requests=float(row["requests"]), prompt_tokens=P, output_tokens=O, lengths="uniform", max_output_tokens=top,
        concurrency=float(row["batch"]),
    )
    assert rows[line].predicted == pytest.approx(est.mean_tpot_s * 1e3, rel=1e-9)
    # calibratable through the steady state's kernel classes at its concurrency, scaled to the run
    c = rows[line]
    assert c.calibratable and c.predict({}) == pytest.approx(c.predicted, rel=1e-12)
    slower = c.predict({("text", c.gpu, "bandwidth"): 0.5, ("text", c.gpu, "gemm"): 0.5, ("text", c.gpu, "attention"): 0.5})
    assert slower > c.predicted


def test_a_what_if_with_requests_and_concurrency_prices_the_benchmark_run():
    from typer.testing import CliRunner

    import capplan
    from capplan.cli.app import build_app

    r = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, prompt_tokens=1000, output_tokens=200, concurrency=8, requests=80, output_lengths="fixed")
    b = r.burst
    assert b is not None and b.concurrency == 8 and b.mean_tpot_ms is not None
    assert b.output_tokens_per_s * b.duration_s == pytest.approx(80 * 200, rel=1e-9)
    # the run's TPOT is the steady state's at concurrency 8 give or take the waves' prefills (same core)
    assert 0.8 < b.mean_tpot_ms / r.tpot_ms < 1.25
    out = CliRunner().invoke(build_app(), ["text", "--gpus", "1", "--workload", "llama-3.1-8b", "--requests", "80", "--concurrency", "8"], env={"COLUMNS": "120"})
    assert out.exit_code == 0, out.output
    assert "80 requests sent 8 at a time to one replica" in out.output and "Mean TPOT" in out.output


def test_a_what_if_at_concurrency_one_and_a_closed_loop_run_at_concurrency_one_agree_on_ttft():
    # one core: alone on an idle engine a request waits for nothing, so the steady state's TTFT at
    # concurrency 1 is the prompt's prefill, which is what the iteration-by-iteration run gives too
    import capplan

    r = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, prompt_tokens=3000, output_tokens=100, concurrency=1, requests=4, output_lengths="fixed")
    assert r.burst is not None and r.burst.concurrency == 1
    assert r.ttft_ms == pytest.approx(r.burst.mean_ttft_ms, rel=1e-9)
    # with others in flight it also waits for the iteration in progress
    two = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, prompt_tokens=3000, output_tokens=100, concurrency=2)
    assert two.ttft_ms == pytest.approx(r.ttft_ms + two.tpot_ms, rel=1e-9)


def test_a_rows_stated_engine_flags_set_the_limits_it_is_priced_with(shipped_text_rows):
    # AMD's MI300X throughput row (line 223) ran --max-num-seqs 3200 --max-num-batched-tokens 131072
    # --num-scheduler-steps 10 on vLLM 0.6.7 (V0): the prediction is the burst at those limits, with the
    # V0 host time per step divided by the 10 steps the scheduler runs at once
    import csv
    import dataclasses

    from capplan.analysis.validate import validation_dir

    path = validation_dir() / "text_measurements.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        row = list(csv.DictReader(fh))[223 - 2]
    assert "--max-num-seqs 3200" in row["notes"] and row["requests"] == "3200"
    cat = load_catalog()
    st = cat.efficiency.default_stack
    s = text_setup(
        cat.text["llama-3.1-70b"], cat.gpu("mi300x"), cat.efficiency.gpu["mi300x"][st], cat.efficiency.runtime, st, "fp8", "fp8", engine="vllm",
        engine_version="0.6.7",
    )
    assert s.engine.iteration_overhead_s == pytest.approx(0.004)  # V0's host time per step
    stated = dataclasses.replace(
        s, max_batch=3200, max_batched_tokens=131072.0,
        engine=dataclasses.replace(s.engine, iteration_overhead_s=s.engine.iteration_overhead_s / 10, per_sequence_overhead_s=s.engine.per_sequence_overhead_s / 10),
    )
    est = text_burst(stated, tp=8, requests=3200, prompt_tokens=128.0, output_tokens=2048.0, lengths="fixed")
    got = next(c for c in shipped_text_rows if c.row == 223)
    assert got.predicted == pytest.approx(est.output_tokens_per_s, rel=1e-9)
    assert got.predicted > text_burst(s, tp=8, requests=3200, prompt_tokens=128.0, output_tokens=2048.0, lengths="fixed").output_tokens_per_s


def test_a_scheduler_that_polls_every_n_steps_delays_first_tokens_by_half_of_them_on_average(setup):
    import dataclasses

    import capplan.planning.core as core

    polled = dataclasses.replace(setup, poll_interval=10)
    kw = dict(tp=1, concurrency=np.array([1.0, 8.0]), prompt_tokens=1000.0, output_tokens=200.0)
    a, b = core.text_fixed(setup, **kw), core.text_fixed(polled, **kw)
    # alone it waits for nothing either way; with others in flight 4.5 more iterations on average
    assert b.ttft_s[0] == pytest.approx(a.ttft_s[0], rel=1e-12)
    assert b.ttft_s[1] - a.ttft_s[1] == pytest.approx(4.5 * a.tpot_s[1], rel=1e-9)
    assert np.array_equal(a.tpot_s, b.tpot_s)
    # the run: with lengths spread over 180..220 requests end while others decode, and the next wait for
    # the scheduler's next look; fixed lengths end together, so the engine idles until then, which costs
    # nothing (an idle scheduler loop is quick)
    spread = dict(tp=1, requests=80, prompt_tokens=1000.0, output_tokens=200.0, lengths="uniform", max_output_tokens=220.0, concurrency=8)
    assert text_burst(polled, **spread).mean_ttft_s > 1.2 * text_burst(setup, **spread).mean_ttft_s
    fixed = dict(tp=1, requests=80, prompt_tokens=1000.0, output_tokens=200.0, lengths="fixed", concurrency=8)
    assert text_burst(polled, **fixed).mean_ttft_s == pytest.approx(text_burst(setup, **fixed).mean_ttft_s, rel=1e-9)


def test_a_runs_mean_tpot_is_the_benchmarks_mean_over_requests(setup):
    # fixed lengths: every request decodes O - 1 times, so the mean over requests is the mean over
    # decoded tokens; long-tailed lengths: the short requests, whose few steps fall among the run's
    # prefills, weigh as much as long ones, and the mean over requests is the larger
    from capplan.planning.burst import iteration_times_s

    kw = dict(tp=1, requests=600, prompt_tokens=1500.0, output_tokens=150.0)
    fixed = text_burst(setup, lengths="fixed", **kw)
    t, _ = iteration_times_s(setup, tp=1, prompt_tokens=1500.0, schedule=fixed.schedule)
    decoded = fixed.schedule.runs * fixed.schedule.decode_tokens
    assert fixed.mean_tpot_s == pytest.approx(float(decoded @ t / decoded.sum()), rel=1e-6)
    tail = text_burst(setup, lengths="exponential", max_output_tokens=1500.0, **kw)
    t, _ = iteration_times_s(setup, tp=1, prompt_tokens=1500.0, schedule=tail.schedule)
    decoded = tail.schedule.runs * tail.schedule.decode_tokens
    assert tail.mean_tpot_s > 1.05 * float(decoded @ t / decoded.sum())


def test_a_what_if_takes_the_schedulers_poll_interval_and_so_agrees_with_a_validation_row_stating_it():
    from typer.testing import CliRunner

    import capplan
    from capplan.cli.app import build_app
    from capplan.errors import UserError

    kw = dict(gpus=1, prompt_tokens=1000, output_tokens=200, concurrency=8)
    base, polled = capplan.text("llama-3.1-8b", "h100-sxm", **kw), capplan.text("llama-3.1-8b", "h100-sxm", poll_interval=10, **kw)
    assert polled.inputs.poll_interval == 10 and base.inputs.poll_interval == 1
    assert polled.ttft_ms == pytest.approx(base.ttft_ms + 4.5 * base.tpot_ms, rel=1e-9) and polled.tpot_ms == base.tpot_ms
    with pytest.raises(UserError, match="poll_interval"):
        capplan.text("llama-3.1-8b", "h100-sxm", poll_interval=0, **kw)
    args = ["text", "--workload", "llama-3.1-8b", "--gpus", "1", "--prompt-tokens", "1000", "--output-tokens", "200", "--concurrency", "8"]
    out = CliRunner().invoke(build_app(), [*args, "--poll-interval", "10", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert '"poll_interval": 10' in out.output


def test_the_runs_mean_tpot_by_blocks_of_cohorts_is_the_direct_sum():
    # the FFT correlation over blocks of cohorts equals the per-request sum written out
    from capplan.models.burst import BurstSchedule
    from capplan.planning.burst import mean_tpot_s

    rng = np.random.default_rng(0)
    K, W = 70_000, 50  # more cohorts than one block (65,536)
    births = np.where(rng.random(K) < 0.05, rng.random(K), 0.0)
    spent = rng.random(K) * 0.01
    pmf = rng.random(W)
    pmf /= pmf.sum()
    zeros = np.zeros(K)
    sched = BurstSchedule(
        decode_tokens=zeros, decode_context=zeros, prefill_tokens=zeros, prefill_sequences=births, runs=np.ones(K), requests=float(births.sum()),
        output_tokens=float(pmf @ np.arange(1, W + 1)), sent=zeros, length_pmf=pmf,
    )
    S = np.concatenate([[0.0], np.cumsum(spent), np.full(W + 1, spent.sum())])
    num = den = 0.0
    for b in np.flatnonzero(births):
        for length in range(2, W + 1):
            num += births[b] * pmf[length - 1] * (S[b + length] - S[b + 1]) / (length - 1)
            den += births[b] * pmf[length - 1]
    assert mean_tpot_s(sched, spent) == pytest.approx(num / den, rel=1e-9)


def test_a_what_ifs_uniform_lengths_take_a_top_as_a_benchmarks_range_ratio_does():
    # --random-range-ratio 0.8 with output length 1000: lengths 800 .. 1000, mean 900
    import capplan
    from capplan.errors import UserError

    kw = dict(gpus=1, prompt_tokens=500, output_tokens=900, requests=64, concurrency=8, output_lengths="uniform")
    b = capplan.text("llama-3.1-8b", "h100-sxm", max_output_tokens=1000, **kw).burst
    assert b.max_output_tokens == 1000 and b.output_tokens_per_s * b.duration_s == pytest.approx(64 * 900, rel=1e-9)
    wide = capplan.text("llama-3.1-8b", "h100-sxm", **kw).burst  # 1 .. 1799: a longer drain of the last outputs
    assert wide.max_output_tokens == 1799 and wide.duration_s > b.duration_s
    for bad in (899, 1800):
        with pytest.raises(UserError, match="max_output_tokens"):
            capplan.text("llama-3.1-8b", "h100-sxm", max_output_tokens=bad, **kw)
