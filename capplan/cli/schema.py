"""`capplan schema COMMAND`: the JSON Schema of a command's --format json output."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from capplan.errors import UserError


def schema(command: Annotated[str, typer.Argument(help="video, text, plan, sweep, sensitivity, validate, gpus or workloads.")]) -> None:
    """Print the JSON Schema (draft 2020-12) of a command's JSON output, from its pydantic models."""
    from pydantic import TypeAdapter

    from capplan import results

    models = {
        "video": results.VideoResult,
        "text": results.TextResult,
        "plan": results.PlanResult,
        "gpus": list[results.GPUListing],
        "workloads": list[results.WorkloadListing],
        "sweep": results.SweepResult,
        "sensitivity": results.SensitivityResult,
        "validate": results.ValidateResult,
        "calibrate": results.CalibrateResult,
    }
    extra = getattr(results, "SCHEMA_EXTRA", {})
    models.update(extra)
    if command not in models:
        raise UserError("COMMAND", command, f"choose one of {', '.join(models)}")
    typer.echo(json.dumps(TypeAdapter(models[command]).json_schema(), indent=2, sort_keys=True))
