"""`capplan video` end to end: the JSON contract, the report, bad input."""

from __future__ import annotations

import pytest

from capplan.catalog import load_catalog

CONTRACT = {"tokens", "flop_total", "peak_memory_gb", "fits_in_memory", "time_s", "gpu_seconds", "cost_per_video_minute_usd", "inputs"}
VIDEO_MODELS = sorted(load_catalog().video)


@pytest.mark.parametrize("workload", VIDEO_MODELS)
def test_every_catalogue_dit_on_h100_gives_the_contract(cli, workload):
    r = cli("video", "--workload", workload, "--gpu", "h100-sxm", "--format", "json")
    assert r.code == 0, r.err
    d = r.json()
    assert CONTRACT <= d.keys()
    assert d["inputs"]["workload"] == workload and d["inputs"]["gpu"] == "h100-sxm"
    assert d["cost_per_video_minute_usd"] > 0 and d["time_s"] > 0 and d["tokens"] > 0
    # cost per minute = GPU-seconds x price / video minutes, from the reported numbers
    expected = d["gpu_seconds"] / 3600 * d["inputs"]["price_per_gpu_hour_usd"] / (d["video_seconds"] / 60)
    assert d["cost_per_video_minute_usd"] == pytest.approx(expected)


def test_default_run_prints_a_readable_report(cli):
    r = cli("video")
    assert r.code == 0, r.err
    for text in ("Cost per minute of video", "Wall time", "Peak", "stack fa2", "Self-attention"):
        assert text in r.out


def _cost(cli, *args):
    r = cli("video", "--workload", "cogvideox-5b", "--gpu", "h100-sxm", "--format", "json", *args)
    assert r.code == 0, r.err
    return r.json()["cost_usd"]


def test_halving_pixels_fps_or_seconds_lowers_cost(cli):
    base = _cost(cli, "--resolution", "1280x720", "--seconds", "6", "--fps", "16")
    assert _cost(cli, "--resolution", "640x720", "--seconds", "6", "--fps", "16") < base
    assert _cost(cli, "--resolution", "1280x720", "--seconds", "6", "--fps", "8") < base
    assert _cost(cli, "--resolution", "1280x720", "--seconds", "3", "--fps", "16") < base


@pytest.mark.parametrize("gpu", ["h100-sxm", "h200-sxm", "b200", "l40s", "mi300x"])
def test_fp8_never_costs_more_than_bf16(cli, gpu):
    bf16 = cli("video", "--workload", "wan2.1-t2v-14b", "--gpu", gpu, "--format", "json")
    fp8 = cli("video", "--workload", "wan2.1-t2v-14b", "--gpu", gpu, "--precision", "fp8", "--format", "json")
    assert fp8.json()["cost_usd"] <= bf16.json()["cost_usd"]
    assert fp8.json()["peak_memory_gb"] < bf16.json()["peak_memory_gb"]


def test_a_model_that_does_not_fit_says_so_and_suggests_gpus(cli):
    r = cli("video", "--workload", "hunyuanvideo", "--gpu", "rtx-4090", "--resolution", "720p", "--format", "json")
    assert r.code == 0
    d = r.json()
    assert d["fits_in_memory"] is False
    assert "--gpus" in d["suggestion"] or "--offload" in d["suggestion"]
    table = cli("video", "--workload", "cogvideox-5b", "--gpu", "h100-sxm", "--resolution", "1080p", "--seconds", "60", "--long-video", "one-sequence")
    assert "DOES NOT FIT" in table.out and "--gpus" in table.out


def test_long_video_reports_clips_and_one_sequence(cli):
    r = cli("video", "--workload", "wan2.1-t2v-1.3b", "--gpu", "h100-sxm", "--seconds", "60", "--format", "json")
    d = r.json()
    lv = d["long_video"]
    assert d["n_clips"] == 12 and lv["mode"] == "clips"
    # one 60 s sequence has 12x the tokens of a 5 s clip and attention quadratic in them: dearer per minute
    assert lv["one_sequence_cost_per_video_minute_usd"] > lv["clips_cost_per_video_minute_usd"]
    assert d["cost_per_video_minute_usd"] == pytest.approx(lv["clips_cost_per_video_minute_usd"])


def test_json_output_is_deterministic(cli):
    a = cli("video", "--workload", "cogvideox-2b", "--format", "json").out
    b = cli("video", "--workload", "cogvideox-2b", "--format", "json").out
    assert a == b


def test_output_file_written_atomically(cli, tmp_path):
    target = tmp_path / "r.json"
    r = cli("video", "--format", "json", "--output", str(target))
    assert r.code == 0 and r.out == ""
    assert target.read_text().startswith("{")
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


BAD = [
    (["--gpu", "h100x"], "--gpu"),
    (["--workload", "nope"], "--workload"),
    (["--workload", "llama-3.1-8b"], "text model"),
    (["--gpus", "0"], "--gpus"),
    (["--gpus", "-2"], "--gpus"),
    (["--seconds", "0"], "--seconds"),
    (["--seconds", "-5"], "--seconds"),
    (["--seconds", "nan"], "--seconds"),
    (["--seconds", "inf"], "--seconds"),
    (["--frames", "0"], "--frames"),
    (["--fps", "0"], "--fps"),
    (["--steps", "0"], "--steps"),
    (["--resolution", "720x"], "--resolution"),
    (["--resolution", "0x720"], "--resolution"),
    (["--resolution", "huge"], "--resolution"),
    (["--precision", "fp8", "--gpu", "a100-sxm-80gb"], "no fp8"),
    (["--precision", "fp4", "--gpu", "h100-sxm"], "no fp4"),
    (["--precision", "int3"], "--precision"),
    (["--price-per-gpu-hour", "-1"], "--price-per-gpu-hour"),
    (["--offload", "maybe"], "--offload"),
    (["--stack", "fa9"], "--stack"),
    (["--seconds", "5", "--frames", "81"], "not both"),
    (["--format", "xml"], "--format"),
    (["--nonsense"], "--nonsense"),
    (["--gpus", "two"], "--gpus"),
]


@pytest.mark.parametrize("args,needle", BAD)
def test_bad_input_is_one_clear_line_and_exit_2(cli, args, needle):
    r = cli("video", *args)
    assert r.code == 2, (r.code, r.out, r.err)
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert needle in lines[0]
    assert "Traceback" not in r.err
