"""The root typer app; each command lives in its own module and is registered here.

Only the command being run is imported (``build_app(only=...)``): a what-if pays for its own imports,
not for the optimizer's or the HTML report's. ``--help``, completion and unknown commands get every command.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer

from capplan import __version__
from capplan.cli.help import HelpCommand, HelpGroup

#: command name -> (module, function); "list" is a group.
COMMANDS: dict[str, tuple[str, str]] = {
    "video": ("capplan.cli.video", "video"),
    "text": ("capplan.cli.text", "text"),
    "plan": ("capplan.cli.plan", "plan"),
    "init": ("capplan.cli.init", "init"),
    "roadmap": ("capplan.cli.roadmap", "roadmap"),
    "sweep": ("capplan.cli.sweep", "sweep"),
    "sensitivity": ("capplan.cli.sensitivity", "sensitivity"),
    "validate": ("capplan.cli.calibrate", "validate"),
    "calibrate": ("capplan.cli.calibrate", "calibrate"),
    "schema": ("capplan.cli.schema", "schema"),
    "diff": ("capplan.cli.diff", "diff"),
    "list": ("capplan.cli.listing", "app"),
}

#: help panels of the command list
PANELS = {
    "video": "What-if",
    "text": "What-if",
    "plan": "Fleet planning",
    "init": "Fleet planning",
    "diff": "Fleet planning",
    "sweep": "Analysis",
    "sensitivity": "Analysis",
    "validate": "Analysis",
    "calibrate": "Analysis",
    "schema": "Reference",
    "list": "Reference",
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"capplan {__version__}")
        raise typer.Exit(0)


def build_app(only: str | None = None) -> typer.Typer:
    """The CLI with every command, or with just ``only`` when it names one."""
    app = typer.Typer(
        name="capplan",
        cls=HelpGroup,
        help="GPU cost and capacity planning for generative-AI inference (DiT video and LLM text).",
        add_completion=True,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode="markdown",
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
        debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error (any command takes it; or set CAPPLAN_DEBUG=1).")] = False,
    ) -> None:
        """GPU cost and capacity planning for generative-AI inference. Start with `capplan video`, `capplan text` or `capplan plan`; docs/tutorial.md walks through them."""

    names = [only] if only in COMMANDS else list(COMMANDS)
    for name in names:
        module, attr = COMMANDS[name]
        obj = getattr(importlib.import_module(module), attr)
        if name == "list":
            app.add_typer(obj, name="list", rich_help_panel=PANELS.get(name, "Commands"))
        else:
            app.command(name, rich_help_panel=PANELS.get(name, "Commands"), cls=HelpCommand)(obj)
    return app


def __getattr__(name: str) -> Any:
    if name == "app":  # the full CLI, for documentation and tests
        return build_app()
    raise AttributeError(name)
