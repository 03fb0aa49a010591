"""A newcomer's path: 80-column tables, init -> plan, scenarios by name or on stdin, no-fit exit codes,
legends only where they apply, schema -f/-o, and a completable `capplan` module."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from capplan.catalog import load_catalog


@pytest.fixture
def columns80(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def _lines_fit(out: str, width: int = 80) -> None:
    assert all(len(line.rstrip()) <= width for line in out.splitlines()), max(out.splitlines(), key=len)


def test_list_gpus_at_80_columns_shows_every_id_whole(cli, columns80):
    r = cli("list", "gpus")
    assert r.code == 0
    _lines_fit(r.out)
    firsts = [line.split()[0] for line in r.out.splitlines() if line.strip()]
    for gpu in load_catalog().gpus:
        assert gpu in firsts, gpu
    assert "…" not in r.out


def test_list_workloads_and_scenarios_at_80_columns(cli, columns80):
    r = cli("list", "workloads")
    _lines_fit(r.out)
    firsts = {line.split()[0] for line in r.out.splitlines() if line.strip()}
    cat = load_catalog()
    assert set(cat.video) | set(cat.text) <= firsts and "…" not in r.out
    s = cli("list", "scenarios")
    assert s.code == 0 and "chat-and-video" in s.out
    _lines_fit(s.out)


@pytest.mark.parametrize(
    "args",
    [
        ("video",),
        ("text",),
        ("sweep", "video", "--workload", "wan2.1-t2v-1.3b", "--vary", "gpu=a100-sxm-80gb,rtx-4090", "--vary", "resolution=480p,720p", "--vary", "precision=bf16"),
        ("sweep", "text", "--vary", "workload=llama-3.1-8b,qwen3-235b-a22b", "--vary", "gpu=a100-sxm-80gb", "--vary", "prompt-tokens=1000,2000"),
        ("sensitivity", "video", "--workload", "cogvideox-5b"),
    ],
)
def test_table_commands_fit_80_columns_without_cutting_ids(cli, columns80, args):
    r = cli(*args)
    assert r.code == 0, r.err
    _lines_fit(r.out)
    for token in args:
        for value in token.partition("=")[2].split(","):
            if value:
                assert value in r.out, value


def test_sweep_no_fit_in_plain_output_is_words_without_a_legend(cli):
    r = cli("sweep", "video", "--workload", "hunyuanvideo", "--vary", "gpu=rtx-4090,h100-sxm")
    assert r.code == 0
    assert "no fit" in r.out and "✗" not in r.out and "=" not in r.out.splitlines()[-1]
    fits = cli("sweep", "video", "--workload", "cogvideox-2b", "--vary", "gpu=h100-sxm")
    assert "no fit" not in fits.out and "does not fit" not in fits.out


def test_legends_show_on_a_colour_terminal_only():
    from rich.console import Console

    from capplan.api import sweep
    from capplan.report.sweep import sweep_table

    result = sweep("video", ["gpu=rtx-4090,h100-sxm"], fixed={"workload": "hunyuanvideo"})

    def render(terminal: bool) -> str:
        buf = io.StringIO()
        Console(file=buf, width=100, force_terminal=terminal, no_color=not terminal, color_system="standard" if terminal else None).print(sweep_table(result))
        return buf.getvalue()

    assert "✗ = does not fit in memory" in render(True)
    assert "✗" not in render(False) and "no fit" in render(False)


def test_a_video_that_does_not_fit_says_so_before_the_cost_and_exits_3(cli):
    args = ("video", "--workload", "hunyuanvideo", "--gpu", "rtx-4090", "--resolution", "720p")
    r = cli(*args)
    assert r.code == 3
    assert r.out.index("DOES NOT FIT") < r.out.index("Cost")
    assert r.err == "capplan: does not fit in memory; exit code 3 (--allow-no-fit exits 0)\n"
    assert cli(*args, "--allow-no-fit").code == 0
    j = cli(*args, "--format", "json")  # data for scripts: the verdict is a field
    assert j.code == 0 and j.json()["fits_in_memory"] is False and j.err == ""
    assert cli("video", "--workload", "cogvideox-2b").code == 0


def test_a_text_model_that_does_not_fit_exits_3_as_a_table(cli):
    r = cli("text", "--workload", "llama-3.1-70b", "--gpu", "h100-sxm", "--gpus", "1")
    assert r.code == 3 and "does not fit" in r.out


def test_init_writes_a_scenario_that_plans_as_written(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cli("init", "x.toml")
    assert r.code == 0 and r.out == "wrote x.toml; run it with: capplan plan x.toml\n"
    text = (tmp_path / "x.toml").read_text()
    assert text.count("#") > 20  # commented for a newcomer
    p = cli("plan", "x.toml", "--format", "json")
    assert p.code == 0, p.err
    assert p.json()["scenario"] == "my-service"
    again = cli("init", "x.toml")
    assert again.code == 2 and again.err == "Error: FILE: 'x.toml' is not allowed; it exists; choose another name or add --force\n"
    assert cli("init", "x.toml", "--force").code == 0


@pytest.mark.parametrize("template", ["text-only", "video-only"])
def test_every_template_plans(cli, tmp_path, template):
    f = tmp_path / f"{template}.toml"
    assert cli("init", str(f), "--template", template).code == 0
    r = cli("plan", str(f), "--format", "json")
    assert r.code == 0, r.err


def test_unknown_template_lists_the_templates(cli, tmp_path):
    r = cli("init", str(tmp_path / "x.toml"), "--template", "nope")
    assert r.code == 2 and r.err == "Error: --template: 'nope' is not allowed; choose one of starter, text-only, video-only\n"
    assert not (tmp_path / "x.toml").exists()


def test_plan_reads_a_scenario_from_stdin(tmp_path):
    from capplan.cli.scenarios import template_text

    run = [sys.executable, "-m", "capplan", "plan", "-", "--format", "json"]
    r = subprocess.run(run, input=template_text("starter"), capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    bad = subprocess.run(run, input=template_text("starter").replace("horizon_hours = 24", "horizon_hours = 0"), capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: - (standard input): field horizon_hours: 0 is not allowed;"), bad.stderr


def test_scenarios_in_capplan_path_are_listed(cli, tmp_path, monkeypatch):
    from capplan.cli.scenarios import template_text

    folder = tmp_path / "workloads" / "scenarios"
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text(template_text("starter"))
    monkeypatch.setenv("CAPPLAN_PATH", str(tmp_path))
    r = cli("list", "scenarios", "--format", "json")
    assert {s["name"] for s in r.json()} >= {"chat-and-video", "mine"}


def test_schema_takes_format_and_output(cli, tmp_path):
    target = tmp_path / "video.schema.json"
    r = cli("schema", "video", "-f", "json", "-o", str(target))
    assert r.code == 0 and r.out == ""
    import json

    assert json.loads(target.read_text())["title"] == "VideoResult"
    bad = cli("schema", "video", "-f", "csv")
    assert bad.code == 2 and bad.err == "Error: --format: 'csv' is not allowed; a JSON Schema is written as json\n"
    assert cli("schema", "scenarios").code == 0


def test_dir_of_capplan_shows_the_public_api():
    import capplan

    names = dir(capplan)
    for name in ("video", "text", "plan", "sweep", "sensitivity", "list_gpus", "list_workloads", "__version__"):
        assert name in names
    assert not [n for n in names if n.startswith("_") and not n.endswith("__")]
    for name in capplan.__all__:  # every name it lists resolves
        assert getattr(capplan, name) is not None, name


def test_debug_is_listed_and_accepted_by_every_command(cli):
    os.environ.pop("CAPPLAN_DEBUG", None)
    r = cli("list", "gpus", "--debug", "-f", "json")
    assert r.code == 0 and r.json()


def test_a_stdin_scenario_with_a_relative_demand_csv_is_refused_by_name(tmp_path):
    from capplan.cli.scenarios import template_text

    text = template_text("text-only").replace('{ shape = "business_hours", peak = 200, trough = 30 }', '{ csv = "demand.csv", column = "rps" }')
    r = subprocess.run([sys.executable, "-m", "capplan", "plan", "-"], input=text, capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == (
        "Error: - (standard input): text.0.requests_per_s.csv: 'demand.csv' is not allowed; "
        "a scenario read from standard input names its CSV by an absolute path\n"
    )


def test_init_dash_prints_the_template(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cli("init", "-", "--template", "video-only")
    assert r.code == 0 and r.out.startswith("# A capplan scenario: one text-to-video service")
    assert list(tmp_path.iterdir()) == []
