"""capplan's text model beside llm-analysis 0.2.2, timed in one run on this machine.

    python benchmarks/peers/speed_vs_llm_analysis.py            # about a minute (first run: + the peer venv)
    python benchmarks/peers/speed_vs_llm_analysis.py --json out.json

The peer runs in its own virtual environment (benchmarks/peers/.venv-llm-analysis, created once by
compare_llm_analysis.ensure_venv) and is timed in-process there: its own entry point
``llm_analysis.analysis.infer`` on its bundled Llama-2-70B (``upstage_Llama-2-70b-instruct-v2``) on its
``a100-sxm-80gb`` at TP 4, over a grid of batch sizes, prompt and output lengths (imports excluded;
the mean over every configuration after a warm-up). One llm-analysis configuration is one batch size.

capplan is timed in this process on the same model and GPU (its catalogue's llama-2-70b, a100-sxm-80gb):

1. one scalar ``capplan.text()`` at TP 4 (finds the largest batch that meets the targets, i.e. more
   work than one llm-analysis configuration), median of repeated calls on a warm catalogue;
2. a text sweep of 25,000 scenarios (50 prompt lengths x 50 output lengths x 10 TPOT targets) at TP 4,
   priced through ``iter_sweep`` (``from capplan.api.sweep import iter_sweep``) (the columns, before any output is rendered), and the
   same grid with TP left to "auto" (every valid TP size that fits is priced, the cheapest kept);
3. the same 25,000-scenario sweep through ``capplan.sweep`` (materialising one result object per row).

Targets (issue 15): the sweep prices at least 200x llm-analysis's per-configuration rate, and one
``capplan.text()`` is no slower than one llm-analysis configuration. The peer and capplan run in turn,
``--rounds`` times (default 5), and each figure is its side's best round, so that load from another
process on a shared machine does not decide the comparison.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from compare_llm_analysis import DEFAULT_VENV, ensure_venv  # noqa: E402

PEER_CODE = r"""
import contextlib, itertools, json, sys, time
with contextlib.redirect_stdout(sys.stderr):
    from llm_analysis.analysis import infer
kw = dict(model_name="upstage_Llama-2-70b-instruct-v2", gpu_name="a100-sxm-80gb", dtype_name="w16a16e16", tp_size=4, log_level="ERROR")
grid = list(itertools.product([1, 2, 4, 8, 16, 32, 64, 128], [256, 512, 1024, 2048, 4096], [64, 128, 256, 512]))
with contextlib.redirect_stdout(sys.stderr):
    for b, s, o in grid[:3]:
        infer(batch_size_per_gpu=b, seq_len=s, num_tokens_to_generate=o, **kw)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        for b, s, o in grid:
            infer(batch_size_per_gpu=b, seq_len=s, num_tokens_to_generate=o, **kw)
        times.append((time.perf_counter() - t0) / len(grid))
