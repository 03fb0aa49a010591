"""Command classes for the help screens: typer labels every flag (--help, --install-completion, ...)
with a value type <bool> although a flag takes no value, and arguments <str>; these show none."""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup


def _untyped_flags(params: list[Any]) -> list[Any]:
    for p in params:
        if getattr(p, "is_flag", False) and p.metavar is None:
            p.metavar = ""
        elif p.param_type_name == "argument" and p.metavar:
            # a named argument (SCENARIO, FILE) says what it is; its help says what it takes
            p.display_type_rich = _no_type
    return params


def _no_type(ctx: Any = None) -> None:
    return None


class HelpCommand(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _untyped_flags(super().get_params(ctx))


class HelpGroup(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _untyped_flags(super().get_params(ctx))
