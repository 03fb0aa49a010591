"""SVG charts as pure functions of plain data (no result models): demand, cost and schedule."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from capplan.report.charts import MAX_POINTS, cost_svg, demand_svg, schedule_svg


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(svg: str) -> list[tuple[str, dict]]:
    p = _Tags()
    p.feed(svg)
    return p.tags


def test_demand_chart_both_series():
    svg = demand_svg([2.0, 1.0], [60.0, 30.0])
    tags = _tags(svg)
    root = tags[0][1]
    assert tags[0][0] == "svg" and root["id"] == "chart-demand" and root["role"] == "img"
    assert root["aria-label"] == "Demand per hour over 2 hours: text up to 2.00 requests/s (mean 1.50); video up to 60.0 videos/hour (90 in all)"
    # Plot area x 64..966, y 14..200; text ticks 0..2 by 0.5, so 2 req/s is the top (y 14) and 1 req/s mid-height (y 107).
    line = next(a for t, a in tags if t == "polyline" and a["class"] == "demand-line demand-text")
    assert line["points"] == "64.0,14.0 515.0,14.0 515.0,107.0 966.0,107.0"
    # Video ticks 0..60 by 10 on the right-hand axis: 60/h at the top, 30/h mid-height.
    line = next(a for t, a in tags if t == "polyline" and a["class"] == "demand-line demand-video")
    assert line["points"] == "64.0,14.0 515.0,14.0 515.0,107.0 966.0,107.0"
    assert [a["class"] for t, a in tags if t == "polygon"] == ["demand demand-text"]
    assert sum(1 for t, _ in tags if t == "rect") == 2  # one hover column per hour
    assert "hour 1: text 1.00 requests/s, video 30.0 videos/hour" in svg
    assert "video [videos/hour]" in svg and "text [requests/s]" in svg


def test_demand_chart_one_series():
    svg = demand_svg(None, [10.0, 20.0, 5.0])
    assert "text" not in re.sub(r"<text|</text>|text-anchor", "", svg)
    assert 'class="demand-line demand-video"' in svg and "<polygon" not in svg
    assert "video up to 20.0 videos/hour (35 in all)" in svg
    assert "text up to 3.00 requests/s" in demand_svg([3.0], [])  # an empty series counts as none


def test_demand_chart_refuses_bad_series():
    with pytest.raises(ValueError, match="text 2, video 3"):
        demand_svg([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="needs text or video"):
        demand_svg(None, None)


def test_demand_chart_long_horizon_is_averaged():
    hours = 24 * 365
    svg = demand_svg([float(h % 24) for h in range(hours)], None)
    n = svg.count("<rect ")
    assert 0 < n <= MAX_POINTS and n == -(-hours // 72)
    assert "(72-hour averages)" in svg and "(mean)" in svg
    assert "mean 11.5" in svg  # the mean of 0..23, whatever the buckets


def test_cost_chart_from_plain_numbers():
    svg = cost_svg([("Siloed", [75.0, 25.0, 0.0, 0.0], 100.0), ("Consolidated", [60.0, 20.0, 0.0, 0.0], 80.0)], horizon_hours=2)
    tags = _tags(svg)
    segs = [a["class"] for t, a in tags if t == "rect"]
    assert segs == ["seg seg-hardware", "seg seg-energy"] * 2  # zero parts are not drawn
    assert "Siloed: hardware $75.00 (75.0%)" in svg and "Consolidated: energy $20.00 (25.0%)" in svg
    assert tags[0][1]["aria-label"].endswith("siloed $100, consolidated $80.00")
    with pytest.raises(ValueError):
        cost_svg([], horizon_hours=2)


def test_schedule_chart_from_plain_rows():
    rows = [[1.0, 2.0, 0.0, 1.0, 0.0], [0.5, 1.5, 0.25, 1.75, 3.0]]
    svg = schedule_svg(rows, owned_gpus=4, name="siloed plan", chart_id="chart-x")
    root = _tags(svg)[0][1]
    assert root["id"] == "chart-x"
    assert root["aria-label"].startswith("siloed plan: GPUs busy on text and video, switching and idle, per hour over 2 hours; 4 GPUs owned, at most 3 busy")
    assert "video backlog up to 3 videos" in root["aria-label"]
    assert "4 GPUs owned" in svg
    assert svg == schedule_svg(tuple(map(tuple, rows)), owned_gpus=4, name="siloed plan", chart_id="chart-x")


def test_standalone_svg_files_are_well_formed_xml(tiny_plan, golden_plan):
    import xml.etree.ElementTree as ET

    from capplan.report.charts import SVG_NS, standalone_svg
    from capplan.report.plancharts import plan_svgs

    files = plan_svgs(tiny_plan)
    assert list(files) == ["cost.svg", "demand.svg", "schedule-siloed.svg", "schedule-consolidated.svg"]
    assert list(plan_svgs(golden_plan.model_copy(update={"demand": None}))) == ["cost.svg", "schedule-siloed.svg", "schedule-consolidated.svg"]  # no demand recorded
    for name, doc in files.items():
        assert doc.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns=')
        root = ET.fromstring(doc.encode("utf-8"))
        assert root.tag == f"{{{SVG_NS}}}svg", name
        assert root.get("role") == "img" and root.get("aria-label")
        children = [c.tag.split("}")[1] for c in root]
        assert children[:3] == ["style", "rect", "title"]  # own style, white background, then the chart
    # A label with markup characters stays well-formed.
    doc = standalone_svg(cost_svg([("<A & B>", [1.0, 0.0, 0.0, 0.0], 1.0)], horizon_hours=1))
    assert ET.fromstring(doc.encode("utf-8")) is not None
    with pytest.raises(ValueError):
        standalone_svg("<div></div>")
