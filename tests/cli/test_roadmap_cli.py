"""`capplan roadmap` end to end: the bundled roadmap, the JSON/CSV contracts, deterministic bytes, bad input."""

from __future__ import annotations

import csv
import io
import json

import pytest


@pytest.fixture(scope="module")
def default_roadmap():
    from capplan.api.roadmap import roadmap

    return roadmap()


def test_default_roadmap_report(cli):
    r = cli("roadmap")
    assert r.code == 0, r.err
    for text in ("Net present cost", "Siloed", "Consolidated", "Consolidation saves", "$/Mtok", "$/vid-min", "Orders"):
        assert text in r.out


def test_default_roadmap_numbers_hold_together(default_roadmap):
    r = default_roadmap
    assert r.months == 36 and len(r.rows) == 36
    assert r.consolidated.npv_usd <= r.siloed.npv_usd
    for p in (r.siloed, r.consolidated):
        assert sum(p.npv.model_dump().values()) == pytest.approx(p.npv_usd, rel=1e-9)
        assert p.mip_gap is not None and p.mip_gap < 0.02  # rounding the relaxation costs little
    for row in r.rows:
        for p in (row.siloed, row.consolidated):
            assert p.text_cost_usd + p.video_cost_usd == pytest.approx(p.cost_usd)
            assert sum(p.gpus.values()) == pytest.approx(p.total_gpus)
            assert sum(p.gpus_by_contract.values()) == pytest.approx(p.total_gpus)
            assert 0 < p.utilization <= 1
    # demand grows, so the last month carries more GPUs than the first
    assert r.rows[-1].consolidated.total_gpus > r.rows[0].consolidated.total_gpus
    # every order is delivered after its lead time and only GPUs the roadmap lists are ordered
    for o in r.consolidated.orders:
        assert o.order_month <= o.delivery_month and o.gpu in {g.gpu for g in r.gpus}


def test_json_is_byte_identical_across_runs(cli):
    a = cli("roadmap", "--months", "12", "--format", "json")
    b = cli("roadmap", "--months", "12", "--format", "json")
    assert a.code == 0, a.err
    assert a.out == b.out
    d = json.loads(a.out)
    assert {"siloed", "consolidated", "rows", "savings_npv_usd", "capacities"} <= d.keys()
    assert "solve_s" not in d["siloed"]


def test_csv_has_one_row_per_month(cli):
    r = cli("roadmap", "--months", "12", "-f", "csv")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert [row["month"] for row in rows] == [f"2027-{m:02d}" for m in range(1, 13)]
    for col in ("consolidated.cost_per_million_tokens_usd", "siloed.cost_per_video_minute_usd", "consolidated.gpus_by_contract.own", "consolidated.gpus.b200"):
        assert col in rows[0]


def test_markdown_and_html(cli, tmp_path):
    page = tmp_path / "r.html"
    r = cli("roadmap", "--months", "6", "-f", "markdown", "--html", str(page))
    assert r.code == 0, r.err
    assert r.out.count("\n") == 2 + 6
    text = page.read_text()
    assert text.count("<svg") >= 4 and "<script" not in text


def test_discount_rate_option(cli):
    lo = cli("roadmap", "--months", "6", "--discount-rate", "0", "-f", "json").json()
    assert lo["discount_rate_frac_per_year"] == 0
    assert all(row["discount_factor"] == 1.0 for row in lo["rows"])


def _write(tmp_path, text):
    f = tmp_path / "r.toml"
    f.write_text(text)
    return str(f)


MINI = """
name = "mini"
start = "2027-01"
months = 4
[[text]]
id = "chat"
workload = "llama-3.1-8b"
requests_per_s = { shape = "flat", peak = 20 }
growth = { frac_per_year = 0.0 }
[[gpus]]
id = "h100-sxm"
[prices]
decline_frac_per_year = 0.0
source = "flat prices for a test"
[contracts]
reserved_1y_discount_frac = 0.3
reserved_3y_discount_frac = 0.45
reserved_lead_months = 1
own_lead_months = 3
source = "terms for a test"
"""


