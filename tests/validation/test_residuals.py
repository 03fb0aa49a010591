"""Every row capplan misses by more than the threshold has a stated cause (validation/residuals.toml), and
docs/validation.md shows them as docs/gen_residuals.py renders them today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from capplan.analysis.validate import scored, video_comparisons

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def video_rows():
    return video_comparisons()


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("gen_residuals", ROOT / "docs" / "gen_residuals.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check(causes: list[dict], rows: list, limit: float, name: str) -> None:
    far = {r.row for r in rows if abs(r.error) > limit}
    listed = [n for c in causes for n in c["lines"]]
    assert len(listed) == len(set(listed)), f"a {name} row is listed under two causes"
    assert not far - set(listed), f"{name} rows more than {limit:.0%} off with no cause in validation/residuals.toml: {sorted(far - set(listed))}"
    assert not set(listed) - far, f"{name} rows in validation/residuals.toml no longer more than {limit:.0%} off (remove them): {sorted(set(listed) - far)}"
    for c in causes:
        assert c["id"] and c["rows"] and len(c["why"]) > 80 and c["see"], f"cause {c.get('id')} needs rows, why and see"


def test_every_row_far_off_has_one_stated_cause_and_every_listed_row_is_far_off(gen, shipped_text_rows, video_rows):
    causes = gen.load_causes()
    limit = causes["threshold"]
    _check(causes["cause"], scored(list(shipped_text_rows)), limit, "text")
    _check(causes["video_cause"], gen.project_video_rows(video_rows), limit, "video")
    # (the rows of ../shared/validation are numbered in their own file; none is that far off)
    assert all(abs(r.error) <= limit for r in video_rows if r.dataset == "shared")


def test_the_docs_table_is_what_the_causes_and_validate_give_today(gen, shipped_text_rows, video_rows):
    doc = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    fresh = gen.render(gen.load_causes(), scored(list(shipped_text_rows)), gen.project_video_rows(video_rows))
    assert gen.section(doc) == fresh, "docs/validation.md's residuals section is stale: run python docs/gen_residuals.py"


def test_line_runs_and_signed_time_errors_render_as_the_table_says(gen):
    assert gen._lines([5, 1, 2, 3, 7, 8]) == "1-3, 5, 7-8"
    assert gen._signed(-0.5) == "\u221250%" and gen._signed(0.2) == "+20%"


def test_validate_names_the_cause_of_every_bundled_row_far_off_and_of_no_other(gen, validated):
    causes = gen.load_causes()
    ids = {c["id"] for c in causes["cause"]} | {c["id"] for c in causes["video_cause"]}
    for row in validated.rows:
        if abs(row.error) > causes["threshold"] and not row.beats_ideal:
            assert row.cause in ids, f"{row.kind} line {row.line} is {row.error:+.0%} off with no cause"
        else:
            assert row.cause is None, f"{row.kind} line {row.line} ({row.error:+.0%}) carries cause {row.cause}"
