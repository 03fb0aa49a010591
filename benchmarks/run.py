"""capplan benchmarks: cold start, analytical throughput and optimizer scaling, in one table.

Run from anywhere (the repository root is put on the path; no install needed):

    python benchmarks/run.py            # the full run: about 4 minutes on 2 cores (at most ~10 if
                                        # every year-long solve runs into the time limit)
    python benchmarks/run.py --quick    # about 30 s: fewer repeats, no year-long plans, no stress family

Options: --quick; --only cold,throughput,optimizer (a subset of sections); --runs N (cold-start runs
per command, default 15, quick 5); --time-limit S (solver time limit per plan, default 60 s);
--json FILE (also write every row as JSON).

What it measures (medians over repeated runs; every random input is seeded):

1. Cold start. Each command runs as a whole new process, ``sys.executable -m capplan ...`` from the
   repository root with stdout discarded, beside the floor: ``python -c "import numpy, typer, rich,
   pydantic"``, the bare import of the libraries the CLI is built on, measured in the same run. Runs of
   all commands are interleaved (floor, video, text, ... floor, video, ...) so that a noisy moment of the
   machine hits them all alike; the first round is a discarded warm-up (it fills the page cache and
   the bytecode cache: all runs share a fresh PYTHONPYCACHEPREFIX with PYTHONDONTWRITEBYTECODE removed,
   so floor and commands alike import from .pyc files, as an installed package does). Reported: median
   wall time, its ratio to the floor's median, min / max, the milliseconds above the floor, and the
   median CPU time (user + sys) of the process with its ratio to the floor's.
   Target: ``capplan video`` and ``capplan text`` at most 1.5x the floor.
2. Analytical throughput. The vectorised models evaluated on N random scenarios at once (N = 1e3 ..
   1e6): ``capplan.models.dit.estimate_video`` (Wan2.1-T2V-14B on an H100 SXM; random width, height,
   frames, steps, CFG, sequence-parallel GPUs) and ``capplan.models.transformer.step_cost`` (Llama-3.1-70B,
   and DeepSeek-V3 as a mixture-of-experts case at 1e6; random decode batch, context, prefill tokens,
   tensor-parallel degree, weight precision). Reported: median time of one call, scenarios per second,
   and the peak memory the call allocates (tracemalloc, in a separate untimed call).
   Target: at least 1e6 scenarios/s at N = 1e6, for video and for text.
3. Optimizer scaling. ``capplan.planning.optimize.solve`` on synthetic problems for horizons of 24, 168
   and 8760 hours and 1, 3 and 6 GPU types, siloed and consolidated. Two families:
   ``tests``: the random problem of tests/planning/test_optimize.py::_random_problem (one text and one
   video workload, 1-GPU nodes, no headroom, no role-switching cost);
   ``stress`` (168 and 8760 hours, 3 and 6 types only): closer to ``capplan plan`` (two text and one
   video workload with a diurnal load of 100-300 GPUs, 8-GPU nodes, 10 % headroom, a role-switching
   cost when consolidated).
   Reported: median wall time of ``solve`` (model build + HiGHS; 3 runs, 1 for 8760 h), the HiGHS time
   alone, the status and ``PlanSolution.mip_gap``. A solve stopped by the time limit is marked ``LIMIT``.
   Targets: a week x 6 GPU types under 5 s; a year x 3 GPU types under 60 s.

The machine (CPU model, cores, Python, numpy, scipy) is printed at the top; PASS/MISS per target at the
end. Environment variables (OPENBLAS_CORETYPE, ...) are passed through unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

FLOOR_CODE = "import numpy, typer, rich, pydantic"
COLD_COMMANDS: list[tuple[str, list[str]]] = [
    ("capplan video", ["video"]),
    ("capplan text", ["text"]),
    ("capplan list gpus", ["list", "gpus"]),
    ("capplan plan", ["plan"]),
]
WHAT_IF = ("capplan video", "capplan text")
COLD_TARGET_RATIO = 1.5
THROUGHPUT_TARGET = 1e6
WEEK_TARGET_S = 5.0
YEAR_TARGET_S = 60.0


@dataclass
class Row:
    section: str
    case: str
    runs: int
    median_s: float | None
    figure: str
    detail: str = ""
    note: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class Target:
    name: str
    verdict: str  # PASS | MISS | n/a
    evidence: str


# --- machine ---------------------------------------------------------------------------------------


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import scipy

    info = {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "affinity": str(len(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else "?",
        "python": f"{platform.python_version()} ({sys.executable})",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "os": platform.platform(),
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    info["loadavg"] = _loadavg()
    for var in ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        if os.environ.get(var):
            info[var] = os.environ[var]
    return info


# --- 1. cold start ---------------------------------------------------------------------------------


def _time_process(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU user + sys) seconds of one whole process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read() if p.stderr else b""
    _, status, usage = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.stderr:
        p.stderr.close()
    if p.returncode != 0:
        raise SystemExit(f"benchmark: {' '.join(argv)} exited {p.returncode}:\n{err.decode(errors='replace')[-2000:]}")
    return dt, usage.ru_utime + usage.ru_stime


def bench_cold(runs: int) -> tuple[list[Row], list[Target]]:
    cases: list[tuple[str, list[str]]] = [("floor: " + FLOOR_CODE, [sys.executable, "-c", FLOOR_CODE])]
    cases += [(name, [sys.executable, "-m", "capplan", *args]) for name, args in COLD_COMMANDS]
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    cpu: dict[str, list[float]] = {name: [] for name, _ in cases}
    # Bytecode: an installed package has its .pyc files, a checkout may not (and PYTHONDONTWRITEBYTECODE,
    # set on some machines, stops them being written). So that every process, floor and commands alike,
    # imports from cached bytecode, the runs share a fresh PYTHONPYCACHEPREFIX that the warm-up fills.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="capplan-bench-pyc-") as pyc:
        env["PYTHONPYCACHEPREFIX"] = pyc
        for i in range(runs + 1):  # round 0 is the warm-up
            for name, argv in cases:
                dt, ct = _time_process(argv, env)
                if i > 0:
                    times[name].append(dt)
                    cpu[name].append(ct)
    floor = statistics.median(times[cases[0][0]])
    floor_cpu = statistics.median(cpu[cases[0][0]])
    rows, targets = [], []
    for name, _ in cases:
        med = statistics.median(times[name])
        ratio = med / floor
        lo, hi = min(times[name]), max(times[name])
        c = statistics.median(cpu[name])
        note = ""
        if name in WHAT_IF:
            ok = ratio <= COLD_TARGET_RATIO
            note = f"{'PASS' if ok else 'MISS'} (<= {COLD_TARGET_RATIO}x)"
            targets.append(Target(f"{name} cold start <= {COLD_TARGET_RATIO}x floor", "PASS" if ok else "MISS", f"{ratio:.2f}x ({med * 1e3:.0f} ms vs {floor * 1e3:.0f} ms)"))
        rows.append(
            Row(
                "cold start",
                name,
                runs,
                med,
                f"{ratio:.2f}x floor",
                f"min {lo * 1e3:.0f} / max {hi * 1e3:.0f} ms; +{(med - floor) * 1e3:.0f} ms; CPU {c * 1e3:.0f} ms = {c / floor_cpu:.2f}x",
                note,
                {"times_s": times[name], "cpu_s": cpu[name], "ratio": ratio, "cpu_ratio": c / floor_cpu},
            )
        )
    return rows, targets


# --- 2. analytical throughput ----------------------------------------------------------------------


def _video_case():
    from capplan.catalog import load_catalog
    from capplan.catalog.convert import device_rates, dit_architecture
    from capplan.models.dit import estimate_video

    cat = load_catalog()
    w = cat.video["wan2.1-t2v-14b"]
    arch = dit_architecture(w)
    gpu = cat.gpus["h100-sxm"]
    eff = cat.efficiency.gpu["h100-sxm"][cat.efficiency.default_stack]
    rates = device_rates(gpu, eff, "bf16", w.dit.head_dim)

    def inputs(n: int, rng: np.random.Generator) -> dict:
        return dict(
            width_px=rng.integers(16, 121, n) * 16.0,  # 256 .. 1920 px
            height_px=rng.integers(16, 69, n) * 16.0,  # 256 .. 1088 px
            frames=rng.integers(4, 41, n) * 4.0 + 1.0,  # 17 .. 161 frames
            steps=rng.integers(10, 51, n).astype(float),
            cfg=rng.random(n) < 0.8,
            n_gpus=rng.choice([1.0, 2.0, 4.0, 8.0], n),
        )

    def call(kw: dict):
        return estimate_video(arch, rates, **kw)

    return inputs, call


def _text_case(workload: str):
    from capplan.catalog import load_catalog
    from capplan.catalog.convert import device_rates, llm_architecture
    from capplan.models.transformer import AllReduce, step_cost

    cat = load_catalog()
    w = cat.text[workload]
    arch = llm_architecture(w)
    gpu = cat.gpus["h100-sxm"]
    eff = cat.efficiency.gpu["h100-sxm"][cat.efficiency.default_stack]
    rates = device_rates(gpu, eff, "bf16", w.architecture.head_dim)

    def inputs(n: int, rng: np.random.Generator) -> dict:
        prefill = rng.integers(0, 8193, n).astype(float)
        return dict(
            decode_tokens=rng.integers(1, 513, n).astype(float),
            decode_context=rng.integers(128, 32769, n).astype(float),
            prefill_tokens=prefill,
            prefill_context=prefill / 2.0,
            weight_bytes_per_param=rng.choice([2.0, 1.0, 0.5], n),
            kv_bytes=2.0,
            tp=rng.choice([1.0, 2.0, 4.0, 8.0], n),
            allreduce=AllReduce(ring_latency_s=5e-6),
        )

    def call(kw: dict):
        return step_cost(arch, rates, **kw)

    return inputs, call


def _peak_alloc(call, kw: dict) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = call(kw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del out
    return peak - base


def bench_throughput(sizes: list[int], repeats: int) -> tuple[list[Row], list[Target]]:
    cases = [
        ("video estimate_video (wan2.1-t2v-14b)", "video", _video_case(), sizes),
        ("text step_cost (llama-3.1-70b)", "text", _text_case("llama-3.1-70b"), sizes),
        ("text step_cost (deepseek-v3, MoE)", "text-moe", _text_case("deepseek-v3"), sizes[-1:]),
    ]
    rows, targets = [], []
    for label, kind, (inputs, call), ns in cases:
        for n in ns:
            kw = inputs(n, np.random.default_rng(n))
            call(kw)  # warm-up, discarded
            reps = repeats if n < 1_000_000 else max(3, repeats // 2)
            ts = []
            for _ in range(reps):
                gc.collect()
                t0 = time.perf_counter()
                out = call(kw)
                ts.append(time.perf_counter() - t0)
                del out
            med = statistics.median(ts)
            rate = n / med
            peak = _peak_alloc(call, kw)
            in_bytes = sum(v.nbytes for v in kw.values() if isinstance(v, np.ndarray))
            note = ""
            if n == 1_000_000 and kind in ("video", "text"):
                ok = rate >= THROUGHPUT_TARGET
                note = f"{'PASS' if ok else 'MISS'} (>= 1e6/s)"
                targets.append(Target(f"{kind} model >= 1e6 scenarios/s", "PASS" if ok else "MISS", f"{rate:.3g}/s at N = 1e6"))
            rows.append(
                Row(
                    "throughput",
                    f"{label}, N = {n:.0e}".replace("e+0", "e"),
                    reps,
                    med,
                    f"{rate:.3g} scen/s",
                    f"peak {peak / 1e6:.1f} MB ({peak / n:.0f} B/scen; inputs {in_bytes / 1e6:.1f} MB)",
                    note,
                    {"n": n, "scenarios_per_s": rate, "peak_bytes": peak, "times_s": ts},
                )
            )
    return rows, targets


# --- 3. optimizer scaling --------------------------------------------------------------------------


def tests_problem(rng: np.random.Generator, G: int, T: int):
    """tests/planning/test_optimize.py::_random_problem, inlined (the tests are not a package)."""
    from capplan.planning.optimize import PlanProblem

    return PlanProblem(
        hours=T,
        node_size=1,
        hw_usd_per_gpu_hour=rng.uniform(1, 4, G),
        busy_w=rng.uniform(800, 1600, G),
        idle_w=rng.uniform(100, 300, G),
        energy_usd_per_kwh=rng.uniform(0.02, 0.3, T),
        availability=np.full(G, np.inf),
        text_demand=rng.uniform(0, 6, (1, T)),
        text_capacity=rng.uniform(0.5, 2.0, (G, 1)),
        video_arrivals=rng.uniform(0, 4, (1, T)),
        video_rate=rng.uniform(0.5, 2.0, (G, 1)),
        video_deadline_h=np.array([int(rng.integers(0, 4))]),
        switch_gpu_hours=np.zeros(G),
    )


def stress_problem(rng: np.random.Generator, G: int, T: int):
    """Closer to `capplan plan`: 2 text + 1 video workloads on a diurnal load, 8-GPU nodes, 10 % headroom,
    role-switching cost, every GPU type able to serve every workload at its own rate."""
    from capplan.planning.optimize import PlanProblem

    J, K = 2, 1
    hour = np.arange(T) % 24
    diurnal = 1.0 + 0.6 * np.sin(2 * np.pi * (hour - 8) / 24)
    return PlanProblem(
        hours=T,
        node_size=8,
        hw_usd_per_gpu_hour=rng.uniform(1, 4, G),
        busy_w=rng.uniform(800, 1600, G),
        idle_w=rng.uniform(100, 300, G),
        energy_usd_per_kwh=rng.uniform(0.02, 0.3, T),
        availability=np.full(G, np.inf),
        text_demand=rng.uniform(20, 60, (J, 1)) * diurnal[None, :] * rng.uniform(0.9, 1.1, (J, T)),
        text_capacity=rng.uniform(0.5, 2.0, (G, J)),
        video_arrivals=rng.uniform(20, 80, (K, 1)) * diurnal[None, :] * rng.uniform(0.8, 1.2, (K, T)),
        video_rate=rng.uniform(0.5, 2.0, (G, K)),
        video_deadline_h=rng.integers(0, 4, K),
        switch_gpu_hours=rng.uniform(0.02, 0.1, G),
        headroom_frac=0.1,
    )


@contextlib.contextmanager
def _quiet_fds():
    """HiGHS's C++ side sometimes prints debug lines straight to fd 1/2; keep them out of the table."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def bench_optimizer(horizons: list[int], types: list[int], families: list[str], time_limit: float) -> tuple[list[Row], list[Target]]:
    from capplan.planning.optimize import solve

    makers = {"tests": tests_problem, "stress": stress_problem}
    with _quiet_fds():
        solve(tests_problem(np.random.default_rng(0), 1, 6), "siloed")  # imports scipy, discarded
    rows, targets = [], []
    worst: dict[tuple[str, int, int], tuple[float, bool]] = {}
    for fam in families:
        for T in horizons:
            for G in types:
                for mode in ("siloed", "consolidated"):
                    p = makers[fam](np.random.default_rng(1000 * G + T), G, T)
                    reps = 1 if T >= 8760 else 3
                    walls, sols = [], []
                    for _ in range(reps):
                        gc.collect()
                        t0 = time.perf_counter()
                        with _quiet_fds():
                            s = solve(p, mode, time_limit_s=time_limit)
                        walls.append(time.perf_counter() - t0)
                        sols.append(s)
                    med = statistics.median(walls)
                    s = sols[-1]
                    hit = any(x.status == "time_limit" for x in sols)
                    highs = statistics.median(x.solve_s for x in sols)
                    gap = "-" if s.mip_gap is None else f"{s.mip_gap:.2g}"
                    fleet = int(sum(np.sum(f) for f in s.fleets.values())) if s.fleets else 0
                    status = "LIMIT" if hit else s.status
                    key = (fam, T, G)
                    prev = worst.get(key, (0.0, False))
                    worst[key] = (max(prev[0], med), prev[1] or hit)
                    rows.append(
                        Row(
                            "optimizer",
                            f"{fam}: {T} h x {G} type{'s' if G > 1 else ''}, {mode}",
                            reps,
                            med,
                            status,
                            f"HiGHS {highs:.2f} s; gap {gap}; {fleet} GPUs",
                            "",
                            {"family": fam, "hours": T, "types": G, "mode": mode, "status": s.status, "mip_gap": s.mip_gap, "highs_s": highs, "times_s": walls, "gpus": fleet},
                        )
                    )
    for fam in families:
        for (T, G, limit, label) in ((168, 6, WEEK_TARGET_S, "a week x 6 GPU types"), (8760, 3, YEAR_TARGET_S, "a year x 3 GPU types")):
            if (fam, T, G) not in worst:
                targets.append(Target(f"{label} < {limit:g} s ({fam})", "n/a", "not run (--quick or --only)"))
                continue
            t, hit = worst[(fam, T, G)]
            ok = t < limit and not hit
            targets.append(Target(f"{label} < {limit:g} s ({fam})", "PASS" if ok else "MISS", f"slower mode {t:.2f} s{' (hit the time limit)' if hit else ''}"))
            for r in rows:
                if r.data.get("family") == fam and r.data.get("hours") == T and r.data.get("types") == G:
                    r.note = f"{'PASS' if r.median_s < limit and r.figure != 'LIMIT' else 'MISS'} (< {limit:g} s)"
    return rows, targets