def test_user_file_and_csv_growth(cli, tmp_path):
    (tmp_path / "growth.csv").write_text("month,chat\n" + "".join(f"2027-0{m},{m}\n" for m in range(1, 5)))
    f = _write(tmp_path, MINI.replace('growth = { frac_per_year = 0.0 }', 'growth = { csv = "growth.csv", column = "chat" }'))
    r = cli("roadmap", f, "-f", "json")
    assert r.code == 0, r.err
    d = r.json()
    assert [row["text_peak_requests_per_s"] for row in d["rows"]] == pytest.approx([20, 40, 60, 80])
    assert d["rows"][0]["videos_per_day"] == 0 and d["rows"][0]["consolidated"]["cost_per_video_minute_usd"] is None
    (tmp_path / "growth.csv").write_text("month,chat\n2027-01,1\n2027-03,2\n2027-04,3\n2027-05,4\n")
    r = cli("roadmap", f, "-f", "json")
    assert r.code == 2 and "expected 2027-02" in r.err


@pytest.mark.parametrize(
    "args,needle",
    [
        (("roadmap", "no-such-roadmap"), "bundled roadmap"),
        (("roadmap", "--months", "0"), "--months"),
        (("roadmap", "--months", "61"), "--months"),
        (("roadmap", "--discount-rate", "1.5"), "--discount-rate"),
    ],
)
def test_bad_options_one_line(cli, args, needle):
    r = cli(*args)
    assert r.code == 2
    assert r.err.startswith("Error: ") and needle in r.err and r.err.count("\n") == 1


@pytest.mark.parametrize(
    "old,new,needle",
    [
        ('id = "h100-sxm"', 'id = "h999"', "catalogued GPUs"),
        ('start = "2027-01"', 'start = "2027-13"', "start"),
        ('workload = "llama-3.1-8b"', 'workload = "wan2.1-t2v-14b"', "text model"),
        ("growth = { frac_per_year = 0.0 }", 'growth = { csv = "missing.csv", column = "chat" }', "cannot be read"),
        ("growth = { frac_per_year = 0.0 }", "growth = { frac_per_year = 0.0, csv = 'x.csv', column = 'c' }", "exactly one"),
        ("months = 4", "months = 4\n[[commitments]]\ngpu = \"b200\"\nkind = \"own\"\ngpus = 8\nstart = \"2026-01\"", "not one of the [[gpus]]"),
    ],
)
def test_bad_roadmap_files_one_line(cli, tmp_path, old, new, needle):
    assert old in MINI
    r = cli("roadmap", _write(tmp_path, MINI.replace(old, new, 1)), "-f", "json")
    assert r.code == 2, r.out
    assert r.err.startswith("Error: ") and needle in r.err and r.err.count("\n") == 1
    assert r.out == ""


FIELDS = [
    ("months = 4", "months = {}"),
    ("peak = 20", "peak = {}"),
    ("frac_per_year = 0.0", "frac_per_year = {}"),
    ("decline_frac_per_year = 0.0", "decline_frac_per_year = {}"),
    ("reserved_1y_discount_frac = 0.3", "reserved_1y_discount_frac = {}"),
    ("own_lead_months = 3", "own_lead_months = {}"),
]


def test_fuzzed_roadmap_files_fail_cleanly_or_run(cli, tmp_path):
    """Odd values in any numeric field: the run succeeds or exits 2 with one line, never a traceback."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    values = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False, width=32), st.sampled_from(['"x"', "true", "[]", "1e400"]))

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(FIELDS), values)
    def run(field, value):
        old, new = field
        r = cli("roadmap", _write(tmp_path, MINI.replace(old, new.format(value), 1)), "-f", "json")
        assert r.code in (0, 2), r.err
        if r.code == 2:
            assert r.err.startswith("Error: ") and r.err.count("\n") == 1 and r.out == ""
        else:
            json.loads(r.out)

    run()
