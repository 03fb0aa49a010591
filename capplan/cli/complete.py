"""Shell completion of catalogue ids. Each callback loads the catalogue only when the shell asks,
so `--help` and ordinary runs never pay for it."""

from __future__ import annotations

from collections.abc import Iterable


def _matching(ids: Iterable[str], incomplete: str) -> list[str]:
    return sorted(i for i in ids if i.startswith(incomplete))


def _catalog():  # type: ignore[no-untyped-def]
    from capplan.catalog import load_catalog

    return load_catalog()


def gpus(incomplete: str) -> list[str]:
    return _matching(_catalog().gpus, incomplete)


def video_workloads(incomplete: str) -> list[str]:
    return _matching(_catalog().video, incomplete)


def text_workloads(incomplete: str) -> list[str]:
    return _matching(_catalog().text, incomplete)


def workloads(incomplete: str) -> list[str]:
    cat = _catalog()
    return _matching([*cat.video, *cat.text], incomplete)


def stacks(incomplete: str) -> list[str]:
    return _matching(_catalog().efficiency.stacks, incomplete)


def scenarios(incomplete: str) -> list[str]:
    """Bundled scenario names, and TOML files, since a completion list replaces the shell's own file completion."""
    from pathlib import Path

    from capplan.cli.scenarios import bundled_scenarios

    folder = Path(incomplete.rpartition("/")[0] or "/") if "/" in incomplete else Path(".")
    try:
        files = [str(p) if "/" in incomplete else p.name for p in folder.glob("*.toml")]
    except OSError:
        files = []
    return _matching([*bundled_scenarios(), *files], incomplete)


def templates(incomplete: str) -> list[str]:
    from capplan.cli.scenarios import templates as names

    return _matching(names(), incomplete)


def commands(incomplete: str) -> list[str]:
    return _matching(("video", "text", "plan"), incomplete)
