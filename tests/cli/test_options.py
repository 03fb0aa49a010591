"""Each option is declared once (cli/options.py) and reaches the API under the API's own keyword."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from capplan import api
from capplan.cli.options import CLI_ONLY, api_kwargs

CLI = Path(__file__).resolve().parents[2] / "capplan" / "cli"


def test_api_kwargs_renames_set_drops_presentation_and_unset_options():
    got = api_kwargs({"gpus": 2, "set_": ["a=1"], "fmt": "json", "output": None, "steps": None, "allow_no_fit": True, "debug": False, "seed": 0})
    assert got == {"gpus": 2, "sets": ["a=1"], "seed": 0}


@pytest.mark.parametrize("module,command,function", [("video", "video", api.video), ("text", "text", api.text), ("plan", "plan", api.plan)])
def test_every_command_parameter_is_an_api_keyword(module, command, function):
    import importlib

    cli_params = inspect.signature(getattr(importlib.import_module(f"capplan.cli.{module}"), command)).parameters
    api_params = inspect.signature(function).parameters
    for name in cli_params:
        if name in CLI_ONLY:
            continue
        assert ("sets" if name == "set_" else name) in api_params, f"capplan {command} --{name.replace('_', '-')} has no API keyword"


@pytest.mark.parametrize("module", ["video.py", "text.py", "plan.py", "sweep.py", "sensitivity.py", "listing.py"])
def test_what_if_commands_declare_no_option_of_their_own(module):
    source = (CLI / module).read_text()
    assert "typer.Option(" not in source, f"declare the option in capplan/cli/options.py, not in {module}"
