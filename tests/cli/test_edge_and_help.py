"""The CLI's edge: library errors named by flag, help grouped in panels, completion from the catalogue."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import capplan.api
from capplan.errors import UserError


def _raising(source: str):
    def fake(*args, **kwargs):
        raise UserError(source, -1.0, "give a positive number")

    return fake


@pytest.mark.parametrize(
    "source,shown",
    [
        ("price_per_gpu_hour", "--price-per-gpu-hour"),  # a bare API parameter name becomes the flag
        ("gpus", "--gpus"),
        ("sets", "--set"),  # the API's keyword differs from the flag
        ("electricity_usd_per_kwh", "--electricity-usd-per-kwh"),
        ("--gpus", "--gpus"),  # already a flag: unchanged
        ("/tmp/my.toml: field fleet.gpus", "/tmp/my.toml: field fleet.gpus"),  # a file: unchanged
        ("no_such_parameter", "no_such_parameter"),  # not a parameter of the command: unchanged
    ],
)
def test_library_errors_are_printed_with_the_flag(cli, monkeypatch, source, shown):
    monkeypatch.setattr(capplan.api, "video", _raising(source))
    r = cli("video")
    assert r.code == 2
    assert r.err == f"Error: {shown}: -1.0 is not allowed; give a positive number\n"


def test_an_argument_error_names_the_argument(cli, monkeypatch):
    monkeypatch.setattr(capplan.api, "plan", _raising("scenario"))
    r = cli("plan", "x")
    assert r.err == "Error: SCENARIO: -1.0 is not allowed; give a positive number\n"


def test_a_bundled_scenario_error_names_the_scenario_not_the_package_path(cli):
    r = cli("plan", "--set", "scenario.horizon_hours=0")
    assert r.code == 2
    assert r.err.startswith("Error: chat-and-video (with --set): field horizon_hours: 0 is not allowed;"), r.err
    from capplan.catalog.load import data_root

    assert str(data_root()) not in r.err


def _help(cli, *args: str) -> str:
    os.environ["COLUMNS"] = "100"
    try:
        r = cli(*args, "--help")
    finally:
        del os.environ["COLUMNS"]
    assert r.code == 0
    return r.out


def test_video_help_is_grouped_in_panels_with_units_and_readable_metavars(cli):
    out = _help(cli, "video")
    for panel in ("Workload", "Hardware", "Video settings", "Economics", "Overrides and uncertainty", "Output"):
        assert f"─ {panel} ─" in out
    assert "--debug" in out and "--allow-no-fit" in out
    assert "Length of the video [s]" in out and "[USD/kWh]" in out  # units survive the markup
    assert "KEY=VALUE" in out and "KEY=LOW:HIGH" in out
    for unreadable in ("<list", "<str>", "<int>", "<float>", "<bool>", "<path>"):
        assert unreadable not in out


def test_text_help_has_a_serving_panel_and_root_help_offers_completion(cli):
    assert "─ Serving targets ─" in _help(cli, "text")
    root = _help(cli)
    assert "<bool>" not in root
    assert "--install-completion" in root and "--debug" in root and "init" in root


def test_help_does_not_load_the_catalogue(cli, monkeypatch):
    import capplan.catalog
    import capplan.catalog.load

    def boom():
        raise AssertionError("--help loaded the catalogue")

    monkeypatch.setattr(capplan.catalog, "load_catalog", boom)
    monkeypatch.setattr(capplan.catalog.load, "load_catalog", boom)
    for command in ("video", "text", "plan", "sweep", "init", "list"):
        assert cli(command, "--help").code == 0


def _complete(line: str, cwd: str | None = None) -> list[str]:
    """What bash completion offers for ``line`` (typer's completion protocol, run in a subprocess)."""
    env = {**os.environ, "_CAPPLAN_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(line.split()) - (0 if line.endswith(" ") else 1))}
    r = subprocess.run([sys.executable, "-m", "capplan"], env=env, capture_output=True, text=True, cwd=cwd)
    return r.stdout.split()


def test_completion_offers_catalogue_ids():
    assert _complete("capplan video --gpu h1") == ["h100-pcie", "h100-sxm"]
    assert "cogvideox-5b" in _complete("capplan video --workload cog") and "llama-3.1-8b" not in _complete("capplan video --workload ")
    assert _complete("capplan text --workload llama-3.1-8") == ["llama-3.1-8b"]
    assert _complete("capplan plan chat") == ["chat-and-video"]
    assert _complete("capplan video --stack fa") == ["fa2", "fa3"]


def test_scenario_completion_offers_toml_files_too(tmp_path):
    (tmp_path / "mine.toml").write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.toml").write_text("")
    assert _complete("capplan plan mi", cwd=str(tmp_path)) == ["mine.toml"]
    assert _complete("capplan plan sub/", cwd=str(tmp_path)) == ["sub/other.toml"]
    assert _complete("capplan init --template v") == ["video-only"]
