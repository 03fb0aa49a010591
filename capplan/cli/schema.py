"""`capplan schema COMMAND`: the JSON Schema of a command's --format json output."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from capplan.cli.options import DebugOpt, FormatOpt, OutputOpt
from capplan.cli.output import Format, write_atomic
from capplan.errors import UserError

SCHEMA_COMMANDS = ("video", "text", "plan", "roadmap", "sweep", "sensitivity", "validate", "calibrate", "gpus", "workloads", "scenarios")


def _complete(incomplete: str) -> list[str]:
    return [c for c in SCHEMA_COMMANDS if c.startswith(incomplete)]


def schema(
    command: Annotated[str, typer.Argument(metavar="COMMAND", help=f"{', '.join(SCHEMA_COMMANDS[:-1])} or {SCHEMA_COMMANDS[-1]}.", autocompletion=_complete)],
    fmt: FormatOpt = Format.json,
    output: OutputOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Print the JSON Schema (draft 2020-12) of a command's JSON output, from its pydantic models."""
    # (the what-if and listing results are records: their pydantic twins, capplan.results_base)
    from pydantic import TypeAdapter

    from capplan import results, results_roadmap
    from capplan.cli.scenarios import ScenarioListing

    models: dict[str, Any] = {
        "video": results.VideoResult.pydantic(),
        "text": results.TextResult.pydantic(),
        "plan": results.PlanResult,
        "roadmap": results_roadmap.RoadmapResult,
        "gpus": list[results.GPUListing.pydantic()],  # type: ignore[misc]
        "workloads": list[results.WorkloadListing.pydantic()],  # type: ignore[misc]
        "scenarios": list[ScenarioListing],
        "sweep": results.SweepResult,
        "sensitivity": results.SensitivityResult,
        "validate": results.ValidateResult,
        "calibrate": results.CalibrateResult,
    }
    models.update(getattr(results, "SCHEMA_EXTRA", {}))
    if command not in models:
        raise UserError("COMMAND", command, f"choose one of {', '.join(models)}")
    if fmt not in (Format.json, Format.table):
        raise UserError("--format", fmt.value, "a JSON Schema is written as json")
    text = json.dumps(TypeAdapter(models[command]).json_schema(), indent=2, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)
