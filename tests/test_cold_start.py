"""What a cold `capplan video` / `capplan text` imports, and the lazy public API that makes it small."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def _modules_after(stmt: str) -> set[str]:
    return set(_run(f"import sys; {stmt}; print(' '.join(sorted(sys.modules)))").split())


def test_video_function_does_not_import_the_planner_sweep_or_roadmap():
    loaded = _modules_after("import capplan.api as a; a.video; a.text; a.list_gpus")
    assert not loaded & {"capplan.api.plan", "capplan.api.sweep", "capplan.api.roadmap", "capplan.api.sensitivity", "capplan.planning.optimize"}
    assert {"capplan.api.video", "capplan.api.text", "capplan.api.listing"} <= loaded


@pytest.mark.parametrize("name", ["plan", "roadmap", "sweep", "sensitivity", "video", "text"])
@pytest.mark.parametrize("first", ["function", "submodule"])
def test_a_function_named_like_its_submodule_stays_the_function_in_either_order(name, first):
    """`capplan.api.plan(...)` keeps working after `from capplan.api.plan import ...`, and the reverse."""
    attr = "import capplan.api as a; f = a.{n}"
    sub = "import importlib; m = importlib.import_module('capplan.api.{n}')"
    steps = [attr, sub] if first == "function" else [sub, attr]
    code = "; ".join(steps).format(n=name) + (
        f"; import types, capplan; g = capplan.api.{name}"
        f"; print(callable(f) and not isinstance(f, types.ModuleType), f is g, f is getattr(m, '{name}'), f is getattr(capplan, '{name}'))"
    )
    assert _run(code) == "True True True True"


def test_the_shared_names_and_all_resolve():
    out = _run("import capplan.api as a; print(a.AUTO_TP[0], a.parse_resolution('720p'), all(callable(getattr(a, n)) for n in a.__all__), 'plan' in dir(a))")
    assert out == "1 (1280, 720) True True"


def test_an_unknown_name_is_an_attribute_error():
    import capplan.api

    with pytest.raises(AttributeError, match="no_such_thing"):
        capplan.api.no_such_thing  # noqa: B018


_RUN_VIDEO = (
    "import sys, io, contextlib\n"
    "from capplan.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    try:\n        main(['video', '-f', '{fmt}', *{extra!r}])\n    except SystemExit as e:\n        assert e.code == 0, e.code\n"
    "print(' '.join(sorted(sys.modules)))"
)


#: a --set is validated by the catalogue's pydantic schema: a run that builds a pydantic validator
#: (a plain what-if served from the catalogue cache builds none, and so never asks for plugins)
VALIDATES = ["--set", "gpu.price.usd_per_gpu_hour=2"]


def _cli_modules(fmt: str, env: dict[str, str] | None = None, extra: list[str] | None = None) -> set[str]:
    import os

    e = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"} | (env or {})
    code = _RUN_VIDEO.format(fmt=fmt, extra=extra or [])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=e).stdout
    return set(out.split())


def test_a_cold_what_if_skips_pydantic_plugin_discovery():
    loaded = _cli_modules("json", extra=VALIDATES)
    assert "importlib.metadata" not in loaded and "email" not in loaded
    assert "pydantic.main" in loaded  # the run did build pydantic models


def test_a_user_choice_of_plugins_to_disable_is_left_to_pydantic():
    assert "importlib.metadata" in _cli_modules("json", {"PYDANTIC_DISABLE_PLUGINS": "some_plugin"}, extra=VALIDATES)


def test_the_real_plugin_finder_answers_what_the_stand_in_answers(monkeypatch):
    """If a pydantic release renames its finder, this fails rather than the CLI."""
    import importlib

    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")
    real = importlib.import_module("pydantic.plugin._loader")
    assert tuple(real.get_plugins()) == ()
    src = importlib.import_module("pydantic.plugin._schema_validator")
    import inspect

    assert "from ._loader import get_plugins" in inspect.getsource(src)


def test_json_output_does_not_import_rich_rendering():
    loaded = _cli_modules("json")
    assert not loaded & {"rich.console", "rich.table", "capplan.report.tables"}


_GC_AFTER = (
    "import gc, sys, io, contextlib\n"
    "sys.argv = ['capplan', *{args!r}]\n"
    "from capplan.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
    "    try:\n        main({argv})\n    except SystemExit as e:\n        code = e.code\n"
    "print(code, gc.isenabled(), gc.get_freeze_count() > 0)"
)


@pytest.mark.parametrize(
    "args,argv,expected",
    [
        (["video", "-f", "json"], "", "0 False True"),  # a what-if as the process: collector off, all frozen at exit
        (["plan", "no-such-scenario.toml"], "", "2 True True"),  # a long command gets the collector back
        (["video", "-f", "json"], "sys.argv[1:]", "0 True False"),  # called from a program: untouched
    ],
)
def test_the_garbage_collector_policy_of_the_entry_point(args, argv, expected):
    assert _run(_GC_AFTER.format(args=args, argv=argv)) == expected
