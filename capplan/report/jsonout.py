"""JSON rendering: full precision, keys sorted as the models declare them, deterministic bytes."""

from __future__ import annotations

import json
from typing import Any


def to_jsonable(result: Any) -> Any:
    """A result (a record of capplan.results or a pydantic model), or a list of them, as JSON data."""
    if hasattr(type(result), "model_dump"):  # duck-typed: a what-if's JSON does not import pydantic
        return result.model_dump(mode="json")
    return [r.model_dump(mode="json") for r in result]


def render_json(result: Any) -> str:
    return json.dumps(to_jsonable(result), indent=2, allow_nan=False) + "\n"
