"""`capplan init [FILE]`: a commented scenario to edit, which `capplan plan FILE` runs as written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from capplan.cli import complete
from capplan.cli.options import DebugOpt
from capplan.cli.scenarios import DEFAULT_TEMPLATE
from capplan.errors import UserError


def init(
    file: Annotated[Optional[Path], typer.Argument(metavar="FILE", help="Where to write the scenario; - for standard output. Default: scenario.toml.", show_default=False)] = None,
    template: Annotated[
        str, typer.Option(metavar="NAME", help="starter (chat + video), text-only or video-only.", autocompletion=complete.templates)
    ] = DEFAULT_TEMPLATE,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Write a commented scenario TOML to start from; run it with `capplan plan FILE`."""
    from capplan.cli.output import write_atomic
    from capplan.cli.scenarios import template_text

    text = template_text(template)
    if str(file) == "-":
        sys.stdout.write(text)
        return
    target = file or Path("scenario.toml")
    if target.exists() and not force:
        raise UserError("FILE", str(target), "it exists; choose another name or add --force")
    write_atomic(target, text)
    print(f"wrote {target}; run it with: capplan plan {target}")
