"""The HTML plan report: self-contained, faithful to the result, escaped, deterministic, and it renders
in a real browser (headless Chromium, skipped when it is not installed)."""

from __future__ import annotations

import ast
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from capplan.report.fmt import pct, sig, usd
from capplan.report.html import MAX_POINTS, render_html
from capplan.results import PlanResult

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHART_IDS = ("chart-schedule-siloed", "chart-schedule-consolidated", "chart-cost")

SMALL_SCENARIO = """
name = "small-html-test"
description = "chat-and-video, one day, one GPU type, one-GPU nodes: fast to solve"
horizon_hours = 24
backfill_usd_per_gpu_hour = 1.0

[[text]]
id = "chat"
workload = "llama-3.1-70b"
precision = "fp8"
kv_precision = "fp8"
prompt_tokens = 1500
output_tokens = 350
ttft_ms = 1000
tpot_ms = 50
requests_per_s = { shape = "business_hours", peak = 200, trough = 30 }

[[video]]
id = "video"
workload = "wan2.1-t2v-14b"
resolution = "832x480"
seconds = 5
precision = "fp8"
deadline_hours = 2
videos_per_hour = { shape = "evening_peak", peak = 400, trough = 40 }

[fleet]
gpus = ["h200-sxm"]
node_size = 1
headroom_frac = 0.05
fixed_usd_per_month_per_fleet = 20000

[network]
refined_prompt_frac = 1.0
link_gb_per_s = 12.5
rtt_ms = 0.5
usd_per_gb = 0.01

[economics]
pricing = "rent"
"""


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory) -> PlanResult:
    import capplan

    f = tmp_path_factory.mktemp("scenario") / "small.toml"
    f.write_text(SMALL_SCENARIO, encoding="utf-8")
    return capplan.plan(f)


@pytest.fixture(scope="module")
def page(small_plan) -> str:
    return render_html(small_plan)


