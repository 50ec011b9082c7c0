"""Progress bars for long CLI work (tqdm), on stderr and only when stderr is a terminal: scripts, pipes and
tests see the same clean output as before."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import IO

from tqdm import tqdm


class Bar:
    """A `Progress` drawn by tqdm; each `start` begins a new bar (one line, cleared when done)."""

    def __init__(self, file: IO[str] | None = None, enabled: bool | None = None):
        self.file = file or sys.stderr
        self.disable = None if enabled is None else not enabled  # None: tqdm's own test, "is it a terminal?"
        self._bar: tqdm | None = None

    def start(self, total: int | None, what: str) -> None:
        self.close()
        self._bar = tqdm(total=total, desc=what, file=self.file, disable=self.disable, leave=False, dynamic_ncols=True)

    def advance(self, n: int = 1, note: str = "") -> None:
        if self._bar is not None:
            if note:
                self._bar.set_postfix_str(note, refresh=not n)  # a new stage shows at once
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextmanager
def progress_bar():
    """A `Bar` on stderr for the length of a command."""
    bar = Bar()
    try:
        yield bar
    finally:
        bar.close()
