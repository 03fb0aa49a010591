"""Scenario files for the CLI: the bundled ones (and those in $CAPPLAN_PATH), the `capplan init`
templates, and a scenario read from standard input.

``capplan.catalog.load.list_scenarios`` (name, path, description) is used when the catalogue provides
it; until then the folders are globbed here, behind :func:`scenario_files`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

TEMPLATES = Path(__file__).resolve().parent.parent / "_templates"
DEFAULT_TEMPLATE = "starter"


class ScenarioListing(BaseModel):
    """One row of `capplan list scenarios`."""

    name: str
    description: str
    path: str


def scenario_files() -> list[tuple[str, Path, str]]:
    """(name, path, description) of every scenario found by name: bundled first, $CAPPLAN_PATH after."""
    from capplan.catalog import load

    listed = getattr(load, "list_scenarios", None)
    if listed is not None:
        return [(str(n), Path(p), str(d)) for n, p, d in listed()]
    roots = [load.data_root(), *(Path(p) for p in os.environ.get(load.ENV_PATH, "").split(os.pathsep) if p)]
    found: dict[str, tuple[str, Path, str]] = {}
    for root in roots:
        folder = root / "workloads" / "scenarios"
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            found[path.stem] = (path.stem, path, _description(path))
    return list(found.values())


def _description(path: Path) -> str:
    try:
        return str(tomllib.loads(path.read_text(encoding="utf-8-sig")).get("description", ""))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "(unreadable)"


def bundled_scenarios() -> list[str]:
    return [name for name, _, _ in scenario_files()]


def list_scenarios() -> list[ScenarioListing]:
    return [ScenarioListing(name=n, description=d, path=str(p)) for n, p, d in scenario_files()]


def templates() -> list[str]:
    return sorted(p.stem for p in TEMPLATES.glob("*.toml"))


def template_text(name: str) -> str:
    from capplan.errors import UserError

    path = TEMPLATES / f"{name}.toml"
    if name not in templates():
        raise UserError("--template", name, f"choose one of {', '.join(templates())}")
    return path.read_text(encoding="utf-8")


@contextmanager
def scenario_file(scenario: str | None) -> Iterator[str | None]:
    """The scenario as the API takes it (a path or a bundled name), with errors that name what the user
    typed: ``-`` for standard input (copied to a temporary file), the bundled name rather than the path
    inside the installed package."""
    from capplan.errors import UserError

    shown: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="capplan-") as tmp:
        given = scenario
        if scenario == "-":
            given = str(Path(tmp) / "stdin.toml")
            text = sys.stdin.read()
            _no_relative_csv(text)
            Path(given).write_text(text, encoding="utf-8")
            shown[given] = "- (standard input)"
        elif not _is_file(scenario):
            for name, path, _ in scenario_files():
                if name == (scenario or DEFAULT_SCENARIO):
                    shown[str(path)] = name
        try:
            yield given
        except UserError as exc:
            raise renamed(exc, shown) from None


DEFAULT_SCENARIO = "chat-and-video"


def _no_relative_csv(text: str) -> None:
    """A file names its demand CSVs relative to its own folder; standard input has none, so a relative
    CSV path there would be read from a temporary folder. Refuse it by name instead."""
    from capplan.errors import UserError

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return  # the scenario reader names the syntax error
    for kind, key in (("text", "requests_per_s"), ("video", "videos_per_hour")):
        services = data.get(kind)
        for i, svc in enumerate(services if isinstance(services, list) else []):
            demand = svc.get(key) if isinstance(svc, dict) else None
            csv = demand.get("csv") if isinstance(demand, dict) else None
            if isinstance(csv, str) and not Path(csv).is_absolute():
                raise UserError(f"- (standard input): {kind}.{i}.{key}.csv", csv, "a scenario read from standard input names its CSV by an absolute path")


def _is_file(scenario: str | None) -> bool:
    try:
        return scenario is not None and Path(scenario).is_file()
    except (OSError, ValueError):
        return False


def renamed(exc: Any, names: dict[str, str]) -> Any:
    """``exc`` (a UserError) with every path in ``names`` replaced by its name, in source and message."""
    source, allowed = exc.source, exc.allowed
    for path, name in names.items():
        source, allowed = source.replace(path, name), allowed.replace(path, name)
    if (source, allowed) == (exc.source, exc.allowed):
        return exc
    return type(exc)(source, exc.value, allowed)
