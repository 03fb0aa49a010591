"""Cold start of `capplan video` against the import floor, with the catalogue cache warm and cold.

    python benchmarks/cold_start.py              # 15 interleaved rounds
    python benchmarks/cold_start.py --runs 30 --json out.json
    python benchmarks/cold_start.py --command text  # `capplan text` instead
    python benchmarks/cold_start.py --compare /path/to/other/checkout   # before/after in the same rounds

Each round runs, as new processes and in this order: the floor
(``python -c "import numpy, typer, rich.table, pydantic"``), ``capplan video`` with a warm catalogue
cache, and ``capplan video`` with an empty cache folder (a first run after install or after a catalogue
file changed). Interleaving spreads a busy moment of the machine over all three; round 0 is a warm-up
and is discarded. The figure is the median wall time; the ratio is median / median of the floor.

Like benchmarks/run.py, every process imports from cached bytecode (a shared fresh
PYTHONPYCACHEPREFIX, PYTHONDONTWRITEBYTECODE removed), as an installed wheel does. hyperfine is not
needed; if it is on PATH, ``--hyperfine`` runs the same three commands through it instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FLOOR_CODE = "import numpy, typer, rich.table, pydantic"
TARGET_RATIO = 1.5


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, cwd=env["PYTHONPATH"].split(os.pathsep)[0], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {p.returncode}")
    return dt, usage.ru_utime + usage.ru_stime


#: Run in a fresh process by --stages: CPU time of each step of `capplan {what}` after the floor imports.
STAGES_CODE = """
import gc, time, io, contextlib, json
gc.disable()  # as capplan.cli.main does for a brief command run as the process
c = time.process_time
t = [c()]
import numpy, typer, rich.table, pydantic
t.append(c())
from capplan.cli import _no_pydantic_plugins
_no_pydantic_plugins()  # as capplan.cli.main does
import capplan.catalog.load as load
t.append(c())
cat = load.load_catalog()
t.append(c())
from capplan import api
api.{what}  # the package imports each function on first use
t.append(c())
from capplan.cli import fastparse
from capplan.cli.app import build_app
fastparse.install()  # as capplan.cli.main does
app = build_app("{what}")
t.append(c())
import typer.main
group = typer.main.get_command(app)
ctx = group.make_context("capplan", ["{what}"])
group.get_command(ctx, "{what}").make_context("{what}", [], parent=ctx)  # every option's value converted
t.append(c())
result = api.{what}(catalog=cat)
t.append(c())
from capplan.cli.output import Format, emit
with contextlib.redirect_stdout(io.StringIO()):
    emit(result, Format.table, None, "capplan.report.tables:{what}_report")
