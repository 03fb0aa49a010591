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


@pytest.fixture(scope="session")
def validated():
    """`capplan validate`'s result on the bundled measurements, computed once per session."""
    from capplan.analysis.validate import validate_all

    return validate_all()


@pytest.fixture(scope="session")
def shipped_text_rows():
    """Every row of validation/text_measurements.csv against its prediction, computed once per session
    (pricing all the bundled runs takes seconds; the rows are frozen, so tests can share them)."""
    from capplan.analysis.validate import text_comparisons

    return tuple(text_comparisons())
