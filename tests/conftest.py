from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from capplan.cli import main


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(capsys):
    """Run the capplan CLI in-process through its real entry point (error edge included)."""

    def run(*args: str) -> Run:
        with pytest.raises(SystemExit) as exc:
            main(list(args))
        cap = capsys.readouterr()
        return Run(int(exc.value.code or 0), cap.out, cap.err)

    return run
