"""Output switches shared by every command: --format and --output, written atomically.

The one writer of output files (:func:`write_atomic`): every option that writes a file (--output,
--html, calibrate --write) goes through it and is named in its errors; :func:`refuse_same_output`
stops two of them writing one file."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from capplan.errors import UserError


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table (for people), json (for scripts), csv (spreadsheets) or markdown.")]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of standard output (atomically).")]


class _Interrupted(BaseException):
    """A termination signal that arrived while a temporary file existed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, n))


@contextlib.contextmanager
def _cleanup_on_signal(tmp: list[str]) -> Iterator[None]:
    """While the block runs, SIGTERM/SIGHUP/SIGQUIT remove the temporary file named in ``tmp`` and then
    end the process by the same signal (its default action), as if the handler had never been there.
    (SIGINT is Python's KeyboardInterrupt and reaches the ``except BaseException`` below; SIGKILL cannot
    be caught by anyone.) Handlers can only be set from the main thread; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in _SIGNALS}
    try:
        yield
    except _Interrupted as exc:
        _remove(tmp)
        for s, h in previous.items():
            signal.signal(s, h)
        previous = {}
        signal.signal(exc.signum, signal.SIG_DFL)
        os.kill(os.getpid(), exc.signum)
        raise  # only reached if the default action does not end the process
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _remove(tmp: list[str]) -> None:
    for name in tmp:
        try:
            os.unlink(name)
        except OSError:
            pass
    tmp.clear()


def _target(path: Path, option: str) -> tuple[Path, bool]:
    """Where writing ``path`` puts the bytes, and whether to write in place (a device or pipe).

    Symbolic links are followed to the file they name (the link itself is kept); a loop of links, a
    folder or a name the system refuses is a UserError naming ``option``."""
    if str(path) in ("", "."):
        raise UserError(option, str(path), "name a file, not a folder")
    try:
        st: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        st = None  # a new file, or a link to one
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UserError(option, str(path), "it is a loop of symbolic links; name a file") from None
        raise UserError(option, str(path), f"it cannot be written ({exc.strerror or type(exc).__name__})") from None
    except ValueError:  # a NUL byte
        raise UserError(option, str(path), "it is not a valid file name") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UserError(option, str(path), "name a file, not a folder")
    if st is not None and not stat.S_ISREG(st.st_mode):
        return path, True  # /dev/null, /dev/stdout, a pipe: renaming over it would replace the device
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(option, str(path), f"its folder {folder} does not exist")
    return target, False


def write_atomic(path: Path, text: str | Iterable[str], option: str = "--output") -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder, then rename: never half a file.

    ``option`` is the option the path came from (--output, --html, --write), named in every error.
    A symlink is followed (its target is replaced, the link kept); a device or pipe such as /dev/null
    is written to directly, since renaming over it would replace the device. The temporary file is
    removed on an error, Ctrl-C, or SIGTERM/SIGHUP/SIGQUIT."""
    path = Path(path)
    try:
        target, in_place = _target(path, option)
        if in_place:
            with open(path, "w", encoding="utf-8") as fh:
                _write_all(fh, text)
            return
    except OSError as exc:
        raise UserError(option, str(path), f"it cannot be written ({exc.strerror or type(exc).__name__})") from None
    import tempfile  # only when a file is written: not on a what-if's path to the terminal

    tmp: list[str] = []
    try:
        with _cleanup_on_signal(tmp):
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:100]}.", suffix=".tmp")
            tmp.append(name)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                _write_all(fh, text)
            # mkstemp makes the file private (0600); give it the mode a plain open() would have.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(name, target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~umask)
            os.replace(name, target)
            tmp.clear()
    except OSError as exc:
        _remove(tmp)
        raise UserError(option, str(path), f"it cannot be written ({exc.strerror or type(exc).__name__})") from None
    except BaseException:
        _remove(tmp)
        raise


def _write_all(fh: Any, text: str | Iterable[str]) -> None:
    """``text``, or its pieces as they come (a streamed sweep: memory stays flat)."""
    for piece in [text] if isinstance(text, str) else text:
        fh.write(piece)


def emit_stream(pieces: Iterable[str], output: Path | None, option: str = "--output") -> None:
    """Write a rendering made of pieces to standard output or, atomically, to ``output``."""
    if output is None:
        for piece in pieces:
            sys.stdout.write(piece)
    else:
        write_atomic(output, pieces, option)


def refuse_same_output(outputs: dict[str, Path | None]) -> None:
    """Refuse two options that would write the same file (``--html x --output x``): the second
    write would silently replace the first.

    ``outputs`` maps each option to its path (None when not given). Paths are compared after following
    symbolic links, and by device and inode when both exist; devices such as /dev/null may be shared.
    Call it before any work, e.g. ``refuse_same_output({"--output": output, "--html": html})``."""
    seen: dict[Any, str] = {}
    for option, path in outputs.items():
        if path is None or str(path) in ("", "."):
            continue
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                continue
            ident: Any = (st.st_dev, st.st_ino)
        except (OSError, ValueError):
            ident = os.path.realpath(os.path.abspath(path))
        if ident in seen:
            raise UserError(option, str(path), f"it is also the {seen[ident]} file; give each output its own file")
        seen[ident] = option


def render_table(renderable: Any, *, to_file: bool) -> str:
    from rich.console import Console

    buf = io.StringIO()
    width = 120 if to_file else None
    # The tables are built from Text and plain strings, never from rich markup or emoji codes: parsing
    # each cell for them (and loading rich's emoji table) was ~3 ms of a what-if, and a "[...]" or
    # ":name:" in a catalogue name or note would have been eaten instead of printed.
    console = Console(
        file=buf, width=width, force_terminal=not to_file and sys.stdout.isatty(), no_color=to_file, highlight=False, markup=False, emoji=False
    )
    console.print(renderable)
    return buf.getvalue()


def emit(result: Any, fmt: Format, output: Path | None, table: Callable[[Any], Any] | str, option: str = "--output") -> None:
    """Render ``result`` as ``fmt`` and print it or write it to ``output``. ``table`` renders the
    terminal table; as "module:function" it is imported only when a table is asked for (rich is slow
    to import and JSON does not need it)."""
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
        render: Callable[[Any], Any]
        if isinstance(table, str):
            import importlib

            module, _, fn = table.partition(":")
            render = getattr(importlib.import_module(module), fn)
        else:
            render = table
        text = render_table(render(result), to_file=output is not None)
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text, option)
