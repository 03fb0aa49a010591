"""How the validator reads what a video row's notes state about what was timed and how it ran."""

from __future__ import annotations

import csv

import pytest

from capplan import api
from capplan.analysis.validate import VIDEO_COLUMNS, video_comparisons

ROW = dict(model="cogvideox-2b", gpu="a100-sxm-80gb", num_gpus="1", parallel="none", width="720", height="480", frames="49",
           fps="8", steps="50", cfg="true", precision="bf16", offload="", time_s="60", peak_mem_gb="", source="test")


def _write(tmp_path, notes: list[str]):
    path = tmp_path / "video.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=VIDEO_COLUMNS)
        w.writeheader()
        for n in notes:
            w.writerow({**ROW, "notes": n})
    return path


def test_a_time_of_the_denoising_loop_alone_is_compared_with_the_loop_alone(tmp_path):
    whole, loop = video_comparisons(path=_write(tmp_path, ["whole pipe() call", "time_s = 1.2 x 50 = DiT denoising loop only"]))
    r = api.video("cogvideox-2b", "a100-sxm-80gb", resolution="720x480", frames=49, fps=8, steps=50, cfg=True, long_video="one-sequence")
    st = r.time_by_stage_s
    assert whole.predicted == pytest.approx(r.time_s)
    # no text encoding and no VAE decode in the loop (CogVideoX's VAE decode is seconds, so the two differ)
    assert st.vae_decode > 1.0
    assert loop.predicted == pytest.approx(r.time_s - st.text_encoder - st.vae_decode)


def test_a_rows_stated_attention_stack_is_the_one_priced(tmp_path):
    default, fa3 = video_comparisons(path=_write(tmp_path, ["no kernel stated", "Attention stack as run: fa3 (the source's label)"]))
    kw = dict(resolution="720x480", frames=49, fps=8, steps=50, cfg=True, long_video="one-sequence")
    assert default.predicted == pytest.approx(api.video("cogvideox-2b", "a100-sxm-80gb", **kw).time_s)
    assert fa3.predicted == pytest.approx(api.video("cogvideox-2b", "a100-sxm-80gb", stack="fa3", **kw).time_s)
    assert fa3.predicted < default.predicted  # FlashAttention-3's figures are the faster ones