# --- output ----------------------------------------------------------------------------------------


def bench_sweep(repeats: int) -> tuple[list[Row], list[Target]]:
    """`capplan.sweep` on a 100,000-scenario video grid, end to end (grid, vectorised model, result rows)."""
    import capplan

    vary = [
        "seconds=" + ",".join(str(x) for x in range(1, 101)),
        "steps=" + ",".join(str(x) for x in range(10, 110)),
        "fps=8,10,12,16,20,24,25,30,50,60",
    ]
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        r = capplan.sweep("video", vary, fixed={"workload": "wan2.1-t2v-14b", "gpu": "h100-sxm"})
        times.append(time.perf_counter() - t0)
    times = times[1:]  # the first call pays for imports and the catalogue
    med = statistics.median(times)
    row = Row("sweep", f"capplan.sweep video, {r.n_scenarios:,} scenarios", repeats, med, f"{r.n_scenarios / med:.3g} scen/s", f"min {min(times):.2f} s / max {max(times):.2f} s")
    return [row], [Target("a 100,000-scenario sweep in seconds", "PASS" if med < 10 else "MISS", f"{med:.2f} s")]


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    if x < 1e-3:
        return f"{x * 1e6:.0f} us"
    if x < 1.0:
        return f"{x * 1e3:.1f} ms"
    return f"{x:.2f} s"


