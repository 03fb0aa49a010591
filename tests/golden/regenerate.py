#!/usr/bin/env python
"""Regenerate the golden JSON files next to this script: ``python tests/golden/regenerate.py``.

Each case in :data:`CASES` is one capplan command line; its ``--format json`` output is stored as
``<name>.json`` exactly as the CLI prints it. tests/golden/test_golden.py re-runs the same commands and
compares (numbers to a relative 1e-9, strings and keys exactly). Run this script when a change to the
models or the catalogue is intended to move the numbers, and commit the new files with the change.

Commands run in-process from the repository root, so the scenario path in the plan's output is the
relative, machine-independent ``tests/golden/plan-small.toml``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

#: name -> capplan arguments (``--format json`` is appended).
CASES: dict[str, list[str]] = {
    "video-cogvideox-5b-h100": ["video", "--workload", "cogvideox-5b", "--gpu", "h100-sxm"],
    "video-hunyuanvideo-h200x4-720p-fp8": ["video", "--workload", "hunyuanvideo", "--gpu", "h200-sxm", "--gpus", "4", "--resolution", "720p", "--precision", "fp8"],
    "video-wan-1.3b-l40s-20s-owned": ["video", "--workload", "wan2.1-t2v-1.3b", "--gpu", "l40s", "--seconds", "20", "--pricing", "own"],
    "text-llama-3.1-70b-h100x4": ["text", "--workload", "llama-3.1-70b", "--gpu", "h100-sxm", "--gpus", "4"],
    "text-deepseek-v3-b200x8-fp8": ["text", "--workload", "deepseek-v3", "--gpu", "b200", "--gpus", "8", "--precision", "fp8"],
    "text-mixtral-mi300x-throughput-owned": ["text", "--workload", "mixtral-8x7b", "--gpu", "mi300x", "--no-latency-targets", "--pricing", "own"],
    "plan-small": ["plan", "tests/golden/plan-small.toml", "--time-limit-s", "60"],
}


def run(args: list[str]) -> str:
    """The stdout of ``capplan <args> --format json``, run in-process from the repository root."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from capplan.cli import main

    out, err = io.StringIO(), io.StringIO()
    env_debug = os.environ.pop("CAPPLAN_DEBUG", None)
    try:
        with contextlib.chdir(REPO), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main([*args, "--format", "json"])
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        if env_debug is not None:
            os.environ["CAPPLAN_DEBUG"] = env_debug
    if code != 0:
        raise RuntimeError(f"capplan {' '.join(args)} exited {code}: {err.getvalue().strip()}")
    return out.getvalue()


def golden_path(name: str) -> Path:
    return HERE / f"{name}.json"


def main() -> None:
    for name, args in CASES.items():
        text = run(args)
        json.loads(text)  # refuse to store anything that is not JSON
        golden_path(name).write_text(text, encoding="utf-8")
        print(f"wrote {golden_path(name).relative_to(REPO)}")
    stale = sorted(p.name for p in HERE.glob("*.json") if p.stem not in CASES)
    if stale:
        print(f"note: golden files without a case (delete them if unused): {', '.join(stale)}")


if __name__ == "__main__":
    main()
