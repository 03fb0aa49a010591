"""Pieces of a table that depend on where it is printed.

A legend for colours or symbols helps on a terminal; in plain or piped output (a file, a pipe,
NO_COLOR) there are no colours to explain, so it is left out and the marks speak for themselves.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.text import Text


def styled_terminal(console: Console) -> bool:
    return console.is_terminal and not console.no_color and console.color_system is not None


class TerminalOnly:
    """``renderable`` on a colour terminal, nothing elsewhere."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if styled_terminal(console):
            yield self.renderable


class Mark:
    """A short mark on a colour terminal (explained by a legend), words in plain output."""

    def __init__(self, terminal: Text, plain: str) -> None:
        self.terminal = terminal
        self.plain = Text(plain)

    def _pick(self, console: Console) -> Text:
        return self.terminal if styled_terminal(console) else self.plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._pick(console)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._pick(console))
