"""Fuzzing the CLI edge with hypothesis: hostile option values, scenario files and economics files.

The contract under test (capplan/cli/__init__.py, capplan/errors.py): whatever a user passes,

- the exit code is 0 (it worked) or 2 (a user error), never 1 (a bug) and never a traceback;
- on 2, standard error is exactly one line starting "Error: " and standard output is empty;
- on 0, standard error is empty, ``--format json`` output parses without NaN or Infinity and every
  number is finite and, except signed differences such as ``savings_usd``, not negative.

Runs are in-process through ``capplan.cli.main`` (the real error edge), so an example costs
milliseconds; plans use tiny horizons and ``--time-limit-s``. Python warnings count as standard
error, since a real run prints them there.

Bugs. Every bug these fuzzers found is listed in :data:`BUGS` with regression tests at the bottom of
this file. While a bug's id is in :data:`OPEN_BUGS`, its tests are strict xfails and the fuzzers
tolerate runs that match it (:data:`KNOWN_BUGS`: a narrow input region *and* a failure signature), so
the suite stays green; when a fix makes a test XPASS (a failure, being strict), remove the id from
OPEN_BUGS and the tests guard the fix.

Examples are derandomized and the example database is off, so a given pytest command runs the same
examples every time and writes nothing to the repository. (Hypothesis also draws constants from the
source of loaded modules, so ``pytest tests`` and ``pytest tests/robustness`` may try different
examples; each is reproducible.) For a deeper local hunt: ``CAPPLAN_FUZZ_SCALE=20 pytest
tests/robustness/test_fuzz_cli.py``. ``--output`` is only ever given paths inside a temporary folder:
fuzzing it could overwrite real files (see BUG-19).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from capplan.catalog import load_catalog
from capplan.cli import main

CAT = load_catalog()
VIDEO_IDS = sorted(CAT.video)
TEXT_IDS = sorted(CAT.text)
GPU_IDS = sorted(CAT.gpus)

#: CAPPLAN_FUZZ_SCALE=20 runs 20 times the examples with fresh randomness: a deeper hunt than CI's.
FUZZ_SCALE = float(os.environ.get("CAPPLAN_FUZZ_SCALE", "1"))


def fuzz(max_examples: int):
    """Hypothesis settings: modest, derandomized counts for CI; more and random under CAPPLAN_FUZZ_SCALE."""
    return settings(
        max_examples=max(1, round(max_examples * FUZZ_SCALE)),
        deadline=None,
        derandomize=FUZZ_SCALE == 1,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


TIME_LIMIT = "2"  # --time-limit-s for every plan run


@pytest.fixture(autouse=True, scope="module")
def _no_debug_env():
    """CAPPLAN_DEBUG turns user errors into tracebacks; the contract is for normal runs."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CAPPLAN_DEBUG", raising=False)
        yield


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- running the CLI --------------------------------------------------------------------------------


@dataclass
class Result:
    args: tuple[str, ...]
    code: int
    out: str
    err: str
    files: dict[str, Any] = field(default_factory=dict)  # what the run read: name -> python data or bytes

    def __str__(self) -> str:
        return f"capplan {' '.join(map(repr, self.args))}\n  exit {self.code}\n  stderr {self.err[:600]!r}\n  stdout {self.out[:300]!r}"