class _Doc(HTMLParser):
    """Every start tag with its attributes, and the text of each cell of the comparison table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cells: list[dict] = []
        self._table: str | None = None
        self._cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self._table = a.get("id")
        if tag == "td" and self._table == "comparison" and "data-field" in a:
            self._cell = {"field": a["data-field"], "value": a.get("data-value"), "text": ""}

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append(self._cell)
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def _parse(html: str) -> _Doc:
    d = _Doc()
    d.feed(html)
    d.close()
    return d


def _svg(doc: _Doc, chart_id: str) -> dict:
    found = [a for t, a in doc.tags if t == "svg" and a.get("id") == chart_id]
    assert len(found) == 1, f"{chart_id}: {len(found)} svg elements"
    return found[0]


# --- unit tests ----------------------------------------------------------------------------------


def test_self_contained(page):
    assert page.startswith("<!DOCTYPE html>")
    refs = re.findall(r"""(?:src|href|xlink:href|action|poster)\s*=\s*["']?([^"'\s>]+)""", page, flags=re.I)
    assert not [r for r in refs if re.match(r"(?:https?:)?//", r, flags=re.I)], refs
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<link\b", page, flags=re.I)  # no style sheets, icons or fonts from files
    assert not re.search(r"<(?:script|img|iframe|object|embed)\b", page, flags=re.I)
    assert not re.search(r"@import|url\(|@font-face", page, flags=re.I)
    assert page.count("<style>") == 1


def test_three_charts_with_ids_and_labels(page, small_plan):
    doc = _parse(page)
    for chart_id in CHART_IDS:
        a = _svg(doc, chart_id)
        assert a.get("role") == "img"
        assert a.get("aria-label") and len(a["aria-label"]) > 20
    # Stacked layers of both schedules; backlog lines where there is a backlog; one segment per cost part.
    layers = [a["class"] for t, a in doc.tags if t == "polygon" and "layer" in (a.get("class") or "")]
    assert layers.count("layer layer-text") == 2 and layers.count("layer layer-video") == 2
    assert any(t == "polyline" and a.get("class") == "backlog" for t, a in doc.tags)
    segs = [a["class"] for t, a in doc.tags if t == "rect" and (a.get("class") or "").startswith("seg ")]
    assert segs.count("seg seg-hardware") == 2
    assert "chart-sensitivity" not in page and "Sensitivity" not in page


def test_comparison_table_matches_result(page, small_plan):
    cells = _parse(page).cells
    by_field: dict[str, list[dict]] = {}
    for c in cells:
        by_field.setdefault(c["field"], []).append(c)
    assert all(len(v) == 2 for v in by_field.values()), {k: len(v) for k, v in by_field.items() if len(v) != 2}
    plans = (small_plan.siloed, small_plan.consolidated)
    numeric = (
        "total_gpus racks total_cost_usd cost_per_hour_usd hardware_cost_usd energy_cost_usd fixed_cost_usd network_cost_usd "
        "text_cost_usd video_cost_usd cost_per_video_minute_usd cost_per_million_tokens_usd utilization idle_gpu_hours "
        "backfill_value_usd peak_power_mw energy_mwh solve_s"
    ).split()
    for field in numeric:
        assert field in by_field, field
        for cell, p in zip(by_field[field], plans):
            assert float(cell["value"]) == getattr(p, field), field  # full precision behind the rounded text
    for g in set(small_plan.siloed.gpus) | set(small_plan.consolidated.gpus):
        assert [int(c["value"]) for c in by_field[f"gpus.{g}"]] == [p.gpus.get(g, 0) for p in plans]
    expected = {
        "total_gpus": lambda p: f"{p.total_gpus:,}",
        "racks": lambda p: f"{p.racks:,}",
        "total_cost_usd": lambda p: usd(p.total_cost_usd),
        "cost_per_hour_usd": lambda p: usd(p.cost_per_hour_usd),
        "hardware_cost_usd": lambda p: usd(p.hardware_cost_usd),
        "energy_cost_usd": lambda p: usd(p.energy_cost_usd),
        "fixed_cost_usd": lambda p: usd(p.fixed_cost_usd),
        "network_cost_usd": lambda p: usd(p.network_cost_usd),
        "cost_per_video_minute_usd": lambda p: usd(p.cost_per_video_minute_usd),
        "cost_per_million_tokens_usd": lambda p: usd(p.cost_per_million_tokens_usd),
        "utilization": lambda p: pct(p.utilization),
        "idle_gpu_hours": lambda p: f"{p.idle_gpu_hours:,.0f}",
        "backfill_value_usd": lambda p: usd(p.backfill_value_usd),
        "peak_power_mw": lambda p: f"{sig(p.peak_power_mw)} MW",
        "energy_mwh": lambda p: f"{sig(p.energy_mwh)} MWh",
        "solve_s": lambda p: f"{p.solve_s:.2f} s",
        "status": lambda p: p.status,
    }
    for field, f in expected.items():
        assert [c["text"] for c in by_field[field]] == [f(p) for p in plans], field
    # The siloed plan has one fleet per workload, the consolidated one shared fleet.
    assert [c["text"] for c in by_field["fleets"]][1].startswith("shared:")


def test_savings_cost_split_and_capacities_shown(page, small_plan):
    r = small_plan
    verb = "saves" if r.savings_usd >= 0 else "costs"
    assert f"Consolidation {verb} {usd(abs(r.savings_usd))} ({abs(r.savings_pct):.1f}%)" in page
    assert r.cost_split.replace("'", "&#x27;") in page
    assert 'id="capacity"' in page
    for c in r.capacities:
        assert f"{sig(c.capacity_per_gpu)} {'req/s' if c.kind == 'text' else 'videos/h'}" in page
    assert "24 h" in page and "small-html-test" in page


def test_text_is_escaped(small_plan):
    evil = "<script>alert('x')</script> & \"co\""
    caps = [small_plan.capacities[0].model_copy(update={"note": "<b onmouseover=alert(1)>bold</b>"}), *small_plan.capacities[1:]]
    r = small_plan.model_copy(update={"scenario": evil, "scenario_file": "/tmp/<evil>.toml", "capacities": caps, "warnings": ["<img src=x onerror=alert(1)>"]})
    html = render_html(r, sensitivity=[("<i>GPU</i> price", 1.0, 2.0)])
    assert "<script" not in html and "<b " not in html and "<img" not in html and "<i>" not in html and "<evil>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;co&quot;" in html
    assert "&lt;b onmouseover=alert(1)&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;i&gt;GPU&lt;/i&gt; price" in html
    _parse(html)  # still well-formed enough to parse
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert title == "GPU fleet plan: &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;co&quot;"


def test_deterministic(small_plan):
    # The solver's wall time is not part of the JSON; compare pages of the JSON-round-tripped result.
    small_plan = PlanResult.model_validate_json(small_plan.model_dump_json())
    a = render_html(small_plan)
    assert a == render_html(small_plan)
    again = PlanResult.model_validate_json(small_plan.model_dump_json())
    assert render_html(again) == a
    # Independent of the hash seed of the process (no set or hash ordering leaks into the page).
    code = (
        "import sys; from capplan.results import PlanResult; from capplan.report.html import render_html; "
        "sys.stdout.write(render_html(PlanResult.model_validate_json(sys.stdin.read())))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code], input=small_plan.model_dump_json(), capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}, timeout=60,
        ).stdout
        for seed in ("1", "2")
    }
    assert outs == {a}


