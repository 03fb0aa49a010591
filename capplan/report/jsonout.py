"""JSON rendering: full precision, keys sorted as the models declare them, deterministic bytes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel


def to_jsonable(result: BaseModel | Sequence[BaseModel]) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    return [r.model_dump(mode="json") for r in result]


def render_json(result: BaseModel | Sequence[BaseModel]) -> str:
    return json.dumps(to_jsonable(result), indent=2, allow_nan=False) + "\n"
