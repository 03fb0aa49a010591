"""How a library error reads on the command line.

The API names the parameter it refuses (``gpus``, ``price_per_gpu_hour``); a user typed a flag
(``--gpus``). Sources that already are flags, arguments or files pass unchanged; a path inside the
installed package is shown as the catalogue's own name, not a site-packages path.
"""

from __future__ import annotations

import re
from typing import Any

#: API keyword -> the CLI's name for it, where they differ.
ALIASES = {"sets": "--set"}

_BARE = re.compile(r"[a-z][a-z0-9_]*")


def param_flags(command: Any) -> dict[str, str]:
    """Python parameter name -> the flag (or ARGUMENT) that sets it, over a click command and its subcommands."""
    out: dict[str, str] = {}
    for sub in getattr(command, "commands", {}).values():
        out.update(param_flags(sub))
    for p in getattr(command, "params", []):
        if not p.name:
            continue
        if p.param_type_name == "argument":
            named = (p.metavar or "").strip("[]")
            shown = named if named.isupper() else p.name.upper()
        else:
            longs = [o for o in p.opts if o.startswith("--")]
            shown = longs[0] if longs else p.opts[0]
        out.setdefault(p.name, shown)
        out.setdefault(p.name.rstrip("_"), shown)
    return out


def cli_source(source: str, flags: dict[str, str]) -> str:
    """``source`` as the user knows it: a bare parameter name becomes its flag; anything else is kept."""
    if not _BARE.fullmatch(source):
        return source
    return ALIASES.get(source) or flags.get(source) or source


def bundled_names(source: str) -> str:
    """Paths inside the bundled catalogue shown relative to it (a bundled scenario by its name)."""
    from capplan.catalog.load import data_root

    root = str(data_root()).rstrip("/") + "/"
    if root not in source:
        return source
    source = re.sub(re.escape(root) + r"workloads/scenarios/([^/\s:]+)\.toml", r"\1", source)
    return source.replace(root, "")


def for_cli(exc: Any, command: Any) -> Any:
    """The UserError ``exc`` with its source and message in the CLI's terms (a new error, or ``exc``)."""
    source = bundled_names(cli_source(exc.source, param_flags(command) if command is not None else {}))
    allowed = bundled_names(exc.allowed)
    if (source, allowed) == (exc.source, exc.allowed):
        return exc
    return type(exc)(source, exc.value, allowed)
