"""How long work says how far it got: the core reports to a `Progress`, an edge decides how to show it."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, total: int | None, what: str) -> None:
        """A new piece of work of `total` steps (None: unknown)."""

    def advance(self, n: int = 1, note: str = "") -> None:
        """`n` more steps done; `note` says what is under way."""


class Silent:
    """Reports nowhere: the API, the worker, the tests and the benchmarks."""

    def start(self, total: int | None, what: str) -> None:
        pass

    def advance(self, n: int = 1, note: str = "") -> None:
        pass


SILENT = Silent()
