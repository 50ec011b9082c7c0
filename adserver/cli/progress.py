"""Progress bars for long CLI work (tqdm), on stderr and only when stderr is a terminal: scripts, pipes and
tests see the same clean output as before."""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import IO

from tqdm import tqdm

# Steps of unequal length (a model fit is a minute, reading a file a second): no rate, no time left, which the
# short steps would make promise too little. The clock runs.
STEPS = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"
COUNT = "{desc}: {n_fmt} [{elapsed}{postfix}]"


class Bar:
    """A `Progress` drawn by tqdm; each `start` begins a new bar (one line, cleared when done). While a long step
    runs (a model fit: a minute), the bar is redrawn every `TICK` seconds so its clock shows the work going on."""

    TICK = 1.0

    def __init__(self, file: IO[str] | None = None, enabled: bool | None = None):
        self.file = file or sys.stderr
        self.disable = None if enabled is None else not enabled  # None: tqdm's own test, "is it a terminal?"
        self._bar: tqdm | None = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self, total: int | None, what: str) -> None:
        self.close()
        self._bar = tqdm(
            total=total,
            desc=what,
            file=self.file,
            disable=self.disable,
            leave=False,
            dynamic_ncols=True,
            bar_format=STEPS if total is not None else COUNT,
        )
        if not self._bar.disable:
            self._stop = threading.Event()
            self._ticker = threading.Thread(target=self._tick, args=(self._bar, self._stop), daemon=True)
            self._ticker.start()

    def _tick(self, bar: tqdm, stop: threading.Event) -> None:
        while not stop.wait(self.TICK):
            bar.refresh()

    def advance(self, n: int = 1, note: str = "") -> None:
        if self._bar is not None:
            if note:
                self._bar.set_postfix_str(note, refresh=not n)  # a new stage shows at once
            self._bar.update(n)

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()  # no redraw after the bar is cleared
            self._ticker = None
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