t.append(c())
print(json.dumps([b - a for a, b in zip(t, t[1:])]))
"""
STAGE_NAMES = (
    "floor: numpy, typer, rich.table, pydantic",
    "import capplan.catalog (records; schemas only on a miss)",
    "load_catalog() (cache read, or parse + validate)",
    "import capplan.api (results, models, api modules)",
    "build the typer app for the command",
    "parse the command line (typer: each option's value)",
    "the api call (the estimate, the result)",
    "render the table (rich)",
)


def stages(env: dict[str, str], runs: int, what: str = "video") -> None:
    """Median CPU time of each step, over ``runs`` fresh processes (after one warm-up).

    The steps run in-process, so the interpreter's shutdown (which ``capplan.cli.main`` shortens by
    freezing the objects before exit) is not among them: the whole-process figures include it."""
    per: list[list[float]] = [[] for _ in STAGE_NAMES]
    for i in range(runs + 1):
        out = subprocess.run([sys.executable, "-c", STAGES_CODE.format(what=what)], env=env, cwd=env["PYTHONPATH"].split(os.pathsep)[0], capture_output=True, text=True, check=True).stdout
        if i > 0:
            for k, v in enumerate(json.loads(out)):
                per[k].append(v)
    floor = statistics.median(per[0])
    for name, vals in zip(STAGE_NAMES, per):
        print(f"{name:<62} {statistics.median(vals) * 1e3:6.1f} ms  {statistics.median(vals) / floor:5.2f}x floor")
    print(f"{'sum above the floor':<62} {sum(statistics.median(v) for v in per[1:]) * 1e3:6.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="timed rounds (>= 10 for the documented figure)")
    ap.add_argument("--json", type=Path, help="also write the raw times here")
    ap.add_argument("--hyperfine", action="store_true", help="measure the floor and the warm run with hyperfine (must be on PATH)")
    ap.add_argument("--stages", action="store_true", help="instead: CPU time of each step of the command, warm cache")
    ap.add_argument("--command", choices=("video", "text"), default="video", help="the what-if to time (default: video)")
    ap.add_argument("--repo", type=Path, default=REPO, help="the checkout to measure (default: this one), e.g. to compare with main")
    ap.add_argument("--compare", type=Path, help="also time the warm command of this other checkout in the same rounds (before/after)")
    args = ap.parse_args()
    repo = args.repo.resolve()

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CAPPLAN_NO_CACHE", "CAPPLAN_PATH")}
    env["PYTHONPATH"] = str(repo) + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory(prefix="capplan-cold-") as tmp:
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pyc")
        env["XDG_CACHE_HOME"] = str(Path(tmp) / "warm")
        what = args.command
        run = [sys.executable, "-m", "capplan", what]
        cold_env = dict(env)
        cases = {"floor": ([sys.executable, "-c", FLOOR_CODE], env), f"{what}, warm cache": (run, env), f"{what}, cold cache": (run, cold_env)}
        if args.compare is not None:
            other = dict(env, PYTHONPATH=str(args.compare.resolve()) + os.pathsep + os.environ.get("PYTHONPATH", ""))
            other["XDG_CACHE_HOME"] = str(Path(tmp) / "warm-other")
            cases[f"{what} at --compare, warm"] = (run, other)
        if args.stages:
            subprocess.run([sys.executable, "-m", "capplan", what], env=env, stdout=subprocess.DEVNULL, check=True)  # warm the cache
            stages(env, args.runs, what)
            return
        if args.hyperfine:
            _hyperfine({k: v for k, v in cases.items() if "cold" not in k}, args.runs)
            return
        times: dict[str, list[float]] = {name: [] for name in cases}
        cpu: dict[str, list[float]] = {name: [] for name in cases}
        for i in range(args.runs + 1):
            for name, (argv, e) in cases.items():
                if name.endswith("cold cache"):
                    cold = Path(tmp) / f"cold-{i}"
                    e["XDG_CACHE_HOME"] = str(cold)  # a fresh, empty cache folder every round
                dt, ct = _run(argv, e)
                if i > 0:
                    times[name].append(dt)
                    cpu[name].append(ct)
                if name.endswith("cold cache"):
                    shutil.rmtree(cold, ignore_errors=True)
    floor = statistics.median(times["floor"])
    floor_cpu = statistics.median(cpu["floor"])
    print(f"{repo}: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} rounds; load average {os.getloadavg()[0]:.1f}")
    print(f"{'case':<26} {'median':>9} {'min':>8} {'max':>8} {'ratio':>7} {'CPU':>8} {'ratio':>7}")
    result: dict[str, dict[str, Any]] = {}
    for name, ts in times.items():
        med, c = statistics.median(ts), statistics.median(cpu[name])
        ratio = med / floor
        print(f"{name:<26} {med * 1e3:6.0f} ms {min(ts) * 1e3:5.0f} ms {max(ts) * 1e3:5.0f} ms {ratio:6.2f}x {c * 1e3:5.0f} ms {c / floor_cpu:6.2f}x")
        result[name] = {"times_s": ts, "cpu_s": cpu[name], "median_s": med, "ratio": ratio, "cpu_ratio": c / floor_cpu}
    warm = result[f"{what}, warm cache"]["ratio"]
    print(f"{'PASS' if warm <= TARGET_RATIO else 'MISS'}: capplan {what} (warm cache) {warm:.2f}x the floor (wall); target <= {TARGET_RATIO}x")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


def _hyperfine(cases: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> None:
    exe = shutil.which("hyperfine")
    if exe is None:
        raise SystemExit("hyperfine is not on PATH (Debian: apt-get install hyperfine)")
    argv = [exe, "--warmup", "1", "--runs", str(runs), "-N"]
    for name, (cmd, _) in cases.items():
        argv += ["-n", name, " ".join(cmd) if name != "floor" else f"{cmd[0]} -c '{FLOOR_CODE}'"]
    subprocess.run(argv, env=cases["floor"][1], cwd=REPO, check=True)


if __name__ == "__main__":
    main()
