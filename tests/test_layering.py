"""The models are pure: importing them must not pull in the CLI, rendering or validation libraries."""

from __future__ import annotations

import subprocess
import sys


def _loaded_after(stmt: str) -> set[str]:
    code = f"import sys; {stmt}; print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_models_import_only_numpy():
    loaded = _loaded_after("import capplan.models.dit, capplan.models.roofline, capplan.models.device")
    assert not loaded & {"typer", "rich", "pydantic", "scipy", "click"}


def test_video_command_path_does_not_import_scipy():
    loaded = _loaded_after("import capplan.cli.app, capplan.api")
    assert "scipy" not in loaded
