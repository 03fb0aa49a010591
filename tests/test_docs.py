"""Docs stay true: every command and option is in the CLI reference with help text, and every
documented command and Python example runs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _commands():
    import typer.main

    from capplan.cli.app import app

    root = typer.main.get_command(app)
    for name, cmd in root.commands.items():
        subs = getattr(cmd, "commands", None)
        if subs:
            for sub_name, sub in subs.items():
                yield f"{name} {sub_name}", sub
        else:
            yield name, cmd


@pytest.mark.parametrize("name,cmd", list(_commands()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_command_and_option_is_documented_with_help(name, cmd):
    ref = (ROOT / "docs" / "cli.md").read_text()
    assert f"## capplan {name}" in ref, f"run python docs/gen_cli_reference.py: capplan {name} is missing"
    assert (cmd.help or "").strip(), f"capplan {name} has no help text"
    section = ref.split(f"## capplan {name}", 1)[1].split("\n## ", 1)[0]
    for p in cmd.params:
        if getattr(p, "hidden", False):
            continue
        for opt in p.opts:
            if opt.startswith("--"):
                assert opt in section, f"{opt} of capplan {name} is not in docs/cli.md (run python docs/gen_cli_reference.py)"
        if p.param_type_name == "option":
            assert (p.help or "").strip(), f"{p.opts} of capplan {name} has no help text"


def _documented_commands():
    for doc in DOCS:
        if doc.name == "tutorial.md":  # its commands build on each other: test_tutorial_is_current runs them in order
            continue
        for block in re.findall(r"```bash\n(.*?)```", doc.read_text(), re.S):
            for line in block.splitlines():
                line = line.split("  #")[0].strip()
                if line.startswith("capplan "):
                    yield pytest.param(line, id=f"{doc.name}: {line[:60]}")


@pytest.mark.parametrize("line", list(_documented_commands()))
def test_documented_commands_run(cli, line, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = shlex.split(line)[1:]
    if "--html" in args or "--output" in args or "-o" in args:
        pass  # written into tmp_path
    r = cli(*args)
    if r.code == 3:  # a documented configuration that does not fit: fine if the report says so first
        assert r.out.index("DOES NOT FIT") < r.out.index("Cost"), line
        return
    assert r.code == 0, f"{line}\n{r.err}"


def test_python_examples_in_docs_run():
    text = (ROOT / "docs" / "api.md").read_text() + (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs", "exec"), {})


def _words(text: str) -> list[str]:
    """The words of a document without its numbers: what must not drift when a figure moves."""
    return re.findall(r"[A-Za-z][A-Za-z_.-]*[A-Za-z]", text)


def test_tutorial_is_current(monkeypatch):
    """docs/tutorial.md is what docs/gen_tutorial.py prints today, up to numbers; run it to refresh."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_tutorial", ROOT / "docs" / "gen_tutorial.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    monkeypatch.setenv("COLUMNS", "80")
    fresh = gen.render()
    doc = (ROOT / "docs" / "tutorial.md").read_text()
    assert _words(fresh) == _words(doc), "docs/tutorial.md is stale: run python docs/gen_tutorial.py"
    for step in ("capplan video", "capplan text", "capplan plan", "capplan init", "--html"):
        assert step in doc
