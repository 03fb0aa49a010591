"""Every path that prices a scenario agrees: a what-if, a sweep cell, the base case of a sensitivity
run and a Monte Carlo with zero-width ranges (issue 15). Over the whole catalogue, not one pinned case."""

from __future__ import annotations

import pytest

import capplan
from capplan.catalog import load_catalog
from capplan.errors import UserError

CAT = load_catalog()
TEXT_PRECISIONS = ("bf16", "fp8")
VIDEO_PRECISIONS = ("bf16", "fp8")


def _supported(gpu: str, precision: str) -> bool:
    return CAT.gpus[gpu].peak_tflop_per_s(precision) is not None


@pytest.mark.parametrize("workload", sorted(CAT.text))
def test_text_paths_agree(workload):
    gpus = sorted(CAT.gpus)
    sweep = capplan.sweep("text", [f"gpu={','.join(gpus)}", f"precision={','.join(TEXT_PRECISIONS)}"], fixed={"workload": workload})
    compared = 0
    for row in sweep.rows:
        gpu, precision = row.inputs["gpu"], row.inputs["precision"]
        t = capplan.text(workload, gpu, precision=precision)  # fp8 on a chip without fp8: weight-only, in both
        assert row.cost_per_unit_usd == t.cost_per_million_tokens_usd, (gpu, precision)
        assert row.gpus_per_replica == t.gpus_per_replica and row.max_batch == t.max_batch
        if t.cost_per_million_tokens_usd is None:
            continue
        price = t.economics.gpu_usd_per_hour
        mc = capplan.text(workload, gpu, precision=precision, uncertain=[f"price={price!r}:{price!r}"], samples=3)
        assert mc.uncertainty.p50 == pytest.approx(t.cost_per_million_tokens_usd, rel=1e-12)
        compared += 1
    assert compared >= 3


@pytest.mark.parametrize("engine", ["trtllm", "vllm", "sglang"])
def test_text_paths_agree_per_engine(engine):
    gpus = [g for g in ("h100-sxm", "h200-sxm", "b200")]
    sweep = capplan.sweep("text", [f"gpu={','.join(gpus)}"], fixed={"workload": "llama-3.1-70b", "engine": engine})
    for row in sweep.rows:
        t = capplan.text("llama-3.1-70b", row.inputs["gpu"], engine=engine)
        assert row.cost_per_unit_usd == t.cost_per_million_tokens_usd and row.max_batch == t.max_batch


@pytest.mark.parametrize("workload", sorted(CAT.video))
def test_video_paths_agree(workload):
    gpus = sorted(CAT.gpus)
    sweep = capplan.sweep("video", [f"gpu={','.join(gpus)}", f"precision={','.join(VIDEO_PRECISIONS)}"], fixed={"workload": workload})
    for row in sweep.rows:
        gpu, precision = row.inputs["gpu"], row.inputs["precision"]
        if not _supported(gpu, precision):
            assert row.status == "cannot run"
            continue
        v = capplan.video(workload, gpu, precision=precision)
        if not v.fits_in_memory:
            assert row.status == "does not fit" and row.cost_per_unit_usd is None
            continue
        assert row.cost_per_unit_usd == pytest.approx(v.cost_per_video_minute_usd, rel=1e-12), (gpu, precision)
        price = v.economics.gpu_usd_per_hour
        mc = capplan.video(workload, gpu, precision=precision, uncertain=[f"price={price!r}:{price!r}", f"steps={v.inputs.steps}:{v.inputs.steps}"], samples=3)
        assert mc.uncertainty.p50 == pytest.approx(v.cost_per_video_minute_usd, rel=1e-12)


@pytest.mark.parametrize("command,args", [("video", {"workload": "wan2.1-t2v-14b", "gpu": "h100-sxm", "precision": "fp8"}), ("text", {"workload": "llama-3.1-70b", "gpu": "h100-sxm"})])
def test_sensitivity_base_is_the_what_if(command, args):
    s = capplan.sensitivity(command, args=args)
    direct = capplan.video(**args).cost_per_video_minute_usd if command == "video" else capplan.text(**args).cost_per_million_tokens_usd
    assert s.base_value == direct


def test_gemm_scale_moves_an_fp8_video():
    """efficiency.gemm_frac is the GEMM efficiency of every precision (issue 15: it read the bf16 field only)."""
    base = capplan.video("wan2.1-t2v-14b", "h100-sxm", precision="fp8")
    slow = capplan.video("wan2.1-t2v-14b", "h100-sxm", precision="fp8", sets=["efficiency.gemm_frac*=0.5"])
    assert slow.time_by_stage_s.dit_linear == pytest.approx(2 * base.time_by_stage_s.dit_linear, rel=1e-9)
    assert slow.cost_per_video_minute_usd > base.cost_per_video_minute_usd
    s = capplan.sensitivity("video", args={"workload": "wan2.1-t2v-14b", "gpu": "h100-sxm", "precision": "fp8"})
    gemm = next(r for r in s.rows if r.input == "GEMM efficiency")
    assert gemm.swing and gemm.swing > 0


def test_sweep_text_equals_text_for_auto_tp():
    """The reproduction of issue 15: the sweep priced llama-3.1-70b on h100-sxm at 4.7x text()."""
    r = capplan.sweep("text", ["gpu=h100-sxm,h200-sxm,l40s,a100-sxm-80gb"], fixed={"workload": "llama-3.1-70b"})
    for row in r.rows:
        t = capplan.text("llama-3.1-70b", row.inputs["gpu"])
        assert row.cost_per_unit_usd == t.cost_per_million_tokens_usd
        assert row.cost_per_unit_usd is not None


def test_a_cuda_graph_limit_is_priced_alike_by_the_what_if_and_its_draws():
    # TensorRT-LLM graphs decode batches of up to 128 by default: at 256 in flight every step launches its
    # kernels from the host; a server started with a 512 limit replays them, and a Monte Carlo draw of the
    # same what-if prices it the same way
    kw = dict(gpus=8, precision="fp8", engine="trtllm", concurrency=256, prompt_tokens=1000, output_tokens=1000)
    eager = capplan.text("deepseek-v3", "h200-sxm", **kw)
    graphed = capplan.text("deepseek-v3", "h200-sxm", cuda_graph_max_batch=512, **kw)
    none = capplan.text("deepseek-v3", "h200-sxm", cuda_graph_max_batch=0, **kw)
    assert (eager.inputs.cuda_graph_max_batch, graphed.inputs.cuda_graph_max_batch, none.inputs.cuda_graph_max_batch) == (128, 512, 0)
    assert graphed.tpot_ms < eager.tpot_ms == pytest.approx(none.tpot_ms, rel=1e-12)
    price = graphed.inputs.price_per_gpu_hour_usd
    mc = capplan.text("deepseek-v3", "h200-sxm", cuda_graph_max_batch=512, uncertain=[f"price={price!r}:{price!r}"], samples=3, **kw)
    assert mc.uncertainty.p50 == pytest.approx(graphed.cost_per_million_tokens_usd, rel=1e-12)
    with pytest.raises(UserError, match="cuda_graph_max_batch"):
        capplan.text("deepseek-v3", "h200-sxm", cuda_graph_max_batch=-1, **kw)
