"""The library names its parameters; the CLI maps them to flags (issue 15)."""

from __future__ import annotations

import pytest

import capplan
from capplan.errors import UserError


@pytest.mark.parametrize(
    "call,source",
    [
        (lambda: capplan.video(gpus=0), "gpus"),
        (lambda: capplan.video(price_per_gpu_hour=-1), "price_per_gpu_hour"),
        (lambda: capplan.text(gpus=3), "gpus"),
        (lambda: capplan.text(no_latency_targets=True, tpot_ms=30), "no_latency_targets"),
        (lambda: capplan.plan(power_cap_mw=-1), "power_cap_mw"),
    ],
)
def test_library_errors_name_the_parameter(call, source):
    with pytest.raises(UserError) as exc:
        call()
    assert exc.value.source == source


def test_the_cli_shows_the_flag(cli):
    r = cli("text", "--gpus", "3")
    assert r.code == 2 and r.err.startswith("Error: --gpus: 3 is not allowed") and "1, 2, 4, 8" in r.err


def test_a_gpu_without_serving_kernel_figures_warns():
    """A new GPU with only best-shape efficiencies reads optimistic: the text result says so (issue 19)."""
    import dataclasses

    from capplan.catalog import load_catalog

    cat = load_catalog()
    eff = cat.efficiency
    bare = eff.gpu["l40s"]["fa2"].model_copy(
        update={k: None for k in ("serving_gemm_frac", "serving_gemm_fp8_frac", "weight_stream_frac", "weight_stream_fp8_frac", "decode_attention_bandwidth_frac")}
    )
    cat2 = dataclasses.replace(cat, efficiency=eff.model_copy(update={"gpu": {**eff.gpu, "l40s": {**eff.gpu["l40s"], "fa2": bare}}}))
    warned = capplan.text("llama-3.1-8b", "l40s", catalog=cat2).warnings
    assert any("no serving-kernel efficiencies" in w for w in warned)
    assert not any("no serving-kernel efficiencies" in w for w in capplan.text("llama-3.1-8b", "l40s", catalog=cat).warnings)


def test_set_reentry_keeps_every_request_option():
    """--set re-runs the call with the options it was given, read from the signature (a hand-kept list
    had drifted: max_gpus was dropped, so an auto GPU count ran past the node)."""
    r = capplan.video("wan2.1-t2v-14b", "rtx-4090", gpus=None, max_gpus=2, resolution="720p", sets=["video.steps=10"])
    assert r.inputs.gpus == 2 and r.inputs.steps == 10



def test_a_long_value_loses_its_middle_so_a_paths_file_name_stays_in_the_message():
    from capplan.errors import UserError

    path = "/tmp/" + "deep/" * 30 + "my-plan.json"
    text = str(UserError("B.json", path, "give a plan JSON file"))
    assert "my-plan.json'" in text and text.startswith("B.json: '/tmp/deep/") and "..." in text
    assert len(text) < 160
