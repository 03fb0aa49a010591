"""The models against published measurements (validation/*.csv), with the default efficiency profile.

The defaults come from kernel benchmarks, not from these rows; these tests report the error and fail
if it grows past the stated bound. Known outliers are explained in docs/validation.md.
"""

from __future__ import annotations

import pytest

from capplan.analysis.validate import median_abs_error, scored, text_comparisons, video_comparisons

#: First line of validation/text_measurements.csv from the second held-out set (2026-11-30), evaluated
#: as the model stood when they were added.
HELD_OUT_2_FIRST_LINE = 223


@pytest.fixture(scope="module")
def video_rows():
    return video_comparisons()


def _print(rows, title):
    print(f"\n{title}")
    for c in rows:
        flag = "" if c.verified else " (secondary source)"
        print(f"  {c.model:18} {c.gpu:14} x{c.num_gpus:<2} {c.quantity:28} measured {c.measured:10.1f} predicted {c.predicted:10.1f} {c.error:+6.0%}{flag}")


def test_shared_video_rows_median_error_at_most_30pct(video_rows):
    shared = [c for c in video_rows if c.dataset == "shared"]
    assert len(shared) == 6  # four times, two memories: every row of ../shared/validation is compared
    _print(shared, "shared/validation rows")
    m = median_abs_error(shared)
    print(f"  median |error| = {m:.1%}")
    assert m <= 0.30


def test_all_video_rows_median_error_at_most_30pct(video_rows):
    times = [c for c in video_rows if c.quantity == "time_s"]
    assert len(times) >= 30 and len({c.gpu for c in times}) >= 5 and len({c.model for c in times}) >= 6
    _print(video_rows, "all video rows")
    m = median_abs_error(video_rows)
    mv = median_abs_error([c for c in video_rows if c.verified])
    print(f"  median |error| all = {m:.1%}, primary sources only = {mv:.1%}")
    assert m <= 0.30 and mv <= 0.30


def test_sequence_parallel_speedup_tracks_published_scaling(video_rows):
    # xDiT HunyuanVideo 720p on H100: 1 -> 8 GPUs is 5.6x faster; the model must predict a speed-up
    # in the same range (not the ideal 8x, not none).
    rows = {c.num_gpus: c for c in video_rows if c.model == "hunyuanvideo" and c.gpu == "h100-sxm" and "xdit-project" in c.source and "1280x720" in c.source and c.quantity == "time_s"}
    measured = rows[1].measured / rows[8].measured
    predicted = rows[1].predicted / rows[8].predicted
    assert 4.0 < measured < 7.0
    assert predicted == pytest.approx(measured, rel=0.5)
    assert predicted < 8.0


TRTLLM = ("TensorRT-LLM", "NIM (TensorRT-LLM)")


def test_text_rows_median_error_is_reported(shipped_text_rows):
    rows = list(shipped_text_rows)
    assert len(rows) >= 16 and len({c.gpu for c in rows}) >= 3
    assert any(c.model in ("mixtral-8x7b", "qwen3-235b-a22b", "deepseek-v3", "qwen3-30b-a3b") for c in rows)
    _print(rows, "text rows")
    # The serving-kernel defaults (efficiency.toml) are the best production kernels, as TensorRT-LLM
    # runs them: on TensorRT-LLM rows the target is at most 20% median |error| with sourced defaults
    # (17.5% at the time of writing; docs/validation.md lists the rows that remain far off and why).
    # (the bound was set on the rows before the second held-out set, lines 223 on, which the
    # engine-accuracy xfail below counts; docs/validation.md, "Held-out check 2")
    trt = [c for c in scored(rows) if c.dataset in TRTLLM and c.row < HELD_OUT_2_FIRST_LINE]
    m = median_abs_error(trt)
    print(f"  TensorRT-LLM rows: median |error| = {m:.1%} (n={len(trt)})")
    assert len(trt) >= 30 and m <= 0.20
    # ... and on dense models, whose serving kernels are the best documented, tighter still
    dense = [c for c in trt if c.model.startswith("llama")]
    print(f"  dense models: median |error| = {median_abs_error(dense):.1%} (n={len(dense)})")
    assert median_abs_error(dense) <= 0.20


