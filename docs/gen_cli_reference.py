"""Regenerate docs/cli.md from the commands' own --help (run: python docs/gen_cli_reference.py).

tests/test_docs.py fails when a command or an option is missing from docs/cli.md or has no help text.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

COMMANDS = ["video", "text", "plan", "diff", "sweep", "sensitivity", "validate", "calibrate", "schema", "list gpus", "list workloads"]
OUT = Path(__file__).with_name("cli.md")


def help_text(command: str) -> str:
    from capplan.cli import main

    os.environ["COLUMNS"] = "100"
    os.environ["TERM"] = "dumb"
    os.environ["NO_COLOR"] = "1"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            main([*command.split(), "--help"])
        except SystemExit:
            pass
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()).strip()


def render() -> str:
    parts = [
        "# CLI reference",
        "",
        "Generated from the commands' `--help` by `python docs/gen_cli_reference.py`; do not edit by hand.",
        "Every command also takes `--debug` (show the traceback of an error).",
        "",
    ]
    for c in COMMANDS:
        parts += [f"## capplan {c}", "", "```text", help_text(c), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
