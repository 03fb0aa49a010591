"""Monte Carlo: seeded, ordered quantiles, and degenerate ranges equal the deterministic runs."""

from __future__ import annotations

import pytest

import capplan
from capplan.errors import UserError


def test_video_quantiles_are_reproducible_and_ordered():
    a = capplan.video("cogvideox-5b", "h100-sxm", uncertain=["gemm_frac=0.6:0.8", "attention_frac=0.3:0.5", "price=2:3"], seed=7).uncertainty
    b = capplan.video("cogvideox-5b", "h100-sxm", uncertain=["gemm_frac=0.6:0.8", "attention_frac=0.3:0.5", "price=2:3"], seed=7).uncertainty
    c = capplan.video("cogvideox-5b", "h100-sxm", uncertain=["gemm_frac=0.6:0.8", "attention_frac=0.3:0.5", "price=2:3"], seed=8).uncertainty
    assert a == b and a != c
    assert a.p10 <= a.p50 <= a.p90 and a.valid_samples == a.samples == 1000


def test_video_degenerate_range_equals_the_deterministic_run():
    u = capplan.video("wan2.1-t2v-1.3b", "h100-sxm", uncertain=["gemm_frac=0.5:0.5", "steps=30:30", "price=2.5:2.5"]).uncertainty
    d = capplan.video("wan2.1-t2v-1.3b", "h100-sxm", steps=30, price_per_gpu_hour=2.5, sets=["efficiency.gemm_frac=0.5"])
    assert u.p10 == pytest.approx(d.cost_per_video_minute_usd, rel=1e-12)
    assert u.p90 == pytest.approx(d.cost_per_video_minute_usd, rel=1e-12)


def test_text_degenerate_range_equals_the_deterministic_run():
    u = capplan.text("llama-3.1-70b", "h100-sxm", gpus=4, uncertain=["bandwidth_frac=0.7:0.7", "output_tokens=300:300"]).uncertainty
    d = capplan.text(
        "llama-3.1-70b", "h100-sxm", gpus=4, output_tokens=300, sets=["efficiency.memory_bandwidth_frac=0.7"]  # the same knob: every bandwidth figure
    )
    assert u.p50 == pytest.approx(d.cost_per_million_tokens_usd, rel=1e-12)


def test_lower_efficiency_range_costs_more():
    lo = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, uncertain=["gemm_frac=0.3:0.4"]).uncertainty
    hi = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, uncertain=["gemm_frac=0.7:0.8"]).uncertainty
    assert lo.p50 > hi.p50


def test_plan_demand_growth():
    sets = ["scenario.horizon_hours=24"]
    u = capplan.plan(sets=sets, uncertain=["text_demand=1.2:1.2"], samples=2).uncertainty
    d = capplan.plan(sets=sets + ["text.requests_per_s.scale=1.2"])
    assert u.p50 == pytest.approx(d.consolidated.total_cost_usd, rel=1e-6)
    assert u.p50 > capplan.plan(sets=sets).consolidated.total_cost_usd


@pytest.mark.parametrize(
    "spec,needle",
    [("gemm_frac=0.8:0.6", "low <= high"), ("gemm_frac=0.5:1.5", "at most 1"), ("colour=1:2", "choose one of"), ("gemm_frac", "low:high"), ("pue=0.5:1.2", "at least 1"), ("price=a:b", "numbers")],
)
def test_bad_ranges(spec, needle):
    with pytest.raises(UserError) as exc:
        capplan.video("cogvideox-2b", "h100-sxm", uncertain=[spec])
    assert needle in str(exc.value)


def test_text_degenerate_range_keeps_the_what_ifs_scheduler_and_server_context():
    # a draw is priced with the what-if's own setup: its scheduler's looks (poll_interval, which moves TTFT
    # and so the batch the targets allow) and the server context an older vLLM picks its budget by
    kw = dict(gpus=1, engine="vllm", engine_version="0.5.4", max_model_len=2048, poll_interval=30, ttft_ms=300.0, prompt_tokens=1024)
    d = capplan.text("llama-3.1-8b", "h100-sxm", output_tokens=300, **kw)
    u = capplan.text("llama-3.1-8b", "h100-sxm", uncertain=["output_tokens=300:300"], **kw).uncertainty
    assert u.p50 == pytest.approx(d.cost_per_million_tokens_usd, rel=1e-12)
    assert d.inputs.max_model_len == 2048 and d.inputs.poll_interval == 30
    # both change the answer, so the test would see either one dropped
    assert capplan.text("llama-3.1-8b", "h100-sxm", output_tokens=300, **dict(kw, poll_interval=1)).max_batch != d.max_batch
    assert capplan.text("llama-3.1-8b", "h100-sxm", output_tokens=300, **dict(kw, max_model_len=None)).max_batch != d.max_batch