def test_rows_run_on_the_engine_of_their_framework_at_their_stated_concurrency(shipped_text_rows):
    # NIM (TensorRT-LLM) Llama-3.1-70B on 2xH100 at 50 requests in flight: the validation row's prediction is
    # exactly what a user gets from capplan.text with the same engine and concurrency.
    import capplan

    row = next(c for c in shipped_text_rows if c.dataset == "NIM (TensorRT-LLM)" and c.quantity == "output_tokens_per_s")
    r = capplan.text("llama-3.1-70b", "h100-sxm", gpus=2, precision="fp8", kv_precision="fp8", prompt_tokens=5000, output_tokens=500, concurrency=50, engine="trtllm", no_latency_targets=True)
    assert r.inputs.engine == "trtllm" and r.max_batch == 50
    assert row.predicted == pytest.approx(r.tokens_per_s_per_replica, rel=1e-9)


def test_error_by_engine_is_reported(shipped_text_rows):
    from capplan.analysis.validate import time_error

    rows = scored(list(shipped_text_rows))
    for engine in sorted({c.dataset for c in rows}):
        sel = [c for c in rows if c.dataset == engine]
        errs = sorted(time_error(c) for c in sel)
        print(f"  {engine:20} n={len(sel):3} median |error| {median_abs_error(sel):6.1%}  median signed {errs[len(errs) // 2]:+6.1%}")
    assert {"TensorRT-LLM", "vLLM", "SGLang"} <= {c.dataset for c in rows}


