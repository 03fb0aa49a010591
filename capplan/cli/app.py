"""The root typer app; each command lives in its own module and is registered here."""

from __future__ import annotations

import typer

from capplan import __version__
from capplan.cli import calibrate, listing, plan, schema, sensitivity, sweep, text, video

app = typer.Typer(
    name="capplan",
    help="GPU cost and capacity planning for generative-AI inference (DiT video and LLM text).",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"capplan {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """GPU cost and capacity planning for generative-AI inference. Add --debug to any command for tracebacks."""


app.command("video")(video.video)
app.command("text")(text.text)
app.command("plan")(plan.plan)
app.command("sweep")(sweep.sweep)
app.command("sensitivity")(sensitivity.sensitivity)
app.command("validate")(calibrate.validate)
app.command("calibrate")(calibrate.calibrate)
app.command("schema")(schema.schema)
app.add_typer(listing.app, name="list")
