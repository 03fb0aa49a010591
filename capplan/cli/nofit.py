"""The exit code of a what-if whose model does not fit in memory.

A table is read by a person, or chained in a shell (`capplan video ... && ...`): a configuration that
cannot run exits 3, so neither takes its cost for an answer. JSON and CSV are data for scripts and
sweeps: they carry ``fits_in_memory`` and the suggestion, and exit 0 like any other answer.
``--allow-no-fit`` makes a table exit 0 too.
"""

from __future__ import annotations

import sys
from typing import Any

from capplan.cli.output import Format

NO_FIT_EXIT = 3


def exit_code(result: Any, fmt: Format, allow_no_fit: bool) -> int:
    if result.fits_in_memory or allow_no_fit or fmt in (Format.json, Format.csv):
        return 0
    print(f"capplan: does not fit in memory; exit code {NO_FIT_EXIT} (--allow-no-fit exits 0)", file=sys.stderr)
    return NO_FIT_EXIT
