"""read_demand_csv (capplan.planning.demand): rows keyed by the hour column, cells bounded, files checked."""

from __future__ import annotations

import math
import os
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.errors import UserError
from capplan.planning.demand import read_demand_csv

WHERE = "s.toml: field text.0.requests_per_s"
FAST = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def write(tmp_path, text: str | bytes, name: str = "d.csv"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def day(values=None, order=None, header="hour,rps"):
    values = values if values is not None else [5 + h % 7 for h in range(24)]
    order = order if order is not None else range(24)
    return header + "\n" + "".join(f"{h},{values[h]}\n" for h in order)


def test_reads_a_day_and_tiles_it_over_the_horizon(tmp_path):
    out = read_demand_csv(write(tmp_path, day()), "rps", 48, WHERE)
    expected = np.array([5 + h % 7 for h in range(24)], dtype=float)
    assert out.shape == (48,) and np.array_equal(out[:24], expected) and np.array_equal(out[24:], expected)


def test_columns_match_without_surrounding_spaces_and_the_hour_column_without_case(tmp_path):
    out = read_demand_csv(write(tmp_path, day(header=" Hour , rps ")), "rps", 24, WHERE)
    assert out[1] == 6


def test_a_shuffled_file_is_refused_not_read_in_file_order(tmp_path):
    # a file sorted by demand used to be read as if its rows were hours (plan savings 13.2% -> 8.2%)
    order = sorted(range(24), key=lambda h: (5 + h % 7, h))
    with pytest.raises(UserError) as exc:
        read_demand_csv(write(tmp_path, day(order=order)), "rps", 24, WHERE)
    assert "row 3, column hour" in str(exc.value) and "rows must be in hour order" in str(exc.value)


@pytest.mark.parametrize(
    "order,words",
    [
        ([*range(23), 22], "hour 22 is also on row 24"),
        ([*range(5), *range(6, 24), 24], "hours run from 0"),
        ([*range(5), 6, 5, *range(7, 24)], "expected hour 5: rows must be in hour order"),
        ([*range(1, 25)], "24 is not allowed; hours run from 0 .Monday 00:00. to 23"),
        ([*range(23), -1], "-1 is not allowed; hours run from 0"),
    ],
)
def test_gaps_duplicates_and_out_of_range_hours(tmp_path, order, words):
    rows = "hour,rps\n" + "".join(f"{h},1\n" for h in order)
    with pytest.raises(UserError, match=words):
        read_demand_csv(write(tmp_path, rows), "rps", 24, WHERE)


def test_a_file_without_an_hour_column_is_refused(tmp_path):
    with pytest.raises(UserError, match=r"^s.toml: field text.0.requests_per_s.csv: .*needs an 'hour' column.*it has: rps"):
        read_demand_csv(write(tmp_path, "rps\n" + "1\n" * 24), "rps", 24, WHERE)


@pytest.mark.parametrize("cell,words", [("nan", "nan is not allowed"), ("inf", "inf is not allowed"), ("-1", "-1.0 is not allowed"), ("1e999", "finite"), ("9" * 5000, "5000 characters")])
def test_bad_cells_are_named_by_row_and_column(tmp_path, cell, words):
    values = [1] * 24
    values[3] = cell
    with pytest.raises(UserError) as exc:
        read_demand_csv(write(tmp_path, day(values)), "rps", 24, WHERE)
    assert str(exc.value).startswith(f"{tmp_path}/d.csv: row 5, column rps: ") and words in str(exc.value)


def test_cell_text_is_not_echoed(tmp_path):
    values = [1] * 24
    values[2] = "hunter2"
    with pytest.raises(UserError) as exc:
        read_demand_csv(write(tmp_path, day(values)), "rps", 24, WHERE)
    assert "hunter2" not in str(exc.value) and "(not a number)" in str(exc.value)


def test_a_file_that_is_not_a_demand_csv_is_not_echoed(tmp_path):
    passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    with pytest.raises(UserError) as exc:
        read_demand_csv(write(tmp_path, passwd, "passwd"), "rps", 24, WHERE)
    assert "root" not in str(exc.value).replace(str(tmp_path), "") and "none that look like column names" in str(exc.value)


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_folders_fifos_and_devices_are_refused_without_hanging(tmp_path, kind):
    if kind == "folder":
        path = tmp_path
    elif kind == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    else:
        path = "/dev/zero"
    errors: list[str] = []
    t = threading.Thread(target=lambda: errors.append(str(pytest.raises(UserError, read_demand_csv, path, "rps", 24, WHERE).value)), daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), f"read_demand_csv hung on a {kind}"
    assert errors[0].startswith(f"{WHERE}.csv: ") and "cannot be read" in errors[0]


def test_size_is_bounded(tmp_path, monkeypatch):
    import capplan.planning.demand as demand

    monkeypatch.setattr(demand, "MAX_CSV_BYTES", 100)
    with pytest.raises(UserError, match="limited to 100"):
        read_demand_csv(write(tmp_path, day()), "rps", 24, WHERE)


def test_row_counts(tmp_path):
    week = "hour,rps\n" + "".join(f"{h},{h}\n" for h in range(168))
    out = read_demand_csv(write(tmp_path, week), "rps", 336, WHERE)
    assert out[200] == 32
    with pytest.raises(UserError, match="'23 rows' is not allowed; give 24, 168"):
        read_demand_csv(write(tmp_path, "hour,rps\n" + "".join(f"{h},1\n" for h in range(23))), "rps", 48, WHERE)


CELL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)


@FAST
@given(
    cells=st.lists(CELL, min_size=24, max_size=24),
    order=st.permutations(list(range(24))),
    shuffle=st.booleans(),
)
def test_fuzz_any_csv_gives_hours_or_one_user_error(tmp_path_factory, cells, order, shuffle):
    """Whatever the cells and row order: finite values >= 0 in hour order, or one UserError line."""
    hours = order if shuffle else list(range(24))
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["hour", "rps"])
    for h in hours:
        w.writerow([h, cells[h]])
    path = tmp_path_factory.mktemp("fuzz") / "d.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    try:
        out = read_demand_csv(path, "rps", 24, WHERE)
    except UserError as exc:
        assert "\n" not in str(exc)
        return
    assert hours == list(range(24))
    assert all(math.isfinite(v) and v >= 0 for v in out)
    assert [float(c) for c in cells] == list(out)
