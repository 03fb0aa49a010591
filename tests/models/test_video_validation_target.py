"""The video model's target on the shipped validation rows: median |error| at most 15% and signed
median within +-7% with the default profile (the defaults come from kernel benchmarks and the models'
code, not from these rows; docs/validation.md explains the rows that remain far off)."""

from __future__ import annotations

from statistics import median

import pytest

from capplan.analysis.validate import video_comparisons


def test_video_rows_meet_the_accuracy_target_without_a_systematic_bias():
    rows = video_comparisons()
    errors = [c.error for c in rows]
    assert len(errors) >= 50
    assert median(abs(e) for e in errors) <= 0.15
    assert -0.07 <= median(errors) <= 0.07


@pytest.mark.xfail(
    strict=True,
    reason="issue 16: held-out check 9 (xDiT CogVideoX on 2-4 A100s, Mochi on 6 H20s, LTX-Video on 4 H800s) puts the multi-GPU "
    "time rows 11 points more optimistic than the single-GPU ones (median -14% against -3%, with round 21's measured all-to-all); "
    "the layout copies and per-step fixed costs of sequence-parallel video on small sequences have no sourced figure yet",
)
def test_multi_gpu_rows_are_not_systematically_optimistic():
    # The review found multi-GPU scaling too good (-30% to -47%); with unsplit stages and a sourced
    # all-to-all the multi-GPU rows' median is within the single-GPU rows' bias.
    rows = [c for c in video_comparisons() if c.quantity == "time_s"]
    multi = [c.error for c in rows if c.num_gpus > 1]
    single = [c.error for c in rows if c.num_gpus == 1]
    assert len(multi) >= 15
    assert abs(median(multi) - median(single)) <= 0.10