@pytest.mark.xfail(
    strict=True,
    reason="issue 16: all text rows together are 21% off (median |error|, 616 scored rows with held-out check 9) "
    "and optimistic (signed -15% in time), against 15% and +-7%: TTFT under load (-46% signed, 140 rows; DeepSeek-R1 prefill), bursts of ~1000 requests, MI300X kernels, MoE kernels at "
    "small per-GPU expert shapes, early-2025 DeepSeek kernels and TensorRT-LLM 0.x releases; docs/validation.md lists every row more "
    "than 30% off with its cause",
)
def test_text_rows_within_15pct_and_not_optimistic(shipped_text_rows):
    from capplan.analysis.validate import time_error

    rows = scored(list(shipped_text_rows))
    signed = sorted(time_error(c) for c in rows)
    assert median_abs_error(rows) <= 0.15
    assert abs(signed[len(signed) // 2]) <= 0.07


_HELD_OUT_9 = pytest.mark.xfail(
    strict=True,
    reason="issue 16: within 20% from round 15 until held-out check 9 (GPUStack's DeepSeek-R1 bursts on 8 H200, vLLM's gpt-oss-120b "
    "burst on 8 B200; 41 rows, 45% off and optimistic) took vLLM to 22% and SGLang to 21%; round 18's prefill corrections (MLA's multi-head form, the engines' measured prefill attention) "
    "left vLLM at 21% and took SGLang to 25%, its DeepSeek-R1 prefills now faster than measured (round 19: 20.3% and 23.9%)",
)


@pytest.mark.parametrize("engine", [pytest.param("vLLM", marks=_HELD_OUT_9), pytest.param("SGLang", marks=_HELD_OUT_9), "TensorRT-LLM"])
def test_engine_rows_within_20pct(engine, shipped_text_rows):
    # issue 16's bound per engine: met for TensorRT-LLM since its PyTorch backend's eager context host time and
    # its Hopper block-fp8 MoE (DeepGEMM) streaming were sourced (round 12), for vLLM and SGLang since each
    # dense GEMM pays the ramp NVIDIA's per-engine GEMM tables measure beyond its roofline (round 15)
    rows = [c for c in scored(list(shipped_text_rows)) if c.dataset == engine]
    assert len(rows) >= 100
    assert median_abs_error(rows) <= 0.20


@pytest.mark.parametrize(
    "notes, layout",
    [
        ("TRT-LLM DEP4 (attention DP + EP over 4 GPUs)", (True, True)),
        ("trtllm-serve --backend pytorch --tp_size 8 --ep_size 4", (True, None)),
        ("SGLang --tp 8 --enable-dp-attention", (None, True)),
        ("tp 8, ep 8, attention DP", (True, True)),
        ("TP8, ep 1, no attention DP", (None, None)),  # stated off: the engine's default layout
        ("--ep-size 1; expert parallel not used", (None, None)),
        ("--tp 8 --ep-size 8; no --enable-dp-attention", (True, None)),  # a flag the run did not pass
        ("attention tensor-parallel (no DP attention), enable_attention_dp false", (None, None)),
        ("enable_attention_dp: true, attention_dp_config {enable_balance: true}", (None, True)),
    ],
)
def test_a_rows_moe_layout_is_read_only_where_the_notes_turn_it_on(notes, layout):
    from capplan.analysis.validate import _moe_layout

    assert _moe_layout(notes) == layout


def test_a_rows_stated_memory_share_and_capacity_policy_replace_the_engine_defaults():
    import dataclasses

    from capplan.analysis.validate import _stated_limits
    from capplan.catalog import load_catalog
    from capplan.planning.resolve import text_setup

    cat = load_catalog()
    st = cat.efficiency.default_stack

    def setup(engine):
        return text_setup(cat.text["deepseek-v3"], cat.gpu("h20"), cat.efficiency.gpu["h20"][st], cat.efficiency.runtime, st, "fp8", "fp8", engine=engine)

    sg = setup("sglang")
    got = _stated_limits(sg, "SGLang 0.4.8, --tp 8 --mem-fraction-static 0.9. 200 prompts")
    assert got.memory_frac == 0.9 and got.usable_bytes == pytest.approx(sg.memory_bytes * 0.9)
    assert _stated_limits(sg, "vllm serve --gpu-memory-utilization 0.95 --max-model-len 8192").usable_bytes == pytest.approx(sg.memory_bytes * 0.95)
    # a share stated in prose ("gpu_memory_utilization 0.95" of one of two scripts) is not a flag of the run
    assert _stated_limits(sg, "the other sets gpu_memory_utilization 0.95") == sg
    # TensorRT-LLM's share is of the memory the weights leave free, another quantity: not replaced
    trt = setup("trtllm")
    assert _stated_limits(trt, "--gpu-memory-utilization 0.5") == trt
    assert not _stated_limits(trt, "scheduler_config: capacity_scheduler_policy: MAX_UTILIZATION").kv_reserved_to_completion
    assert _stated_limits(trt, "trtllm-bench throughput") == dataclasses.replace(trt)
    # each engine's own names for the running-request limit, the tokens of one iteration and the memory share
    got = _stated_limits(sg, "--max-running-requests 128 --chunked-prefill-size 32768 --max-prefill-tokens 16384")
    assert (got.max_batch, got.max_batched_tokens) == (128, 16384.0)
    got = _stated_limits(trt, "trtllm-serve --max_batch_size 256 --max_num_tokens 1152, kv_cache_config {dtype: fp8, free_gpu_memory_fraction: 0.8}")
    assert (got.max_batch, got.max_batched_tokens, got.memory_frac) == (256, 1152.0, 0.8)
    # a CUDA-graph batch limit is the server's graph limit, not its running-request limit
    got = _stated_limits(trt, "cuda_graph_config {enable_padding: true, max_batch_size: 256}")
    assert (got.max_batch, got.engine.graph_max_batch) == (trt.max_batch, 256.0)
    assert _stated_limits(sg, "--cuda-graph-max-bs 128 --max-running-requests 512").engine.graph_max_batch == 128.0


def test_validate_reports_the_signed_error_by_engine_and_by_quantity(validated, shipped_text_rows):
    import statistics

    from capplan.analysis.validate import time_error

    res = validated
    groups = {g.group: g for g in res.summary}
    rows = scored(list(shipped_text_rows))
    for q in ("output_tokens_per_s", "tpot_ms", "ttft_ms"):
        sel = [c for c in rows if c.quantity == q]
        g = groups[f"text {q}"]
        assert g.n == len(sel)
        assert g.median_signed_error == pytest.approx(statistics.median(time_error(c) for c in sel))
    assert sum(groups[f"text {q}"].n for q in {c.quantity for c in rows}) == groups["text"].n


def test_a_4bit_row_on_a_gpu_without_4bit_tensor_cores_is_priced_weight_only_as_a_what_if_is(tmp_path):
    # gpt-oss-120b's MXFP4 experts on an H100 run at 16 bits (W4A16): the row is compared, not skipped, and
    # its prediction is the what-if's throughput at the same settings (fp8 KV: the rows' rule with 4-bit weights)
    import csv

    import capplan

    header = ["model", "gpu", "num_gpus", "tp", "precision", "batch", "prompt_tokens", "output_tokens", "metric", "value", "framework", "source", "notes"]
    path = tmp_path / "rows.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerow(["gpt-oss-120b", "h100-sxm", "1", "1", "fp4", "16", "1000", "1000", "output_tokens_per_s", "1000", "vLLM", "test", "vLLM 0.12.0"])
    (row,) = text_comparisons(path=path)
    r = capplan.text("gpt-oss-120b", "h100-sxm", gpus=1, precision="fp4", kv_precision="fp8", engine="vllm", engine_version="0.12.0",
                     concurrency=16, prompt_tokens=1000, output_tokens=1000)
    assert r.tokens_per_s_per_replica == pytest.approx(row.predicted, rel=1e-9)


def _one_text_row(tmp_path, metric, value, *, batch="1", requests=""):
    import csv

    header = ["model", "gpu", "num_gpus", "tp", "precision", "batch", "prompt_tokens", "output_tokens", "requests", "metric", "value", "framework", "source", "notes"]
    path = tmp_path / "rows.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerow(["llama-3.1-8b", "h100-sxm", "1", "1", "bf16", batch, "1000", "1000", requests, metric, value, "vLLM", "test", "vLLM 0.12.0"])
    return path


def test_a_row_faster_than_any_kernel_could_run_it_is_listed_but_not_scored_or_fitted(tmp_path):
    # Llama-3.1-8B in bf16 on one H100 reads its 16 GB of weights every decode step: at the full 3.35 TB/s
    # that is 4.8 ms, so a measured TPOT of 2 ms at batch 1 cannot be what the row says it is (a TPOT of
    # 10 ms can); the first is listed and flagged, left out of the summary and of a fit
    from capplan.analysis.calibrate import calibrate_rows
    from capplan.catalog import load_catalog

    (fast,) = text_comparisons(path=_one_text_row(tmp_path, "tpot_ms", "2.0"))
    assert fast.beats_ideal and not fast.calibratable and scored([fast]) == []
    (slow,) = text_comparisons(path=_one_text_row(tmp_path, "tpot_ms", "10.0"))
    assert not slow.beats_ideal and slow.calibratable
    # the same holds for a run priced as a whole (a closed-loop client with its request count)
    (burst,) = text_comparisons(path=_one_text_row(tmp_path, "output_tokens_per_s", "600", requests="10"))
    assert burst.beats_ideal  # > 1 / 4.8 ms = 208 tokens/s for one request at a time
    cat = load_catalog()
    with pytest.raises(Exception, match="usable rows"):
        calibrate_rows([fast] * 10, cat, cat.efficiency.default_stack)


def test_validate_lists_rows_beyond_the_ideal_and_leaves_them_out_of_the_summary(validated):
    # every shipped row faster than the ideal run is named in docs/validation.md with its reason, and the
    # summary counts the rest
    from pathlib import Path

    res = validated
    flagged = [r for r in res.rows if r.beats_ideal]
    groups = {g.group: g for g in res.summary}
    assert groups["all"].n == len(res.rows) - len(flagged)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "validation.md").read_text(encoding="utf-8")
    section = doc.split("## Rows faster than the ideal run", 1)[1].split("\n## ", 1)[0]
    for r in flagged:
        assert f"line {r.line}" in section, f"CSV line {r.line} beats the ideal run but docs/validation.md does not say why"


def test_the_readmes_accuracy_table_is_what_validate_reports(validated):
    # README "How accurate it is": each row count and percentage as `capplan validate` gives it now
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## How accurate it is", 1)[1].split("\n## ", 1)[0]
    g = {s.group: s for s in validated.summary}
    expected = {
        "video: generation time and peak memory": ["video"],
        "LLM serving, all": ["text"],
        "on vLLM / SGLang / TensorRT-LLM": ["text engine vLLM", "text engine SGLang", "text engine TensorRT-LLM"],
        "throughput / TPOT / TTFT": ["text output_tokens_per_s", "text tpot_ms", "text ttft_ms"],
    }
    for label, groups in expected.items():
        line = next(ln for ln in table.splitlines() if ln.startswith(f"| {label} |"))
        rows, err, signed = (re.findall(r"[-−]?\d+", cell) for cell in line.split("|")[2:5])
        assert [int(n) for n in rows] == [g[k].n for k in groups], label
        assert [int(e) for e in err] == [round(100 * g[k].median_abs_error) for k in groups], label
        assert [int(x.replace("−", "-")) for x in signed] == [round(100 * g[k].median_signed_error) for k in groups], label
