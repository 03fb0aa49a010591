"""Input files are checked before they are read: a regular file, a size limit, UTF-8; never echoed."""

from __future__ import annotations

import os
import threading

import pytest

from capplan.catalog.load import checked_input, read_text, read_toml
from capplan.errors import UserError


def test_a_regular_file_passes_and_reads_without_its_byte_order_mark(tmp_path):
    f = tmp_path / "a.toml"
    f.write_bytes(b"\xef\xbb\xbfx = 1\n")
    assert checked_input(f, "--economics") == f
    assert read_text(f, "--economics") == "x = 1\n"


@pytest.mark.parametrize("kind", ["folder", "fifo", "device", "missing", "loop"])
def test_what_is_not_a_regular_file_is_refused_by_name_without_hanging(tmp_path, kind):
    path = tmp_path / "input"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path = tmp_path / "zero"
        path.symlink_to("/dev/zero")
    elif kind == "loop":
        (tmp_path / "b").symlink_to(path)
        path.symlink_to(tmp_path / "b")
    words = {"folder": "a folder", "fifo": "a pipe", "device": "a device", "missing": "no such file", "loop": "cannot be read"}[kind]
    for reader in (checked_input, read_text):
        result: list[BaseException] = []
        # a FIFO without a writer blocks open() forever: the reader must not open it blocking
        t = threading.Thread(target=lambda r=reader, result=result: result.append(pytest.raises(UserError, r, path, "--calibration").value), daemon=True)
        t.start()
        t.join(10)
        assert not t.is_alive(), f"{reader.__name__} hung on a {kind}"
        msg = str(result[0])
        assert msg.startswith(f"--calibration: '{path}' is not allowed; ") and words in msg, msg


def test_size_limit(tmp_path):
    f = tmp_path / "big.csv"
    f.write_bytes(b"x" * 2000)
    with pytest.raises(UserError, match="2,000 bytes.*limited to 1,000"):
        checked_input(f, "demand", max_bytes=1000)
    with pytest.raises(UserError, match="limited to 1,000"):
        read_text(f, "demand", max_bytes=1000)
    assert len(read_text(f, "demand", max_bytes=2000)) == 2000


def test_contents_never_appear_in_errors(tmp_path):
    secret = "root:x:0:0:hunter2:/root:/bin/bash"
    f = tmp_path / "passwd"
    f.write_text(secret + "\n" + secret + "\n")
    with pytest.raises(UserError) as exc:
        read_toml(f)
    assert "hunter2" not in str(exc.value)
    f.write_bytes(b"\xff\xfe" + secret.encode())
    with pytest.raises(UserError, match="UTF-8") as exc:
        read_text(f, "--economics")
    assert "hunter2" not in str(exc.value)


def test_read_toml_names_the_option_for_the_file_and_the_path_for_its_contents(tmp_path):
    with pytest.raises(UserError, match=r"^--economics: .* no such file"):
        read_toml(tmp_path / "nope.toml", "--economics")
    f = tmp_path / "e.toml"
    f.write_text("pue = " + "9" * 5000)
    with pytest.raises(UserError, match=rf"^{f}: line 1: "):
        read_toml(f, "--economics")


def test_an_unknown_field_is_named_but_its_value_not_echoed(tmp_path, cli):
    f = tmp_path / "secret.toml"
    f.write_text('password = "hunter2"\n')
    r = cli("video", "--economics", str(f))
    assert r.code == 2 and r.err == f"Error: {f}: field password: '(unknown field)' is not allowed; Extra inputs are not permitted\n"
