"""One table of bad inputs across commands and files, each with the words its one-line error must hold.

Every case must exit 2 with exactly one stderr line starting "Error: ", an empty stdout and no
traceback; the needle checks that the line names the source (option, or file and field) or what is
allowed. The cases complement (and do not repeat) the lists in tests/cli/test_*_cli.py.

Argument strings may hold ``{tmp}``, replaced by the test's temporary folder, where the case's files
(scenario TOML, economics TOML, demand CSV, ...) are written first. Cases that expose a bug are
``xfail(strict=True)`` with the bug in the reason; when the bug is fixed they XPASS and fail: then
drop the marker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

#: A small valid scenario (a text service from a CSV, a video service from a shape) to break one field at a time.
SCENARIO = """\
name = "table"
horizon_hours = 24

[[text]]
id = "chat"
workload = "llama-3.1-8b"
requests_per_s = { csv = "demand.csv", column = "rps" }

[[video]]
id = "clips"
workload = "wan2.1-t2v-1.3b"
resolution = "832x480"
deadline_hours = 2
videos_per_hour = { shape = "evening_peak", peak = 20, trough = 2 }

[fleet]
gpus = ["h100-sxm", "h200-sxm"]
node_size = 2

[sharing]
shared_weight_frac = 0.0
"""
DEMAND_CSV = "hour,rps\n" + "".join(f"{h},{5 + h % 7}\n" for h in range(24))

NETWORK = """
[network]
refined_prompt_frac = 0.5
link_gb_per_s = 12.5
rtt_ms = 0.5
usd_per_gb = 0.01
"""


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    needle: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    bug: str | None = None  # a known bug: the case is a strict xfail


def plan_case(id: str, needle: str, *, old: str = "", new: str = "", append: str = "", csv: str | bytes = DEMAND_CSV, extra: tuple[str, ...] = (), bug: str | None = None) -> Case:
    """A plan on SCENARIO with ``old`` replaced by ``new`` (must occur) and ``append`` added."""
    assert old == "" or old in SCENARIO, old
    text = (SCENARIO.replace(old, new, 1) if old else SCENARIO) + append
    return Case(id, ("plan", "{tmp}/scenario.toml", "--time-limit-s", "5", *extra), needle, {"scenario.toml": text, "demand.csv": csv}, bug)


def econ_case(id: str, command: str, text: str | bytes, needle: str, *extra: str, bug: str | None = None) -> Case:
    model = ("--workload", "cogvideox-2b") if command == "video" else ("--workload", "llama-3.1-8b", "--gpus", "1")
    return Case(id, (command, *model, "--economics", "{tmp}/econ.toml", *extra), needle, {"econ.toml": text}, bug)


def csv_case(id: str, csv: str | bytes, needle: str, bug: str | None = None) -> Case:
    return plan_case(id, needle, csv=csv, bug=bug)


CSV_ROWS = [f"{h},5" for h in range(24)]


def csv_with(row: int, cell: str) -> str:
    rows = list(CSV_ROWS)
    rows[row] = f"{row},{cell}"
    return "hour,rps\n" + "\n".join(rows) + "\n"


CASES: list[Case] = [
    # --- video options -------------------------------------------------------------------------------
    Case("video-clip-seconds-zero", ("video", "--clip-seconds", "0"), "--clip-seconds"),
    Case("video-clip-seconds-nan", ("video", "--clip-seconds", "nan"), "--clip-seconds"),
    Case("video-long-video-unknown", ("video", "--seconds", "20", "--long-video", "forever"), "--long-video"),
    Case("video-fps-above-max", ("video", "--fps", "1001"), "at most 1000"),
    Case("video-steps-above-max", ("video", "--steps", "10001"), "--steps"),
    Case("video-gpus-above-max", ("video", "--gpus", "4097"), "at most 4096"),
    Case("video-frames-above-max", ("video", "--frames", "10000001"), "--frames"),
    Case("video-seconds-above-a-day", ("video", "--seconds", "86401"), "at most 86400"),
    Case("video-seconds-1e308", ("video", "--seconds", "1e308"), "--seconds"),
    Case("video-seconds-underflows-to-zero", ("video", "--seconds", "1e-400"), "--seconds"),
    Case("video-seconds-with-inner-space", ("video", "--seconds", "1 000"), "--seconds"),
    Case("video-seconds-fullwidth-digit", ("video", "--seconds", "５"), "--seconds"),
    Case("video-price-above-max", ("video", "--price-per-gpu-hour", "1e7"), "--price-per-gpu-hour"),
    Case("video-price-nan", ("video", "--price-per-gpu-hour", "nan"), "--price-per-gpu-hour"),
    Case("video-resolution-side-too-large", ("video", "--resolution", "16385x720"), "sides 1..16384"),
    Case("video-resolution-fullwidth", ("video", "--resolution", "７２０p"), "--resolution"),
    Case("video-precision-int8", ("video", "--precision", "int8"), "--precision"),
    Case("video-precision-empty", ("video", "--precision", ""), "--precision"),
    Case("video-stack-empty", ("video", "--stack", ""), "--stack"),
    Case("video-workload-empty", ("video", "--workload", ""), "--workload"),
    Case("video-gpu-fullwidth", ("video", "--gpu", "ｈ100-sxm"), "--gpu"),
    Case("video-gpus-fraction", ("video", "--gpus", "1.5"), "--gpus"),
    Case("video-gpus-overflows-int64", ("video", "--gpus", "99999999999999999999999"), "--gpus"),
    Case("video-pue-above-5", ("video", "--pue", "5.01"), "--pue"),
    Case("video-pue-inf", ("video", "--pue", "inf"), "--pue"),
    Case("video-electricity-above-100", ("video", "--electricity-usd-per-kwh", "101"), "--electricity-usd-per-kwh"),
    Case("video-own-with-rent-price", ("video", "--pricing", "own", "--price-per-gpu-hour", "2"), "--pricing rent"),
    Case("video-economics-is-a-folder", ("video", "--economics", "{tmp}"), "--economics"),
    Case("video-cfg-takes-no-value", ("video", "--cfg=yes"), "--cfg"),
    Case("video-short-format-unknown", ("video", "-f", "yaml"), "--format"),
    Case("video-extra-argument", ("video", "surplus"), "surplus"),
    Case("video-option-without-value", ("video", "--seconds"), "--seconds"),
    Case("video-output-folder-missing", ("video", "--output", "{tmp}/missing/out.json"), "--output"),
    Case("video-set-without-equals", ("video", "--set", "gpu.price.usd_per_gpu_hour"), "--set"),
    Case("video-set-unknown-prefix", ("video", "--set", "bogus.x=1"), "--set"),
    Case("video-set-gpu-id", ("video", "--set", "gpu.id=x"), "id cannot be changed"),
    Case("video-set-negative-price", ("video", "--set", "gpu.price.usd_per_gpu_hour=-1"), "price.usd_per_gpu_hour"),
    Case("video-set-scale-by-text", ("video", "--set", "gpu.price.usd_per_gpu_hour*=abc"), "takes a number"),
    Case("video-set-scenario-key", ("video", "--set", "scenario.fleet.node_size=4"), "capplan plan"),
    Case("video-calibration-missing", ("video", "--calibration", "{tmp}/nope.toml"), "--calibration"),
    # --- text options --------------------------------------------------------------------------------
    Case("text-output-tokens-zero", ("text", "--output-tokens", "0"), "--output-tokens"),
    Case("text-output-tokens-above-max", ("text", "--output-tokens", "10000001"), "--output-tokens"),
    Case("text-prompt-tokens-fraction", ("text", "--prompt-tokens", "1.5"), "--prompt-tokens"),
    Case("text-ttft-nan", ("text", "--ttft-ms", "nan"), "--ttft-ms"),
    Case("text-tpot-inf", ("text", "--tpot-ms", "inf"), "--tpot-ms"),
    Case("text-ttft-above-max", ("text", "--ttft-ms", "1e10"), "--ttft-ms"),
    Case("text-gpus-above-max", ("text", "--gpus", "5000"), "--gpus"),
    Case("text-kv-fp8-on-a100", ("text", "--gpu", "a100-sxm-80gb", "--kv-precision", "fp8"), "no fp8"),
    # BUG-12 (fixed): the message blamed --precision
    Case("text-kv-fp8-on-a100-names-the-option", ("text", "--gpu", "a100-sxm-80gb", "--kv-precision", "fp8"), "--kv-precision"),
    Case("text-fp4-compute-on-mi300x", ("text", "--gpu", "mi300x", "--precision", "fp4", "--compute-precision", "fp4"), "computes in bf16, fp16, fp8"),
    Case("text-pricing-empty", ("text", "--pricing", ""), "--pricing"),
    Case("text-flag-takes-no-value", ("text", "--no-latency-targets=1"), "--no-latency-targets"),
    Case("text-set-text-key-on-video", ("video", "--set", "text.gpus=2"), "capplan text"),
    Case("text-set-context-too-small", ("text", "--set", "workload.architecture.max_context=0"), "max_context"),
    # --- plan options --------------------------------------------------------------------------------
    plan_case("plan-power-cap-nan", "--power-cap-mw", extra=("--power-cap-mw", "nan")),
    plan_case("plan-power-cap-negative", "--power-cap-mw", extra=("--power-cap-mw", "-1")),
    plan_case("plan-time-limit-text", "--time-limit-s", extra=("--time-limit-s", "soon")),
    plan_case("plan-time-limit-negative", "--time-limit-s", extra=("--time-limit-s", "-1")),
    plan_case("plan-time-limit-nan", "--time-limit-s", extra=("--time-limit-s", "nan")),
    plan_case("plan-set-horizon-beyond-a-leap-year", "horizon_hours", extra=("--set", "scenario.horizon_hours=8785")),
    plan_case("plan-set-missing-list-index", "index from 0 to 0", extra=("--set", "scenario.text.3.tpot_ms=30")),
    Case("plan-two-scenarios", ("plan", "{tmp}/a.toml", "{tmp}/b.toml"), "b.toml", {"a.toml": SCENARIO, "b.toml": SCENARIO}),
    Case("plan-scenario-is-a-folder", ("plan", "{tmp}"), "SCENARIO"),
    # BUG-11 (fixed): the message named 'hardware_profiles/economics.toml: field pricing'
    plan_case("plan-pricing-unknown-names-the-option", "--pricing", extra=("--pricing", "lease")),
    # --- economics TOML (--economics FILE) ------------------------------------------------------------
    econ_case("econ-pue-below-1", "video", "[energy]\npue = 0.5\n", "energy.pue"),
    econ_case("econ-pue-nan", "text", "[energy]\npue = nan\n", "energy.pue"),
    econ_case("econ-amortization-zero", "video", "[ownership]\namortization_years = 0\n", "ownership.amortization_years"),
    econ_case("econ-cost-of-capital-one", "video", "[ownership]\ncost_of_capital_frac = 1.0\n", "cost_of_capital_frac"),
    econ_case("econ-opex-negative", "text", "[ownership]\nopex_frac_per_year = -0.1\n", "opex_frac_per_year"),
    econ_case("econ-electricity-negative", "video", "[energy]\nelectricity_usd_per_kwh = -1\n", "energy.electricity_usd_per_kwh"),
    econ_case("econ-by-hour-23-values", "video", "[energy]\nelectricity_usd_per_kwh_by_hour = [" + ", ".join(["0.1"] * 23) + "]\n", "electricity_usd_per_kwh_by_hour"),
    econ_case("econ-rack-kw-zero", "video", "[site]\nrack_kw = 0\n", "site.rack_kw"),
    econ_case("econ-pricing-unknown", "video", 'pricing = "lease"\n', "field pricing"),
    econ_case("econ-unknown-table", "text", "[bogus]\nx = 1\n", "bogus"),
    econ_case("econ-energy-not-a-table", "video", 'energy = "cheap"\n', "field energy"),
    econ_case("econ-energy-array-of-tables", "video", "[[energy]]\npue = 1.2\n", "field energy"),
    econ_case("econ-binary-garbage", "video", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "UTF-8"),
    econ_case("econ-duplicate-key", "video", "[energy]\npue = 1.2\npue = 1.3\n", "valid TOML"),
    econ_case("econ-nul-byte", "text", "[energy]\npue = 1.2\x00\n", "valid TOML"),
    # --- scenario TOML (plan) -------------------------------------------------------------------------
    plan_case("scenario-horizon-beyond-a-leap-year", "horizon_hours", old="horizon_hours = 24", new="horizon_hours = 8785"),
    plan_case("scenario-horizon-fraction", "horizon_hours", old="horizon_hours = 24", new="horizon_hours = 24.5"),
    # strict typing: a TOML boolean or string is not silently read as a number
    plan_case("scenario-horizon-boolean", "horizon_hours", old="horizon_hours = 24", new="horizon_hours = true"),
    plan_case("scenario-horizon-string", "horizon_hours", old="horizon_hours = 24", new='horizon_hours = "24"'),
    plan_case("scenario-horizon-huge", "horizon_hours", old="horizon_hours = 24", new="horizon_hours = 99999999999999999999"),
    plan_case("scenario-node-size-zero", "fleet.node_size", old="node_size = 2", new="node_size = 0"),
    plan_case("scenario-node-size-above-max", "fleet.node_size", old="node_size = 2", new="node_size = 1025"),
    plan_case("scenario-headroom-all", "fleet.headroom_frac", old="node_size = 2", new="node_size = 2\nheadroom_frac = 1.0"),
    plan_case("scenario-availability-unlisted-gpu", "fleet.availability", old="node_size = 2", new="node_size = 2\navailability = { b200 = 8 }"),
    plan_case("scenario-availability-negative", "fleet.availability", old="node_size = 2", new="node_size = 2\navailability = { h100-sxm = -1 }"),
    plan_case("scenario-no-gpus", "fleet.gpus", old='gpus = ["h100-sxm", "h200-sxm"]', new="gpus = []"),
    plan_case("scenario-duplicate-service-ids", "unique", old='id = "clips"', new='id = "chat"'),
    plan_case("scenario-id-with-capitals", "video.0.id", old='id = "clips"', new='id = "Clips"'),
    plan_case("scenario-trough-above-peak", "trough", old="trough = 2", new="trough = 50"),
    plan_case("scenario-weekend-frac-above-10", "weekend_frac", old="trough = 2", new="trough = 2, weekend_frac = 11"),
    plan_case("scenario-negative-scale", "scale", old="trough = 2", new="trough = 2, scale = -1"),
    plan_case("scenario-values-and-shape", "exactly one", old="trough = 2", new="trough = 2, values = [1.0]"),
    plan_case("scenario-values-with-nan", "values", old='{ shape = "evening_peak", peak = 20, trough = 2 }', new="{ values = [" + ", ".join(["1.0"] * 23 + ["nan"]) + "] }"),
    plan_case("scenario-csv-without-column", "needs a column", old='{ csv = "demand.csv", column = "rps" }', new='{ csv = "demand.csv" }'),
    plan_case("scenario-shared-weight-above-1", "shared_weight_frac", old="shared_weight_frac = 0.0", new="shared_weight_frac = 2"),
    plan_case("scenario-network-missing-field", "network.link_gb_per_s", append="\n[network]\nrefined_prompt_frac = 1.0\nrtt_ms = 1\nusd_per_gb = 0\n"),
    plan_case("scenario-network-frac-above-1", "network.refined_prompt_frac", append=NETWORK.replace("0.5", "1.5")),
    plan_case("scenario-economics-pricing", "pricing", append='\n[economics]\npricing = "lease"\n'),
    plan_case("scenario-economics-pue", "energy.pue", append="\n[economics.energy]\npue = 9\n"),
    plan_case("scenario-video-workload-is-text", "video.0.workload", old='workload = "wan2.1-t2v-1.3b"', new='workload = "llama-3.1-8b"'),
    plan_case("scenario-deadline-beyond-a-leap-year", "deadline_hours", old="deadline_hours = 2", new="deadline_hours = 8785"),
    plan_case("scenario-prompt-tokens-zero", "prompt_tokens", old='id = "chat"', new='id = "chat"\nprompt_tokens = 0'),
    plan_case("scenario-power-cap-negative", "power_cap_mw", old="horizon_hours = 24", new="horizon_hours = 24\npower_cap_mw = -1"),
    plan_case("scenario-text-not-a-list", "field text", old="[[text]]", new="text = 5\n[[unused]]"),
    plan_case("scenario-missing-name", "field name", old='name = "table"', new=""),
    Case("scenario-empty-file", ("plan", "{tmp}/empty.toml"), "field name", {"empty.toml": ""}),
    Case("scenario-binary-garbage", ("plan", "{tmp}/garbage.toml"), "UTF-8", {"garbage.toml": bytes(range(256))}),
    Case("scenario-too-many-services", ("plan", "{tmp}/many.toml"), "field text", {"many.toml": SCENARIO + "".join(f'\n[[text]]\nid = "t{i}"\nworkload = "llama-3.1-8b"\nrequests_per_s = {{ shape = "flat", peak = 1 }}\n' for i in range(16))}),
    # BUG-13 (fixed): a bad stack or precision was swallowed into capacity notes and the error blamed text.0
    plan_case("scenario-unknown-stack-names-the-field", "fleet.stack", old="node_size = 2", new='node_size = 2\nstack = "fa9"'),
    plan_case("scenario-unknown-precision-names-the-field", "text.0.precision", old='id = "chat"', new='id = "chat"\nprecision = "fp3"'),
    plan_case("scenario-unknown-video-precision-names-the-field", "video.0.precision", old='id = "clips"', new='id = "clips"\nprecision = "int8"'),
    plan_case("scenario-bad-resolution-names-the-field", "video.0.resolution", old='resolution = "832x480"', new='resolution = "huge"'),
    # --- demand CSV referenced by the scenario ----------------------------------------------------------
    csv_case("csv-nan-cell", csv_with(3, "nan"), "row 5, column rps"),
    csv_case("csv-negative-cell", csv_with(0, "-1"), "demand must be a finite number"),
    csv_case("csv-inf-cell", csv_with(10, "inf"), "row 12"),
    csv_case("csv-text-cell", csv_with(7, "many"), "row 9, column rps"),
    csv_case("csv-empty-cell", csv_with(7, ""), "row 9"),
    csv_case("csv-missing-cell", "hour,rps\n" + "\n".join(CSV_ROWS[:23]) + "\n23\n", "row 25"),
    csv_case("csv-wrong-column", "hour,requests\n" + "\n".join(CSV_ROWS) + "\n", "has columns: hour, requests"),
    csv_case("csv-23-rows", "hour,rps\n" + "\n".join(CSV_ROWS[:23]) + "\n", "23 rows"),
    csv_case("csv-empty-file", "", "columns: none"),
    csv_case("csv-header-only", "hour,rps\n", "0 rows"),
    plan_case("csv-missing-file", "cannot be read", old='csv = "demand.csv"', new='csv = "absent.csv"'),
    plan_case("csv-is-a-folder", "cannot be read", old='csv = "demand.csv"', new='csv = "."'),
    # BUG-7 (fixed): UnicodeDecodeError, exit 1
    csv_case("csv-latin1", b"hour,rps\n" + b"".join(b"%d,5\n" % h for h in range(23)) + b"23,5\xe9\n", "UTF-8"),
    # --- Reliability round 2 ----------------------------------------------------------------------------
    # 1. one bounded number parse: a 5000-digit number crashed on Python's int-string limit
    Case("set-price-5000-digits", ("video", "--set", "gpu.price.usd_per_gpu_hour=" + "9" * 5000), "--set gpu.price.usd_per_gpu_hour: 'a number of 5000 characters'"),
    Case("set-steps-5000-digits", ("video", "--set", "video.steps=" + "9" * 5000), "--set video.steps"),
    Case("set-price-5000-digits-in-an-array", ("video", "--set", "gpu.price.usd_per_gpu_hour=[" + "9" * 5000 + "]"), "--set gpu.price.usd_per_gpu_hour"),
    Case("set-nan", ("video", "--set", "gpu.price.usd_per_gpu_hour=nan"), "numbers are finite"),
    Case("vary-5000-digits", ("sweep", "video", "--vary", "steps=" + "9" * 5000), "5000 characters"),
    econ_case("econ-5000-digits", "video", "[energy]\npue = " + "9" * 5000 + "\n", "econ.toml: line 2"),
    econ_case("econ-int-beyond-1e18", "text", "[site]\nrack_kw = 99999999999999999999\n", "field site.rack_kw"),
    plan_case("scenario-5000-digits", "scenario.toml: line 23", append="\nbackfill_usd_per_gpu_hour = " + "9" * 5000 + "\n"),
    Case("calibration-5000-digits", ("video", "--calibration", "{tmp}/cal.toml"), "cal.toml: line 1", {"cal.toml": "x = " + "9" * 5000 + "\n"}),
    csv_case("csv-5000-digits", csv_with(4, "9" * 5000), "row 6, column rps"),
    # 3. input files checked before they are read
    Case("economics-from-dev-zero", ("video", "--economics", "/dev/zero"), "--economics: '/dev/zero' is not allowed; it cannot be read: it is a device"),
    Case("calibration-is-a-folder", ("video", "--calibration", "{tmp}"), "--calibration"),
    # (a demand CSV from /dev/zero or a FIFO is tested on read_demand_csv directly, tests/robustness/test_demand_csv.py:
    # through plan's old reader it fills memory until the process is killed)
    plan_case("csv-etc-passwd-not-echoed", "none that look like column names", old='csv = "demand.csv"', new='csv = "/etc/passwd"'),
    # 4. booleans are true or false on every path
    Case("set-cfg-no", ("video", "--set", "video.cfg=no"), "--set video.cfg: 'no' is not allowed; booleans are written true or false"),
    Case("set-cfg-half", ("video", "--set", "video.cfg=0.5"), "video.cfg is a switch: choose true or false"),
    Case("set-cfg-minus-one", ("video", "--set", "video.cfg=-1"), "choose true or false"),
    Case("set-no-latency-targets-no", ("text", "--set", "text.no_latency_targets=no"), "--set text.no_latency_targets"),
    Case("set-workload-cfg-yes", ("video", "--set", "workload.defaults.cfg=yes"), "true or false"),
    plan_case("set-scenario-cfg-number", "video.0.cfg", extra=("--set", "scenario.video.0.cfg=1")),
    Case("vary-cfg-no-yes", ("sweep", "video", "--vary", "cfg=no,yes"), "booleans are written true or false"),
    Case("vary-cfg-zero-one", ("sweep", "video", "--vary", "cfg=0,1"), "choose true or false"),
    # 5. demand CSVs keyed by their hour column
    csv_case("csv-shuffled", "hour,rps\n" + "".join(f"{h},{5 + h % 7}\n" for h in sorted(range(24), key=lambda h: (h % 7, h))), "rows must be in hour order"),
    csv_case("csv-duplicate-hour", "hour,rps\n" + "".join(f"{h},5\n" for h in [*range(23), 5]), "hour 5 is also on row 7"),
    csv_case("csv-one-based-hours", "hour,rps\n" + "".join(f"{h},5\n" for h in range(1, 25)), "hours run from 0"),
    # 6. catalogue
    Case("set-hidden-size-1e9", ("text", "--workload", "llama-3.1-8b", "--set", "workload.architecture.hidden_size=1000000000"), "counted from the dimensions by more than 5%"),
    Case("set-params-total-off", ("text", "--workload", "llama-3.1-70b", "--set", "workload.architecture.params_total=5.57e11"), "counted from the dimensions"),
    Case("set-fp8-checkpoint-unknown", ("text", "--workload", "deepseek-v3", "--set", "workload.fp8_checkpoint=blocky"), "fp8_checkpoint"),
    Case("vary-resolution-0x0-stays-a-string", ("sweep", "video", "--vary", "resolution=0x0"), "'0x0' is not allowed; use one of 360p"),
    # 2. outputs: the option that failed is named
    plan_case("html-folder-missing-names-html", "--html", extra=("--html", "{tmp}/missing/r.html")),
    plan_case("html-and-output-one-file", "also the --output file", extra=("--html", "{tmp}/same", "-o", "{tmp}/same")),
]

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


def _params():
    for c in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=f"bug: {c.bug}")] if c.bug else []
        yield pytest.param(c, id=c.id, marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_bad_input_gives_one_line_naming_it(cli, tmp_path, monkeypatch, case: Case):
    monkeypatch.delenv("CAPPLAN_DEBUG", raising=False)
    for name, content in case.files.items():
        target = tmp_path / name
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in case.argv]
    r = cli(*argv)
    lines = r.err.splitlines()
    assert "Traceback" not in r.err, r.err
    assert r.code == 2, (r.code, r.err)
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    assert "internal error" not in lines[0], lines[0]
    assert case.needle in lines[0], f"{case.needle!r} not in {lines[0]!r}"
    assert r.out == ""


def test_the_table_is_large_and_new():
    """At least 40 distinct bad inputs, and none of them a copy of the lists in tests/cli/."""
    import importlib.util
    from pathlib import Path

    assert len([c for c in CASES if not c.bug]) >= 40
    cli_dir = Path(__file__).resolve().parents[1] / "cli"
    existing: set[tuple[str, ...]] = set()
    for name, command in (("test_video_cli.py", "video"), ("test_text_cli.py", "text")):
        spec = importlib.util.spec_from_file_location(f"_existing_{command}", cli_dir / name)
        if spec is None or spec.loader is None:
            continue
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        existing |= {(command, *args) for args, _ in getattr(mod, "BAD", [])}
    assert not [c.id for c in CASES if c.argv in existing]


def test_a_demand_csv_with_a_byte_order_mark_reads_its_first_column(cli, tmp_path):
    """Spreadsheets save UTF-8 CSVs with a BOM; the first column's name must not carry it."""
    scenario = SCENARIO.replace('column = "rps"', 'column = "hour"').replace("node_size = 2", "node_size = 1")
    (tmp_path / "s.toml").write_text(scenario, encoding="utf-8")
    (tmp_path / "demand.csv").write_bytes(b"\xef\xbb\xbf" + DEMAND_CSV.encode("utf-8"))
    r = cli("plan", str(tmp_path / "s.toml"), "-f", "json")
    assert r.code == 0, r.err
    (tmp_path / "demand.csv").write_bytes(DEMAND_CSV.encode("utf-8"))
    assert cli("plan", str(tmp_path / "s.toml"), "-f", "json").out == r.out
