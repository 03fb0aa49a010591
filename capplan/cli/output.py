"""Output switches shared by every command: --format and --output, written atomically."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from capplan.errors import UserError

if TYPE_CHECKING:
    from pydantic import BaseModel


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table (for people), json (for scripts), csv (spreadsheets) or markdown.")]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of standard output (atomically).")]


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder, then rename: never half a file.

    A symlink is followed (its target is replaced, the link kept); a device or pipe such as /dev/null
    is written to directly, since renaming over it would replace the device.
    """
    try:
        if str(path) in ("", ".") or path.is_dir():
            raise UserError("--output", str(path), "name a file, not a folder")
        target = path.resolve() if path.is_symlink() else path
        if target.exists() and not target.is_file():
            with target.open("w", encoding="utf-8") as fh:
                fh.write(text)
            return
        folder = target.parent if str(target.parent) else Path(".")
        if not folder.is_dir():
            raise UserError("--output", str(path), f"its folder {folder} does not exist")
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name[:100]}.", suffix=".tmp")
    except OSError as exc:
        raise UserError("--output", str(path), f"it cannot be written ({exc.strerror or type(exc).__name__})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        # mkstemp makes the file private (0600); give it the mode a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise UserError("--output", str(path), f"it cannot be written ({exc.strerror or type(exc).__name__})") from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def render_table(renderable: Any, *, to_file: bool) -> str:
    from rich.console import Console

    buf = io.StringIO()
    width = 120 if to_file else None
    console = Console(file=buf, width=width, force_terminal=not to_file and sys.stdout.isatty(), no_color=to_file, highlight=False)
    console.print(renderable)
    return buf.getvalue()


def emit(result: BaseModel | list, fmt: Format, output: Path | None, table: Callable[[Any], Any] | str) -> None:
    """Render ``result`` as ``fmt`` and print it or write it to ``output``. ``table`` renders the
    terminal table; as "module:function" it is imported only when a table is asked for (rich is slow
    to import and JSON does not need it)."""
    if isinstance(table, str):
        import importlib

        module, _, fn = table.partition(":")
        table = getattr(importlib.import_module(module), fn)
    if fmt is Format.json:
        from capplan.report.jsonout import render_json

        text = render_json(result)
    elif fmt is Format.csv:
        from capplan.report.flat import render_csv

        text = render_csv(result)
    elif fmt is Format.markdown:
        from capplan.report.flat import render_markdown

        text = render_markdown(result)
    else:
        text = render_table(table(result), to_file=output is not None)
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)