def test_sensitivity_section_only_when_given(small_plan):
    base = small_plan.consolidated.total_cost_usd
    rows = [("GPU price", base * 0.8, base * 1.2), ("video demand", base * 0.95, base * 1.1), ("GEMM efficiency", base * 1.03, None)]
    html = render_html(small_plan, sensitivity=rows)
    doc = _parse(html)
    a = _svg(doc, "chart-sensitivity")
    assert a["role"] == "img" and "consolidated total cost" in a["aria-label"]
    # Widest swing first (a missing end counts as widest: it could not be computed).
    order = [html.index(f">{name}</text>") for name in ("GEMM efficiency", "GPU price", "video demand")]
    assert order == sorted(order)
    assert sum(1 for t, at in doc.tags if t == "rect" and (at.get("class") or "").startswith("bar-")) == 5
    assert render_html(small_plan, sensitivity=None) == render_html(small_plan) == render_html(small_plan, sensitivity=[])


def test_long_horizon_is_averaged(small_plan):
    """A year of hours is drawn as at most MAX_POINTS buckets, aligned to whole days."""
    hours = 24 * 365

    def stretch(p):
        sched = [h.model_copy(update={"hour": t}) for t, h in enumerate(p.schedule[t % 24] for t in range(hours))]
        return p.model_copy(update={"schedule": sched})

    r = small_plan.model_copy(
        update={"horizon_hours": hours, "siloed": stretch(small_plan.siloed), "consolidated": stretch(small_plan.consolidated)}
    )
    html = render_html(r)
    for chart_id in CHART_IDS[:2]:
        svg = re.search(rf'<svg id="{chart_id}".*?</svg>', html, flags=re.S).group(0)
        n_buckets = svg.count("<rect ")  # one hover column per bucket
        assert 0 < n_buckets <= MAX_POINTS
        assert "(mean)" in svg and "72-hour averages" in svg
        assert n_buckets == -(-hours // 72)
    assert "Each step is a 72-hour average." in html


def test_no_backlog_line_without_backlog(small_plan):
    def flat(p):
        return p.model_copy(update={"schedule": [h.model_copy(update={"video_backlog": 0.0}) for h in p.schedule]})

    html = render_html(small_plan.model_copy(update={"siloed": flat(small_plan.siloed), "consolidated": flat(small_plan.consolidated)}))
    assert 'class="backlog"' not in html
    for chart_id in CHART_IDS:
        assert f'id="{chart_id}"' in html


@pytest.mark.parametrize("module", ["capplan.report.html", "capplan.report.charts", "capplan.report.planfacts", "capplan.report.plancharts", "capplan.report.arrangements"])
def test_module_imports_only_stdlib_and_numpy(module):
    import importlib

    mod = importlib.import_module(module)
    tree = ast.parse(Path(mod.__file__).read_text(encoding="utf-8"))
    type_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    names = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    allowed = set(sys.stdlib_module_names) | {"numpy", "capplan"}
    assert all(n.split(".")[0] in allowed for n in names), names
    assert {n for n in names if n.startswith("capplan")} <= {
        "capplan.report.fmt", "capplan.report.charts", "capplan.report.planfacts", "capplan.report.plancharts", "capplan.report.arrangements",
    }
    code = f"import sys, {module}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split())
    assert not loaded & {"pydantic", "scipy", "rich", "typer", "click"}


# --- in a browser --------------------------------------------------------------------------------


def _chromium() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("chromium is not on PATH (Debian: apt-get install -y chromium); the browser rendering test needs it")
    return exe


def _chromium_run(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars", "--force-device-scale-factor=1",
    ]
    return subprocess.run([exe, *flags, *args], capture_output=True, text=True, timeout=60, cwd=profile.parent)


def _png_rgb(data: bytes) -> np.ndarray:
    """Decode an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes) to an (h, w, 3) array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    stride = w * bpp
    rows = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(h, stride + 1)
    out = np.zeros((h, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for r in range(h):
        f, line = int(rows[r, 0]), rows[r, 1:].astype(np.int64)
        if f == 0:
            cur = line
        elif f == 1:  # Sub: a running sum along each channel
            cur = np.cumsum(line.reshape(w, bpp), axis=0).reshape(-1) % 256
        elif f == 2:  # Up
            cur = (line + prev) % 256
        else:  # Average, Paeth: byte by byte
            c_, p_ = line.tolist(), prev.tolist()
            for i in range(stride):
                a = c_[i - bpp] if i >= bpp else 0
                b = p_[i]
                if f == 3:
                    c_[i] = (c_[i] + ((a + b) >> 1)) & 255
                else:
                    c = p_[i - bpp] if i >= bpp else 0
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    c_[i] = (c_[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            cur = np.array(c_, dtype=np.int64)
        out[r] = cur
        prev = cur
    return out.reshape(h, w, bpp)[..., :3]


def _has_colour(px: np.ndarray, hex_colour: str, min_pixels: int = 500) -> bool:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(px.astype(int) - rgb).max(axis=2) <= 6).sum()) >= min_pixels


def test_renders_in_headless_chromium(small_plan, tmp_path):
    exe = _chromium()
    page_file = tmp_path / "plan-report.html"
    page_file.write_text(render_html(small_plan), encoding="utf-8")
    url = page_file.as_uri()
    shot = tmp_path / "plan-report.png"

    run = _chromium_run(exe, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1400,2400", url)
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "plan-report.png")
    data = shot.read_bytes()
    assert len(data) > 20_000, f"screenshot is {len(data)} bytes: blank?"
    px = _png_rgb(data)
    assert px.shape == (2400, 1400, 3)
    not_white = (px.min(axis=2) < 245).mean()
    assert not_white > 0.05, f"only {not_white:.1%} of the screenshot is not white"
    assert len(np.unique(px.reshape(-1, 3) // 16, axis=0)) > 30  # text, tables and several chart colours
    from capplan.report.html import C_TEXT, C_VIDEO, COST_PARTS

    for colour in (C_TEXT, C_VIDEO, COST_PARTS[2][2]):  # text and video layers, the fixed-cost segment
        assert _has_colour(px, colour), f"no {colour} area in the screenshot"

    dom = _chromium_run(exe, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    doc = _parse(dom.stdout)
    for chart_id in CHART_IDS:
        assert _svg(doc, chart_id)["role"] == "img"
    tags = [t for t, _ in doc.tags]
    from capplan.report.plancharts import plan_demand_svg

    has_demand = plan_demand_svg(small_plan) is not None  # once plan() records the demand, one more chart
    assert tags.count("svg") == 3 + has_demand and tags.count("polygon") >= 4 and tags.count("polyline") >= 1
    assert 'id="comparison"' in dom.stdout and small_plan.scenario in dom.stdout


# --- assumptions, demand, Monte Carlo (hand-built plan) ------------------------------------------


def test_schedule_charts_are_labelled_by_plan(page):
    doc = _parse(page)
    assert _svg(doc, "chart-schedule-siloed")["aria-label"].startswith("siloed plan: GPUs busy")
    assert _svg(doc, "chart-schedule-consolidated")["aria-label"].startswith("consolidated plan: GPUs busy")


def test_assumptions_demand_and_monte_carlo_on_the_page(tiny_plan):
    from types import SimpleNamespace

    several = SimpleNamespace(
        metrics={"siloed.total_cost_usd": {"p10": 90.0, "p50": 100.0, "p90": 120.0}, "savings_usd": {"p10": 10.0, "p50": 20.0, "p90": 30.5}},
        samples=10, valid_samples=8, seed=4, ranges={"text_demand": [1.0, 1.5]},
    )
    html = render_html(tiny_plan.model_copy(update={"uncertainty": several}))
    doc = _parse(html)
    assert _svg(doc, "chart-demand")["aria-label"].startswith("Demand per hour over 2 hours: text up to 2.00 requests/s")
    assert html.index('id="chart-demand"') < html.index('id="chart-schedule-siloed"')  # demand first: it drives the schedule
    block = re.search(r'<dl id="assumptions".*?</dl>', html, flags=re.S).group(0)
    for k, v in (("Attention / kernel stack", "fa3"), ("Price used, b", "$4.00 per GPU-hour"), ("Power cap", "1.50 MW"), ("Idle GPU-hours (backfill)", "$0.500 per idle GPU-hour")):
        assert f"<dt>{k}</dt><dd>{v}</dd>" in block
    cells = [(a["data-metric"], float(a["data-value"])) for t, a in doc.tags if t == "td" and "data-metric" in a]
    assert cells == [("siloed.total_cost_usd", 90.0), ("siloed.total_cost_usd", 100.0), ("siloed.total_cost_usd", 120.0), ("savings_usd", 10.0), ("savings_usd", 20.0), ("savings_usd", 30.5)]
    assert "Saving from consolidation" in html and "8 of 10 draws feasible; text_demand 1–1.5; seed 4." in html


def test_older_results_without_assumptions_or_demand(tiny_plan):
    from planbuild import make_plan

    html = render_html(make_plan(assumptions=None, demand=None))
    assert "chart-demand" not in html and "<h2>Demand</h2>" not in html
    assert "This result does not list its assumptions." in html
    assert 'id="uncertainty"' not in html


def test_demand_assumptions_render_in_headless_chromium(tiny_plan, tmp_path):
    exe = _chromium()
    page_file = tmp_path / "tiny.html"
    page_file.write_text(render_html(tiny_plan), encoding="utf-8")
    dom = _chromium_run(exe, tmp_path / "profile-dom", "--dump-dom", page_file.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    doc = _parse(dom.stdout)
    assert [a.get("id") for t, a in doc.tags if t == "svg"] == ["chart-cost", "chart-demand", "chart-schedule-siloed", "chart-schedule-consolidated"]
    assert any(t == "dl" and a.get("id") == "assumptions" for t, a in doc.tags)