def table(rows: list[Row]) -> str:
    head = ["section", "case", "runs", "median", "result", "detail", "target"]
    body = [[r.section, r.case, str(r.runs), _fmt_s(r.median_s), r.figure, r.detail, r.note] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    right = {2, 3}

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    sep = "|" + "|".join("-" * (w + 1) + (":" if i in right else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(head), sep, *(line(b) for b in body)])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a short run: 5 cold-start runs, 5 throughput repeats, no year-long plans, no stress family")
    ap.add_argument("--only", default="cold,throughput,sweep,optimizer", help="comma-separated sections to run")
    ap.add_argument("--runs", type=int, default=None, help="cold-start runs per command (default 15; --quick 5)")
    ap.add_argument("--time-limit", type=float, default=YEAR_TARGET_S, help="solver time limit per plan [s] (default 60)")
    ap.add_argument("--json", type=Path, default=None, help="also write all rows and targets as JSON to this file")
    args = ap.parse_args(argv)
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = sections - {"cold", "throughput", "sweep", "optimizer"}
    if unknown:
        ap.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    info = machine()
    print(f"capplan benchmarks ({'quick' if args.quick else 'full'} run), {info['date']}")
    print(f"machine: {info['cpu']}; nproc {info['nproc']} (affinity {info['affinity']}); {info['os']}")
    print(f"python {info['python']}; numpy {info['numpy']}; scipy {info['scipy']}")
    print(f"load average at start (1/5/15 min): {info['loadavg']} -- other work on the machine inflates and scatters the timings")
    env = [f"{k}={info[k]}" for k in ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS") if k in info]
    if env:
        print("environment: " + ", ".join(env))
    print(flush=True)

    rows: list[Row] = []
    targets: list[Target] = []
    t_start = time.perf_counter()
    if "cold" in sections:
        runs = args.runs or (5 if args.quick else 15)
        print(f"[cold start: {runs} interleaved runs per command + 1 warm-up ...]", file=sys.stderr, flush=True)
        r, t = bench_cold(runs)
        rows += r
        targets += t
    if "throughput" in sections:
        print("[analytical throughput ...]", file=sys.stderr, flush=True)
        sizes = [1_000, 10_000, 100_000, 1_000_000]
        r, t = bench_throughput(sizes, repeats=5 if args.quick else 9)
        rows += r
        targets += t
    if "sweep" in sections:
        print("[sweep ...]", file=sys.stderr, flush=True)
        r, t = bench_sweep(repeats=1 if args.quick else 3)
        rows += r
        targets += t
    if "optimizer" in sections:
        print("[optimizer scaling ...]", file=sys.stderr, flush=True)
        if args.quick:
            r, t = bench_optimizer([24, 168], [1, 3, 6], ["tests"], args.time_limit)
        else:
            r, t = bench_optimizer([24, 168, 8760], [1, 3, 6], ["tests"], args.time_limit)
            r2, t2 = bench_optimizer([168, 8760], [3, 6], ["stress"], args.time_limit)
            r, t = r + r2, t + t2
        rows += r
        targets += t
    elapsed = time.perf_counter() - t_start

    print(table(rows))
    print()
    print("targets:")
    w = max((len(t.name) for t in targets), default=0)
    for t in targets:
        print(f"  {t.verdict:<4}  {t.name:<{w}}  {t.evidence}")
    print(f"\n(benchmark took {elapsed:.0f} s; optimizer time limit {args.time_limit:g} s per solve; load average at end: {_loadavg()})")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "rows": [asdict(r) for r in rows], "targets": [asdict(t) for t in targets], "elapsed_s": elapsed}, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