def run_cli(*args: str) -> Result:
    """Run the CLI in-process; Python warnings are added to stderr as a real run would print them."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    shown = [w for w in caught if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))]
    text = err.getvalue() + "".join(f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}\n" for w in shown)
    return Result(tuple(args), code, out.getvalue(), text)


def _reject_constant(name: str) -> float:
    raise ValueError(f"JSON output holds the non-finite constant {name}")


#: Numbers in the JSON output that may legitimately be negative.
SIGNED_KEYS = {"savings_usd", "savings_pct"}
#: Solver round-off: a schedule entry of -2e-11 GPUs is noise, not a negative cost.
NEGATIVE_TOLERANCE = 1e-6


def number_problems(obj: Any, path: str = "$", key: str = "") -> list[str]:
    """Non-finite numbers anywhere, and negative ones outside SIGNED_KEYS, as 'path = value'."""
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in number_problems(v, f"{path}.{k}", k)]
    if isinstance(obj, list):
        return [p for i, v in enumerate(obj) for p in number_problems(v, f"{path}[{i}]", key)]
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        return []
    if not math.isfinite(obj):
        return [f"{path} = {obj!r} is not finite"]
    if obj < -NEGATIVE_TOLERANCE and key not in SIGNED_KEYS:
        return [f"{path} = {obj!r} is negative"]
    return []


def contract_violation(r: Result) -> str | None:
    """Why ``r`` breaks the CLI contract, or None."""
    if "Traceback" in r.err:
        return "a traceback on stderr"
    if r.code not in (0, 2):
        return f"exit code {r.code}"
    if r.code == 2:
        lines = r.err.splitlines()
        if len(lines) != 1:
            return f"{len(lines)} stderr lines on exit 2"
        if not lines[0].startswith("Error: "):
            return "the stderr line does not start with 'Error: '"
        if "internal error" in lines[0]:
            return "an internal error reported as a user error"
        if r.out:
            return "stdout is not empty on exit 2"
        return None
    if r.err:
        return "stderr is not empty on exit 0"
    if not r.out and ("--output" in r.args or "-o" in r.args):
        return None  # written to the file
    try:
        data = json.loads(r.out, parse_constant=_reject_constant)
    except ValueError as exc:
        return f"the JSON output does not parse ({exc})"
    problems = number_problems(data)
    if problems:
        return "bad numbers in the JSON output: " + "; ".join(problems[:5])
    return None


# --- known bugs (each has regression tests at the bottom) ---------------------------------------------


def _num(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _option(args: tuple[str, ...], name: str) -> str | None:
    for i, a in enumerate(args[:-1]):
        if a == name:
            return args[i + 1]
    return None


def _extreme(x: Any) -> bool:
    """A number far outside any physical range: |x| >= 1e100 (or inf/nan), or 0 < |x| <= 1e-100."""
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float)):
        if isinstance(x, float) and not math.isfinite(x):
            return True
        return abs(x) >= 1e100 or 0 < abs(x) <= 1e-100
    if isinstance(x, dict):
        return any(_extreme(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return any(_extreme(v) for v in x)
    return False


#: How an inf or nan born of an extreme input shows: the JSON renderer refuses it, scipy.milp refuses it,
#: int() refuses it, or numpy warns on the way.
OVERFLOW_SIGNS = ("not JSON compliant", "array of finite numbers", "cannot convert float NaN", "cannot convert float infinity", "OverflowError")


def _overflow_signature(r: Result) -> bool:
    return (r.code == 1 and any(s in r.err for s in OVERFLOW_SIGNS)) or (
        r.code in (0, 2) and "RuntimeWarning" in r.err and ("overflow" in r.err or "divide by zero" in r.err or "invalid value" in r.err)
    )


def _tiny_option(r: Result, *names: str) -> bool:
    vals = [_num(_option(r.args, n)) for n in names]
    return any(v is not None and 0 < v <= 1e-100 for v in vals)


def _set_values(r: Result) -> list[Any]:
    """The values (and *= factors) of every --set key=value in the arguments, parsed as TOML."""
    import tomllib

    out = []
    for i, a in enumerate(r.args[:-1]):
        if a == "--set":
            _, _, value = r.args[i + 1].partition("=")
            try:
                out.append(tomllib.loads(f"v = {value.strip()}")["v"])
            except tomllib.TOMLDecodeError:
                out.append(_num(value))
    return out


def _huge_int_option(r: Result) -> bool:
    return any(re.fullmatch(r"\s*[+-]?\d{309,}\s*", a) for a in r.args)


def _set_keys(r: Result) -> set[str]:
    return {r.args[i + 1].partition("=")[0].strip().rstrip("*").strip() for i, a in enumerate(r.args[:-1]) if a == "--set"}


#: Bugs these fuzzers found (in capplan 0.1.0 during development). Each has regression tests at the
#: bottom of this file. (BUG-11 to BUG-13, wrong sources named in messages, are cases of
#: test_bad_inputs_table.py.)
BUGS: dict[str, str] = {
    "BUG-1": "a tiny --fps or --clip-seconds (1e-300) passes validation (> 0) and overflows the FLOP totals to inf: exit 1",
    "BUG-2": "economics-file fields without upper bounds (electricity 1e308, carbon 1e308) or amortization_years = 5e-324 overflow costs to inf/nan: exit 1",
    "BUG-3": "scenario money fields (fleet.fixed_usd_per_month_per_fleet, backfill_usd_per_gpu_hour, [economics.energy]) of 1e308 overflow the plan or reach scipy.milp: exit 1",
    "BUG-4": "--set accepts catalogue values without upper bounds (gpu.price.usd_per_gpu_hour 1e308, gpu.power.tdp_w 1e308): inf cost or power, exit 1",
    "BUG-5": "--set video.resolution=1 / video.economics=1 (not strings) reach parse_resolution / Path(): AttributeError or TypeError, exit 1",
    "BUG-6": "read_toml does not catch RecursionError: 1000 nested inline tables or arrays crash tomllib, exit 1",
    "BUG-7": "a demand CSV that is not UTF-8 raises UnicodeDecodeError, exit 1",
    "BUG-8": "a TOML key or CSV header holding a newline is printed raw in the message: two stderr lines",
    "BUG-9": "--output naming a folder, or '' (the current folder): os.replace raises IsADirectoryError / EBUSY, exit 1",
    "BUG-10": "HiGHS prints 'HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();' to file descriptor 1, ahead of the JSON",
    "BUG-14": "--set workload.<path> with an unknown --workload raises KeyError in overrides.apply_to_catalog, exit 1",
    "BUG-15": "a whole-number option of 309+ digits (--gpus 999...9) reaches math.isfinite(): OverflowError, exit 1",
    "BUG-16": "a path with a name over 255 bytes makes Path.is_file() raise OSError ENAMETOOLONG (SCENARIO, --calibration, --output; --economics was fixed first): exit 1",
    "BUG-17": "a demand CSV whose rows have more cells than the header, with the column not found: ', '.join() meets DictReader's None key, TypeError, exit 1",
    "BUG-18": "--set workload.dit.params=1e308 prints numpy RuntimeWarnings on stderr before the Error line (3 lines); --set workload.defaults.fps=5e-324 gives nan frames: ValueError, exit 1",
    "BUG-19": "--output replaces whatever the path names: a symlink becomes a regular file and its target keeps the old contents (run as root, --output /dev/null replaced the device node with a regular file)",
    "BUG-20": "plan_api._explain_infeasible re-solves relaxed problems with solve()'s default 120 s limit, ignoring --time-limit-s: an infeasible plan can run minutes past the limit",
}
#: Bugs still open. While an id is here its regression tests are strict xfails and the fuzzers tolerate
#: its signature (KNOWN_BUGS). When a fix makes a test XPASS (and fail, being strict), remove the id.
OPEN_BUGS: set[str] = set()


def _xfail(bug_id: str) -> list[Any]:
    return [pytest.mark.xfail(strict=True, reason=f"bug {bug_id}: {BUGS[bug_id]}")] if bug_id in OPEN_BUGS else []


def bug(bug_id: str):
    """Mark a regression test for a bug: a strict xfail while the bug is open, a plain test once fixed."""

    def mark(test):
        for m in _xfail(bug_id):
            test = m(test)
        return test

    return mark


def bug_case(bug_id: str, *values: Any, id: str) -> Any:
    """One parameter set of a regression test, a strict xfail while ``bug_id`` is open."""
    return pytest.param(*values, id=id, marks=_xfail(bug_id))


#: For each bug, the runs it explains: a narrow input region *and* a failure signature.
KNOWN_BUGS: dict[str, Callable[[Result], bool]] = {
    "BUG-1": lambda r: _tiny_option(r, "--fps", "--clip-seconds") and _overflow_signature(r),
    "BUG-2": lambda r: _extreme(r.files.get("economics")) and _overflow_signature(r),
    "BUG-3": lambda r: _extreme(r.files.get("scenario")) and _overflow_signature(r),
    "BUG-4": lambda r: _extreme(_set_values(r)) and _overflow_signature(r),
    "BUG-18": lambda r: _extreme(_set_values(r)) and (_overflow_signature(r) or (r.code == 2 and "RuntimeWarning" in r.err)),
    "BUG-5": lambda r: bool(_set_keys(r) & {"video.resolution", "video.economics", "text.economics"}) and r.code == 1 and ("AttributeError" in r.err or "TypeError" in r.err),
    "BUG-14": lambda r: any(k.startswith("workload.") for k in _set_keys(r)) and r.code == 1 and "KeyError" in r.err,
    "BUG-15": lambda r: _huge_int_option(r) and r.code == 1 and "OverflowError" in r.err,
    "BUG-16": lambda r: r.code == 1 and "File name too long" in r.err and any(len(a.encode()) > 255 for a in r.args),
    "BUG-17": lambda r: "csv" in r.files and r.code == 1 and "expected str instance, NoneType found" in r.err,
}
assert set(KNOWN_BUGS) <= set(BUGS) and OPEN_BUGS <= set(BUGS)


def _event(text: str) -> None:
    if currently_in_test_context():  # hypothesis statistics; plain tests have none
        event(text)


def assert_contract(r: Result) -> None:
    why = contract_violation(r)
    if why is None:
        _event(f"exit {r.code}")
        return
    for bug_id in sorted(OPEN_BUGS & set(KNOWN_BUGS)):
        if KNOWN_BUGS[bug_id](r):
            _event(f"tolerated open {bug_id}")
            return
    raise AssertionError(f"CLI contract broken: {why}\n{r}")


# --- strategies: option values ------------------------------------------------------------------------

#: str.splitlines() breaks on these: keys and names holding them must not split the one-line message (BUG-8).
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"

HOSTILE_NUMBERS = [
    "1e308", "-1e308", "1.7976931348623157e308", "1e309", "-1e309", "nan", "NaN", "-nan", "inf", "-inf", "Infinity",
    "-Infinity", "0", "-0", "0.0", "-1", "-0.5", "1e-308", "5e-324", "1e-400", "", " ", "\t", "  5", "5  ", "1 000",
    "1,5", "0x10", "0b101", "1_000", "+3", "٣", "５", "१२", "½", "3.0", "2.5", "1e3", "9" * 400, "-" + "9" * 400, "-", "e",
    "1e", ".", "None", "null", "true", "5\x00", "--format", "-h", "--help", "--version", "--", "１e３",
]
HOSTILE_STRINGS = [
    "", " ", "\t", "\n", "H100-SXM", "h100-sxm ", " h100-sxm", "ｈ100-ｓｘｍ", "h100\u200bsxm", "🚀", "a" * 10_000, "../../etc/passwd",
    "NUL\x00", "\u202eevil", "%s%n", "{}", "[]", "None", "-h", "--help", "--version", "--", "-", "'", '"', "\\", "720p\n",
    "1280x720x3", "−720p", "0x0", "99999999x99999999", "16385x16385", "1280X720", "1280 × 720", "720p; rm -rf /",
]


def _not_debug(s: str) -> bool:
    return s != "--debug"  # the CLI strips --debug anywhere in argv and then re-raises on purpose


def numbers_as_text(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """Text for a numeric option: mostly plausible values, else hostile text, raw floats and huge ints."""
    return st.one_of(
        valid.map(str),
        valid.map(str),
        st.sampled_from(HOSTILE_NUMBERS),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.text(max_size=12).filter(_not_debug),
    )


def words(valid: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(HOSTILE_STRINGS), st.text(max_size=40).filter(_not_debug))


def floats_in(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


RESOLUTIONS = ["360p", "480p", "720p", "1080p", "4k", "832x480", "1280x720", "64x64", "16384x16384", "1x1"]

REPO = Path(__file__).resolve().parents[2]
#: --calibration: missing, a folder, TOML that is not a calibration, and a file that is not TOML.
CALIBRATION_PATHS = ["", ".", "/nonexistent/calibration.toml", str(REPO / "hardware_profiles"), str(REPO / "hardware_profiles" / "economics.toml"),
                     str(REPO / "hardware_profiles" / "efficiency.toml"), str(Path(__file__).resolve())]

SET_KEYS = [
    "gpu.price.usd_per_gpu_hour", "gpu.memory.memory_gb", "gpu.memory.memory_bandwidth_tb_per_s", "gpu.compute.bf16_tflop_per_s",
    "gpu.compute.fp8_tflop_per_s", "gpu.power.tdp_w", "gpu.power.idle_w", "gpu.interconnect.scale_up_gb_per_s", "gpu.id", "gpu.name",
    "workload.defaults.steps", "workload.defaults.fps", "workload.dit.params", "workload.dit.layers", "workload.architecture.layers",
    "workload.architecture.max_context", "efficiency.gemm_frac", "efficiency.memory_bandwidth_frac", "efficiency.source",
    "economics.energy.pue", "economics.pricing", "economics.ownership.amortization_years", "economics.energy.electricity_usd_per_kwh",
    "video.fps", "video.seconds", "video.gpus", "video.resolution", "text.prompt_tokens", "text.gpus", "text.tpot_ms",
    "scenario.fleet.node_size", "scenario.horizon_hours", "scenario.text.0.tpot_ms", "bogus.x", "gpu", "", ".", "gpu.nope.deeper",
]
SET_VALUES = st.one_of(
    st.sampled_from(["1", "2.5", "0.7", "30", "true", '"fa3"', "own", "[1, 2]", "{a = 1}", "", "nan", "inf", "-1", "0", "1e308", "1e-300", "5e-324", "1e400"]),
    st.floats().map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.text(max_size=12),
)
SET_ITEMS = st.one_of(
    st.builds(lambda k, star, v: f"{k}{'*' if star else ''}={v}", st.sampled_from(SET_KEYS), st.booleans(), SET_VALUES),
    st.text(max_size=30),
).filter(_not_debug)


VIDEO_OPTIONS: dict[str, st.SearchStrategy[str]] = {
    "--workload": words(VIDEO_IDS + TEXT_IDS[:1]),
    "--gpu": words(GPU_IDS),
    "--gpus": numbers_as_text(st.integers(1, 8)),
    "--resolution": words(RESOLUTIONS),
    "--seconds": numbers_as_text(floats_in(0.5, 30)),
    "--frames": numbers_as_text(st.integers(1, 200)),
    "--fps": numbers_as_text(floats_in(1, 60)),
    "--steps": numbers_as_text(st.integers(1, 60)),
    "--precision": words(["bf16", "fp16", "fp8", "fp4"]),
    "--price-per-gpu-hour": numbers_as_text(floats_in(0.1, 10)),
    "--stack": words(["fa2", "fa3"]),
    "--offload": words(["none", "model", "sequential"]),
    "--clip-seconds": numbers_as_text(floats_in(1, 10)),
    "--long-video": words(["clips", "one-sequence"]),
    "--pricing": words(["rent", "own"]),
    "--pue": numbers_as_text(floats_in(1, 3)),
    "--electricity-usd-per-kwh": numbers_as_text(floats_in(0, 1)),
    "--calibration": st.sampled_from(CALIBRATION_PATHS),
}

TEXT_OPTIONS: dict[str, st.SearchStrategy[str]] = {
    "--workload": words(TEXT_IDS + VIDEO_IDS[:1]),
    "--gpu": words(GPU_IDS),
    "--gpus": numbers_as_text(st.sampled_from([1, 2, 4, 8])),
    "--precision": words(["bf16", "fp16", "fp8", "int8", "fp4", "int4"]),
    "--kv-precision": words(["bf16", "fp16", "fp8"]),
    "--prompt-tokens": numbers_as_text(st.integers(1, 8192)),
    "--output-tokens": numbers_as_text(st.integers(1, 2048)),
    "--ttft-ms": numbers_as_text(floats_in(10, 5000)),
    "--tpot-ms": numbers_as_text(floats_in(5, 200)),
    "--price-per-gpu-hour": numbers_as_text(floats_in(0.1, 10)),
    "--stack": words(["fa2", "fa3"]),
    "--pricing": words(["rent", "own"]),
    "--pue": numbers_as_text(floats_in(1, 3)),
    "--electricity-usd-per-kwh": numbers_as_text(floats_in(0, 1)),
}


def as_argv(opts: dict[str, str], flags: list[str], sets: list[str] = ()) -> list[str]:
    argv: list[str] = []
    for k, v in opts.items():
        argv += [k, v]
    for item in sets:
        argv += ["--set", item]
    return argv + list(flags)


# --- video and text options -------------------------------------------------------------------------


@fuzz(200)
@given(
    opts=st.fixed_dictionaries({}, optional=VIDEO_OPTIONS),
    flags=st.lists(st.sampled_from(["--cfg", "--no-cfg"]), max_size=2),
    sets=st.lists(SET_ITEMS, max_size=2),
)
def test_video_hostile_options(opts, flags, sets):
    assert_contract(run_cli("video", "--format", "json", *as_argv(opts, flags, sets)))


@fuzz(200)
@given(
    opts=st.fixed_dictionaries({}, optional=TEXT_OPTIONS),
    flags=st.lists(st.just("--no-latency-targets"), max_size=1),
    sets=st.lists(SET_ITEMS, max_size=2),
)
def test_text_hostile_options(opts, flags, sets):
    assert_contract(run_cli("text", "--format", "json", *as_argv(opts, flags, sets)))


@fuzz(120)
@given(command=st.sampled_from(["video", "text"]), sets=st.lists(SET_ITEMS, min_size=1, max_size=3))
def test_set_overrides_alone(command, sets):
    """--set with every other option at its default, so that valid overrides reach the models."""
    assert_contract(run_cli(command, "--format", "json", *as_argv({}, [], sets)))


def _g(x: float) -> str:
    return repr(float(x))


# Values inside (or at the edge of) every allowed range: the command must succeed with finite numbers.
EXTREME_VIDEO: dict[str, st.SearchStrategy[str]] = {
    "--gpus": st.sampled_from([1, 2, 7, 64, 4096]).map(str),
    "--resolution": st.one_of(st.sampled_from(RESOLUTIONS), st.tuples(st.integers(1, 16384), st.integers(1, 16384)).map(lambda t: f"{t[0]}x{t[1]}")),
    "--seconds": st.one_of(st.sampled_from([5e-324, 1e-9, 0.01, 86400.0]), floats_in(1e-6, 86400)).map(_g),
    "--fps": st.one_of(st.sampled_from([1e-9, 1e-3, 1000.0]), floats_in(1e-6, 1000)).map(_g),
    "--steps": st.sampled_from([1, 2, 10_000]).map(str),
    "--price-per-gpu-hour": st.sampled_from([5e-324, 1e-9, 1e6]).map(_g),
    "--clip-seconds": st.one_of(st.sampled_from([1e-6, 86400.0]), floats_in(1e-3, 86400)).map(_g),
    "--long-video": st.sampled_from(["clips", "one-sequence"]),
    "--offload": st.sampled_from(["none", "model", "sequential"]),
    "--pue": st.sampled_from([1.0, 5.0]).map(_g),
    "--electricity-usd-per-kwh": st.sampled_from([0.0, 100.0]).map(_g),
    "--pricing": st.sampled_from(["rent", "own"]),
}


@fuzz(150)
@given(
    workload=st.sampled_from(VIDEO_IDS),
    gpu=st.sampled_from(["h100-sxm", "b200", "rtx-4090", "mi300x"]),
    opts=st.fixed_dictionaries({}, optional=EXTREME_VIDEO),
    frames=st.one_of(st.none(), st.sampled_from([1, 2, 10_000_000]), st.integers(1, 10_000_000)),
)
def test_video_extreme_but_allowed_values(workload, gpu, opts, frames):
    if frames is not None:
        opts = {k: v for k, v in opts.items() if k != "--seconds"} | {"--frames": str(frames)}
    if opts.get("--pricing") == "own":
        opts.pop("--price-per-gpu-hour", None)
    r = run_cli("video", "--format", "json", "--workload", workload, "--gpu", gpu, *as_argv(opts, []))
    assert_contract(r)


EXTREME_TEXT: dict[str, st.SearchStrategy[str]] = {
    "--gpus": st.sampled_from([1, 3, 64, 4096]).map(str),
    "--prompt-tokens": st.sampled_from([1, 2, 4096]).map(str),
    "--output-tokens": st.sampled_from([1, 2, 4096]).map(str),
    "--ttft-ms": st.sampled_from([5e-324, 1e-6, 1e9]).map(_g),
    "--tpot-ms": st.sampled_from([5e-324, 1e-6, 1e9]).map(_g),
    "--price-per-gpu-hour": st.sampled_from([5e-324, 1e-9, 1e6]).map(_g),
    "--precision": st.sampled_from(["bf16", "int4", "int8"]),
    "--kv-precision": st.sampled_from(["bf16", "fp16"]),
    "--pue": st.sampled_from([1.0, 5.0]).map(_g),
    "--electricity-usd-per-kwh": st.sampled_from([0.0, 100.0]).map(_g),
    "--pricing": st.sampled_from(["rent", "own"]),
}


@fuzz(120)
@given(
    workload=st.sampled_from(TEXT_IDS),
    gpu=st.sampled_from(["h100-sxm", "b200", "rtx-4090", "l40s"]),
    opts=st.fixed_dictionaries({}, optional=EXTREME_TEXT),
    flags=st.lists(st.just("--no-latency-targets"), max_size=1),
)
def test_text_extreme_but_allowed_values(workload, gpu, opts, flags):
    if opts.get("--pricing") == "own":
        opts.pop("--price-per-gpu-hour", None)
    assert_contract(run_cli("text", "--format", "json", "--workload", workload, "--gpu", gpu, *as_argv(opts, flags)))


# --- TOML documents -------------------------------------------------------------------------------------


def toml_str(s: str) -> str:
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_str(str(k))} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def toml_doc(data: dict[str, Any]) -> str:
    """A TOML document: top-level keys as lines, tables inline (a valid, if unusual, spelling)."""
    return "".join(f"{toml_str(str(k))} = {toml_value(v)}\n" for k, v in data.items())


def nested(depth: int, leaf: Any = 1) -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


#: Table keys: any text, often with a line break in it (BUG-8).
safe_keys = st.one_of(st.text(min_size=1, max_size=12), st.tuples(st.text(max_size=5), st.sampled_from(LINE_BREAKS), st.text(max_size=5)).map("".join))

hostile_scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 8784, 8785, 2**63 - 1, 2**63, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 1e-300, float("nan"), float("inf"), float("-inf")]),
    st.booleans(),
    st.text(max_size=30),
    st.integers(1000, 5000).map(lambda n: "a" * n),
    st.sampled_from(["", "h100-sxm", "llama-3.1-8b", "wan2.1-t2v-1.3b", "flat", "🚀"]),
    st.sampled_from([dt.date(2024, 2, 29), dt.datetime(1979, 5, 27, 7, 32), dt.time(7, 32)]),
)
hostile_values = st.recursive(
    hostile_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(safe_keys, inner, max_size=3)),
    max_leaves=8,
) | st.integers(1, 60).map(nested)


BASE_SCENARIO: dict[str, Any] = {
    "name": "fuzz",
    "horizon_hours": 24,
    "text": [{"id": "chat", "workload": "llama-3.1-8b", "requests_per_s": {"shape": "flat", "peak": 10.0}}],
    "video": [
        {"id": "v", "workload": "wan2.1-t2v-1.3b", "resolution": "832x480", "deadline_hours": 3, "videos_per_hour": {"shape": "flat", "peak": 10.0}}
    ],
    "fleet": {"gpus": ["h100-sxm"], "node_size": 1},
}

#: Field paths of a scenario (see capplan/catalog/scenario.py); list indices are ints.
SCENARIO_PATHS: list[tuple[Any, ...]] = [
    ("name",), ("description",), ("horizon_hours",), ("power_cap_mw",), ("backfill_usd_per_gpu_hour",), ("text",), ("video",),
    ("fleet",), ("sharing",), ("network",), ("economics",),
    *[("text", 0, k) for k in ("id", "workload", "precision", "kv_precision", "prompt_tokens", "output_tokens", "ttft_ms", "tpot_ms", "requests_per_s")],
    *[("video", 0, k) for k in ("id", "workload", "resolution", "seconds", "fps", "steps", "cfg", "precision", "deadline_hours", "videos_per_hour")],
    *[("text", 0, "requests_per_s", k) for k in ("values", "csv", "column", "shape", "peak", "trough", "weekend_frac", "scale")],
    *[("video", 0, "videos_per_hour", k) for k in ("values", "shape", "peak", "trough", "weekend_frac", "scale")],
    *[("fleet", k) for k in ("gpus", "availability", "node_size", "headroom_frac", "headroom_gpus", "fixed_usd_per_month_per_fleet", "stack")],
    ("sharing", "shared_weight_frac"),
    *[("network", k) for k in ("refined_prompt_frac", "link_gb_per_s", "rtt_ms", "usd_per_gb", "refiner")],
    ("economics", "pricing"), ("economics", "energy"), ("economics", "energy", "pue"), ("economics", "energy", "electricity_usd_per_kwh"),
    ("economics", "ownership", "amortization_years"), ("economics", "site", "rack_kw"),
]

# Plausible values per field, so that a mutation often leaves a scenario that passes validation.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "horizon_hours": st.sampled_from([1, 2, 23, 24, 25, 48, 168, 8785, 0, -1, 10**20]),
    "peak": st.one_of(floats_in(0, 100), st.sampled_from([0.0, 1e6, 1e12])),
    "trough": floats_in(0, 5),
    "values": st.one_of(
        st.lists(floats_in(0, 50), min_size=24, max_size=24),
        st.lists(floats_in(0, 50), min_size=1, max_size=30),
        st.lists(st.floats(), min_size=24, max_size=24),
    ),
    "deadline_hours": st.sampled_from([0, 1, 3, 24, 8784, 8785, -1]),
    "node_size": st.sampled_from([1, 2, 8, 16, 0, 1024, 1025]),
    "gpus": st.lists(st.sampled_from(GPU_IDS + ["h100x", ""]), min_size=0, max_size=4),
    "workload": st.sampled_from(TEXT_IDS[:2] + VIDEO_IDS[:2] + ["nope", ""]),
    "precision": st.sampled_from(["bf16", "fp16", "fp8", "fp4", "int4", "fp3", ""]),
    "resolution": st.sampled_from(RESOLUTIONS + ["huge", ""]),
    "shape": st.sampled_from(["flat", "business_hours", "diurnal", "evening_peak", "spiky"]),
    "power_cap_mw": st.sampled_from([0.0001, 0.01, 1.0, 1e6, -1.0]),
    "headroom_frac": st.sampled_from([0.0, 0.5, 0.99, 1.0, -0.1]),
    "headroom_gpus": st.sampled_from([0, 1, 8, 10**6, -1]),
    "availability": st.dictionaries(st.sampled_from(GPU_IDS[:4] + ["h100-sxm"]), st.integers(-1, 16), max_size=2),
    "shared_weight_frac": st.sampled_from([0.0, 0.5, 1.0, 1.5]),
    "id": st.sampled_from(["chat", "v", "x", "Bad Id", "", "a" * 65]),
}


def _set(doc: Any, path: tuple[Any, ...], value: Any, delete: bool = False) -> None:
    cur = doc
    for p in path[:-1]:
        if isinstance(cur, dict):
            nxt = cur.get(p)
            if not isinstance(nxt, (dict, list)):
                nxt = {}
                cur[p] = nxt
            cur = nxt
        elif isinstance(cur, list) and isinstance(p, int) and p < len(cur):
            if not isinstance(cur[p], (dict, list)):
                cur[p] = {}
            cur = cur[p]
        else:
            return
    last = path[-1]
    if isinstance(cur, dict):
        if delete:
            cur.pop(last, None)
        else:
            cur[last] = value
    elif isinstance(cur, list) and isinstance(last, int) and last < len(cur):
        if delete:
            del cur[last]
        else:
            cur[last] = value


@st.composite
def mutation(draw) -> tuple[str, tuple[Any, ...], Any]:
    path = draw(st.sampled_from(SCENARIO_PATHS))
    kind = draw(st.sampled_from(["plausible", "plausible", "hostile", "delete", "extra"]))
    if kind == "delete":
        return ("delete", path, None)
    if kind == "extra":
        return ("set", path[:-1] + (draw(safe_keys),), draw(hostile_values))
    name = str(path[-1])
    if kind == "plausible" and name in PLAUSIBLE:
        return ("set", path, draw(PLAUSIBLE[name]))
    return ("set", path, draw(hostile_values))


@st.composite
def scenarios(draw) -> dict[str, Any]:
    doc = json.loads(json.dumps(BASE_SCENARIO))
    if draw(st.booleans()):
        doc["economics"] = {"pricing": draw(st.sampled_from(["rent", "own"]))}
    for op, path, value in draw(st.lists(mutation(), max_size=4)):
        _set(doc, path, value, delete=op == "delete")
    return doc


def _write(path: Path, content: str | bytes) -> None:
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)


CSV_CELLS = st.one_of(
    floats_in(0, 100).map(repr),
    st.sampled_from(["", "nan", "inf", "-1", "1e308", "abc", "5,5", '"7"', " 3 ", '"a\nb"', '"unterminated']),
    st.text(alphabet=st.characters(blacklist_characters=",\"\n\r", blacklist_categories=("Cs",)), max_size=6),
)


@st.composite
def csv_files(draw) -> tuple[str, str]:
    """A demand CSV: header with a 'rps' column (usually), then 24 rows (usually) of cells."""
    column = draw(st.sampled_from(["rps", "rps", "RPS", "other", '"x\ny"', '"r\u2028ps"']))
    n = draw(st.sampled_from([24, 24, 168, 0, 1, 23, 25]))
    cells = draw(st.lists(st.one_of(st.just("5"), st.just("12.5"), CSV_CELLS), min_size=n, max_size=n))
    text = f"hour,{column}\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells))
    return text, "rps"


@fuzz(120)
@given(doc=scenarios(), csv=st.one_of(st.none(), csv_files()))
def test_plan_random_scenarios(workdir, doc, csv):
    scenario = workdir / "scenario.toml"
    if csv is not None:
        text, column = csv
        _write(workdir / "demand.csv", text)
        _set(doc, ("text", 0, "requests_per_s"), {"csv": "demand.csv", "column": column})
    _write(scenario, toml_doc(doc))
    note(scenario.read_text(encoding="utf-8")[:2000])
    r = run_cli("plan", str(scenario), "--format", "json", "--time-limit-s", TIME_LIMIT)
    r.files["scenario"] = doc
    if csv is not None:
        r.files["csv"] = csv[0]
    assert_contract(r)


GARBAGE = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300),
    st.just(b""),
    st.just(b"\xef\xbb\xbf"),
    st.sampled_from([b"\x00" * 64, b"\xff\xfe" + "name = 'x'".encode("utf-16-le"), "name = 'x'".encode("utf-32"), b"[[[[", b"a = 1\na = 2\n"]),
)


@fuzz(60)
@given(content=st.one_of(GARBAGE, st.just(toml_doc(BASE_SCENARIO)).map(lambda t: "\ufeff" + t)))
def test_plan_garbage_files(workdir, content):
    path = workdir / "garbage.toml"
    _write(path, content)
    assert_contract(run_cli("plan", str(path), "--format", "json", "--time-limit-s", TIME_LIMIT))


@fuzz(60)
@given(
    scenario=st.one_of(st.just("SMALL"), st.sampled_from(["", " ", "no-such-scenario", ".", "/", "\x00", "a" * 5000]), st.text(max_size=20).filter(_not_debug)),
    opts=st.fixed_dictionaries(
        {},
        optional={
            "--power-cap-mw": numbers_as_text(st.sampled_from([0.001, 0.5, 4.0, 1e6])),
            "--pricing": words(["rent", "own"]),
            "--time-limit-s": numbers_as_text(st.sampled_from([0.5, 1.0, 2.0])),
            "--calibration": st.sampled_from(CALIBRATION_PATHS),
        },
    ),
    sets=st.lists(SET_ITEMS, max_size=2),
)
def test_plan_hostile_options(workdir, scenario, opts, sets):
    if scenario == "SMALL":
        scenario = str(workdir / "small.toml")
        _write(Path(scenario), toml_doc(BASE_SCENARIO))
    if scenario == "chat-and-video":  # the bundled default is large; its options are covered in tests/cli
        scenario = "no-such-scenario"
    opts = {"--time-limit-s": TIME_LIMIT} | opts
    assert_contract(run_cli("plan", scenario, "--format", "json", *as_argv(opts, [], sets)))


@pytest.mark.parametrize(
    "horizon,expect",
    [(168, 0), (8783, 0), (8784, 0), (8785, 2), (10**6, 2), (2**64, 2)],
)
def test_plan_huge_horizons(workdir, horizon, expect):
    """The dedicated long-horizon example: up to a leap year is planned, beyond it is a user error."""
    doc = json.loads(json.dumps(BASE_SCENARIO))
    doc["horizon_hours"] = horizon
    doc["text"][0]["requests_per_s"] = {"shape": "diurnal", "peak": 20.0, "trough": 2.0}
    doc["video"] = []
    path = workdir / f"horizon-{horizon}.toml"
    _write(path, toml_doc(doc))
    r = run_cli("plan", str(path), "--format", "json", "--time-limit-s", "20")
    assert_contract(r)
    assert r.code == expect, str(r)
    if expect == 0:
        d = json.loads(r.out)
        assert d["horizon_hours"] == horizon and len(d["consolidated"]["schedule"]) == horizon
    else:
        assert "horizon_hours" in r.err


def test_plan_values_for_a_full_leap_year(workdir):
    """8784 hourly values in one array (the longest allowed) plan; 8785 are refused."""
    doc = json.loads(json.dumps(BASE_SCENARIO))
    doc["horizon_hours"] = 8784
    doc["video"] = []
    doc["text"][0]["requests_per_s"] = {"values": [float(5 + (h % 24)) for h in range(8784)]}
    path = workdir / "leap.toml"
    _write(path, toml_doc(doc))
    r = run_cli("plan", str(path), "--format", "json", "--time-limit-s", "20")
    assert r.code == 0 and contract_violation(r) is None, str(r)
    doc["text"][0]["requests_per_s"] = {"values": [5.0] * 8785}
    _write(path, toml_doc(doc))
    r = run_cli("plan", str(path), "--format", "json", "--time-limit-s", "20")
    assert r.code == 2 and contract_violation(r) is None and "values" in r.err, str(r)


# --- economics files (video --economics FILE) -------------------------------------------------------------

ECON_PATHS: list[tuple[str, ...]] = [
    ("pricing",), ("ownership",), ("energy",), ("site",),
    ("ownership", "amortization_years"), ("ownership", "cost_of_capital_frac"), ("ownership", "opex_frac_per_year"), ("ownership", "source"),
    ("energy", "electricity_usd_per_kwh"), ("energy", "electricity_usd_per_kwh_by_hour"), ("energy", "pue"), ("energy", "carbon_kg_per_kwh"),
    ("site", "rack_kw"), ("site", "power_cap_mw"),
]
ECON_PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "pricing": st.sampled_from(["rent", "own", "lease", ""]),
    "amortization_years": st.one_of(floats_in(0.5, 50), st.sampled_from([0, 50.5, 1e-300, 5e-324])),
    "cost_of_capital_frac": st.one_of(floats_in(0, 0.99), st.sampled_from([1.0, -0.01])),
    "opex_frac_per_year": st.one_of(floats_in(0, 1), st.sampled_from([1.01, -0.01])),
    "electricity_usd_per_kwh": st.one_of(floats_in(0, 100), st.sampled_from([1e6, 1e300, 1e308, -1.0])),
    "electricity_usd_per_kwh_by_hour": st.lists(floats_in(0, 1), min_size=20, max_size=26),
    "pue": st.one_of(floats_in(1, 5), st.sampled_from([0.99, 5.01])),
    "carbon_kg_per_kwh": st.one_of(floats_in(0, 2), st.sampled_from([1e308, -1.0])),
    "rack_kw": st.one_of(floats_in(1, 200), st.sampled_from([0.0, 1e-300])),
}


@st.composite
def economics_docs(draw) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for _ in range(draw(st.integers(0, 5))):
        path = draw(st.sampled_from(ECON_PATHS))
        kind = draw(st.sampled_from(["plausible", "plausible", "hostile", "delete", "extra"]))
        if kind == "delete":
            _set(doc, path, None, delete=True)
        elif kind == "extra":
            _set(doc, path[:-1] + (draw(safe_keys),), draw(hostile_values))
        elif kind == "plausible" and path[-1] in ECON_PLAUSIBLE:
            _set(doc, path, draw(ECON_PLAUSIBLE[path[-1]]))
        else:
            _set(doc, path, draw(hostile_values))
    return doc


@fuzz(150)
@given(
    doc=economics_docs(),
    command=st.sampled_from(["video", "video", "text"]),
    pricing=st.sampled_from([[], ["--pricing", "own"], ["--pricing", "rent"]]),
)
def test_economics_random_files(workdir, doc, command, pricing):
    path = workdir / "economics.toml"
    _write(path, toml_doc(doc))
    note(path.read_text(encoding="utf-8")[:2000])
    model = ["--workload", "cogvideox-2b"] if command == "video" else ["--workload", "llama-3.1-8b", "--gpus", "1"]
    r = run_cli(command, "--format", "json", *model, "--economics", str(path), *pricing)
    r.files["economics"] = doc
    assert_contract(r)


@fuzz(50)
@given(content=st.one_of(GARBAGE, st.just("\ufeff[energy]\npue = 1.2\n")))
def test_economics_garbage_files(workdir, content):
    path = workdir / "economics-garbage.toml"
    _write(path, content)
    assert_contract(run_cli("video", "--format", "json", "--economics", str(path)))


# --- regression tests for the bugs above (strict xfails while open) -------------------------------------


def _contract_holds(r: Result) -> None:
    why = contract_violation(r)
    assert why is None, f"{why}\n{r}"


@bug("BUG-1")
@pytest.mark.parametrize("option", ["--fps", "--clip-seconds"])
def test_bug_1_tiny_positive_video_options(option):
    _contract_holds(run_cli("video", "--format", "json", option, "1e-300"))


@bug("BUG-2")
@pytest.mark.parametrize(
    "command,text",
    [
        ("video", "[energy]\nelectricity_usd_per_kwh = 1e308\n"),
        ("video", "[energy]\ncarbon_kg_per_kwh = 1e308\n"),
        ("video", "[ownership]\namortization_years = 5e-324\n"),
        ("text", "pricing = 'own'\n[energy]\nelectricity_usd_per_kwh_by_hour = [" + ", ".join(["1e308"] * 24) + "]\n"),
    ],
    ids=["electricity", "carbon", "amortization", "electricity-by-hour"],
)
def test_bug_2_extreme_economics_files(workdir, command, text):
    path = workdir / "econ-extreme.toml"
    _write(path, text)
    _contract_holds(run_cli(command, "--format", "json", "--pricing", "own", "--economics", str(path)))


def _scenario_with(workdir: Path, name: str, extra_top: str = "", extra_fleet: str = "", tail: str = "") -> str:
    doc = toml_doc({k: v for k, v in BASE_SCENARIO.items() if k != "fleet"})
    text = extra_top + doc + "[fleet]\ngpus = [\"h100-sxm\"]\nnode_size = 1\n" + extra_fleet + tail
    path = workdir / name
    _write(path, text)
    return str(path)


@bug("BUG-3")
@pytest.mark.parametrize(
    "extra",
    [
        {"extra_fleet": "fixed_usd_per_month_per_fleet = 1e308\n"},
        {"extra_top": "backfill_usd_per_gpu_hour = 1e308\n"},
        {"tail": "[economics]\npricing = 'own'\n[economics.energy]\nelectricity_usd_per_kwh = 1e308\n"},
    ],
    ids=["fixed-cost", "backfill", "scenario-electricity"],
)
def test_bug_3_extreme_scenario_money(workdir, extra):
    path = _scenario_with(workdir, "sc-extreme.toml", **extra)
    _contract_holds(run_cli("plan", path, "--format", "json", "--time-limit-s", TIME_LIMIT))


@pytest.mark.parametrize(
    "command,item",
    [
        bug_case("BUG-4", "video", "gpu.price.usd_per_gpu_hour=1e308", id="video-price"),  # cost inf
        bug_case("BUG-4", "text", "gpu.power.tdp_w=1e308", id="text-tdp"),  # power and energy inf
        bug_case("BUG-4", "plan", "gpu.price.usd_per_gpu_hour=1e308", id="plan-price"),  # inf cost vector for scipy.milp
        bug_case("BUG-18", "video", "workload.dit.params=1e308", id="video-params"),  # RuntimeWarning lines, then the error
        bug_case("BUG-18", "video", "workload.defaults.fps=5e-324", id="video-fps"),  # 'cannot convert float NaN to integer'
    ],
)
def test_bug_4_and_18_extreme_set_values(workdir, command, item):
    extra = [_scenario_with(workdir, "sc-set.toml"), "--time-limit-s", TIME_LIMIT] if command == "plan" else []
    _contract_holds(run_cli(command, *extra, "--format", "json", "--set", item))


@bug("BUG-5")
@pytest.mark.parametrize("item", ["video.resolution=1", "video.economics=1", "video.economics=[1]"])
def test_bug_5_set_request_option_of_the_wrong_type(item):
    _contract_holds(run_cli("video", "--format", "json", "--set", item))


@bug("BUG-6")
@pytest.mark.parametrize("where", ["scenario", "economics"])
def test_bug_6_deeply_nested_toml(workdir, where):
    path = workdir / f"deep-{where}.toml"
    if where == "scenario":
        _write(path, "name = " + "{ a = " * 1000 + "1" + " }" * 1000 + "\n")
        _contract_holds(run_cli("plan", str(path), "--format", "json", "--time-limit-s", TIME_LIMIT))
    else:
        _write(path, "x = " + "[" * 1000 + "1" + "]" * 1000 + "\n")
        _contract_holds(run_cli("video", "--format", "json", "--economics", str(path)))


def _plan_with_csv(workdir: Path, name: str, content: bytes) -> Result:
    (workdir / f"{name}.csv").write_bytes(content)
    doc = json.loads(json.dumps(BASE_SCENARIO))
    doc["text"][0]["requests_per_s"] = {"csv": f"{name}.csv", "column": "rps"}
    path = workdir / f"sc-{name}.toml"
    _write(path, toml_doc(doc))
    return run_cli("plan", str(path), "--format", "json", "--time-limit-s", TIME_LIMIT)


@bug("BUG-7")
def test_bug_7_non_utf8_demand_csv(workdir):
    _contract_holds(_plan_with_csv(workdir, "latin1", b"hour,rps\n" + b"".join(b"%d,5\n" % i for i in range(23)) + b"23,5\xe9\n"))


@bug("BUG-8")
def test_bug_8_newline_in_a_toml_key(workdir):
    path = workdir / "econ-newline-key.toml"
    _write(path, '"evil\\nkey" = 1\n')
    _contract_holds(run_cli("video", "--format", "json", "--economics", str(path)))


@bug("BUG-8")
def test_bug_8_newline_in_a_csv_header(workdir):
    _contract_holds(_plan_with_csv(workdir, "newline-header", ('hour,"x\ny"\n' + "".join(f"{i},5\n" for i in range(24))).encode()))


@bug("BUG-9")
def test_bug_9_output_is_a_folder(workdir):
    target = workdir / "outdir"
    target.mkdir(exist_ok=True)
    _contract_holds(run_cli("video", "--format", "json", "--output", str(target)))


@bug("BUG-9")
def test_bug_9_output_is_empty(workdir, monkeypatch):
    monkeypatch.chdir(workdir)  # '' is '.': the test must not touch the repository
    _contract_holds(run_cli("video", "--format", "json", "--output", ""))


@bug("BUG-10")
def test_bug_10_solver_output_never_reaches_stdout(workdir):
    """Needs a real process: HiGHS writes from C to file descriptor 1, below sys.stdout. A fleet that
    must keep 10^11 spare GPUs made this HiGHS build print its debug line."""
    import subprocess
    import sys

    doc = json.loads(json.dumps(BASE_SCENARIO))
    doc["fleet"]["headroom_gpus"] = 100_000_000_000
    path = workdir / "sc-huge-headroom.toml"
    _write(path, toml_doc(doc))
    env = {k: v for k, v in os.environ.items() if k != "CAPPLAN_DEBUG"}
    proc = subprocess.run(
        [sys.executable, "-c", "from capplan.cli import main; main()", "plan", str(path), "--format", "json", "--time-limit-s", TIME_LIMIT],
        capture_output=True, text=True, timeout=120, env=env, cwd=REPO,
    )
    _contract_holds(Result(tuple(proc.args[3:]), proc.returncode, proc.stdout, proc.stderr))


@bug("BUG-14")
def test_bug_14_set_workload_key_with_an_unknown_workload():
    _contract_holds(run_cli("video", "--format", "json", "--workload", "nope", "--set", "workload.defaults.steps=1"))


@bug("BUG-15")
@pytest.mark.parametrize("command,option", [("video", "--gpus"), ("video", "--frames"), ("text", "--prompt-tokens")])
def test_bug_15_whole_number_beyond_float_range(command, option):
    _contract_holds(run_cli(command, "--format", "json", option, "9" * 400))


@pytest.mark.parametrize(
    "argv",
    [
        bug_case("BUG-16", ("plan", "a" * 300), id="scenario"),
        pytest.param(("video", "--economics", "a" * 300), id="economics"),  # fixed first
        bug_case("BUG-16", ("video", "--calibration", "a" * 300), id="calibration"),
        bug_case("BUG-16", ("video", "--output", "a" * 300), id="output"),
    ],
)
def test_bug_16_file_name_too_long(argv, workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    _contract_holds(run_cli(*argv, "--format", "json"))


@bug("BUG-17")
def test_bug_17_csv_extra_cells_and_an_unknown_column(workdir):
    _contract_holds(_plan_with_csv(workdir, "extra-cells", ("hour,other\n" + "".join(f"{i},5,7\n" for i in range(24))).encode()))


@bug("BUG-19")
def test_bug_19_output_through_a_symlink_keeps_the_link(workdir):
    """--output LINK must write through the link (or refuse it), never swap the link for a file. The same
    os.replace, run as root with --output /dev/null, turned the device into a regular file; that is why
    this test uses a symlink in a temporary folder and nothing outside it."""
    folder = workdir / "symlink"
    folder.mkdir(exist_ok=True)
    target, link = folder / "target.json", folder / "link.json"
    target.write_text("old\n")
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target.name)
    r = run_cli("video", "--format", "json", "--output", str(link))
    _contract_holds(r)
    assert link.is_symlink(), f"--output replaced the symlink {link.name} with a regular file; {target.name} still holds {target.read_text()!r}"
    if r.code == 0:
        json.loads(target.read_text())


@bug("BUG-20")
def test_bug_20_time_limit_bounds_every_solve(workdir, monkeypatch):
    """Every MILP a plan solves, including those that explain an infeasible power cap, gets --time-limit-s."""
    import capplan.planning.optimize as optimize

    limits: list[float] = []
    real_solve = optimize.solve

    def recording_solve(*args: Any, **kwargs: Any) -> Any:
        limits.append(kwargs.get("time_limit_s", 120.0))
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(optimize, "solve", recording_solve)
    path = _scenario_with(workdir, "sc-cap.toml", extra_top="power_cap_mw = 0.0001\n")
    r = run_cli("plan", path, "--format", "json", "--time-limit-s", "1.5")
    assert r.code == 2 and "power_cap_mw" in r.err, str(r)
    assert len(limits) >= 3 and all(t <= 1.5 for t in limits), f"time limits passed to solve(): {limits}"
