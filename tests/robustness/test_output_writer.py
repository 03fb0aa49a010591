"""The one output writer (capplan.cli.output): symlinks, signals, the option named, one file per option."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from capplan.cli.output import refuse_same_output, write_atomic
from capplan.errors import UserError


def test_a_symlink_loop_is_refused_by_name(tmp_path, cli):
    a, b = tmp_path / "a", tmp_path / "b"
    b.symlink_to(a)
    a.symlink_to(b)
    r = cli("video", "-o", str(a))
    assert r.code == 2 and r.err == f"Error: --output: '{a}' is not allowed; it is a loop of symbolic links; name a file\n"


def test_a_symlink_is_written_through_and_kept(tmp_path):
    target, link = tmp_path / "t.json", tmp_path / "l.json"
    link.symlink_to(target.name)  # dangling: the file it names is created
    write_atomic(link, "x\n")
    assert link.is_symlink() and target.read_text() == "x\n"
    write_atomic(link, "y\n")
    assert link.is_symlink() and target.read_text() == "y\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.json", "t.json"]


@pytest.mark.parametrize("option", ["--html", "--write", "--output"])
def test_errors_name_the_option_that_gave_the_path(tmp_path, option):
    with pytest.raises(UserError, match=rf"^{option}: .* its folder .* does not exist"):
        write_atomic(tmp_path / "missing" / "x.html", "x", option)
    with pytest.raises(UserError, match=rf"^{option}: .* name a file, not a folder"):
        write_atomic(tmp_path, "x", option)


def test_devices_are_written_in_place(tmp_path):
    write_atomic(Path("/dev/null"), "x")
    assert Path("/dev/null").exists() and not Path("/dev/null").is_file()


SIGNAL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import capplan.cli.output as out

    real_fdopen = os.fdopen

    class Slow:
        def __init__(self, fh): self.fh = fh
        def __enter__(self): return self
        def __exit__(self, *a): return self.fh.__exit__(*a)
        def write(self, text):
            self.fh.write(text)
            self.fh.flush()
            os.kill(os.getpid(), getattr(signal, sys.argv[2]))  # the signal arrives mid-write

    out.os.fdopen = lambda fd, *a, **k: Slow(real_fdopen(fd, *a, **k))
    out.write_atomic(Path(sys.argv[1]), "x" * 100000)
    """
)


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_during_the_write_leaves_no_temporary_file(tmp_path, name):
    target = tmp_path / "out.json"
    target.write_text("old\n")
    for _ in range(5):  # was 2 in 5 tries before
        proc = subprocess.run([sys.executable, "-c", SIGNAL_SCRIPT, str(target), name], capture_output=True, text=True, timeout=60)
        if name == "SIGINT":
            assert "KeyboardInterrupt" in proc.stderr
        else:
            assert proc.returncode == -getattr(signal, name), (proc.returncode, proc.stderr)  # still dies by the signal
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
        assert target.read_text() == "old\n"  # never half a file


def test_handlers_are_restored_after_a_write(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    write_atomic(tmp_path / "x", "x")
    assert signal.getsignal(signal.SIGTERM) is before


def test_two_options_to_one_file_are_refused(tmp_path):
    x = tmp_path / "x"
    with pytest.raises(UserError, match=r"^--html: .* it is also the --output file; give each output its own file"):
        refuse_same_output({"--output": x, "--html": x})
    # the same file under another name (a relative path, a symlink) is still the same file
    x.write_text("")
    (tmp_path / "link").symlink_to(x)
    with pytest.raises(UserError, match="also the --output file"):
        refuse_same_output({"--output": x, "--html": tmp_path / "link"})
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(UserError, match="also the --output file"):
            refuse_same_output({"--output": Path("new.json"), "--html": tmp_path / "new.json"})
    finally:
        os.chdir(cwd)
    refuse_same_output({"--output": x, "--html": tmp_path / "y", "--other": None})
    refuse_same_output({"--output": Path("/dev/null"), "--html": Path("/dev/null")})  # devices may be shared
