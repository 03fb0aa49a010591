"""`capplan diff A.json B.json`: what changed between two saved plans (`capplan plan -f json`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from capplan.cli.options import OUTPUT, DebugOpt, FormatOpt, OutputOpt
from capplan.cli.output import Format, render_table, write_atomic
from capplan.errors import UserError

if TYPE_CHECKING:
    from capplan.results import PlanResult

WANT = "give a plan JSON file written by `capplan plan --format json`"


def load_plan(path: Path, argument: str) -> PlanResult:
    """Read a plan JSON file; every way it can be wrong is one UserError naming the file."""
    from pydantic import ValidationError

    from capplan.results import SCHEMA_VERSION, PlanResult

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(argument, str(path), f"{WANT} (no such file)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(argument, str(path), f"{WANT} (it cannot be read: {getattr(exc, 'strerror', None) or type(exc).__name__})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(str(path), "(file contents)", f"{WANT} (not JSON: {exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise UserError(str(path), "(file contents)", f"{WANT} (nested too deeply)") from None
    if not isinstance(data, dict) or not {"siloed", "consolidated"} <= data.keys():
        raise UserError(str(path), "(file contents)", f"{WANT} (it has no siloed and consolidated plans)")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise UserError(f"{path}: field schema_version", data.get("schema_version"), f"{WANT} by this capplan (schema {SCHEMA_VERSION})")
    try:
        return PlanResult.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        value = err.get("input")
        shown = value if isinstance(value, (str, int, float, bool)) or value is None else "(value)"
        raise UserError(f"{path}: field {loc}" if loc else str(path), shown, f"{err['msg']}; {WANT}") from None


def diff(
    a: Annotated[Path, typer.Argument(help="The first plan (A): a JSON file from `capplan plan --format json`.", metavar="A.json")],
    b: Annotated[Path, typer.Argument(help="The second plan (B), compared with A.", metavar="B.json")],
    show_all: Annotated[bool, typer.Option("--all", help="List every compared figure, not only those that changed.", rich_help_panel=OUTPUT)] = False,
    fmt: FormatOpt = Format.table,
    output: OutputOpt = None,
    debug: DebugOpt = False,
) -> None:
    """What changed between two saved plans: fleet per GPU, costs, savings, use, assumptions. Exits 0 either way."""
    from capplan.report import diff as report

    d = report.diff_plans(load_plan(a, "A.json"), load_plan(b, "B.json"), a_name=str(a), b_name=str(b))
    if fmt is Format.json:
        text = report.diff_json(d, show_all=show_all)
    elif fmt is Format.csv:
        text = report.diff_csv(d, show_all=show_all)
    elif fmt is Format.markdown:
        text = report.diff_markdown(d, show_all=show_all)
    else:
        text = render_table(report.diff_table(d, show_all=show_all), to_file=output is not None)
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)
