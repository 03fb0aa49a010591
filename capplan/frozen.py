"""A frozen value object without pydantic or dataclasses: what catalogue records
(:mod:`capplan.catalog.records`) and result records (:mod:`capplan.results_base`) share. Fields live
in the instance ``__dict__``, set once by the subclass's constructor; equality, hashing and repr are by
value, field order kept. Importing this imports nothing."""

from __future__ import annotations


class Frozen:
    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: use model_copy(update=...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"
