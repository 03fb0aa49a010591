"""Regenerate docs/cli.md from the commands' own --help (run: python docs/gen_cli_reference.py).

tests/test_docs.py fails when a command or an option is missing from docs/cli.md or has no help text.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

COMMANDS = ["video", "text", "plan", "roadmap", "init", "diff", "sweep", "sensitivity", "validate", "calibrate", "schema", "list gpus", "list workloads", "list scenarios"]

EXIT_CODES = """## Exit codes

| code | meaning |
| --- | --- |
| 0 | done |
| 1 | a bug in capplan (the message says so; `--debug` shows the traceback) |
| 2 | bad input: one line on standard error naming the flag, argument or file field, the value and what is allowed; nothing is written |
| 3 | `capplan video` or `capplan text` as a table or Markdown: the model does not fit in GPU memory |
| 130 | interrupted |

Why exit 3 only for tables: a table is read by a person or chained in a shell (`capplan video ... && ...`),
and a configuration that cannot run must not pass for an answer; the report says so before any cost.
JSON and CSV are data for scripts and sweeps over many configurations: "does not fit" is a valid answer
there, carried by `fits_in_memory` and `suggestion`, so they exit 0 and a script reads the field.
`--allow-no-fit` makes a table exit 0 as well.

Shell completion: `capplan --install-completion` (bash, zsh, fish, PowerShell), then open a new shell;
`--workload`, `--gpu`, `--stack`, scenario names and `init --template` complete from the catalogue.
`capplan init` writes a commented scenario that `capplan plan FILE` runs as written; `capplan plan -`
reads one from standard input; `capplan list scenarios` lists those found by name. docs/tutorial.md
walks through all of it.

Library errors name the parameter (`gpus`); the command line shows the flag you typed (`--gpus`), and
a bundled scenario by its name (`chat-and-video`), not by its path inside the installed package.
"""
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
        EXIT_CODES,
    ]
    for c in COMMANDS:
        parts += [f"## capplan {c}", "", "```text", help_text(c), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
