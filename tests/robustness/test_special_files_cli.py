"""Every option that names an input file refuses a FIFO or a device by name instead of hanging on it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "argv,needle",
    [
        (("video", "--economics", "{fifo}"), "--economics: '{fifo}' is not allowed; it cannot be read: it is a pipe (FIFO)"),
        (("text", "--calibration", "{fifo}"), "--calibration: '{fifo}' is not allowed; it cannot be read: it is a pipe (FIFO)"),
        (("calibrate", "{fifo}"), "MEASUREMENTS: '{fifo}' is not allowed; it cannot be read: it is a pipe (FIFO)"),
        (("calibrate", "/dev/zero"), "MEASUREMENTS: '/dev/zero' is not allowed; it cannot be read: it is a device"),
    ],
)
def test_a_fifo_or_device_is_refused_without_hanging(tmp_path, argv, needle):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    args = [a.replace("{fifo}", str(fifo)) for a in argv]
    env = {k: v for k, v in os.environ.items() if k != "CAPPLAN_DEBUG"}
    proc = subprocess.run([sys.executable, "-m", "capplan", *args], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"Error: {needle.replace('{fifo}', str(fifo))}; name a regular file\n"
    assert proc.stdout == ""
