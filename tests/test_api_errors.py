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
