"""Command-line interface. The one place that imports typer and rich; all errors are caught here."""

from __future__ import annotations

import gc
import os
import sys
import types


def _for_cli(exc: Exception, app: object) -> Exception:
    """``exc`` named in the CLI's terms: flags for parameter names, catalogue names for bundled paths."""
    import typer.main

    from capplan.cli.edge import for_cli

    try:
        command = typer.main.get_command(app)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a message is still better than none
        command = None
    return for_cli(exc, command)


def _no_pydantic_plugins() -> None:
    """Tell pydantic not to look for plugins, and spare the import of its plugin finder.

    With plugins disabled pydantic's finder returns no plugins without looking, but the module
    still imports ``importlib.metadata`` (and with it ``email``, ``zipfile``, ``csv``), about 10 ms
    of every cold start. In its place goes a module that answers the same. A user's own setting
    that disables only some plugins is left to pydantic."""
    if os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__") not in ("__all__", "1", "true"):
        return
    name = "pydantic.plugin._loader"
    if name not in sys.modules:
        finder = types.ModuleType(name, "No pydantic plugins (PYDANTIC_DISABLE_PLUGINS): see capplan.cli._no_pydantic_plugins.")
        finder.get_plugins = lambda: ()  # type: ignore[attr-defined]
        sys.modules[name] = finder


#: commands whose work is small and bounded (one estimate, a listing, a schema, help): they run with
#: the cyclic garbage collector off, see main()
BRIEF = frozenset({"video", "text", "list", "schema", None})


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the typer app; user errors exit 2 with one line, bugs exit 1 with a hint.

    Run as the process (``capplan``, ``python -m capplan``: ``argv`` is None) it also spares the
    cyclic garbage collector's walks over the tens of thousands of objects the imports create (30-40 ms
    of a cold what-if, docs/benchmarks.md "Cold start"): the collector is off while the command is set up,
    stays off for a brief command (``BRIEF``), is back on with those objects frozen for the others
    (a plan or a sweep may make cyclic garbage as it goes), and at exit everything is frozen so the
    interpreter's final collections do not walk it again. (Freezing only skips collections: objects
    are still released by reference counting at shutdown.) Called from a program, the collector is
    left alone."""
    own_process = argv is None
    if own_process:
        gc.disable()
    try:
        _main(list(sys.argv[1:] if argv is None else argv), own_process)
    finally:
        if own_process:
            gc.freeze()


def _main(args: list[str], own_process: bool) -> None:
    debug = "--debug" in args or bool(os.environ.get("CAPPLAN_DEBUG"))
    args = [a for a in args if a != "--debug"]

    import warnings

    _no_pydantic_plugins()
    from capplan.cli import fastparse
    from capplan.cli.app import build_app

    fastparse.install()
    from capplan.errors import UserError

    command = next((a for a in args if not a.startswith("-")), None)
    app = build_app(command)
    if own_process and command not in BRIEF:
        gc.freeze()
        gc.enable()

    if not debug:
        # Overflow in numpy shows up as inf/NaN, which the API refuses with a UserError; the numpy
        # warning line on top of it would break the one-line error contract.
        warnings.simplefilter("ignore", RuntimeWarning)

    try:
        rv = app(args=args, prog_name="capplan", standalone_mode=False)
    except UserError as exc:
        if debug:
            raise
        print(f"Error: {_for_cli(exc, app)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("Error: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the error edge
        # click's (or typer's vendored click's) control-flow and usage exceptions, matched by shape so
        # that the edge does not depend on which click a typer release bundles.
        name = type(exc).__name__
        if name == "Exit":
            sys.exit(getattr(exc, "exit_code", 0))
        if name == "Abort":
            print("Error: aborted", file=sys.stderr)
            sys.exit(1)
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            if debug:
                raise
            print(f"Error: {' '.join(exc.format_message().split())}", file=sys.stderr)
            sys.exit(exc.exit_code)
        if debug:
            raise
        print(
            f"Error: internal error, this is a bug ({name}: {exc}). Rerun with --debug for the traceback.",
            file=sys.stderr,
        )
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)
