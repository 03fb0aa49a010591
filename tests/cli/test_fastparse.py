"""capplan.cli.fastparse answers option values exactly as typer's pydantic converter does, hands
everything else to it, and a cold what-if then imports no more of pydantic than the import floor."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer.main

from capplan.cli import fastparse
from capplan.cli.app import build_app

pytestmark = pytest.mark.skipif(not fastparse.install(), reason="this typer converts values without pydantic adapters")


def _params(command: str) -> dict[str, object]:
    group = typer.main.get_command(build_app(command))
    cmd = group.commands[command]  # type: ignore[attr-defined]
    return {p.name: p for p in cmd.params}


VALUES = {
    # (parameter of `capplan text`, values given to it); each must convert as typer's own converter does
    "workload": ["llama-3.1-8b", "", " x ", "ünïcode"],
    "gpus": [4, 0, -3, "4", "0", "-12", "007", " 4", "4.0", "1e3", "1_000", "+5", "x", True, 4.0, None],
    "ttft_ms": [300.0, 300, "300", "300.5", "-0", "0.125", ".5", "1e3", "inf", "nan", "x", " 1", False, None],
    "no_latency_targets": [True, False, "true", None],
    "fmt": ["json", "JSON", "table", "csv", "markdown", "xml", "", None],
    "set_": [("a=1", "b=2"), ["x"], (), None],
    "output": ["out.json", "/dev/null", "dir/", "./a/../b.csv", "/tmp", "-", "", None],
    "economics": ["hardware_profiles/economics.toml", "no/such/file.toml", "a\0b", None],
}


@pytest.mark.parametrize("name", list(VALUES))
def test_fast_answers_are_typers_answers_and_errors_are_typers_errors(name):
    from typer._coercion import build_runtime_param

    params = _params("text")
    if name == "fmt":
        from capplan.cli.output import Format

        VALUES[name].append(Format.json)
    p = params[name]
    fast = fastparse.FastParam(p.type_descriptor, fastparse.converter(p.type_descriptor))  # type: ignore[attr-defined]
    real = build_runtime_param(p.type_descriptor)  # type: ignore[attr-defined]
    ctx = typer.main.get_command(build_app("text")).make_context("capplan", ["text"], resilient_parsing=True)
    for value in VALUES[name]:
        try:
            want: object = real.coerce(value, param=p, ctx=ctx)
        except Exception as exc:  # noqa: BLE001 - the error must be the same
            with pytest.raises(type(exc)) as got:
                fast.coerce(value, p, ctx)
            assert str(got.value) == str(exc), (name, value)
            continue
        have = fast.coerce(value, p, ctx)
        assert type(have) is type(want) and (have == want or (have != have and want != want)), (name, value, have, want)  # nan == nan


def test_a_cold_what_if_imports_only_the_floors_pydantic_modules(tmp_path):
    import os

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("CAPPLAN_NO_CACHE", None)
    floor = "import numpy, typer, rich.table, pydantic"
    # (pydantic.plugin._loader: the CLI's stand-in for pydantic's plugin finder, see capplan.cli._no_pydantic_plugins)
    count = "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'typer._adapters', 'capplan.catalog.schemas')) and m != 'pydantic.plugin._loader'))"
    base = subprocess.run([sys.executable, "-c", f"import sys; {floor}; {count}"], capture_output=True, text=True, check=True).stdout
    out_file = str(tmp_path / "out.json")
    for args in (["text"], ["video"], ["text", "--gpus", "4", "--ttft-ms", "300", "-f", "json"], ["video", "-f", "csv", "-o", out_file], ["list", "gpus"]):
        code = f"import sys, io, contextlib\nfrom capplan.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):\n    try:\n        main({args!r})\n    except SystemExit as e:\n        assert not e.code\n{count}"
        for _ in range(2):  # the first run of a command may fill the catalogue cache (that validates)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
        loaded = set(eval(out))  # noqa: S307 - our own subprocess's list
        assert not loaded & {"typer._adapters", "pydantic.type_adapter"}, args  # typer's converters stayed unbuilt
        assert "capplan.catalog.schemas" not in loaded, args  # a cached what-if validates nothing
        assert out == base, args
