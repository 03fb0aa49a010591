"""Result records without pydantic: what a what-if (``capplan video``, ``capplan text``) or a listing
returns is defined here as a plain frozen record, so a cold what-if never imports pydantic's model
machinery (~40 ms, most of what it paid above the import floor; docs/benchmarks.md, "Cold start").

A record class is written like a pydantic model (annotated fields, ``Field(...)`` defaults and
descriptions, a docstring). Its pydantic twin, :meth:`Out.pydantic`, is built from that same
declaration on first use, field for field in order, so the JSON Schema (``capplan schema``), validation
(``model_validate``) and pydantic's other methods are exactly those of the model as it was declared
before. A record offers what results are used for without the twin: attribute access,
``model_dump`` (JSON types already: the numbers are Python floats and ints), ``model_copy``, equality,
pickling; any other ``model_*`` attribute is the twin's, on a validated copy.

Construction does what validation did to a computed result (tests/test_result_build.py): a field
declared float or int (or ``| None``) gets that type, defaults are filled in, unknown or missing fields
are refused. It does not validate otherwise: results are computed, not input.
"""

from __future__ import annotations

import functools
import operator
import types
import typing
from typing import Any, ClassVar, Union

from capplan.frozen import Frozen

_MISSING: Any = object()


class _FieldSpec:
    __slots__ = ("kwargs",)

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs


def Field(**kwargs: Any) -> Any:  # noqa: N802 - the name pydantic's declarations use
    """``pydantic.Field``'s arguments (default, default_factory, description), kept for the twin."""
    return _FieldSpec(kwargs)


def _number_kind(ann: Any) -> type | None:
    if typing.get_origin(ann) in (Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        ann = args[0] if len(args) == 1 else None
    return ann if ann is float or ann is int else None


class Out(Frozen):
    """Base of the result records; see the module docstring."""

    #: field name -> (its defaults as a dict with "default" or "default_factory", or None: required;
    #: the number type the value is coerced to, or None)
    _specs: ClassVar[dict[str, tuple[dict[str, Any] | None, type | None]]] = {}
    #: field name -> (its annotation, whether it was declared with Field(...), Field's or the default's arguments)
    _declared: ClassVar[dict[str, tuple[Any, bool, dict[str, Any]]]] = {}
    #: names the string annotations may use (a pydantic model such as Uncertainty), imported on first use
    _lazy_names: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        specs, declared = dict(cls._specs), dict(cls._declared)
        for name, ann in cls.__dict__.get("__annotations__", {}).items():
            if name.startswith("_"):
                continue
            v = cls.__dict__.get(name, _MISSING)
            if isinstance(v, _FieldSpec):
                declared[name] = (ann, True, v.kwargs)
            elif v is _MISSING:
                declared[name] = (ann, False, {})
            else:
                declared[name] = (ann, False, {"default": v})
            if v is not _MISSING:
                delattr(cls, name)  # the instance's value, never a class attribute, answers for the field
            kw = declared[name][2]
            field: dict[str, Any] | None = {k: kw[k] for k in ("default", "default_factory") if k in kw} or None
            specs[name] = (field, None if isinstance(ann, str) else _number_kind(ann))
        cls._specs, cls._declared = specs, declared

    def __init__(self, **values: Any) -> None:
        d: dict[str, Any] = {}
        for name, (field, kind) in self._specs.items():
            if name in values:
                v = values[name]
                if kind is not None and v is not None and type(v) is not kind:
                    v = kind(v)
                d[name] = v
            elif field is None:
                raise TypeError(f"{type(self).__name__}: the field {name!r} is required")
            elif "default_factory" in field:
                d[name] = field["default_factory"]()
            else:
                d[name] = field["default"]
        if len(values) != sum(1 for name in values if name in self._specs):
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(set(values) - set(self._specs)))}")
        object.__setattr__(self, "__dict__", d)

    def __iter__(self) -> Any:
        return iter(self.__dict__.items())

    # --- what pydantic models offer ------------------------------------------------------------------

    def model_dump(self, *, mode: str = "python", **kwargs: Any) -> dict[str, Any]:
        """The fields as dicts and lists, as pydantic's ``model_dump`` gives them; other arguments
        (include, exclude, by_alias, ...) go to the pydantic twin."""
        if kwargs:
            return self.to_pydantic().model_dump(mode=mode, **kwargs)  # type: ignore[no-any-return]
        return {k: _dump(v, mode) for k, v in self.__dict__.items()}

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy with ``update``'s fields replaced, not validated (as pydantic's ``model_copy``)."""
        import copy

        d = copy.deepcopy(self.__dict__) if deep else dict(self.__dict__)
        if update:
            unknown = set(update) - set(self._specs)
            if unknown:
                raise AttributeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(unknown))}")
            d.update(update)
        new = object.__new__(type(self))
        object.__setattr__(new, "__dict__", d)
        return new

    def to_pydantic(self) -> Any:
        """This result as an instance of its pydantic twin (validated)."""
        return self.pydantic().model_validate(self.model_dump())

    def __getattr__(self, name: str) -> Any:
        # any other pydantic method or attribute (model_dump_json, model_fields_set, ...): the twin's
        if name.startswith("model_"):
            return getattr(self.to_pydantic(), name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return cls.pydantic().model_json_schema(*args, **kwargs)  # type: ignore[no-any-return]

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Validate ``obj`` with the pydantic twin; the result is a record of this class."""
        return from_pydantic(cls.pydantic().model_validate(obj, *args, **kwargs), cls)

    @classmethod
    def pydantic(cls) -> Any:
        """The pydantic model of this declaration (built on first use; imports pydantic)."""
        return _twin(cls)  # type: ignore[arg-type]