print(json.dumps({"configurations": len(grid), "seconds_per_configuration": sorted(times)[1]}))
"""


def peer_seconds_per_configuration(venv: Path) -> dict:
    py = ensure_venv(venv, rebuild=False)
    out = subprocess.run([str(py), "-c", PEER_CODE], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def capplan_timings() -> dict:
    import numpy as np

    import capplan
    from capplan.api.sweep import iter_sweep
    from capplan.catalog import load_catalog

    cat = load_catalog()
    model, gpu = "llama-2-70b", "a100-sxm-80gb"

    def median_call(fn, n: int) -> float:
        fn()
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        return statistics.median(out)

    scalar = median_call(lambda: capplan.text(model, gpu, gpus=4, catalog=cat), 300)
    scalar_auto = median_call(lambda: capplan.text(model, gpu, catalog=cat), 300)
    P = ",".join(str(x) for x in np.linspace(128, 4096, 50).astype(int))
    O = ",".join(str(x) for x in np.linspace(64, 1024, 50).astype(int))
    T = ",".join(f"{x:g}" for x in np.linspace(20, 200, 10))
    vary = [f"prompt_tokens={P}", f"output_tokens={O}", f"tpot_ms={T}"]

    def columns(extra: list[str]) -> tuple[float, int]:
        n = 0

        def run() -> None:
            nonlocal n
            n = sum(c.n for c in iter_sweep("text", vary + extra, fixed={"workload": model, "gpu": gpu}, catalog=cat))

        return median_call(run, 5), n

    sweep_tp4, n = columns(["gpus=4"])
    sweep_auto, _ = columns([])
    rows = median_call(lambda: capplan.sweep("text", vary + ["gpus=4"], fixed={"workload": model, "gpu": gpu}, catalog=cat), 3)
    return {
        "scenarios": n,
        "text_call_s": scalar,
        "text_call_auto_tp_s": scalar_auto,
        "sweep_columns_tp4_s": sweep_tp4,
        "sweep_columns_auto_tp_s": sweep_auto,
        "sweep_rows_tp4_s": rows,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds of the peer and capplan; each figure is its best round")
    args = ap.parse_args()
    # The two sides run in turn, several times, and each keeps its best round: a burst of load from
    # another process on this shared machine then costs a side a round, not the comparison.
    peers, mines = [], []
    for _ in range(max(args.rounds, 1)):
        peers.append(peer_seconds_per_configuration(args.venv.resolve()))
        mines.append(capplan_timings())
    peer = min(peers, key=lambda p: p["seconds_per_configuration"])
    mine = {k: (min(m[k] for m in mines) if k.endswith("_s") else mines[0][k]) for k in mines[0]}
    peer_ms = ", ".join(f"{p['seconds_per_configuration'] * 1e3:.3f}" for p in peers)
    call_ms = ", ".join(f"{m['text_call_s'] * 1e3:.3f}" for m in mines)
    print(f"best of {len(mines)} alternating rounds (peer per configuration: {peer_ms} ms; capplan.text(): {call_ms} ms)")
    per_cfg = peer["seconds_per_configuration"]
    peer_rate = 1.0 / per_cfg
    n = mine["scenarios"]
    lines = [
        f"llm-analysis 0.2.2, one configuration (Llama-2-70B, A100 80GB, TP 4): {per_cfg * 1e3:.3f} ms  ({peer_rate:,.0f} configurations/s)",
        f"capplan.text(), TP 4 (largest batch meeting the targets): {mine['text_call_s'] * 1e3:.3f} ms  ({mine['text_call_s'] / per_cfg:.2f}x llm-analysis's time; target <= 1x)",
        f"capplan.text(), TP auto (every fitting TP priced):        {mine['text_call_auto_tp_s'] * 1e3:.3f} ms",
    ]
    for key, label in (("sweep_columns_tp4_s", "sweep, TP 4, columns"), ("sweep_columns_auto_tp_s", "sweep, TP auto, columns"), ("sweep_rows_tp4_s", "sweep, TP 4, one object per row")):
        rate = n / mine[key]
        lines.append(f"{label:32}: {n:,} scenarios in {mine[key]:.3f} s = {rate:,.0f}/s = {rate / peer_rate:,.0f}x llm-analysis (target >= 200x)")
    call = mine["text_call_s"] / per_cfg
    sweep = n / mine["sweep_columns_tp4_s"] / peer_rate
    lines.append(f"{'PASS' if call <= 1.0 else 'MISS'}: one capplan.text() (TP 4) {call:.2f}x one llm-analysis configuration's time, same run; target <= 1x")
    lines.append(f"{'PASS' if sweep >= 200 else 'MISS'}: text sweep (TP 4, columns) {sweep:,.0f}x llm-analysis's rate, same run; target >= 200x")
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"peer": peer, "capplan": mine}, indent=2))


if __name__ == "__main__":
    main()
