"""Plan scale: `capplan plan` end to end on a week and a year, 3 and 6 GPU types.

Each case runs `python -m capplan plan ... -f json` as a new process (the whole command: catalogue,
capacity models, three solves - siloed, consolidated, co-resident - and the report), N times. It
reports the median wall time (min / max), the peak resident memory of the process (``os.wait4``),
and each plan's solver status and gap from the JSON. Targets (docs/benchmarks.md, "Plan scale"):
a year x 3 types within 10x the bundled week and about 60 s; a week x 6 types within 5 s.

    python benchmarks/plan_scale.py                  # all cases, 3 runs each
    python benchmarks/plan_scale.py --runs 1 --only year
    python benchmarks/plan_scale.py --root /path/to/other/checkout   # compare another version
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIX = '["h100-sxm","h200-sxm","b200","a100-sxm-80gb","mi300x","h100-pcie"]'
CASES = {
    "week": ("bundled week, 3 GPU types", []),
    "week6": ("bundled week, 6 GPU types", [f"scenario.fleet.gpus={SIX}"]),
    "year": ("a year (8760 h), 3 GPU types", ["scenario.horizon_hours=8760"]),
    "year6": ("a year (8760 h), 6 GPU types", ["scenario.horizon_hours=8760", f"scenario.fleet.gpus={SIX}"]),
}


def run_once(root: Path, sets: list[str], time_limit_s: float) -> dict:
    args = [sys.executable, "-m", "capplan", "plan", "-f", "json", "--time-limit-s", str(time_limit_s)]
    for s in sets:
        args += ["--set", s]
    env = {**os.environ, "PYTHONPATH": str(root)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, cwd=root, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(), err.read().decode()
    row = {"wall_s": wall, "rss_mb": usage.ru_maxrss / 1024.0, "cpu_s": usage.ru_utime + usage.ru_stime, "exit": proc.returncode}
    if proc.returncode != 0:
        row["error"] = errors.strip().splitlines()[-1] if errors.strip() else "?"
        return row
    doc = json.loads(text)
    for mode in ("siloed", "consolidated"):
        plan = doc[mode]
        row[mode] = {"status": plan["status"], "gap": plan.get("mip_gap"), "gpus": plan["total_gpus"], "cost_usd": plan["total_cost_usd"]}
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", action="append", choices=sorted(CASES), help="cases to run (repeatable; default all)")
    ap.add_argument("--root", type=Path, default=ROOT, help="checkout whose capplan to run (default: this one)")
    ap.add_argument("--time-limit-s", type=float, default=120.0)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    a = ap.parse_args(argv)
    cases = a.only or list(CASES)
    print(f"plan scale, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; root {a.root}; nproc {os.cpu_count()}; load {os.getloadavg()[0]:.2f}")
    print("| case | runs | median wall | min / max | peak RSS | CPU | siloed | consolidated |\n|---|---:|---:|---|---:|---:|---|---|")
    results = {}
    for name in cases:
        label, sets = CASES[name]
        rows = [run_once(a.root, sets, a.time_limit_s) for _ in range(a.runs)]
        results[name] = rows
        walls = [r["wall_s"] for r in rows]
        last = rows[-1]
        if "error" in last:
            modes = [last["error"], ""]
        else:
            modes = [f"{last[m]['status']}, gap {last[m]['gap'] or 0:.2g}, {last[m]['gpus']} GPUs" for m in ("siloed", "consolidated")]
        print(
            f"| {label} | {len(rows)} | {statistics.median(walls):.2f} s | {min(walls):.2f} / {max(walls):.2f} s | "
            f"{max(r['rss_mb'] for r in rows):.0f} MB | {statistics.median(r['cpu_s'] for r in rows):.1f} s | {modes[0]} | {modes[1]} |",
            flush=True,
        )
    if "week" in results and "year" in results:
        ratio = statistics.median(r["wall_s"] for r in results["year"]) / statistics.median(r["wall_s"] for r in results["week"])
        print(f"\nyear / week wall time: {ratio:.1f}x (target <= 10x)")
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
