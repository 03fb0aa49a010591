"""One user-error type.

Every mistake a user can make (an option, a field in a TOML file, a CSV column) is raised as
:class:`UserError`, which names where the bad value came from, the value, and what is allowed. The CLI
edge prints it as one line and exits with code 2; anything else is a bug.
"""

from __future__ import annotations

from typing import Any


class CapplanError(Exception):
    """Base class of capplan's own exceptions."""


class UserError(CapplanError):
    """A bad input: ``source`` (option, or file and field), the ``value`` and what is ``allowed``."""

    def __init__(self, source: str, value: Any, allowed: str) -> None:
        self.source = source
        self.value = value
        self.allowed = allowed
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type, tuple[str, object, str]]:
        # so that an error raised in a worker process reaches the caller whole
        return (type(self), (self.source, self.value, self.allowed))

    def __str__(self) -> str:
        shown = repr(self.value) if isinstance(self.value, str) else str(self.value)
        if len(shown) > 80:  # (the middle goes: a path's file name and a value's end stay readable)
            shown = shown[:38] + "..." + shown[-39:]
        text = f"{_short(self.source)}: {shown} is not allowed; {self.allowed}"
        return " ".join(text.splitlines())  # one line, whatever the inputs contain


def _short(source: str) -> str:
    return source if len(source) <= 200 else source[:197] + "..."


class DoesNotFit(CapplanError):
    """A configuration that cannot run (for callers that want an exception instead of a flag)."""
