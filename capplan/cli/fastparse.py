"""Option values of the plain kinds converted without typer's pydantic adapters.

typer (0.2x) converts every parameter's value through a pydantic ``TypeAdapter``, built on first use,
including the ``None`` of an option not given; the first one imports pydantic's schema machinery
(``pydantic.types``, ``fields``, ``json_schema``, the validator builders): ~35 ms of every cold
``capplan video``/``text``, a third of what a what-if paid above the import floor (docs/benchmarks.md,
"Cold start"). :func:`install` gives typer's parameters a converter that answers the cases whose result
is certain without pydantic, exactly as the adapter would:

* an option not given (``None``; ``()`` for a repeatable one), as typer's own ``RuntimeParam.coerce``;
* ``str``: a str value as it is; ``bool``: a bool; ``int``/``float`` (no min/max/parser): a value already of the type, or
  plain decimal digits (``-?\\d+``, and ``.\\d+`` for float), which pydantic and ``int()``/``float()``
  read alike; an ``Enum`` choice: a member, or a string typer's own choice matching accepts;
  ``list[str]``: a list or tuple of str; a ``Path``: a non-empty str made a Path, then typer's own checks.

Anything else (a bool from text, ``1e3``, a bad value, a path typer refuses) goes to typer's own converter, so every
error message and every unusual spelling is typer's. Installed only when typer has the hook this relies
on (``_TyperParameter.get_runtime_param``, typer >= 0.2x); older typers use click's types and no pydantic.
tests/cli/test_fastparse.py checks the answers against typer's converter.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

_INT = re.compile(r"-?(0|[1-9][0-9]{0,17})")
_FLOAT = re.compile(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?")


class _Unsure(Exception):
    """The fast path does not know the answer: ask typer's converter."""


class FastParam:
    """Stands in for typer's ``RuntimeParam`` of one parameter; see the module docstring."""

    __slots__ = ("_convert", "_descriptor", "_real")

    def __init__(self, descriptor: Any, convert: Any) -> None:
        self._descriptor = descriptor
        self._convert = convert
        self._real: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if value is None:  # as typer's RuntimeParam.coerce
            return () if multi else None
        if not (multi and isinstance(value, str)):
            try:
                return self._convert(value, ctx)
            except _Unsure:
                pass
        return self.real().coerce(value, param=param, ctx=ctx)

    def real(self) -> Any:
        if self._real is None:
            from typer._coercion import build_runtime_param

            self._real = build_runtime_param(self._descriptor)
        return self._real


def _as_str(value: Any, ctx: Any) -> Any:
    if type(value) is str:
        return value
    raise _Unsure


def _as_bool(value: Any, ctx: Any) -> Any:
    if type(value) is bool:
        return value
    raise _Unsure


def _as_int(value: Any, ctx: Any) -> Any:
    if type(value) is int:
        return value
    if type(value) is str and _INT.fullmatch(value):
        return int(value)
    raise _Unsure


def _as_float(value: Any, ctx: Any) -> Any:
    if type(value) is float:
        return value
    if type(value) is int:
        return float(value)
    if type(value) is str and _FLOAT.fullmatch(value):
        return float(value)
    raise _Unsure


def _as_str_list(value: Any, ctx: Any) -> Any:
    if isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
        return list(value)
    raise _Unsure


def _choice(annotation: type[Enum], case_sensitive: bool) -> Any:
    members = tuple(annotation)

    def convert(value: Any, ctx: Any) -> Any:
        if type(value) is annotation:
            return value
        if type(value) is not str:
            raise _Unsure
        from typer._param_types import coerce_cli_choice  # typer's own matching (no pydantic)

        try:
            return coerce_cli_choice(value, choices=members, case_sensitive=case_sensitive, ctx=ctx)
        except ValueError:
            raise _Unsure from None  # typer's converter words the error

    return convert


def _unsure(value: Any, ctx: Any) -> Any:
    raise _Unsure


def _path(info: Any) -> Any:
    from pathlib import Path

    def convert(value: Any, ctx: Any) -> Any:
        if type(value) is not str or not value or "\0" in value:
            raise _Unsure
        from typer._param_types import coerce_cli_path  # typer's own checks (exists, dir_okay, ...)

        try:
            # typer's path adapter: the str made a Path (by pydantic, as Path(str) does), then these checks
            return coerce_cli_path(Path(value), info, path_type=Path, ctx=ctx)
        except Exception:  # noqa: BLE001 - typer's converter words the error
            raise _Unsure from None

    return convert


def converter(descriptor: Any) -> Any:
    """The fast converter of a typer parameter; for other kinds than the plain ones, one that answers
    only an option not given (every typer converter answers ``None`` alike, in ``RuntimeParam.coerce``)."""
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or getattr(info, "parser", None) is not None or getattr(info, "click_type", None) is not None:
        return _unsure
    a = descriptor.annotation
    if a is str:
        return _as_str
    if a is bool:
        return _as_bool
    if a is int or a is float:
        if info.min is not None or info.max is not None or info.clamp:
            return _unsure
        return _as_int if a is int else _as_float
    if a == list[str]:
        return _as_str_list
    if isinstance(a, type) and issubclass(a, Enum):
        return _choice(a, bool(info.case_sensitive))
    from pathlib import Path

    if a is Path and getattr(info, "path_type", None) is None:
        return _path(info)
    return _unsure


def install() -> bool:
    """Give typer's parameters the fast converters (once per process); False when this typer has no
    such hook (then nothing is changed)."""
    try:
        from typer import core
    except ImportError:  # pragma: no cover - typer is a dependency
        return False
    cls = getattr(core, "_TyperParameter", None)
    original = getattr(cls, "get_runtime_param", None)
    if cls is None or original is None or not hasattr(core, "build_runtime_param"):
        return False
    if getattr(original, "capplan_fast", False):
        return True

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            self._runtime_param = FastParam(self.type_descriptor, converter(self.type_descriptor))
        return original(self)

    get_runtime_param.capplan_fast = True  # type: ignore[attr-defined]
    cls.get_runtime_param = get_runtime_param
    return True
