"""Peak memory and wall time of a million-scenario sweep written to CSV and to JSON (issue 18).

    python benchmarks/sweep_memory.py            # 1,000,000 scenarios, CSV then JSON (a few minutes)
    python benchmarks/sweep_memory.py --n 100    # 100**3 = 1e6 (default); --n 20 for a quick 8,000

Each run is a fresh process (``capplan sweep text ... -f csv|json -o FILE``, in-process CLI) that reports
its own peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``), so the figure is the
whole command's: imports, the catalogue, the vectorised core and the streaming writer. The grid is
prompt tokens x output tokens x TPOT targets for Llama-3.1-8B on an H100 SXM at TP 1. The target is a
peak under 500 MB for both formats; the output file's size and line count are printed as a check.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import resource, sys, time
sys.argv = ["capplan", *sys.argv[1:]]
from capplan.cli import main
t0 = time.perf_counter()
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code or 0
print(f"RESULT {code} {time.perf_counter() - t0:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
"""


def run(fmt: str, n: int, out: Path) -> dict:
    P = ",".join(str(128 + 40 * i) for i in range(n))
    O = ",".join(str(32 + 10 * i) for i in range(n))
    T = ",".join(f"{10 + 2 * i:g}" for i in range(n))
    argv = ["sweep", "text", "--workload", "llama-3.1-8b", "--gpu", "h100-sxm", "--vary", "gpus=1", "--vary", f"prompt_tokens={P}",
            "--vary", f"output_tokens={O}", "--vary", f"tpot_ms={T}", "-f", fmt, "-o", str(out)]
    p = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True, cwd=ROOT)
    line = next(x for x in p.stderr.splitlines() if x.startswith("RESULT"))
    _, code, wall, rss_kb = line.split()
    return {"format": fmt, "scenarios": n**3, "exit": int(code), "wall_s": float(wall), "peak_rss_mb": int(rss_kb) / 1024,
            "file_mb": out.stat().st_size / 1e6, "lines": sum(1 for _ in out.open())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100, help="values per varied key (scenarios = n**3)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for fmt in ("csv", "json"):
            r = run(fmt, args.n, Path(d) / f"sweep.{fmt}")
            rows.append(r)
            print(f"{fmt:4}: {r['scenarios']:,} scenarios, exit {r['exit']}, {r['wall_s']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB, "
                  f"file {r['file_mb']:.0f} MB ({r['lines']:,} lines)  target: peak < 500 MB")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
