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
        "; import types, capplan; g = capplan.api.{n}"
        "; print(callable(f) and not isinstance(f, types.ModuleType), f is g, f is getattr(m, '{n}'), f is getattr(capplan, '{n}'))"
    ).format(n=name)
    assert _run(code) == "True True True True"


def test_the_shared_names_and_all_resolve():
    out = _run("import capplan.api as a; print(a.AUTO_TP[0], a.parse_resolution('720p'), all(callable(getattr(a, n)) for n in a.__all__), 'plan' in dir(a))")
    assert out == "1 (1280, 720) True True"


def test_an_unknown_name_is_an_attribute_error():
    import capplan.api

    with pytest.raises(AttributeError, match="no_such_thing"):
        capplan.api.no_such_thing  # noqa: B018