def _dump(v: Any, mode: str) -> Any:
    if isinstance(v, Out):
        return v.model_dump(mode=mode)
    if isinstance(v, list):
        return [_dump(x, mode) for x in v]
    if isinstance(v, dict):
        return {k: _dump(x, mode) for k, x in v.items()}
    if hasattr(type(v), "__pydantic_fields__"):  # a pydantic model inside a record (Uncertainty)
        return v.model_dump(mode=mode)
    return v


def from_pydantic(m: Any, cls: type[Out]) -> Any:
    """A validated twin instance as a record of ``cls`` (nested records included)."""
    d: dict[str, Any] = {}
    for name in cls._specs:
        v = getattr(m, name)
        d[name] = _from(v)
    new = object.__new__(cls)
    object.__setattr__(new, "__dict__", d)
    return new


def _from(v: Any) -> Any:
    record = getattr(type(v), "__capplan_record__", None)
    if record is not None:
        return from_pydantic(v, record)
    if isinstance(v, list):
        return [_from(x) for x in v]
    if isinstance(v, dict):
        return {k: _from(x) for k, x in v.items()}
    return v


def _resolve(ann: Any, cls: type[Out]) -> Any:
    """``ann`` with every record class replaced by its twin (string annotations evaluated first)."""
    if isinstance(ann, str):
        import importlib
        import sys

        ns = dict(vars(sys.modules[cls.__module__]))
        for name, module in cls._lazy_names.items():
            ns[name] = getattr(importlib.import_module(module), name)
        ann = eval(ann, ns)  # noqa: S307 - our own declarations
    if isinstance(ann, type) and issubclass(ann, Out):
        return ann.pydantic()
    origin = typing.get_origin(ann)
    if origin in (Union, types.UnionType):
        return functools.reduce(operator.or_, [_resolve(a, cls) for a in typing.get_args(ann)])
    if origin in (list, dict):
        args = tuple(_resolve(a, cls) for a in typing.get_args(ann))
        return origin[args]
    return ann


@functools.cache
def _twin(cls: type[Out]) -> Any:
    import importlib

    import pydantic

    base = importlib.import_module("capplan.results_common")._Out
    annotations: dict[str, Any] = {}
    ns: dict[str, Any] = {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "__annotations__": annotations}
    if cls.__doc__ is not None and "__doc__" in cls.__dict__:
        ns["__doc__"] = cls.__doc__
    for name, (ann, is_field, kwargs) in cls._declared.items():
        annotations[name] = _resolve(ann, cls)
        if is_field:
            ns[name] = pydantic.Field(**kwargs)
        elif kwargs:
            ns[name] = kwargs["default"]
    twin = type(base)(cls.__name__, (base,), ns)
    twin.__capplan_record__ = cls
    return twin
