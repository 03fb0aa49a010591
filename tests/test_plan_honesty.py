"""A plan says when its numbers are less than optimal or less than the whole story (issues 17, 18)."""

from __future__ import annotations

from pathlib import Path

import capplan
from capplan.planning import optimize

SMALL = Path(__file__).resolve().parent / "golden" / "plan-small.toml"


def test_a_solve_stopped_at_its_time_limit_is_a_warning_with_its_gap(monkeypatch):
    real = optimize.solve

    def stopped(p, mode, **kw):
        sol = real(p, mode, **kw)
        sol.status, sol.mip_gap = "time_limit", 0.012
        return sol

    monkeypatch.setattr(optimize, "solve", stopped)
    r = capplan.plan(SMALL, time_limit_s=30.0)
    notes = [w for w in r.warnings if "time limit" in w]
    assert len(notes) == 2 and all("1.20%" in w and "30 s" in w for w in notes)
    assert r.siloed.status == "time_limit"


def test_progress_is_reported_per_arrangement_and_never_goes_back():
    seen: list[tuple[str, float]] = []
    capplan.plan(SMALL, progress=lambda phase, frac: seen.append((phase, frac)))
    for mode in ("siloed", "consolidated"):
        fracs = [f for p, f in seen if p.startswith(f"{mode}:")]
        assert fracs and fracs == sorted(fracs) and fracs[-1] == 1.0


def test_progress_line_only_on_a_terminal(monkeypatch):
    import io

    from capplan.cli import plan as cli_plan

    with cli_plan.solve_progress(quiet=True) as p:
        assert p is None
    monkeypatch.setattr("sys.stderr", io.StringIO())  # piped: not a terminal
    with cli_plan.solve_progress(quiet=False) as p:
        assert p is None

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Tty())
    with cli_plan.solve_progress(quiet=False) as p:
        assert p is not None
        p("siloed: sizing", 0.5)


def test_schedule_csv_beside_the_plan(cli, tmp_path):
    sched, plan_json = tmp_path / "schedule.csv", tmp_path / "plan.json"
    r = cli("plan", str(SMALL), "--schedule-csv", str(sched), "-f", "json", "-o", str(plan_json))
    assert r.code == 0, r.err
    lines = sched.read_text().splitlines()
    assert lines[0].startswith("arrangement,hour,text_gpus,video_gpus")
    import json

    hours = json.loads(plan_json.read_text())["horizon_hours"]
    assert len(lines) == 1 + 2 * hours  # both arrangements, every hour
    same = cli("plan", str(SMALL), "--schedule-csv", str(sched), "-o", str(sched))
    assert same.code == 2 and "--schedule-csv" in same.err


def test_a_prompt_beyond_the_context_names_the_field_not_the_fleet(tmp_path):
    import pytest

    from capplan.errors import UserError

    text = SMALL.read_text().replace("prompt_tokens = ", "prompt_tokens = 999999 # ", 1)
    assert "999999" in text, "the small scenario sets prompt_tokens"
    bad = tmp_path / "long.toml"
    bad.write_text(text)
    with pytest.raises(UserError) as exc:
        capplan.plan(bad)
    assert "text.0.prompt_tokens" in exc.value.source and "context" in str(exc.value)


def test_the_html_tornado_moves_around_the_plan_shown(cli, monkeypatch, tmp_path):
    """--html-sensitivity used the scenario's own cap, not --power-cap-mw (issue 18)."""
    from capplan import api

    seen = {}
    real = api.sensitivity

    def spy(*a, **kw):
        seen.update(kw.get("args", {}))
        return real(*a, **kw)

    monkeypatch.setattr(api, "sensitivity", spy)
    r = cli("plan", str(SMALL), "--power-cap-mw", "5", "--time-limit-s", "20", "--html", str(tmp_path / "r.html"), "--html-sensitivity", "-q")
    assert r.code == 0, r.err
    assert seen["power_cap_mw"] == 5.0 and seen["time_limit_s"] == 20.0


def test_a_text_service_names_its_serving_engine(tmp_path):
    """engine (and the other serving settings) in a scenario reach the capacity the plan uses (issue 16)."""
    caps = {}
    for engine in ("trtllm", "sglang"):
        text = SMALL.read_text().replace("prompt_tokens = 1024", f'prompt_tokens = 1024\nengine = "{engine}"', 1)
        path = tmp_path / f"{engine}.toml"
        path.write_text(text)
        r = capplan.plan(path)
        caps[engine] = [c.capacity_per_gpu for c in r.capacities if c.kind == "text"]
    assert caps["trtllm"] != caps["sglang"]


def test_collectives_over_pcie_come_with_a_warning_and_nvlink_or_one_gpu_without():
    import capplan

    def pcie(r):
        return [w for w in r.warnings if "no NVLink" in w]

    assert pcie(capplan.text("llama-3.1-70b", "l40s", gpus=4, precision="fp8"))
    assert pcie(capplan.video("cogvideox-5b", "l40s", gpus=2))
    assert not pcie(capplan.text("llama-3.1-8b", "l40s", gpus=1, precision="fp8"))
    assert not pcie(capplan.text("llama-3.1-70b", "h100-sxm", gpus=4))
