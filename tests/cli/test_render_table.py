"""The terminal tables print catalogue names and notes literally (no rich markup or emoji codes)."""

from __future__ import annotations

from rich.table import Table

from capplan.cli.output import render_table


def test_brackets_and_colons_in_a_cell_are_printed_as_written():
    t = Table(show_header=False, box=None)
    t.add_column()
    t.add_row("see [runtime] in efficiency.toml; model :smile: v2")
    assert render_table(t, to_file=True).strip() == "see [runtime] in efficiency.toml; model :smile: v2"
