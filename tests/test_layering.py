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


def test_a_what_if_imports_only_what_it_builds():
    # (docs/benchmarks.md "Cold start: round 4": each of these is milliseconds of a cold what-if)
    run = "import contextlib, io\nfrom capplan.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):\n    try:\n        main([{args!r}])\n    except SystemExit as e:\n        assert not e.code\n"
    never = {"capplan.results_plan", "capplan.results_analysis", "capplan.planning.uncertainty", "rich._emoji_codes"}
    for args in ("video", "text"):
        code = "import sys\n" + run.format(args=args) + "print(' '.join(sorted(sys.modules)))"
        loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
        assert "capplan.results" in loaded and not loaded & never, (args, loaded & never)
        assert ("capplan.catalog.engines" in loaded) == (args == "text")  # engines.toml's schemas: text only


def test_the_lazy_results_resolve_to_their_modules():
    import capplan.results as r

    assert r.PlanResult.__module__ == "capplan.results_plan" and r.SweepColumns.__module__ == "capplan.results_analysis"
    assert "PlanResult" in dir(r)
    try:
        r.NoSuchResult  # noqa: B018
    except AttributeError:
        pass
    else:
        raise AssertionError("an unknown name must be an AttributeError")
